using System.Data.Common;
using DuckDB.NET.Data;
using PcapForge.Output;

namespace PcapForge.Query;

/// <summary>A table of the datasets with its row count and columns, as <c>pcapforge query DATASET</c> lists them.</summary>
public sealed record TableSummary(string Name, long Rows, IReadOnlyList<string> Columns);

/// <summary>
/// An in-memory DuckDB database with one view per table of the datasets (see <see cref="DatasetDiscovery"/>):
/// <c>read_parquet</c> over the table's files with <c>union_by_name</c> (datasets written by other versions, or
/// plugins, may differ in columns), and <c>hive_partitioning</c> for Hive folders. Errors are
/// <see cref="QueryException"/>s carrying DuckDB's message.
/// </summary>
public sealed class QueryEngine : IDisposable
{
    /// <summary>DuckDB's timestamp types, read as epoch nanoseconds so that no digit is lost.</summary>
    private static readonly HashSet<string> TimestampTypes = new(StringComparer.Ordinal)
    {
        "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "TIMESTAMP WITH TIME ZONE",
    };

    private readonly DuckDBConnection _connection;

    private QueryEngine(DuckDBConnection connection, IReadOnlyList<DatasetTable> tables)
    {
        _connection = connection;
        Tables = tables;
    }

    public IReadOnlyList<DatasetTable> Tables { get; }

    /// <summary>Finds the tables of <paramref name="datasets"/> and registers their views.</summary>
    public static QueryEngine Open(IReadOnlyList<string> datasets)
    {
        var connection = new DuckDBConnection("DataSource=:memory:");
        try
        {
            connection.Open();
            // Timestamps are UTC; without this, TIMESTAMP WITH TIME ZONE values would be shown in the local zone.
            Execute(connection, "SET TimeZone = 'UTC'");
            var tables = DatasetDiscovery.Discover(datasets, pattern => Glob(connection, pattern));
            foreach (var table in tables)
            {
                try
                {
                    Execute(connection, ViewSql(table));
                }
                catch (DuckDBException e)
                {
                    throw new QueryException($"cannot read the table '{table.Name}' ({string.Join(", ", table.Files.Concat(table.HiveFolders))}): {e.Message}", isInputError: true, e);
                }
            }

            return new QueryEngine(connection, tables);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The view of a table: its plain files, and each Hive folder on its own (an empty partitioned table has no
    /// partition folders, which DuckDB would not mix with another's in one scan), unioned by column name.
    /// </summary>
    internal static string ViewSql(DatasetTable table)
    {
        var parts = new List<string>();
        if (table.Files.Count > 0)
            parts.Add($"SELECT * FROM read_parquet({List(table.Files)}, union_by_name = true)");
        foreach (string folder in table.HiveFolders)
        {
            string glob = Path.Combine(folder, "**", "*" + DatasetLayout.Extension);
            parts.Add($"SELECT * FROM read_parquet({List([glob])}, hive_partitioning = true, union_by_name = true)");
        }

        return $"CREATE VIEW {Identifier(table.Name)} AS {string.Join(" UNION ALL BY NAME ", parts)}";
    }

    /// <summary>Each table's row count and column names.</summary>
    public IReadOnlyList<TableSummary> Summarize()
    {
        var summaries = new List<TableSummary>();
        foreach (var table in Tables)
        {
            string name = Identifier(table.Name);
            long rows = Convert.ToInt64(Scalar($"SELECT count(*) FROM {name}"), System.Globalization.CultureInfo.InvariantCulture);
            var columns = Describe($"SELECT * FROM {name}")?.Select(c => c.Name).ToList() ?? [];
            summaries.Add(new TableSummary(table.Name, rows, columns));
        }

        return summaries;
    }

    /// <summary>Writes <see cref="Summarize"/> in a text format: table, rows, columns.</summary>
    public long WriteSummary(QueryFormat format, TextWriter output)
    {
        var rows = Summarize().Select(s => new object?[] { s.Name, s.Rows, s.Columns.ToList() });
        return ResultWriters.Write(new QueryResult(["table", "rows", "columns"], ["VARCHAR", "BIGINT", "VARCHAR[]"], rows), format, output);
    }

    /// <summary>
    /// Runs <paramref name="sql"/> and writes its result in a text format; with several statements, each result in
    /// turn. Returns the number of rows written.
    /// </summary>
    public long Run(string sql, QueryFormat format, TextWriter output)
    {
        string statement = Trim(sql);
        var columns = Describe(statement);
        var kinds = columns?.Select(c => KindOf(c.Type)).ToArray() ?? [];
        string text = statement;
        if (kinds.Any(k => k != ColumnKind.Plain))
        {
            // Positional references keep duplicate and odd column names apart; a projection keeps the row order.
            var list = kinds.Select((kind, i) => kind switch
            {
                ColumnKind.Timestamp => $"epoch_ns(#{i + 1})",
                ColumnKind.Nested when format == QueryFormat.Json => $"to_json(#{i + 1})",
                ColumnKind.Nested => $"CAST(#{i + 1} AS VARCHAR)",
                _ => $"#{i + 1}",
            });
            text = $"SELECT {string.Join(", ", list)} FROM ({statement}\n) AS pcapforge_query";
        }

        using var command = _connection.CreateCommand();
        command.CommandText = text;
        command.UseStreamingMode = true;
        using var reader = Guard(command.ExecuteReader);
        long rows = 0;
        bool first = true;
        do
        {
            // Several statements give several results (those without columns, such as SET, print nothing).
            if (reader.FieldCount == 0)
                continue;
            if (!first && format == QueryFormat.Table)
                output.Write('\n');
            first = false;
            var names = columns?.Select(c => c.Name).ToList() ?? Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToList();
            var types = columns?.Select(c => c.Type).ToList() ?? Enumerable.Range(0, reader.FieldCount).Select(reader.GetDataTypeName).ToList();
            rows += ResultWriters.Write(new QueryResult(names, types, Rows(reader, kinds)), format, output);
        }
        while (Guard(reader.NextResult));

        return rows;
    }

    /// <summary>Writes the result of <paramref name="sql"/> (one query) to a Parquet file with DuckDB's COPY.</summary>
    public void CopyToParquet(string sql, string path)
    {
        string target = path.Replace("'", "''");
        Guard(() => Execute(_connection, $"COPY ({Trim(sql)}\n) TO '{target}' (FORMAT parquet, COMPRESSION zstd)"));
    }

    public void Dispose() => _connection.Dispose();

    private static IEnumerable<object?[]> Rows(DbDataReader reader, ColumnKind[] kinds)
    {
        while (Guard(reader.Read))
        {
            var row = new object?[reader.FieldCount];
            for (int i = 0; i < row.Length; i++)
            {
                var kind = i < kinds.Length ? kinds[i] : ColumnKind.Plain;
                if (reader.IsDBNull(i))
                    row[i] = null;
                else if (kind == ColumnKind.Timestamp)
                    row[i] = new NanoTimestamp(reader.GetInt64(i));
                else if (kind == ColumnKind.Nested)
                    row[i] = new NestedValue(reader.GetString(i));
                else
                    row[i] = Value(reader, i);
            }

            yield return row;
        }
    }

    private static object Value(DbDataReader reader, int column)
    {
        try
        {
            return reader.GetValue(column);
        }
        catch (InvalidCastException e)
        {
            // DuckDB.NET cannot hand out a list with NULL items of a value type; a single query avoids it (see Run).
            throw new QueryException($"cannot read the column '{reader.GetName(column)}' ({reader.GetDataTypeName(column)}) of a statement among several: {e.Message}; run the query on its own", inner: e);
        }
    }

    private static ColumnKind KindOf(string type) =>
        TimestampTypes.Contains(type) ? ColumnKind.Timestamp
        : type.EndsWith(']') || type.StartsWith("STRUCT(", StringComparison.Ordinal) || type.StartsWith("MAP(", StringComparison.Ordinal)
          || type.StartsWith("UNION(", StringComparison.Ordinal) ? ColumnKind.Nested
        : ColumnKind.Plain;

    /// <summary>How a result column is read: as it is, as epoch nanoseconds, or converted by DuckDB to text or JSON.</summary>
    private enum ColumnKind
    {
        Plain,

        /// <summary>DuckDB.NET rounds timestamps to 100 ns; epoch_ns keeps every digit.</summary>
        Timestamp,

        /// <summary>
        /// Lists, arrays, structs, maps, unions: DuckDB.NET throws on a list with NULL items of a value type, so DuckDB
        /// renders them (to_json for JSON Lines, its text otherwise).
        /// </summary>
        Nested,
    }

    /// <summary>The columns of a single query, or null for anything DESCRIBE does not take (SET, PRAGMA, several statements…).</summary>
    private List<(string Name, string Type)>? Describe(string statement)
    {
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "DESCRIBE " + statement;
            using var reader = command.ExecuteReader();
            var columns = new List<(string, string)>();
            while (reader.Read())
                columns.Add((reader.GetString(0), reader.GetString(1)));
            return reader.NextResult() ? null : columns;
        }
        catch (DuckDBException)
        {
            return null;
        }
    }

    private object? Scalar(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        return Guard(command.ExecuteScalar);
    }

    private static void Execute(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static List<string> Glob(DuckDBConnection connection, string pattern)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT file FROM glob($pattern) ORDER BY file";
        command.Parameters.Add(new DuckDBParameter("pattern", pattern));
        using var reader = command.ExecuteReader();
        var files = new List<string>();
        while (reader.Read())
            files.Add(reader.GetString(0));
        return files;
    }

    /// <summary>The statement without trailing semicolons and blanks, so that it can be nested in a query.</summary>
    private static string Trim(string sql) => sql.Trim().TrimEnd(';', ' ', '\t', '\r', '\n');

    private static string List(IEnumerable<string> paths) => "[" + string.Join(", ", paths.Select(p => "'" + p.Replace("'", "''") + "'")) + "]";

    internal static string Identifier(string name) => "\"" + name.Replace("\"", "\"\"") + "\"";

    private static T Guard<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (DuckDBException e)
        {
            throw new QueryException(e.Message, inner: e);
        }
    }

    private static void Guard(Action action) => Guard(() =>
    {
        action();
        return 0;
    });
}
