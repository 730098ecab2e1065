using PcapForge.Abstractions.Records;

namespace PcapForge.Flows;

/// <summary>Where the analysis writes its rows: one call per row, values in the column order of the table's descriptor.</summary>
public interface IRowSink
{
    /// <summary>Writes a row; <paramref name="values"/> may be reused by the caller after the call.</summary>
    void Write(RecordTableDescriptor table, object?[] values);
}

/// <summary>Fills a row of a table by column name; the indexes are resolved once.</summary>
internal sealed class RowBuilder
{
    private readonly Dictionary<string, int> _index;

    public RowBuilder(RecordTableDescriptor table)
    {
        Table = table;
        _index = table.Columns.Select((c, i) => (c.Name, i)).ToDictionary(p => p.Name, p => p.i, StringComparer.Ordinal);
        Values = new object?[table.Columns.Count];
    }

    public RecordTableDescriptor Table { get; }

    public object?[] Values { get; }

    public int this[string column] => _index[column];

    public RowBuilder Set(string column, object? value)
    {
        Values[_index[column]] = value;
        return this;
    }

    public void Clear() => Array.Clear(Values);
}
