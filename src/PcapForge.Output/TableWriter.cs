using System.Diagnostics.CodeAnalysis;
using PcapForge.Abstractions.Records;

namespace PcapForge.Output;

/// <summary>
/// Appends rows to one table of a <see cref="DatasetWriter"/>. Values come in column order, boxed, typed per
/// <see cref="ColumnType"/>; null is always allowed. <see cref="Append(TableRow)"/> is for one thread; threads
/// writing at once each use an appender of their own (<see cref="CreateAppender"/>).
/// </summary>
public sealed class TableWriter
{
    private const long NanosecondsPerDay = 86_400_000_000_000;
    private static readonly int UnixEpochDayNumber = new DateOnly(1970, 1, 1).DayNumber;

    /// <summary>The key of the partition of rows whose <c>ts</c> is null.</summary>
    private const long NullDay = long.MinValue;

    private readonly DatasetWriter _owner;
    private readonly DatasetLayoutKind _layout;

    /// <summary>The table's file, or the dataset's directory when partitioned.</summary>
    private readonly string _target;

    private readonly int _rowGroupRows;
    private readonly int _timestampColumn;
    private readonly ParquetTableFile? _file;
    private readonly SortedDictionary<long, ParquetTableFile> _partitions = new();
    private ParquetTableFile? _unpartitioned;

    /// <summary>The row boxed values are converted into (<see cref="Append(object?[])"/>).</summary>
    private TableRow? _boxed;

    internal TableWriter(DatasetWriter owner, RecordTableDescriptor descriptor, DatasetLayoutKind layout, string target, int rowGroupRows)
    {
        _owner = owner;
        Descriptor = descriptor;
        _layout = layout;
        _target = target;
        _rowGroupRows = rowGroupRows;
        _timestampColumn = descriptor.IndexOf(DatasetLayout.TimestampColumn);
        if (_timestampColumn >= 0 && descriptor.Columns[_timestampColumn].Type != ColumnType.Timestamp)
            _timestampColumn = -1;
        if (layout != DatasetLayoutKind.PartitionedByDate)
            _file = ParquetTableFile.Create(descriptor, target, rowGroupRows, owner.Budget);
    }

    public RecordTableDescriptor Descriptor { get; }

    private long _rows;

    /// <summary>Rows appended so far (through this writer and its appenders).</summary>
    public long Rows => Interlocked.Read(ref _rows);

    /// <summary>The files of this table (temporary until the dataset is complete), in date order when partitioned.</summary>
    internal IEnumerable<ParquetTableFile> Files =>
        _file is not null ? [_file] : _partitions.Values.Concat(_unpartitioned is null ? [] : [_unpartitioned]);

    /// <summary>
    /// Checks one row: one value per column, each null or of the column's type (Int32: int; Int64: long or int;
    /// Double: double; String: string; Boolean: bool; Timestamp: long or int nanoseconds since the Unix epoch;
    /// StringList: IReadOnlyList&lt;string&gt;), by filling the writer's row for boxed values with them
    /// (<see cref="TableRow.TrySetValues"/>, whose rules these are). <paramref name="problem"/> names the table, the
    /// column, and the expected and actual type.
    /// </summary>
    public bool TryValidate(object?[] values, [NotNullWhen(false)] out string? problem)
    {
        ArgumentNullException.ThrowIfNull(values);
        _boxed ??= new TableRow(Descriptor);
        return _boxed.TrySetValues(values, out problem);
    }

    /// <summary>
    /// Appends one row of boxed values. Throws <see cref="ArgumentException"/> (see <see cref="TryValidate"/>) when it
    /// does not fit the table; nothing is appended then. The values are copied: the caller may reuse the array (and its lists).
    /// </summary>
    public void Append(object?[] values)
    {
        _owner.ThrowIfClosed();
        if (!TryValidate(values, out string? problem))
            throw new ArgumentException(problem, nameof(values));
        Append(_boxed!);
    }

    /// <summary>
    /// Appends one typed row, made for this table (its <see cref="TableRow.Table"/> has this table's columns). The
    /// values are copied: the caller may reuse the row.
    /// </summary>
    public void Append(TableRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        _owner.ThrowIfClosed();
        CheckTable(row);
        FileFor(row).Append(row);
        Interlocked.Increment(ref _rows);
    }

    /// <summary>
    /// An appender for one thread: its rows go to this table's files as row groups of their own, so that threads
    /// writing at once (the analysis' workers) share no buffer and take no lock per row. Dispose it when the thread is
    /// done: its last rows are written then (or when the dataset completes).
    /// </summary>
    public TableAppender CreateAppender() => new(this);

    internal void Counted() => Interlocked.Increment(ref _rows);

    internal void ThrowIfClosed() => _owner.ThrowIfClosed();

    internal void CheckTable(TableRow row)
    {
        if (!ReferenceEquals(row.Table, Descriptor) && !SameColumns(row.Table, Descriptor))
            throw new ArgumentException($"a row of table '{row.Table.Name}' is not a row of '{Descriptor.Name}'", nameof(row));
    }

    internal static bool SameColumns(RecordTableDescriptor a, RecordTableDescriptor b) =>
        a.Name == b.Name && a.Columns.Count == b.Columns.Count &&
        a.Columns.Zip(b.Columns).All(p => p.First.Name == p.Second.Name && p.First.Type == p.Second.Type);

    internal ParquetTableFile FileFor(TableRow row)
    {
        if (_file is not null)
            return _file;
        lock (_partitions)
            return PartitionFor(row);
    }

    private ParquetTableFile PartitionFor(TableRow row)
    {
        if (_timestampColumn < 0)
            return _unpartitioned ??= CreateFile(DatasetLayout.UnpartitionedPath(_target, Descriptor.Name));

        long day = row.IsNull(_timestampColumn) ? NullDay : FloorDiv(row.Number(_timestampColumn), NanosecondsPerDay);
        if (!_partitions.TryGetValue(day, out var file))
        {
            DateOnly? date = day == NullDay ? null : DateOnly.FromDayNumber(checked(UnixEpochDayNumber + (int)day));
            file = CreateFile(DatasetLayout.PartitionPath(_target, Descriptor.Name, date));
            _partitions.Add(day, file);
        }

        return file;
    }

    private ParquetTableFile CreateFile(string finalPath)
    {
        _owner.CreateDirectory(Path.GetDirectoryName(finalPath)!);
        return ParquetTableFile.Create(Descriptor, finalPath, _rowGroupRows, _owner.Budget);
    }

    /// <summary>Writes everything buffered and every footer. A partitioned table without rows gets one empty file.</summary>
    internal void Finish()
    {
        if (_layout == DatasetLayoutKind.PartitionedByDate && _partitions.Count == 0 && _unpartitioned is null)
            _unpartitioned = CreateFile(DatasetLayout.UnpartitionedPath(_target, Descriptor.Name));
        foreach (var file in Files)
            file.Finish();
    }

    private static long FloorDiv(long a, long b) => a / b - (a % b < 0 ? 1 : 0);
}

/// <summary>One thread's rows of a table (<see cref="TableWriter.CreateAppender"/>): a row-group builder per file it writes to.</summary>
public sealed class TableAppender : IDisposable
{
    private readonly TableWriter _table;
    private readonly Dictionary<ParquetTableFile, RowGroupBuilder> _builders = new();
    private ParquetTableFile? _lastFile;
    private RowGroupBuilder? _last;

    internal TableAppender(TableWriter table) => _table = table;

    /// <summary>Appends one typed row (see <see cref="TableWriter.Append(TableRow)"/>); the row is copied.</summary>
    public void Append(TableRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        _table.ThrowIfClosed();
        _table.CheckTable(row);
        var file = _table.FileFor(row);
        if (!ReferenceEquals(file, _lastFile))
        {
            if (!_builders.TryGetValue(file, out var builder))
                _builders[file] = builder = file.NewBuilder();
            _lastFile = file;
            _last = builder;
        }

        _last!.Append(row);
        _table.Counted();
    }

    /// <summary>
    /// The appender takes no more rows. What it still buffers waits for the next appender of the same table (a later
    /// capture's worker) to fill its row groups further, or is written when the dataset completes.
    /// </summary>
    public void Dispose()
    {
        foreach (var (file, builder) in _builders)
            file.Park(builder);
        _builders.Clear();
        _lastFile = null;
        _last = null;
    }
}
