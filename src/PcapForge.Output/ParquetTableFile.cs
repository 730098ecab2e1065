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
    private static readonly ParquetOptions Options = new()
    {
        CompressionMethod = CompressionMethod.Zstd,
        // Zstandard's default level. Parquet.Net's own default, SmallestSize, took 11 times the CPU time for a flows
        // table of 500,000 rows here, for a file 8% smaller; Fastest took the same time as this for one 7% larger.
        CompressionLevel = CompressionLevel.Optimal,
        // Dictionary encoding is tried on a sample of a column's first values, not on the whole column: a column of
        // unique values (flow_uid, community_id, uri, timestamps) no longer has every value hashed into a dictionary
        // only to find that it does not pay. Parquet.Net's default (0) scans the whole column.
        DictionaryEncodingSampleSize = 1024,
        // Parquet.Net's stream pool keeps up to 16 + 64 MiB of freed buffers by default; a run writes one row group
        // at a time, so a few MiB are enough and the rest goes back to the GC.
        MaximumSmallPoolFreeBytes = 4 << 20,
        MaximumLargePoolFreeBytes = 8 << 20,
    };

    private readonly ColumnBuffer[] _columns;
    private readonly Dictionary<int, string> _timestampElements;
    private readonly int _rowGroupRows;
    private readonly FileStream _stream;
    private readonly ParquetWriter _writer;
    private int _buffered;
    private bool _finished;
    private bool _published;
    private bool _disposed;

    private ParquetTableFile(RecordTableDescriptor table, string finalPath, int rowGroupRows, BufferBudget budget)
    {
        _budget = budget;
        FinalPath = finalPath;
        TemporaryPath = DatasetLayout.TemporaryPath(finalPath);
        _rowGroupRows = rowGroupRows;
        _columns = table.Columns.Select(c => ColumnBuffer.For(c, rowGroupRows)).ToArray();

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
            var schema = new ParquetSchema(_columns.Select(c => c.Field).ToArray());
            _writer = Run(() => ParquetWriter.CreateAsync(schema, _stream, Options));
            // The footer says which table of a PcapForge dataset this is: `--force` replaces only files that say so.
            _writer.CustomMetadata = new Dictionary<string, string> { [DatasetLayout.TableMetadataKey] = table.Name };
        }
        catch
        {
            _stream.Dispose();
            File.Delete(TemporaryPath);
            throw;
        }
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

    private long _bufferedBytes;

    /// <summary>Buffers one row; a full buffer is written as a row group.</summary>
    public void Append(TableRow row)
    {
        long bytes = 0;
        for (int i = 0; i < _columns.Length; i++)
        {
            _columns[i].Add(row, i);
            bytes += EstimatedSize(row, i);
        }

        _bufferedBytes += bytes;
        long total = _budget.Add(bytes);
        if (++_buffered == _rowGroupRows || (total >= BufferBudget.Bytes && _bufferedBytes >= BufferBudget.Bytes / 8))
            WriteRowGroup();
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
                long bytes = 32;
                foreach (string? e in row.List(column)!)
                    bytes += 32 + 2L * (e?.Length ?? 0);
                return bytes;
            default:
                return 16;
        }
    }

    /// <summary>Writes the rows still buffered and the footer, and closes the file (still under its temporary name).</summary>
    public void Finish()
    {
        if (_finished)
            return;
        WriteRowGroup();
        Guard(() =>
        {
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
        _budget.Add(-_bufferedBytes);
        _bufferedBytes = 0;
        if (_published)
            return;
        _stream.Dispose();
        try
        {
            File.Delete(TemporaryPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Nothing more can be done; the file has a hidden temporary name that no reader picks up.
        }
    }

    private void WriteRowGroup()
    {
        if (_buffered == 0)
            return;
        Guard(() => Run(async () =>
        {
            using var rowGroup = _writer.CreateRowGroup();
            foreach (var column in _columns)
                await column.WriteAsync(rowGroup).ConfigureAwait(false);
            rowGroup.CompleteValidate();
        }));
        foreach (var column in _columns)
            column.Clear();
        _buffered = 0;
        _budget.Add(-_bufferedBytes);
        _bufferedBytes = 0;
    }

    private void Guard(Action action)
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
