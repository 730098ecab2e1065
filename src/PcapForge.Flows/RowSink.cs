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

/// <summary>Fills a row of a host table by column name; the names are resolved to indexes once.</summary>
internal sealed class RowBuilder
{
    private readonly Dictionary<string, int> _index;

    public RowBuilder(RecordTableDescriptor table)
    {
        Row = new TableRow(table);
        _index = table.Columns.Select((c, i) => (c.Name, i)).ToDictionary(p => p.Name, p => p.i, StringComparer.Ordinal);
    }

    public TableRow Row { get; }

    public RecordTableDescriptor Table => Row.Table;

    public int this[string column] => _index[column];

    public RowBuilder Set(string column, long? value) => Done(Row.Set(_index[column], value));

    public RowBuilder Set(string column, int? value) => Done(Row.Set(_index[column], value));

    public RowBuilder Set(string column, double? value) => Done(Row.Set(_index[column], value));

    public RowBuilder Set(string column, bool? value) => Done(Row.Set(_index[column], value));

    public RowBuilder Set(string column, string? value) => Done(Row.Set(_index[column], value));

    public RowBuilder Set(string column, IReadOnlyList<string?>? value) => Done(Row.Set(_index[column], value));

    public void Clear() => Row.Clear();

    private RowBuilder Done(TableRow _) => this;
}
