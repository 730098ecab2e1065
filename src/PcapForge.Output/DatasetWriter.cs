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
            foreach (string file in EarlierTableFiles())
            {
                current = file;
                if (keep.Contains(Path.GetFullPath(file)) || !IsPcapForgeTable(file))
                    continue;
                File.Delete(file);
                removed.Add(file);
            }

            // Partition and table folders that the deletions left empty.
            foreach (string folder in removed.Select(f => Path.GetDirectoryName(f)!).Distinct().OrderByDescending(d => d.Length))
            {
                current = folder;
                for (string? d = folder; d is not null && IsBelowOutput(d) && Directory.Exists(d) && !Directory.EnumerateFileSystemEntries(d).Any(); d = Path.GetDirectoryName(d))
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

    /// <summary>
    /// The files at the output that <c>pcapforge query</c> would read as tables of this dataset, whichever layout wrote
    /// them: for <c>X.parquet</c> its siblings <c>X.&lt;table&gt;.parquet</c>; for a directory its
    /// <c>&lt;table&gt;.parquet</c> files and the part files of its <c>&lt;table&gt;/</c> and
    /// <c>&lt;table&gt;/date=…/</c> folders (an earlier run with or without <c>--partition-by date</c>).
    /// </summary>
    private IEnumerable<string> EarlierTableFiles()
    {
        string outPath = _options.OutPath;
        if (_layout == DatasetLayoutKind.File)
        {
            string prefix = Path.GetFileName(outPath)[..^DatasetLayout.Extension.Length] + ".";
            string directory = Path.GetDirectoryName(Path.GetFullPath(outPath))!;
            foreach (string file in Directory.EnumerateFiles(directory, prefix + "*" + DatasetLayout.Extension))
            {
                string name = Path.GetFileName(file);
                if (name.StartsWith(prefix, StringComparison.Ordinal) && DatasetLayout.IsTableName(name[prefix.Length..^DatasetLayout.Extension.Length]))
                    yield return file;
            }

            yield break;
        }

        foreach (string file in Directory.EnumerateFiles(outPath, "*" + DatasetLayout.Extension))
        {
            if (DatasetLayout.IsTableName(Path.GetFileName(file)[..^DatasetLayout.Extension.Length]))
                yield return file;
        }

        foreach (string folder in Directory.EnumerateDirectories(outPath).Where(d => DatasetLayout.IsTableName(Path.GetFileName(d))))
        {
            foreach (string directory in Directory.EnumerateDirectories(folder, DatasetLayout.PartitionKey + "=*").Prepend(folder))
            {
                foreach (string file in Directory.EnumerateFiles(directory, "part-*" + DatasetLayout.Extension))
                    yield return file;
            }
        }
    }

    /// <summary>
    /// Whether a file is a table PcapForge wrote: its footer names the table (<see cref="DatasetLayout.TableMetadataKey"/>),
    /// or, written before that key existed, it has the <c>capture_id</c> column every table of a dataset has. A user's
    /// own Parquet file that only looks like a table by its name, or a file that is not Parquet, is left alone.
    /// </summary>
    private static bool IsPcapForgeTable(string path)
    {
        try
        {
            return Task.Run(async () =>
            {
                await using var stream = File.OpenRead(path);
                await using var reader = await Parquet.ParquetReader.CreateAsync(stream);
                return reader.CustomMetadata.ContainsKey(DatasetLayout.TableMetadataKey)
                    || reader.Schema.Fields.Any(f => f.Name == HostTables.CaptureIdColumn);
            }).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or Parquet.ParquetException)
        {
            return false;
        }
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
            file.Dispose();
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
        _createdDirectories.AddRange(missing);
    }
}
