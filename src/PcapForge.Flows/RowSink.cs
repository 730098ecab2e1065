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
/// Fills a row of a host table by column name. A row is filled by the same calls in the same order each time (the
/// packets table once per frame), so the k-th call of a row remembers the name (the same literal string object) and
/// index it resolved last time: a reference comparison instead of hashing the name (measured with `--packets` on the
/// 1 GB benchmark: the dictionary lookups were a third of writing a packet row). A call out of the usual order looks
/// the name up and is remembered in its place.
/// </summary>
internal sealed class RowBuilder
{
    private readonly Dictionary<string, int> _index;
    private readonly (string? Name, int Index)[] _calls;
    private int _call;

    public RowBuilder(RecordTableDescriptor table)
    {
        Row = new TableRow(table);
        _index = table.Columns.Select((c, i) => (c.Name, i)).ToDictionary(p => p.Name, p => p.i, StringComparer.Ordinal);
        _calls = new (string?, int)[table.Columns.Count];
    }

    public TableRow Row { get; }

    public RecordTableDescriptor Table => Row.Table;

    public int this[string column] => _index[column];

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
        int k = _call++;
        if ((uint)k >= (uint)_calls.Length)
            return _index[column];
        ref var call = ref _calls[k];
        if (!ReferenceEquals(call.Name, column))
            call = (column, _index[column]);
        return call.Index;
    }

    private RowBuilder Done(TableRow _) => this;
}
