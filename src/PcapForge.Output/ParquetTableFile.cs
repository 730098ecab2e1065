using System.Collections.Concurrent;
using System.IO.Compression;
using Parquet;
using Parquet.Schema;
using PcapForge.Abstractions.Records;

namespace PcapForge.Output;

/// <summary>
/// One Parquet file of a table: written under a temporary name (<see cref="DatasetLayout.TemporaryPath"/>), rows
/// buffered per column and written as a row group every <c>rowGroupRows</c> rows, then finished (footer), and
/// published by a rename. Disposing it before it is published deletes the temporary file.
/// <para>
/// Parquet.Net has only asynchronous writers; each call into it runs on the thread pool and is waited for, so no
/// synchronisation context of the caller can deadlock it. That costs one hop per row group, not per row.
/// </para>
/// </summary>
internal sealed class ParquetTableFile : IDisposable
{
    /// <summary>
    /// The writer's options for one table. Its string columns are hinted for dictionary encoding: Parquet.Net encodes a
    /// string column PLAIN unless the column has that hint (WritingColumn.Pack), and PLAIN costs it a 4-byte array per
    /// value for the length (286 MiB per GB with <c>--packets</c>) and zstd the whole text. With the hint, a row
    /// group's column whose first 1,024 values are at most 80 % distinct (Parquet.Net's default threshold) is written
    /// as a dictionary page and RLE indexes, which DuckDB, Spark and pandas read as they are; a column whose first
    /// values are unique (flow_uid, uri) fails the sample and stays PLAIN. The sample sees only a group's first values:
    /// a column repetitive at first and unique later is still written as a dictionary (correct, only larger).
    /// </summary>
    private static ParquetOptions OptionsFor(RecordTableDescriptor table)
    {
        var options = new ParquetOptions
        {
            CompressionMethod = CompressionMethod.Zstd,
            // Zstandard's fastest level. Parquet.Net's own default, SmallestSize, took 11 times the CPU time for a flows
            // table of 500,000 rows here, for a file 8% smaller. Against zstd's default level (Optimal), on the 1 GB
            // benchmark with the application tables (where ZstdSharp's compressor was 40 % of the encoding CPU): 1.257 s
            // against 1.314 s, 0.1 s less CPU, files 1-2.5 % larger.
            CompressionLevel = CompressionLevel.Fastest,
            // Dictionary encoding is tried on a sample of a column's first values, not on the whole column: a column of
            // unique values (flow_uid, community_id, uri) is not hashed whole into a dictionary only to find that it
            // does not pay. Parquet.Net's default (0) scans the whole column.
            DictionaryEncodingSampleSize = 1024,
            // Parquet.Net's stream pool keeps up to 16 + 64 MiB of freed buffers by default; a run writes one row group
            // at a time, so a few MiB are enough and the rest goes back to the GC.
            MaximumSmallPoolFreeBytes = 4 << 20,
            MaximumLargePoolFreeBytes = 8 << 20,
        };
        foreach (var column in table.Columns)
        {
            if (column.Type == ColumnType.String)
                options.ColumnEncodingHints[column.Name] = EncodingHint.Dictionary;
        }

        return options;
    }

    /// <summary>One set of column buffers, from which the others are made (<see cref="ColumnBuffer.Twin"/>).</summary>
    private readonly ColumnBuffer[] _template;

    /// <summary>
    /// Builders whose thread is done (an earlier capture's workers), with the rows they hold: the next thread to write
    /// to this file goes on filling one, so that each capture of a run does not end in a small row group per worker.
    /// </summary>
    private readonly ConcurrentBag<RowGroupBuilder> _parked = new();

    /// <summary>Rows appended through <see cref="Append"/> (one thread); each <see cref="TableAppender"/> has its own.</summary>
    private readonly RowGroupBuilder _own;

    /// <summary>Every builder of this file (<see cref="_own"/> first): <see cref="Finish"/> writes what they hold.</summary>
    private readonly List<RowGroupBuilder> _builders = new();

    private readonly Lock _submitLock = new();

    /// <summary>The write of the last row group submitted, on the thread pool; each waits for the one before.</summary>
    private Task _writing = Task.CompletedTask;
    private readonly Dictionary<int, string> _timestampElements;
    private readonly FileStream _stream;
    private readonly ParquetWriter _writer;
    private bool _finished;
    private bool _published;
    private bool _disposed;

    private ParquetTableFile(RecordTableDescriptor table, string finalPath, int rowGroupRows, BufferBudget budget)
    {
        _budget = budget;
        FinalPath = finalPath;
        TemporaryPath = DatasetLayout.TemporaryPath(finalPath);
        RowGroupRows = rowGroupRows;
        _template = table.Columns.Select(c => ColumnBuffer.For(c, rowGroupRows)).ToArray();

        // Schema element 0 is the root; a primitive column takes one element, a list three (see StringListBuffer).
        _timestampElements = new Dictionary<int, string>();
        int element = 1;
        foreach (var column in table.Columns)
        {
            if (column.Type == ColumnType.Timestamp)
                _timestampElements[element] = column.Name;
            element += column.Type == ColumnType.StringList ? 3 : 1;
        }

        _stream = new FileStream(TemporaryPath, FileMode.Create, FileAccess.ReadWrite, FileShare.None);
        try
        {
            var schema = new ParquetSchema(_template.Select(c => c.Field).ToArray());
            var options = OptionsFor(table);
            _writer = Run(() => ParquetWriter.CreateAsync(schema, _stream, options));
            // The footer says which table of a PcapForge dataset this is: `--force` replaces only files that say so.
            _writer.CustomMetadata = new Dictionary<string, string> { [DatasetLayout.TableMetadataKey] = table.Name };
        }
        catch
        {
            _stream.Dispose();
            File.Delete(TemporaryPath);
            throw;
        }

        _own = new RowGroupBuilder(this, _template);
        _builders.Add(_own);
    }

    public string FinalPath { get; }

    public string TemporaryPath { get; }

    /// <summary>Opens the temporary file; a problem creating it is an <see cref="OutputException"/> naming it.</summary>
    public static ParquetTableFile Create(RecordTableDescriptor table, string finalPath, int rowGroupRows, BufferBudget budget)
    {
        try
        {
            return new ParquetTableFile(table, finalPath, rowGroupRows, budget);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OutputException($"cannot write '{DatasetLayout.TemporaryPath(finalPath)}': {e.Message}", e);
        }
    }

    private readonly BufferBudget _budget;

    internal BufferBudget Budget => _budget;

    /// <summary>Rows per row group at most.</summary>
    internal int RowGroupRows { get; }

    /// <summary>Buffers one row; a full buffer is written as a row group. Not thread-safe: threads use <see cref="TableAppender"/>s.</summary>
    public void Append(TableRow row) => _own.Append(row);

    /// <summary>
    /// A builder of row groups of its own, for one thread: one parked by a thread that is done, with its rows, or a new
    /// one, registered so that <see cref="Finish"/> writes what it holds.
    /// </summary>
    internal RowGroupBuilder NewBuilder()
    {
        if (_parked.TryTake(out var parked))
            return parked;
        var builder = new RowGroupBuilder(this, _template.Select(c => c.Twin()).ToArray());
        lock (_builders)
            _builders.Add(builder);
        return builder;
    }

    /// <summary>A thread is done with its builder: the rows it holds wait in it for the next thread, or for <see cref="Finish"/>.</summary>
    internal void Park(RowGroupBuilder builder) => _parked.Add(builder);

    /// <summary>
    /// Queues the write of a full set of buffers as a row group, on the thread pool after the row groups queued before
    /// it (Parquet.Net writes one at a time). Returns the write, which also fails when an earlier one did; the buffers
    /// are empty when it is done.
    /// </summary>
    internal Task Submit(ColumnBuffer[] full)
    {
        lock (_submitLock)
        {
            var previous = _writing;
            _writing = Task.Run(() => WriteAfter(previous, full));
            return _writing;
        }
    }

    private async Task WriteAfter(Task previous, ColumnBuffer[] full)
    {
        try
        {
            await previous.ConfigureAwait(false);
            using var rowGroup = _writer.CreateRowGroup();
            foreach (var column in full)
                await column.WriteAsync(rowGroup).ConfigureAwait(false);
            rowGroup.CompleteValidate();
        }
        finally
        {
            // Written or not (a failure is reported by the next write and by Finish), the rows are gone from the buffers.
            foreach (var column in full)
                column.Clear();
        }
    }

    /// <summary>Writes the rows still buffered and the footer, and closes the file (still under its temporary name).</summary>
    public void Finish()
    {
        if (_finished)
            return;
        RowGroupBuilder[] builders;
        lock (_builders)
            builders = _builders.ToArray();
        foreach (var builder in builders)
            builder.Flush();
        Guard(() =>
        {
            _writing.GetAwaiter().GetResult();
            Run(() => _writer.DisposeAsync().AsTask());
            TimestampAnnotation.Apply(_stream, _timestampElements, ParquetColumnTypes.TimestampIsAdjustedToUtc);
            _stream.Flush(flushToDisk: true);
            _stream.Dispose();
        });
        _finished = true;
    }

    /// <summary>Renames the finished file to its final name.</summary>
    public void Publish(bool overwrite)
    {
        if (!_finished)
            throw new InvalidOperationException($"'{TemporaryPath}' is not finished");
        try
        {
            File.Move(TemporaryPath, FinalPath, overwrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OutputException(File.Exists(FinalPath) && !overwrite
                ? $"'{FinalPath}' appeared while the dataset was written (use --force to replace it)"
                : $"cannot rename '{TemporaryPath}' to '{FinalPath}': {e.Message}", e);
        }

        _published = true;
    }

    /// <summary>Releases the file; unless it was published, the temporary file is deleted.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        lock (_builders)
        {
            foreach (var builder in _builders)
                _budget.Add(-builder.BufferedBytes);
        }

        if (_published)
            return;
        // A row group still being written finishes (or fails) before its file goes. Whatever made it fail was
        // reported by whoever stopped the run; here it must not keep the other files of the dataset from being
        // deleted (a write that failed with an internal error left every later table's temporary file behind).
        try
        {
            _writing.Wait();
        }
        catch (AggregateException)
        {
        }

        try
        {
            _stream.Dispose();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Flushing the rest of a file that cannot be written (a full disk); it is deleted below all the same.
        }
        try
        {
            File.Delete(TemporaryPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Nothing more can be done; the file has a hidden temporary name that no reader picks up.
        }
    }

    internal void Guard(Action action)
    {
        try
        {
            action();
        }
        catch (IOException e)
        {
            throw new OutputException($"cannot write '{TemporaryPath}': {e.Message}", e);
        }
    }

    private static void Run(Func<Task> action) => Task.Run(action).GetAwaiter().GetResult();

    private static T Run<T>(Func<Task<T>> action) => Task.Run(action).GetAwaiter().GetResult();
}

/// <summary>
/// Rows of one thread being gathered into the next row group of a <see cref="ParquetTableFile"/>, in buffers of its own.
/// Full (the row-group size, or an eighth of the <see cref="BufferBudget"/> when the dataset's buffered rows reach it),
/// they are written as a row group while this thread waits; the other threads go on. Before, the analysis' two workers
/// appended every row to one set of buffers under one lock, and the one that filled it held the lock while the row
/// group was encoded: they waited 300 ms for that lock between them on the 1 GB benchmark. A second set of buffers
/// per builder, to go on while the first is written, was tried: no faster on two cores, 35 MiB more at the peak.
/// </summary>
internal sealed class RowGroupBuilder(ParquetTableFile file, ColumnBuffer[] columns)
{
    private int _rows;

    public ColumnBuffer[] Columns { get; } = columns;

    public long BufferedBytes { get; private set; }

    public void Append(TableRow row)
    {
        var columns = Columns;
        long bytes = 0;
        for (int i = 0; i < columns.Length; i++)
        {
            columns[i].Add(row, i);
            bytes += EstimatedSize(row, i);
        }

        BufferedBytes += bytes;
        long total = file.Budget.Add(bytes);
        // Per builder, so per table and thread: the rows of several threads may together hold the budget without any
        // one holding an eighth of it; at twice the budget the builder being appended to writes whatever it holds.
        if (++_rows == file.RowGroupRows || (total >= BufferBudget.Bytes && BufferedBytes >= BufferBudget.Bytes / 8)
            || total >= 2 * BufferBudget.Bytes)
            Flush();
    }

    /// <summary>Rough bytes a buffered value holds: a string's UTF-16 characters and its slot, or one slot.</summary>
    private static long EstimatedSize(TableRow row, int column)
    {
        if (row.IsNull(column))
            return 16;
        switch (row.TypeOf(column))
        {
            case ColumnType.String:
                return 32 + 2L * row.Text(column).Length;
            case ColumnType.StringList:
                var list = row.List(column)!;
                long bytes = 32;
                for (int i = 0; i < list.Count; i++)
                    bytes += 32 + 2L * (list[i]?.Length ?? 0);
                return bytes;
            default:
                return 16;
        }
    }

    /// <summary>
    /// Writes what is buffered as a row group, on the thread pool after the row groups of the file's other builders,
    /// and waits for it: the buffers are then empty and filled again. The other threads go on meanwhile.
    /// </summary>
    public void Flush()
    {
        if (_rows == 0)
            return;
        file.Budget.Add(-BufferedBytes);
        _rows = 0;
        BufferedBytes = 0;
        file.Guard(() => file.Submit(Columns).GetAwaiter().GetResult());
    }
}

/// <summary>
/// The memory the buffered rows of all the files of one dataset may hold together, before the file being appended to
/// writes its row group (when it holds at least an eighth of the total, so that a small table is not cut into tiny
/// groups by a big one). Wide rows (a flows row holds a dozen strings, about 1 KB) would otherwise make memory grow
/// with the number of rows up to the first row group (measured: 177 -> 283 MiB peak RSS from 32,000 to 91,000 flows),
/// and with the application tables a run writes half a dozen tables at once (227 -> 450 MiB peak RSS on the 3 GB
/// benchmark with 32 MiB per table). 16 MiB rather than 32: peak RSS 231 -> 197 MiB on the 1 GB benchmark and
/// 291 -> 265 MiB on the 3 GB one, the same run time; a flows row group still holds about 16,000 rows.
/// </summary>
internal sealed class BufferBudget
{
    public const long Bytes = 16L << 20;

    private long _total;

    /// <summary>Adds (or, negative, releases) buffered bytes; returns the new total. Thread-safe.</summary>
    public long Add(long bytes) => Interlocked.Add(ref _total, bytes);
}
