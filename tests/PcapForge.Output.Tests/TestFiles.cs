using System.Collections;
using DuckDB.NET.Data;

namespace PcapForge.Output.Tests;

/// <summary>A fresh directory under the temporary folder, deleted with everything in it.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"pcapforge-output-{Guid.NewGuid():N}");

    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    /// <summary>Every file below the directory, relative, with '/' separators, sorted.</summary>
    public List<string> Files() =>
        Directory.EnumerateFiles(Path, "*", SearchOption.AllDirectories)
            .Select(f => System.IO.Path.GetRelativePath(Path, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();

    public void Dispose()
    {
        if (Directory.Exists(Path))
            Directory.Delete(Path, recursive: true);
    }
}

/// <summary>Reads files back with another Parquet implementation: DuckDB.</summary>
internal static class Duck
{
    public static List<object?[]> Rows(string sql)
    {
        using var connection = new DuckDBConnection("DataSource=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            var row = new object?[reader.FieldCount];
            for (int i = 0; i < row.Length; i++)
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }

        return rows;
    }

    public static object? Scalar(string sql) => Rows(sql).Single().Single();

    /// <summary>Column name and DuckDB type of a Parquet file, as DESCRIBE shows them.</summary>
    public static List<(string Name, string Type)> Describe(string path) =>
        Rows($"DESCRIBE SELECT * FROM read_parquet('{path}')").Select(r => ((string)r[0]!, (string)r[1]!)).ToList();

    /// <summary>A value as text, lists as [a, b] with NULL for null items, for comparing whole rows.</summary>
    public static string Show(object? value) => value switch
    {
        null => "NULL",
        string s => s,
        IEnumerable list => "[" + string.Join(", ", list.Cast<object?>().Select(Show)) + "]",
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString()!,
    };
}
