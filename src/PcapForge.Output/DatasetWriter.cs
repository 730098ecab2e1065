using PcapForge.Abstractions.Records;

namespace PcapForge.Output;

/// <summary>
/// Writes a dataset: one Parquet file per table (or per table and date, see <see cref="DatasetLayoutKind"/>), every
/// table given to <see cref="Create"/> included, even without rows, so SQL over it works. Files are written under
/// temporary names and renamed by <see cref="Complete"/>; <see cref="Dispose"/> only releases, and deletes the
/// temporary files when <see cref="Complete"/> was not called, so an interrupted run leaves nothing at the final paths.
/// Not thread-safe.
/// </summary>
public sealed class DatasetWriter : IDisposable
{
    private readonly DatasetOptions _options;
    private readonly DatasetLayoutKind _layout;
    private readonly List<TableWriter> _tables = new();
    private readonly Dictionary<string, TableWriter> _byName = new(StringComparer.Ordinal);

    /// <summary>Directories this writer created, deepest last, removed again on an aborted run when empty.</summary>
    private readonly List<string> _createdDirectories = new();

    private bool _closed;
    private bool _completed;
    private bool _disposed;

    /// <summary>The bound on the rows buffered by all the files of this dataset together.</summary>
    internal BufferBudget Budget { get; } = new();

    private DatasetWriter(DatasetOptions options, DatasetLayoutKind layout)
    {
        _options = options;
        _layout = layout;
    }

    /// <summary>The layout <see cref="DatasetOptions.OutPath"/> resolved to.</summary>
    public DatasetLayoutKind Layout => _layout;

    /// <summary>
    /// Checks the output and opens a temporary file for every table: no final file may exist unless
    /// <see cref="DatasetOptions.Force"/>, a file's directory must exist, a directory is created if missing, and
    /// <see cref="DatasetOptions.PartitionByDate"/> needs a directory. Those problems are <see cref="OutputException"/>s
    /// naming the path; a bad argument (duplicate or unsafe table name) is an <see cref="ArgumentException"/>.
    /// </summary>
    public static DatasetWriter Create(DatasetOptions options, IReadOnlyList<RecordTableDescriptor> tables)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.RowGroupRows, 1, nameof(options));
        ArgumentException.ThrowIfNullOrEmpty(options.OutPath, nameof(options));
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var table in tables)
        {
            if (!DatasetLayout.IsTableName(table.Name))
                throw new ArgumentException($"table name '{table.Name}' is not usable as a file name (expected lower-case letters, digits, '_')", nameof(tables));
            if (!names.Add(table.Name))
                throw new ArgumentException($"table '{table.Name}' is given twice", nameof(tables));
        }

        var layout = DatasetLayout.KindOf(options.OutPath, options.PartitionByDate);
        if (options.PartitionByDate && layout == DatasetLayoutKind.File)
            throw new OutputException($"partitioning by date needs an output directory, not the file '{options.OutPath}'");

        var writer = new DatasetWriter(options, layout);
        try
        {
            writer.Open(tables);
        }
        catch
        {
            writer.Dispose();
            throw;
        }

        return writer;
    }

    private void Open(IReadOnlyList<RecordTableDescriptor> tables)
    {
        string outPath = _options.OutPath;
        if (_layout == DatasetLayoutKind.File)
        {
            string directory = Path.GetDirectoryName(Path.GetFullPath(outPath))!;
            if (!Directory.Exists(directory))
                throw new OutputException($"the directory '{directory}' of the output '{outPath}' does not exist");
        }
        else
        {
            CreateDirectory(outPath);
        }

        foreach (var table in tables)
        {
            string target = _layout switch
            {
                DatasetLayoutKind.File => DatasetLayout.FilePath(outPath, table.Name),
                DatasetLayoutKind.Directory => DatasetLayout.DirectoryPath(outPath, table.Name),
                _ => outPath,
            };
            if (_layout == DatasetLayoutKind.PartitionedByDate)
            {
                CheckNoEarlierPartitions(DatasetLayout.TableFolder(outPath, table.Name));
                CreateDirectory(DatasetLayout.TableFolder(outPath, table.Name));
            }
            else
            {
                CheckNoFinalFile(target);
            }

            var writer = new TableWriter(this, table, _layout, target, _options.RowGroupRows);
            _tables.Add(writer);
            _byName.Add(table.Name, writer);
        }
    }

    private void CheckNoFinalFile(string path)
    {
        if (Directory.Exists(path))
            throw new OutputException($"'{path}' is a directory; the table's file cannot be written there");
        if (File.Exists(path) && !_options.Force)
            throw new OutputException($"'{path}' exists (use --force to replace it)");
    }

    private void CheckNoEarlierPartitions(string folder)
    {
        if (_options.Force || !Directory.Exists(folder))
            return;
        string? existing = Directory.EnumerateFiles(folder, "*" + DatasetLayout.Extension, SearchOption.AllDirectories).FirstOrDefault();
        if (existing is not null)
            throw new OutputException($"'{folder}' holds files of an earlier run, such as '{existing}' (use --force to replace them)");
    }

    /// <summary>The writer of one table, by name.</summary>
    public TableWriter Table(string name)
    {
        if (_byName.TryGetValue(name, out var table))
            return table;
        throw new ArgumentException($"no table '{name}' in this dataset (tables: {string.Join(", ", _byName.Keys)})", nameof(name));
    }

    /// <summary>
    /// Writes what is buffered and every footer, then renames every temporary file to its final name. With
    /// <see cref="DatasetOptions.Force"/> the earlier dataset at the same place is replaced whole: its files are
    /// overwritten, and its table files that this run did not write are deleted (see <see cref="EarlierTableFiles"/>),
    /// so that a query of the output never reads two runs as one. Returns the final paths, in table order.
    /// </summary>
    public IReadOnlyList<string> Complete()
    {
        ThrowIfClosed();
        _closed = true;

        // Everything is written before anything is renamed, so a failure (a full disk) publishes nothing.
        foreach (var table in _tables)
            table.Finish();
        var paths = new List<string>();
        foreach (var file in _tables.SelectMany(t => t.Files))
        {
            file.Publish(_options.Force);
            paths.Add(file.FinalPath);
        }

        if (_options.Force)
            DeleteEarlierTables(paths);
        _completed = true;
        return paths;
    }

    /// <summary>With <see cref="DatasetOptions.Force"/>, the table files of an earlier run that <see cref="Complete"/> deleted.</summary>
    public IReadOnlyList<string> Removed { get; private set; } = [];

    private void DeleteEarlierTables(List<string> written)
    {
        var keep = new HashSet<string>(written.Select(Path.GetFullPath), StringComparer.Ordinal);
        var removed = new List<string>();
        string current = "";
        try
        {
            foreach (var (file, table) in EarlierTableFiles())
            {
                current = file;
                if (keep.Contains(Path.GetFullPath(file)) || !IsPcapForgeTable(file, table, _byName.ContainsKey(table)))
                    continue;
                File.Delete(file);
                removed.Add(file);
            }

            // Partition and table folders that the deletions left empty (never through a link: none is followed).
            foreach (string folder in removed.Select(f => Path.GetDirectoryName(f)!).Distinct().OrderByDescending(d => d.Length))
            {
                current = folder;
                for (string? d = folder; d is not null && IsBelowOutput(d) && IsRealDirectory(d) && !Directory.EnumerateFileSystemEntries(d).Any(); d = Path.GetDirectoryName(d))
                    Directory.Delete(d);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OutputException($"cannot delete '{current}' of an earlier run: {e.Message}", e);
        }

        Removed = removed;
    }

    private bool IsBelowOutput(string directory) =>
        _layout != DatasetLayoutKind.File
        && Path.GetFullPath(directory).StartsWith(Path.TrimEndingDirectorySeparator(Path.GetFullPath(_options.OutPath)) + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>A directory itself, not a symbolic link to one (a link may lead out of the output).</summary>
    private static bool IsRealDirectory(string path) => Directory.Exists(path) && new DirectoryInfo(path).LinkTarget is null;

    private static bool IsRealFile(string path) => new FileInfo(path).LinkTarget is null;

    /// <summary>
    /// The files at the output that <c>pcapforge query</c> would read as tables of this dataset, whichever layout wrote
    /// them, with the table each would be: for <c>X.parquet</c>, itself (<c>flows</c>) and its siblings
    /// <c>X.&lt;table&gt;.parquet</c>; for a directory its <c>&lt;table&gt;.parquet</c> files and the part files of its
    /// <c>&lt;table&gt;/</c> and <c>&lt;table&gt;/date=…/</c> folders (an earlier run with or without
    /// <c>--partition-by date</c>). Symbolic links are neither followed nor returned: what they lead to is not this
    /// output's.
    /// </summary>
    private IEnumerable<(string File, string Table)> EarlierTableFiles()
    {
        string outPath = _options.OutPath;
        if (_layout == DatasetLayoutKind.File)
        {
            string stem = Path.GetFileName(outPath)[..^DatasetLayout.Extension.Length];
            string directory = Path.GetDirectoryName(Path.GetFullPath(outPath))!;
            string primary = Path.Combine(directory, Path.GetFileName(outPath));
            if (File.Exists(primary) && IsRealFile(primary))
                yield return (primary, DatasetLayout.PrimaryTable);
            foreach (string file in Directory.EnumerateFiles(directory, stem + ".*" + DatasetLayout.Extension).Where(IsRealFile))
            {
                if (DatasetLayout.SiblingTable(stem, Path.GetFileName(file)) is { } table && table != DatasetLayout.PrimaryTable)
                    yield return (file, table);
            }

            yield break;
        }

        foreach (string file in Directory.EnumerateFiles(outPath, "*" + DatasetLayout.Extension).Where(IsRealFile))
        {
            string table = Path.GetFileName(file)[..^DatasetLayout.Extension.Length];
            if (DatasetLayout.IsTableName(table))
                yield return (file, table);
        }

        foreach (string folder in Directory.EnumerateDirectories(outPath).Where(d => DatasetLayout.IsTableName(Path.GetFileName(d)) && IsRealDirectory(d)))
        {
            string table = Path.GetFileName(folder);
            foreach (string directory in Directory.EnumerateDirectories(folder, DatasetLayout.PartitionKey + "=*").Where(IsRealDirectory).Prepend(folder))
            {
                foreach (string file in Directory.EnumerateFiles(directory, "part-*" + DatasetLayout.Extension).Where(IsRealFile))
                    yield return (file, table);
            }
        }
    }

    /// <summary>Longest Parquet footer read to tell who wrote a file.</summary>
    private const int MaxFooter = 4 << 20;

    /// <summary>
    /// Whether a file is the table <paramref name="table"/> that PcapForge wrote: its footer's key-value metadata names
    /// that table (<see cref="DatasetLayout.TableMetadataKey"/>); or, for a file written before that key existed, the
    /// table is one PcapForge knows by that name and the footer's schema has the <c>capture_id</c> column every table of
    /// a dataset has. A user's own file, a table of another dataset that only looks like a sibling by its name
    /// (<c>X.2024_05_01.parquet</c> is that dataset's flows), or a file that is not Parquet at all, is left alone.
    /// The footer is searched as bytes (Thrift compact strings are a length and the bytes), never parsed, so no
    /// damaged file can make the run fail or hang here.
    /// </summary>
    private static bool IsPcapForgeTable(string path, string table, bool tableOfThisRun)
    {
        byte[] footer;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
            long length = file.Length;
            Span<byte> tail = stackalloc byte[8];
            if (length < 12 + 8)
                return false;
            file.Position = length - 8;
            file.ReadExactly(tail);
            int footerLength = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(tail);
            if (!tail[4..].SequenceEqual("PAR1"u8) || footerLength <= 0 || footerLength > MaxFooter || footerLength > length - 12)
                return false;
            Span<byte> head = stackalloc byte[4];
            file.Position = 0;
            file.ReadExactly(head);
            if (!head.SequenceEqual("PAR1"u8))
                return false;
            footer = new byte[footerLength];
            file.Position = length - 8 - footerLength;
            file.ReadExactly(footer);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        // KeyValue { 1: key, 2: value } in the compact protocol: 15 "pcapforge.table", field header 0x18, length, name.
        byte[] key = [(byte)DatasetLayout.TableMetadataKey.Length, .. System.Text.Encoding.ASCII.GetBytes(DatasetLayout.TableMetadataKey), 0x18, (byte)table.Length, .. System.Text.Encoding.ASCII.GetBytes(table)];
        if (footer.AsSpan().IndexOf(key) >= 0)
            return true;
        if (footer.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(DatasetLayout.TableMetadataKey)) >= 0)
            return false;   // ours, but another table: another dataset's file under a look-alike name
        bool knownTable = tableOfThisRun || HostTables.All.Concat(HostTables.Frontends).Any(t => t.Name == table);
        byte[] column = [(byte)HostTables.CaptureIdColumn.Length, .. System.Text.Encoding.ASCII.GetBytes(HostTables.CaptureIdColumn)];
        return knownTable && footer.AsSpan().IndexOf(column) >= 0;
    }

    /// <summary>
    /// Releases the files; unless <see cref="Complete"/> succeeded, deletes every temporary file and the directories
    /// this writer made.
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        foreach (var file in _tables.SelectMany(t => t.Files))
        {
            try
            {
                file.Dispose();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // One file that cannot be cleaned up must not keep the others' temporary files behind.
            }
        }

        if (_completed)
            return;
        for (int i = _createdDirectories.Count - 1; i >= 0; i--)
        {
            try
            {
                if (Directory.Exists(_createdDirectories[i]) && !Directory.EnumerateFileSystemEntries(_createdDirectories[i]).Any())
                    Directory.Delete(_createdDirectories[i]);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Left behind empty; harmless.
            }
        }
    }

    internal void ThrowIfClosed()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_closed)
            throw new InvalidOperationException("the dataset is already complete");
    }

    /// <summary>Creates a directory (and its parents), remembering which ones were new; failure is an <see cref="OutputException"/>.</summary>
    internal void CreateDirectory(string path)
    {
        var missing = new List<string>();
        for (string? d = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)); d is not null && !Directory.Exists(d); d = Path.GetDirectoryName(d))
            missing.Add(d);
        try
        {
            Directory.CreateDirectory(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OutputException($"cannot create the output directory '{path}': {e.Message}", e);
        }

        missing.Reverse();
        lock (_createdDirectories)
            _createdDirectories.AddRange(missing);
    }
}
