using PcapForge.Abstractions.Records;

namespace PcapForge.Output;

/// <summary>How each <see cref="ColumnType"/> is stored in Parquet and what DuckDB makes of it.</summary>
public static class ParquetColumnTypes
{
    /// <summary>
    /// Timestamps are TIMESTAMP(NANOS) with isAdjustedToUTC=false, although every value is UTC: DuckDB 1.5 has no
    /// nanosecond type with time zone, and reads TIMESTAMP(NANOS, isAdjustedToUTC=true) as TIMESTAMP WITH TIME ZONE,
    /// which cuts the last three digits; with false it reads TIMESTAMP_NS and keeps all nine. Flip this once the
    /// query engine has a nanosecond instant type (DuckDB's TIMESTAMPTZ_NS).
    /// </summary>
    public const bool TimestampIsAdjustedToUtc = false;

    /// <summary>The column's type in DuckDB (as <c>DESCRIBE</c> shows it), the type SQL users work with.</summary>
    public static string DuckDbType(ColumnType type) => Names(type).DuckDb;

    /// <summary>The column's Parquet physical and logical type (every column is OPTIONAL).</summary>
    public static string ParquetType(ColumnType type) => Names(type).Parquet;

    /// <summary>The CLR type a value of the column must have (besides null), as error messages name it.</summary>
    public static string ClrTypeName(ColumnType type) => Names(type).Clr;

    private static (string DuckDb, string Parquet, string Clr) Names(ColumnType type) => type switch
    {
        ColumnType.Boolean => ("BOOLEAN", "BOOLEAN", "bool"),
        ColumnType.Int32 => ("INTEGER", "INT32", "int"),
        ColumnType.Int64 => ("BIGINT", "INT64", "long or int"),
        ColumnType.Double => ("DOUBLE", "DOUBLE", "double"),
        ColumnType.String => ("VARCHAR", "BYTE_ARRAY STRING", "string"),
        ColumnType.Timestamp => (TimestampIsAdjustedToUtc ? "TIMESTAMP WITH TIME ZONE" : "TIMESTAMP_NS", $"INT64 TIMESTAMP(NANOS, isAdjustedToUTC={(TimestampIsAdjustedToUtc ? "true" : "false")})",
            "long (nanoseconds since the Unix epoch)"),
        ColumnType.StringList => ("VARCHAR[]", "LIST<BYTE_ARRAY STRING>", "IReadOnlyList<string>"),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };
}
