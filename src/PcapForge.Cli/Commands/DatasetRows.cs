using PcapForge.Flows;
using PcapForge.Output;

namespace PcapForge.Cli.Commands;

/// <summary>Marks I/O errors of the output, which are not the input's fault.</summary>
internal sealed class OutputIOException(string message, Exception inner) : IOException(message, inner);

/// <summary>Opening the dataset a verb writes (analyze, capture, sockets, scan), with the one error message they share.</summary>
internal static class CliDataset
{
    /// <summary>
    /// The dataset writer, or null after printing why it cannot be made ("pcapforge VERB: …": an existing output
    /// without --force, a path that cannot be written); the verb then exits with <see cref="ExitCodes.Usage"/>.
    /// </summary>
    public static DatasetWriter? TryCreate(Console console, string verb, DatasetOptions options, IReadOnlyList<Abstractions.Records.RecordTableDescriptor> tables)
    {
        try
        {
            return DatasetWriter.Create(options, tables);
        }
        catch (OutputException e)
        {
            console.Error.WriteLine($"pcapforge {verb}: {e.Message}");
            return null;
        }
    }

    /// <summary>The summary's file list: the files written, then those of an earlier run that --force removed.</summary>
    public static void PrintFiles(Console console, DatasetWriter writer, IReadOnlyList<string> written)
    {
        foreach (string file in written)
            console.Error.WriteLine($"  {file}");
        foreach (string file in writer.Removed)
            console.Error.WriteLine($"  removed (earlier run): {file}");
    }
}

/// <summary>
/// The analysis' rows into the dataset writer's tables. Each worker of the analysis writes through a
/// <see cref="ThreadRows"/> of its own: its rows make row groups of their own, with no lock per row (the two workers
/// waited 300 ms for one shared lock on the 1 GB benchmark).
/// </summary>
internal sealed class DatasetRows(DatasetWriter writer) : IConcurrentRowSink
{
    private readonly Dictionary<string, TableWriter> _tables = new(StringComparer.Ordinal);

    public void Write(TableRow row)
    {
        var table = row.Table;
        try
        {
            Table(table.Name).Append(row);
        }
        catch (IOException e)
        {
            throw Failed(table.Name, e);
        }
    }

    public IRowSink CreateWriter() => new ThreadRows(this);

    private static OutputIOException Failed(string table, IOException e) => new($"writing table '{table}': {e.Message}", e);

    private TableWriter Table(string name)
    {
        lock (_tables)
        {
            if (!_tables.TryGetValue(name, out var t))
                _tables[name] = t = writer.Table(name);
            return t;
        }
    }

    private sealed class ThreadRows(DatasetRows owner) : IRowSink, IDisposable
    {
        private readonly Dictionary<string, TableAppender> _appenders = new(StringComparer.Ordinal);

        public void Write(TableRow row)
        {
            var table = row.Table;
            try
            {
                if (!_appenders.TryGetValue(table.Name, out var appender))
                    _appenders[table.Name] = appender = owner.Table(table.Name).CreateAppender();
                appender.Append(row);
            }
            catch (IOException e)
            {
                throw Failed(table.Name, e);
            }
        }

        public void Dispose()
        {
            foreach (var appender in _appenders.Values)
                appender.Dispose();
            _appenders.Clear();
        }
    }
}
