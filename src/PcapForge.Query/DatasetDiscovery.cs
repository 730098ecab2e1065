using PcapForge.Output;

namespace PcapForge.Query;

/// <summary>
/// One table found in the datasets: Parquet files read as they are, and Hive folders (<c>&lt;table&gt;/key=value/…</c>)
/// read with their partition keys as columns.
/// </summary>
public sealed record DatasetTable(string Name, IReadOnlyList<string> Files, IReadOnlyList<string> HiveFolders);

/// <summary>
/// Finds the tables of the dataset arguments of <c>pcapforge query</c>, by the file names <see cref="DatasetWriter"/>
/// writes (<see cref="DatasetLayout"/>):
/// <list type="bullet">
/// <item>a file <c>X.parquet</c> with siblings <c>X.&lt;table&gt;.parquet</c> is <c>flows</c>, and brings the siblings;</item>
/// <item>a file <c>X.&lt;table&gt;.parquet</c> beside an <c>X.parquet</c> is that table;</item>
/// <item>any other Parquet file is the table named after its file name without <c>.parquet</c>
/// (<c>DIR/flows.parquet</c> is <c>flows</c>);</item>
/// <item>a directory stands for its Parquet files, named as above, and for each subdirectory <c>T</c> whose Parquet
/// files all lie in <c>key=value</c> folders below it (or directly in it), the Hive table <c>T</c>;</item>
/// <item>an argument with <c>*</c>, <c>?</c> or <c>[</c> is a glob (DuckDB's syntax, <c>**</c> for any depth), each
/// Parquet file it matches taken as above.</item>
/// </list>
/// The same table from several arguments is one table over all their files. Hidden files and folders are skipped.
/// </summary>
internal static class DatasetDiscovery
{
    public static IReadOnlyList<DatasetTable> Discover(IEnumerable<string> arguments, Func<string, IReadOnlyList<string>> expandGlob)
    {
        var found = new Tables();
        foreach (string argument in arguments)
        {
            if (Directory.Exists(argument))
            {
                int before = found.Count;
                AddDirectory(found, argument);
                if (found.Count == before)
                    throw new QueryException($"no Parquet files in '{argument}'", isInputError: true);
            }
            else if (File.Exists(argument))
            {
                AddFile(found, argument);
            }
            else if (IsGlob(argument))
            {
                var matches = expandGlob(argument).Where(IsParquetFile).ToList();
                if (matches.Count == 0)
                    throw new QueryException($"no Parquet file matches '{argument}'", isInputError: true);
                foreach (string match in matches)
                    AddFile(found, match);
            }
            else
            {
                throw new QueryException($"no such file or directory: '{argument}'", isInputError: true);
            }
        }

        return found.ToList();
    }

    public static bool IsGlob(string argument) => argument.IndexOfAny(['*', '?', '[']) >= 0;

    private static bool IsParquetFile(string path) =>
        path.EndsWith(DatasetLayout.Extension, StringComparison.OrdinalIgnoreCase) && !Path.GetFileName(path).StartsWith('.');

    /// <summary>A file and, when it is the primary file of a dataset, its siblings.</summary>
    private static void AddFile(Tables found, string path)
    {
        string table = TableOf(path, out var siblings);
        found.AddFile(table, path);
        foreach (var (siblingTable, siblingPath) in siblings)
            found.AddFile(siblingTable, siblingPath);
    }

    private static void AddDirectory(Tables found, string directory)
    {
        var files = Directory.EnumerateFiles(directory).Where(IsParquetFile).Order(StringComparer.Ordinal);
        foreach (string file in files)
            found.AddFile(TableOf(file, out _), file);
        var folders = Directory.EnumerateDirectories(directory).Where(d => !Path.GetFileName(d).StartsWith('.')).Order(StringComparer.Ordinal);
        foreach (string folder in folders)
        {
            if (IsHiveTable(folder))
                found.AddHiveFolder(Path.GetFileName(folder), folder);
        }
    }

    /// <summary>
    /// The table a file holds (see the class summary); <paramref name="siblings"/> are the other tables of its dataset
    /// when it is the primary (<c>flows</c>) file.
    /// </summary>
    internal static string TableOf(string path, out List<(string Table, string Path)> siblings)
    {
        siblings = new List<(string, string)>();
        string name = Path.GetFileName(path);
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string stem = name.EndsWith(DatasetLayout.Extension, StringComparison.OrdinalIgnoreCase)
            ? name[..^DatasetLayout.Extension.Length]
            : Path.GetFileNameWithoutExtension(name);

        int dot = stem.LastIndexOf('.');
        if (dot > 0 && DatasetLayout.IsTableName(stem[(dot + 1)..]) && File.Exists(Path.Combine(directory, stem[..dot] + DatasetLayout.Extension)))
            return stem[(dot + 1)..];

        foreach (string file in Directory.EnumerateFiles(directory).Order(StringComparer.Ordinal))
        {
            if (DatasetLayout.SiblingTable(stem, Path.GetFileName(file)) is { } table)
                siblings.Add((table, file));
        }

        return siblings.Count > 0 ? DatasetLayout.PrimaryTable : stem;
    }

    /// <summary>A folder whose Parquet files all lie directly in it or in <c>key=value</c> folders below it.</summary>
    private static bool IsHiveTable(string folder)
    {
        bool any = false;
        foreach (string file in Directory.EnumerateFiles(folder, "*" + DatasetLayout.Extension, SearchOption.AllDirectories))
        {
            if (!IsParquetFile(file))
                continue;
            string relative = Path.GetRelativePath(folder, Path.GetDirectoryName(file)!);
            if (relative != "." && relative.Split(Path.DirectorySeparatorChar).Any(segment => !segment.Contains('=')))
                return false;
            any = true;
        }

        return any;
    }

    /// <summary>Tables by name, in name order, each file once.</summary>
    private sealed class Tables
    {
        private readonly SortedDictionary<string, (List<string> Files, List<string> Hive)> _tables = new(StringComparer.Ordinal);
        private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

        public int Count => _seen.Count;

        public void AddFile(string table, string path)
        {
            if (_seen.Add(Path.GetFullPath(path)))
                Get(table).Files.Add(path);
        }

        public void AddHiveFolder(string table, string folder)
        {
            if (_seen.Add(Path.GetFullPath(folder) + Path.DirectorySeparatorChar))
                Get(table).Hive.Add(folder);
        }

        public List<DatasetTable> ToList() => _tables.Select(t => new DatasetTable(t.Key, t.Value.Files, t.Value.Hive)).ToList();

        private (List<string> Files, List<string> Hive) Get(string table)
        {
            if (!_tables.TryGetValue(table, out var entry))
                _tables.Add(table, entry = (new List<string>(), new List<string>()));
            return entry;
        }
    }
}
