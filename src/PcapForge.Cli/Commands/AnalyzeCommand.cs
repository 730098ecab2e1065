using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using PcapForge.Dissection.Filters;
using PcapForge.Flows;
using PcapForge.Output;

namespace PcapForge.Cli.Commands;

/// <summary>
/// <c>pcapforge analyze INPUT... --out DATASET</c>: the main job. Every frame of every input is decoded, accounted to
/// flows (TCP reassembled for the stream dissectors), and written as Parquet tables: flows, anomalies, captures,
/// packets (opt-in) and every record table the plugins declare.
/// </summary>
public sealed class AnalyzeCommand : ICliCommand
{
    private readonly Console _console;
    private readonly PluginHost _plugins;

    public AnalyzeCommand(Console console, PluginHost plugins)
    {
        _console = console;
        _plugins = plugins;
    }

    public Command Build()
    {
        var inputs = new Argument<string[]>("inputs")
        {
            Description = "Capture files (pcap, pcapng, optionally gzip- or zstd-compressed), directories of them, or glob patterns",
            Arity = ArgumentArity.OneOrMore,
        };
        inputs.Validators.Add(CliValidation.RejectUnknownOptions);
        var output = new Option<string>("--out", "-w")
        {
            Description = "X.parquet: flows there and the other tables beside it as X.<table>.parquet; DIR/: DIR/<table>.parquet",
            Required = true,
        };
        var force = new Option<bool>("--force") { Description = "Replace existing output files" };
        var packets = new Option<bool>("--packets") { Description = "Also write the packets table (one row per frame)" };
        var filter = new Option<string?>("--display-filter", "-Y") { Description = "Only frames matching this display filter enter the flow engine" };
        var partition = new Option<string?>("--partition-by") { Description = "date: Hive layout DIR/<table>/date=YYYY-MM-DD/ (needs a directory --out)" };
        partition.AcceptOnlyFromAmong("date");
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress and no summary" };
        var noHash = new Option<bool>("--no-hash") { Description = "Do not compute the SHA-256 of each input (captures.sha256 stays empty)" };
        var lastWrite = new Option<bool>("--reassembly-last-write") { Description = "TCP overlaps with different bytes keep the later bytes (default: the first, as RFC 9293 receivers)" };
        var command = new Command("analyze", "Decode captures into flows and records, written as a Parquet dataset")
        {
            inputs, output, force, packets, filter, partition, quiet, noHash, lastWrite,
        };
        command.SetAction((result, cancel) => Task.FromResult(Run(result.GetValue(inputs)!, result.GetValue(output)!, result.GetValue(force),
            result.GetValue(packets), result.GetValue(filter), result.GetValue(partition) == "date", result.GetValue(quiet), !result.GetValue(noHash),
            result.GetValue(lastWrite), string.Join(' ', result.Tokens.Select(t => t.Value)), cancel)));
        return command;
    }

    internal int Run(string[] arguments, string outPath, bool force, bool packets, string? filterText, bool partitionByDate, bool quiet,
        bool hash, bool lastWrite, string commandLine, CancellationToken cancel)
    {
        var engine = _plugins.Engine;
        var registry = engine.Registry;
        DisplayFilter? filter = null;
        if (filterText is not null)
        {
            try
            {
                filter = DisplayFilter.Compile(filterText, registry);
            }
            catch (FilterSyntaxException e)
            {
                _console.Error.WriteLine($"pcapforge analyze: {e.Render()}");
                return ExitCodes.Usage;
            }
        }

        var inputs = InputFiles.Expand(arguments).ToList();
        var tables = new List<Abstractions.Records.RecordTableDescriptor>(HostTables.All.Where(t => packets || t.Name != "packets"));
        tables.AddRange(registry.RecordTables);
        var writer = CliDataset.TryCreate(_console, "analyze", new DatasetOptions(outPath, force, partitionByDate), tables);
        if (writer is null)
            return ExitCodes.Usage;

        using (writer)
        {
            var sink = new DatasetRows(writer);
            // A progress line only for a person watching: stderr is a terminal (not a file, a pipe, or a test's writer).
            bool terminal = !System.Console.IsErrorRedirected && ReferenceEquals(_console.Error, System.Console.Error);
            var progress = quiet || !terminal ? null : new ProgressLine(_console.Error, inputs.Sum(i => FileLength(i.Path)));
            var options = new AnalysisOptions
            {
                Packets = packets,
                Filter = filter,
                HashInput = hash,
                CommandLine = commandLine,
                Reassembly = new TcpReassemblyOptions { LastWriteWins = lastWrite },
                Progress = progress is null ? null : progress.Update,
            };
            var clock = Stopwatch.StartNew();
            int exit = ExitCodes.Ok;
            long frames = 0, bytes = 0, flows = 0, anomalies = 0;
            int analysed = 0;
            foreach (var (path, fromDirectory) in inputs)
            {
                if (cancel.IsCancellationRequested)
                    break;
                try
                {
                    progress?.StartFile(path);
                    var result = new CaptureAnalysis(engine, sink, options).Run(path, cancel);
                    progress?.EndFile(FileLength(path));
                    frames += result.Frames;
                    bytes += result.Bytes;
                    flows += result.Flows;
                    anomalies += result.Anomalies;
                    analysed++;
                }
                catch (IOException e) when (e is not OutputIOException)
                {
                    progress?.Clear();
                    // Not a capture at all (or unreadable): skipped with one line; a directory's other files are expected.
                    if (fromDirectory)
                    {
                        _console.Error.WriteLine($"pcapforge analyze: skipped {e.Message}");
                        continue;
                    }

                    _console.Error.WriteLine($"pcapforge analyze: error: {e.Message}");
                    exit = ExitCodes.InputError;
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                catch (OutputException e)
                {
                    // A row group could not be written (a full disk): nothing more can go into the dataset.
                    progress?.Clear();
                    _console.Error.WriteLine($"pcapforge analyze: cannot write the output: {e.Message}; no output written");
                    return ExitCodes.InputError;
                }
            }

            progress?.Clear();
            if (cancel.IsCancellationRequested)
            {
                // Dispose without Complete removes the temporary files: nothing appears at the final path.
                _console.Error.WriteLine("pcapforge analyze: interrupted; no output written");
                return ExitCodes.Interrupted;
            }

            if (analysed == 0)
            {
                _console.Error.WriteLine("pcapforge analyze: no capture could be read; no output written");
                return exit == ExitCodes.Ok ? ExitCodes.InputError : exit;
            }

            IReadOnlyList<string> written;
            try
            {
                written = writer.Complete();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or OutputException)
            {
                _console.Error.WriteLine($"pcapforge analyze: cannot write the output: {e.Message}");
                return ExitCodes.InputError;
            }

            if (!quiet)
            {
                double seconds = Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                var inv = CultureInfo.InvariantCulture;
                _console.Error.WriteLine(string.Create(inv,
                    $"pcapforge analyze: {analysed} capture(s), {frames:N0} frames, {bytes / 1e6:0.0} MB in {seconds:0.00} s ({frames / seconds / 1e6:0.00} M frames/s, {bytes / seconds / 1e9:0.00} GB/s); {flows:N0} flows, {anomalies:N0} anomalies"));
                CliDataset.PrintFiles(_console, writer, written);
            }

            return exit;
        }
    }

    private static long FileLength(string path)
    {
        try
        {
            return new FileInfo(path).Length;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
