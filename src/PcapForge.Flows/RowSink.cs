using PcapForge.Abstractions.Records;
using PcapForge.Output;

namespace PcapForge.Flows;

/// <summary>Where the analysis writes its rows: one call per row, typed (<see cref="TableRow"/>), of any table.</summary>
public interface IRowSink
{
    /// <summary>Writes a row; the caller reuses <paramref name="row"/> after the call.</summary>
    void Write(TableRow row);
}

/// <summary>
/// A row sink several threads write to at once (the analysis' workers), each through a writer of its own that takes no
/// lock per row. A sink without this is shared under one lock.
/// </summary>
public interface IConcurrentRowSink : IRowSink
{
    /// <summary>A writer for one thread; disposing it (when the thread is done) queues what it still buffers.</summary>
    IRowSink CreateWriter();
}

/// <summary>
/// Fills a row of a host table by column name. A row is filled by the same calls in much the same order each time
/// (the packets table once per frame), and the names are string literals, the same objects at every call; so the
/// k-th call of a row remembers the names and indexes it resolved at that position before (two of them, for the two
/// shapes of rows that alternate, a TCP row and a UDP one) and finds its column with a reference comparison instead
/// of hashing the name. Measured with <c>--packets</c> on the 1 GB benchmark: the dictionary lookups were a third of
/// writing a packet row; a cache keyed by the name's identity hash (<c>RuntimeHelpers.GetHashCode</c>) was 0.3 s of
/// CPU slower than this. A name not remembered at its position is looked up and remembered there. One builder per
/// thread.
/// </summary>
internal sealed class RowBuilder
{
    private readonly Dictionary<string, int> _index;

    /// <summary>Two (name, index) entries per call position: the last name resolved there first.</summary>
    private readonly (string? Name, int Index)[] _calls;
    private int _call;

    public RowBuilder(RecordTableDescriptor table)
    {
        Row = new TableRow(table);
        _index = table.Columns.Select((c, i) => (c.Name, i)).ToDictionary(p => p.Name, p => p.i, StringComparer.Ordinal);
        _calls = new (string?, int)[2 * table.Columns.Count];
    }

    public TableRow Row { get; }

    public RecordTableDescriptor Table => Row.Table;

    public RowBuilder Set(string column, long? value) => Done(Row.Set(Index(column), value));

    public RowBuilder Set(string column, int? value) => Done(Row.Set(Index(column), value));

    public RowBuilder Set(string column, double? value) => Done(Row.Set(Index(column), value));

    public RowBuilder Set(string column, bool? value) => Done(Row.Set(Index(column), value));

    public RowBuilder Set(string column, string? value) => Done(Row.Set(Index(column), value));

    public RowBuilder Set(string column, IReadOnlyList<string?>? value) => Done(Row.Set(Index(column), value));

    /// <summary>A String column's value as characters (formatted into a stack buffer, say): no string is made.</summary>
    public RowBuilder SetText(string column, ReadOnlySpan<char> value) => Done(Row.SetText(Index(column), value));

    /// <summary>Empties the row for the next one.</summary>
    public void Clear()
    {
        Row.Clear();
        _call = 0;
    }

    private int Index(string column)
    {
        int k = 2 * _call++;
        if ((uint)k >= (uint)_calls.Length)
            return _index[column];
        ref var first = ref _calls[k];
        if (ReferenceEquals(first.Name, column))
            return first.Index;
        ref var second = ref _calls[k + 1];
        (string? Name, int Index) found = ReferenceEquals(second.Name, column) ? second : (column, _index[column]);
        second = first;
        first = found;
        return found.Index;
    }

    private RowBuilder Done(TableRow _) => this;
}
