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
    /// Writes what is buffered and every footer, then renames every temporary file to its final name (with
    /// <see cref="DatasetOptions.Force"/>, replacing earlier files; a partitioned table's partitions of an earlier run
    /// that this run did not write are deleted). Returns the final paths, in table order.
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

        if (_layout == DatasetLayoutKind.PartitionedByDate && _options.Force)
            DeleteEarlierPartitions(paths);
        _completed = true;
        return paths;
    }

    /// <summary>Our own part files in the table folders that this run did not write, and the folders left empty.</summary>
    private void DeleteEarlierPartitions(List<string> written)
    {
        var keep = new HashSet<string>(written.Select(Path.GetFullPath), StringComparer.Ordinal);
        foreach (var table in _tables)
        {
            string folder = DatasetLayout.TableFolder(_options.OutPath, table.Descriptor.Name);
            var partitionFolders = Directory.EnumerateDirectories(folder, DatasetLayout.PartitionKey + "=*").ToList();
            try
            {
                foreach (string directory in partitionFolders.Prepend(folder))
                {
                    foreach (string file in Directory.EnumerateFiles(directory, "part-*" + DatasetLayout.Extension))
                    {
                        if (!keep.Contains(Path.GetFullPath(file)))
                            File.Delete(file);
                    }
                }

                foreach (string directory in partitionFolders.Where(d => !Directory.EnumerateFileSystemEntries(d).Any()))
                    Directory.Delete(directory);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new OutputException($"cannot delete the earlier partitions in '{folder}': {e.Message}", e);
            }
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
