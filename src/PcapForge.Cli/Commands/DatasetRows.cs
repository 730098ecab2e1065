using PcapForge.Flows;
using PcapForge.Output;

namespace PcapForge.Cli.Commands;

/// <summary>Marks I/O errors of the output, which are not the input's fault.</summary>
internal sealed class OutputIOException(string message, Exception inner) : IOException(message, inner);

/// <summary>The analysis' rows into the dataset writer's tables.</summary>
internal sealed class DatasetRows(DatasetWriter writer) : IRowSink
{
    private readonly Dictionary<string, TableWriter> _tables = new(StringComparer.Ordinal);

    public void Write(Abstractions.Records.RecordTableDescriptor table, object?[] values)
    {
        if (!_tables.TryGetValue(table.Name, out var t))
        {
            _tables[table.Name] = t = writer.Table(table.Name);
        }

        try
        {
            t.Append(values);
        }
        catch (IOException e)
        {
            throw new OutputIOException($"writing table '{table.Name}': {e.Message}", e);
        }
    }
}
