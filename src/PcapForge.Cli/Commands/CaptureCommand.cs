using System.CommandLine;
using System.Globalization;
using PcapForge.Capture;
using PcapForge.Dissection;
using PcapForge.Dissection.Filters;
using PcapForge.Flows;
using PcapForge.Live;
using PcapForge.Live.Linux;
using PcapForge.Output;

namespace PcapForge.Cli.Commands;

/// <summary>
/// <c>pcapforge capture -i IFACE [-Y FILTER] [-c N] [--duration S] [-w FILE.pcapng] [--out DATASET]</c>: tcpdump's
/// job as a frontend of the engine. Frames from Linux packet sockets are written as pcapng and, with <c>--out</c>,
/// analysed as they arrive into the tables <c>analyze</c> writes. Ctrl-C, SIGTERM, the count or the duration end it
/// with every file complete. The work is in <see cref="LiveCapture"/> and <see cref="LiveAnalysis"/>; this class
/// reads the options, opens the outputs and prints.
/// </summary>
public sealed class CaptureCommand : ICliCommand, IEndsOnSignal
{
    private readonly Console _console;
    private readonly PluginHost _plugins;

    public CaptureCommand(Console console, PluginHost plugins)
    {
        _console = console;
        _plugins = plugins;
    }

    /// <summary>The options of one run, as parsed.</summary>
    internal sealed record Settings
    {
        public string[] Interfaces { get; init; } = [];
        public bool ListInterfaces { get; init; }
        public string? Filter { get; init; }
        public long? Count { get; init; }
        public double? DurationSeconds { get; init; }
        public string? WritePath { get; init; }
        public string? OutPath { get; init; }
        public bool Force { get; init; }
        public bool Packets { get; init; }
        public bool PartitionByDate { get; init; }
        public bool Quiet { get; init; }
        public bool Hash { get; init; } = true;
        public bool Promiscuous { get; init; } = true;
        public int SnapLength { get; init; }
        public int? BufferKiB { get; init; }
        public string CommandLine { get; init; } = "";
    }

    public Command Build()
    {
        var interfaces = new Option<string[]>("--interface", "-i")
        {
            Description = "Capture on this interface (repeatable); 'any' for all of them; a number from --list-interfaces",
            AllowMultipleArgumentsPerToken = false,
            HelpName = "IFACE",
        };
        var list = new Option<bool>("--list-interfaces", "-D") { Description = "List the interfaces and exit, like tcpdump -D" };
        var filter = new Option<string?>("--display-filter", "-Y") { Description = "Keep (write and analyse) only frames matching this display filter", HelpName = "FILTER" };
        var count = new Option<long?>("--count", "-c") { Description = "Stop after this many frames are kept", HelpName = "COUNT" };
        var duration = new Option<double?>("--duration") { Description = "Stop after this many seconds", HelpName = "SECONDS" };
        var write = new Option<string?>("--write", "-w") { Description = "Write the frames to this pcapng file ('-': standard output)", HelpName = "FILE.pcapng" };
        var output = new Option<string?>("--out") { Description = "Analyse the frames as they arrive into this dataset (X.parquet or DIR/, as analyze --out)", HelpName = "DATASET" };
        var force = new Option<bool>("--force") { Description = "Replace an existing -w file or dataset" };
        var packets = new Option<bool>("--packets") { Description = "With --out: also the packets table" };
        var partition = new Option<string?>("--partition-by") { Description = "With --out: date: Hive layout DIR/<table>/date=YYYY-MM-DD/" };
        partition.AcceptOnlyFromAmong("date");
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No start line and no summary" };
        var noHash = new Option<bool>("--no-hash") { Description = "With --out: leave captures.sha256 empty" };
        var noPromisc = new Option<bool>("--no-promiscuous-mode", "-p") { Description = "Do not put the interface in promiscuous mode (tcpdump -p)" };
        var snap = new Option<int?>("--snapshot-length", "-s") { Description = "Keep at most this many bytes of each frame (default and 0: 262144, as tcpdump)", HelpName = "BYTES" };
        var buffer = new Option<int?>("--buffer-size", "-B") { Description = "Socket receive buffer in KiB (default 2048, as tcpdump)", HelpName = "KiB" };
        var command = new Command("capture", "Capture live traffic from network interfaces (Linux; root or CAP_NET_RAW) into pcapng and/or a dataset")
        {
            interfaces, list, filter, count, duration, write, output, force, packets, partition, quiet, noHash, noPromisc, snap, buffer,
        };
        command.SetAction(r => Run(new Settings
        {
            Interfaces = r.GetValue(interfaces) ?? [],
            ListInterfaces = r.GetValue(list),
            Filter = r.GetValue(filter),
            Count = r.GetValue(count),
            DurationSeconds = r.GetValue(duration),
            WritePath = r.GetValue(write),
            OutPath = r.GetValue(output),
            Force = r.GetValue(force),
            Packets = r.GetValue(packets),
            PartitionByDate = r.GetValue(partition) == "date",
            Quiet = r.GetValue(quiet),
            Hash = !r.GetValue(noHash),
            Promiscuous = !r.GetValue(noPromisc),
            SnapLength = r.GetValue(snap) ?? 0,
            BufferKiB = r.GetValue(buffer),
            CommandLine = string.Join(' ', r.Tokens.Select(t => t.Value)),
        }));
        return command;
    }

    internal int Run(Settings s)
    {
        if (s.ListInterfaces)
            return ListInterfaces();
        if (Usage(s) is string problem)
        {
            _console.Error.WriteLine($"pcapforge capture: {problem}");
            return ExitCodes.Usage;
        }

        var registry = _plugins.Engine.Registry;
        DisplayFilter? filter = null;
        if (s.Filter is not null)
        {
            try
            {
                filter = DisplayFilter.Compile(s.Filter, registry);
            }
            catch (FilterSyntaxException e)
            {
                _console.Error.WriteLine($"pcapforge capture: invalid display filter:\n{e.Render()}");
                return ExitCodes.Usage;
            }
        }

        bool toStdout = s.WritePath == "-";
        if (s.WritePath is string path && !toStdout && File.Exists(path) && !s.Force)
        {
            _console.Error.WriteLine($"pcapforge capture: {path} exists; use --force to replace it");
            return ExitCodes.Usage;
        }

        DatasetWriter? dataset = null;
        if (s.OutPath is string outPath)
        {
            var tables = new List<Abstractions.Records.RecordTableDescriptor>(HostTables.All.Where(t => s.Packets || t.Name != "packets"));
            tables.AddRange(registry.RecordTables);
            dataset = CliDataset.TryCreate(_console, "capture", new DatasetOptions(outPath, s.Force, s.PartitionByDate), tables);
            if (dataset is null)
                return ExitCodes.Usage;
        }

        // Disposing the dataset writer without Complete removes its temporary files: nothing at the final paths.
        using (dataset)
        {
            LiveCapture capture;
            try
            {
                capture = LiveCapture.Open(new LiveCaptureOptions
                {
                    Interfaces = s.Interfaces,
                    SnapLength = s.SnapLength == 0 ? LiveCaptureOptions.DefaultSnapLength : s.SnapLength,
                    Promiscuous = s.Promiscuous,
                    BufferBytes = s.BufferKiB is int kib ? kib * 1024 : LiveCaptureOptions.DefaultBufferBytes,
                    Count = s.Count,
                    Duration = s.DurationSeconds is double d ? TimeSpan.FromSeconds(d) : null,
                    Filter = filter,
                    CommandLine = s.CommandLine,
                });
            }
            catch (LiveCaptureException e)
            {
                _console.Error.WriteLine($"pcapforge capture: {e.Message}");
                return ExitCodes.InputError;
            }

            using (capture)
                return Capture(s, capture, dataset, toStdout);
        }
    }

    private int Capture(Settings s, LiveCapture capture, DatasetWriter? dataset, bool toStdout)
    {
        Stream? file = null;
        if (s.WritePath is string path)
        {
            try
            {
                file = toStdout ? System.Console.OpenStandardOutput() : new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _console.Error.WriteLine($"pcapforge capture: cannot write {path}: {e.Message}");
                return ExitCodes.InputError;
            }
        }

        LiveAnalysis? analysis = null;
        if (dataset is not null)
        {
            analysis = new LiveAnalysis(_plugins.Engine, new DatasetRows(dataset), new AnalysisOptions
            {
                Packets = s.Packets,
                HashInput = s.Hash,
                CommandLine = s.CommandLine,
            });
            analysis.Start(capture.CaptureId, capture.Path);
        }

        foreach (var socket in capture.Sockets.Where(k => !k.Interface.IsAny && !k.Interface.IsUp))
            _console.Error.WriteLine($"pcapforge capture: warning: {socket.Interface.Name} is down; frames arrive once it is up");
        if (!s.Quiet)
            _console.Error.WriteLine($"pcapforge capture: {capture.Describe()}");

        LiveCaptureResult result;
        var filterEngine = s.Filter is null ? null : new DissectionEngine(_plugins.Engine.Registry);
        using (var signals = new StopSignals())
        {
            var targets = new List<Stream>();
            if (file is not null)
                targets.Add(file);
            if (analysis is not null)
                targets.Add(analysis.Input);
            try
            {
                result = capture.Run(new FanOutStream(targets), filterEngine, signals.Token);
            }
            finally
            {
                file?.Dispose();
            }
        }

        CaptureResult? analysed = null;
        IReadOnlyList<string> written = [];
        try
        {
            analysed = analysis?.Finish();
            if (dataset is not null)
                written = dataset.Complete();
        }
        catch (CaptureFormatException e)
        {
            _console.Error.WriteLine($"pcapforge capture: the analysis could not read the capture: {e.Message}");
            return ExitCodes.InternalError;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OutputException)
        {
            _console.Error.WriteLine($"pcapforge capture: cannot write the dataset: {e.Message}");
            return ExitCodes.InputError;
        }

        if (!s.Quiet)
            Summary(s, capture, result, analysed, written);
        if (result.Error is string error)
        {
            _console.Error.WriteLine($"pcapforge capture: error: {error}");
            return ExitCodes.InputError;
        }

        return ExitCodes.Ok;
    }

    private void Summary(Settings s, LiveCapture capture, LiveCaptureResult r, CaptureResult? analysed, IReadOnlyList<string> written)
    {
        var inv = CultureInfo.InvariantCulture;
        string why = r.End switch
        {
            LiveCaptureEnd.Count => "count reached",
            LiveCaptureEnd.Duration => "duration reached",
            LiveCaptureEnd.Error => "stopped by an error",
            _ => "stopped",
        };
        var line = string.Create(inv,
            $"pcapforge capture: {r.Frames:N0} frames captured ({r.Bytes:N0} bytes) on {capture.Path} in {r.Elapsed.TotalSeconds:0.00} s, {why}; " +
            $"{r.Received:N0} received by the kernel, {r.Dropped:N0} dropped by the kernel");
        if (s.Filter is not null)
            line += string.Create(inv, $"; {r.Seen - r.Frames:N0} not matching the display filter");
        _console.Error.WriteLine(line);
        if (r.ClockTimestamps > 0)
            _console.Error.WriteLine(string.Create(inv, $"pcapforge capture: {r.ClockTimestamps:N0} frames came without a kernel timestamp and got the time they were read"));
        if (analysed is not null)
            _console.Error.WriteLine(string.Create(inv, $"pcapforge capture: {analysed.Flows:N0} flows, {analysed.Anomalies:N0} anomalies (capture id {analysed.CaptureId})"));
        if (s.WritePath is string path && path != "-")
            _console.Error.WriteLine($"  {path}");
        foreach (var file in written)
            _console.Error.WriteLine($"  {file}");
    }

    /// <summary>The first thing wrong with the options, or null.</summary>
    internal static string? Usage(Settings s)
    {
        if (s.Interfaces.Length == 0)
            return "name an interface with -i (see 'pcapforge capture --list-interfaces')";
        if (s.WritePath is null && s.OutPath is null)
            return "say where the frames go: -w FILE.pcapng, --out DATASET, or both";
        if (s.Count is <= 0)
            return $"-c must be at least 1 (got {s.Count})";
        if (s.DurationSeconds is double d && (!(d > 0) || double.IsInfinity(d) || d > TimeSpan.MaxValue.TotalSeconds / 2))
            return $"--duration must be a positive number of seconds (got {d.ToString(CultureInfo.InvariantCulture)})";
        if (s.SnapLength is < 0 or > LiveCaptureOptions.DefaultSnapLength)
            return $"-s must lie between 1 and {LiveCaptureOptions.DefaultSnapLength} (0 for the default), got {s.SnapLength}";
        if (s.BufferKiB is < 1 or > 1024 * 1024)
            return $"-B must lie between 1 and 1048576 KiB, got {s.BufferKiB}";
        if (s.OutPath is null && (s.Packets || s.PartitionByDate))
            return "--packets and --partition-by need --out";
        return null;
    }

    private int ListInterfaces()
    {
        if (!OperatingSystem.IsLinux())
        {
            _console.Error.WriteLine("pcapforge capture: live capture and its interface list need Linux");
            return ExitCodes.InputError;
        }

        IReadOnlyList<NetworkInterfaceInfo> all;
        try
        {
            all = NetworkInterfaces.List();
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or DllNotFoundException or EntryPointNotFoundException or PlatformNotSupportedException)
        {
            _console.Error.WriteLine($"pcapforge capture: cannot list the interfaces: {e.Message} (live capture needs Linux)");
            return ExitCodes.InputError;
        }

        var inv = CultureInfo.InvariantCulture;
        for (int i = 0; i < all.Count; i++)
        {
            var f = all[i];
            var (linkType, mode) = f.Link;
            string how = f.IsAny
                ? "Pseudo-device that captures on all interfaces, link type LINUX_SLL2"
                : string.Create(inv, $"index {f.Index}, {LinkLayer.HardwareName(f.HardwareType)}, link type {Abstractions.LinkTypes.Name(linkType)}{(mode == FrameMode.Raw ? "" : " (cooked)")}, mtu {f.Mtu}");
            var parts = new List<string> { how };
            if (f.MacAddress is string mac && mac != "00:00:00:00:00:00")
                parts.Add(mac);
            parts.AddRange(f.Addresses);
            _console.Out.WriteLine(string.Create(inv, $"{i + 1}.{f.Name} [{f.FlagText}] {string.Join(", ", parts)}"));
        }

        return ExitCodes.Ok;
    }
}
