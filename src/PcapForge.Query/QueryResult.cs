using PcapForge.Abstractions;

namespace PcapForge.Query;

/// <summary>The result of a statement: column names, their DuckDB types, and the rows, read as they are written out.</summary>
public sealed class QueryResult
{
    public QueryResult(IReadOnlyList<string> names, IReadOnlyList<string> types, IEnumerable<object?[]> rows)
    {
        Names = names;
        Types = types;
        Rows = rows;
    }

    public IReadOnlyList<string> Names { get; }

    public IReadOnlyList<string> Types { get; }

    /// <summary>
    /// Values as DuckDB.NET gives them (null for NULL), except that timestamp columns are <see cref="NanoTimestamp"/>s
    /// (DuckDB.NET would round them to 100 ns) and lists, structs and maps <see cref="NestedValue"/>s.
    /// </summary>
    public IEnumerable<object?[]> Rows { get; }
}

/// <summary>A timestamp in nanoseconds since the Unix epoch, UTC; shown as ISO 8601 with nine fractional digits.</summary>
public readonly record struct NanoTimestamp(long Nanoseconds)
{
    public override string ToString() => Timestamps.ToIso8601(Nanoseconds);
}

/// <summary>A list, struct or map as DuckDB renders it: JSON for JSON Lines, DuckDB's own notation for the other formats.</summary>
public readonly record struct NestedValue(string Text)
{
    public override string ToString() => Text;
}
