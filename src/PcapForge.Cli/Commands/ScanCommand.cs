using System.CommandLine;
using System.Globalization;
using PcapForge.Output;
using PcapForge.Scan;
using PcapForge.Scan.Dataset;
using PcapForge.Scan.Ports;
using PcapForge.Scan.Report;
using PcapForge.Scan.Scanning;
using PcapForge.Scan.Targets;

namespace PcapForge.Cli.Commands;

/// <summary>What <c>pcapforge scan</c> was asked for, once the command line is parsed.</summary>
internal sealed record ScanRequest(
    IReadOnlyList<string> Targets,
    string? Ports,
    bool AllPorts,
    int? TopPorts,
    bool ServiceDetection,
    int TimeoutMs,
    int BannerWaitMs,
    int Concurrency,
    string Rate,
    double MaxTimeSeconds,
    bool OpenOnly,
    bool PreferIpv6,
    string? OutPath,
    bool Force,
    string CommandLine)
{
    /// <summary>The most addresses the targets may expand to (tests lower it).</summary>
    public int MaxAddresses { get; init; } = TargetParser.DefaultMaxAddresses;
}

/// <summary>
/// <c>pcapforge scan TARGET... [-p PORTS | --top-ports N] [-sV] [--out DIR]</c>: a TCP connect scan (nmap -sT -Pn)
/// of the named hosts only, with nmap's states and report, service and version detection by banner and probe through
/// the dissectors' own parsers, and the <c>scan</c> and <c>captures</c> tables of a dataset.
/// </summary>
public sealed class ScanCommand : ICliCommand
{
    private const string Prefix = "pcapforge scan: ";

    private readonly Console _console;

    public ScanCommand(Console console) => _console = console;

    public Command Build()
    {
        var targets = new Argument<string[]>("targets")
        {
            Description = "Hosts to scan: IPv4 or IPv6 addresses, CIDR blocks (127.0.0.0/30, fd00::/124), or host names (the system resolver)",
            Arity = ArgumentArity.OneOrMore,
        };
        targets.Validators.Add(CliValidation.RejectUnknownOptions);
        var ports = new Option<string?>("--ports", "-p") { Description = "Ports as nmap's -p: 22,80,8000-8100, -1023, 60000-, service names (http*); -p- for all" };
        var allPorts = new Option<bool>("-p-") { Description = "Every port, 1-65535 (nmap's -p-)" };
        var top = new Option<int?>("--top-ports") { Description = $"The N ports nmap finds open most often, from nmap's nmap-services when installed (else the TCP ports of /etc/services in port order); default: the top {NmapServices.DefaultTopCount}, as nmap" };
        var versions = new Option<bool>("--service-version", "-sV") { Description = "Service and version detection: banners, SSH and SMTP greetings, HTTP HEAD and GET /" };
        var timeout = new Option<int>("--timeout")
        {
            Description = "Milliseconds a connect() may take before the port counts as filtered; also the wait for a reply to a probe",
            DefaultValueFactory = _ => 1000,
        };
        var bannerWait = new Option<int>("--banner-wait")
        {
            Description = "Milliseconds -sV waits for a server to speak first before it sends the HTTP probe",
            DefaultValueFactory = _ => 2000,
        };
        var concurrency = new Option<int>("--concurrency")
        {
            Description = $"Most connections open at once (1-{ScanOptions.MaxConcurrency})",
            DefaultValueFactory = _ => ScanOptions.DefaultConcurrency,
        };
        var rate = new Option<string>("--rate")
        {
            Description = $"Most connection attempts per second, N or N/s (at most {ScanOptions.MaxRate:0})",
            DefaultValueFactory = _ => ScanOptions.DefaultRate.ToString(CultureInfo.InvariantCulture),
        };
        var maxTime = new Option<double>("--max-time")
        {
            Description = "Seconds after which the scan stops by itself, reporting what it has",
            DefaultValueFactory = _ => 900,
        };
        var open = new Option<bool>("--open") { Description = "Show only open ports (the dataset still gets every port)" };
        var ipv6 = new Option<bool>("-6") { Description = "Scan a host name's IPv6 address (default: its IPv4 address when it has one)" };
        var output = new Option<string?>("--out") { Description = "Also write the dataset DIR/: scan.parquet (one row per port) and captures.parquet (the scan)" };
        var force = new Option<bool>("--force") { Description = "Replace existing output files" };
        var command = new Command("scan", "TCP connect scan of named hosts with nmap's states and report; -sV identifies services with the dissectors' parsers")
        {
            targets, ports, allPorts, top, versions, timeout, bannerWait, concurrency, rate, maxTime, open, ipv6, output, force,
        };
        command.SetAction((result, cancel) => RunAsync(new ScanRequest(
            result.GetValue(targets)!, result.GetValue(ports), result.GetValue(allPorts), result.GetValue(top), result.GetValue(versions),
            result.GetValue(timeout), result.GetValue(bannerWait), result.GetValue(concurrency), result.GetValue(rate)!, result.GetValue(maxTime),
            result.GetValue(open), result.GetValue(ipv6), result.GetValue(output), result.GetValue(force),
            string.Join(' ', result.Tokens.Select(t => t.Value))), cancel));
        return command;
    }

    internal async Task<int> RunAsync(ScanRequest request, CancellationToken cancel)
    {
        ScanOptions options;
        try
        {
            options = Options(request);
        }
        catch (ScanUsageException e)
        {
            _console.Error.WriteLine(Prefix + e.Message);
            return ExitCodes.Usage;
        }

        if (request.OutPath is { } outPath && DatasetLayout.KindOf(outPath, partitionByDate: false) != DatasetLayoutKind.Directory)
        {
            _console.Error.WriteLine($"{Prefix}--out needs a directory (DIR/ gets scan.parquet and captures.parquet); '{outPath}' is a file name, which the dataset layout keeps for flows");
            return ExitCodes.Usage;
        }

        TargetList expanded;
        try
        {
            var parser = new TargetParser { MaxAddresses = request.MaxAddresses, PreferIpv6 = request.PreferIpv6 };
            expanded = await parser.ExpandAsync(request.Targets, cancel).ConfigureAwait(false);
        }
        catch (ScanUsageException e)
        {
            _console.Error.WriteLine(Prefix + e.Message);
            return ExitCodes.Usage;
        }
        catch (OperationCanceledException)
        {
            _console.Error.WriteLine(Prefix + "interrupted; nothing scanned");
            return ExitCodes.Interrupted;
        }

        foreach (string failure in expanded.Unresolved)
            _console.Error.WriteLine(Prefix + failure);
        foreach (string note in expanded.Notes)
            _console.Error.WriteLine(Prefix + note);
        if (expanded.Targets.Count == 0)
        {
            _console.Error.WriteLine(Prefix + "no address to scan");
            return expanded.Unresolved.Count > 0 ? ExitCodes.InputError : ExitCodes.Usage;
        }

        long probes = (long)expanded.Targets.Count * options.Ports.Count;
        if (probes > ConnectScanner.MaxProbes)
        {
            _console.Error.WriteLine($"{Prefix}{expanded.Targets.Count:N0} addresses × {options.Ports.Count:N0} ports are {probes:N0} probes; a scan takes at most {ConnectScanner.MaxProbes:N0} (name fewer addresses or ports)");
            return ExitCodes.Usage;
        }

        DatasetWriter? writer = null;
        if (request.OutPath is not null &&
            (writer = CliDataset.TryCreate(_console, "scan", new DatasetOptions(request.OutPath, request.Force), [ScanTable.Descriptor, HostTables.Captures])) is null)
            return ExitCodes.Usage;

        using (writer)
        {
            var scanner = new ConnectScanner(options);
            ScanRun run;
            var output = _console.Out;
            bool printing = Print(() => ScanReport.WriteStart(output, DateTime.UtcNow));
            try
            {
                run = await scanner.RunAsync(expanded.Targets, cancel).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Dispose without Complete removes the temporary files: nothing appears at the final paths.
                _console.Error.WriteLine(Prefix + "interrupted; no report and no output written");
                return ExitCodes.Interrupted;
            }

            // A closed standard output (scan … | head) ends the report, not the scan's dataset.
            if (printing)
                Print(() => ScanReport.Write(output, run, request.OpenOnly));
            if (writer is not null)
            {
                string host = Environment.MachineName;
                string captureId = ScanTable.CaptureId(host, run.Start, request.Targets);
                var table = writer.Table(ScanTable.Descriptor.Name);
                foreach (var result in run.Results)
                    table.Append(ScanTable.Row(result, captureId));
                writer.Table(HostTables.Captures.Name).Append(ScanTable.Capture(run, captureId, host, request.Targets,
                    options.ServiceDetection ? ScanTable.Parsers() : [], request.CommandLine));
                IReadOnlyList<string> written;
                try
                {
                    written = writer.Complete();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or OutputException)
                {
                    _console.Error.WriteLine($"{Prefix}cannot write the output: {e.Message}");
                    return ExitCodes.InputError;
                }

                _console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Prefix}{run.Results.Count:N0} port rows"));
                CliDataset.PrintFiles(_console, writer, written);
            }
        }

        return expanded.Unresolved.Count > 0 ? ExitCodes.InputError : ExitCodes.Ok;
    }

    /// <summary>The scan options from the command line; bounds are checked here, each with its own message.</summary>
    internal static ScanOptions Options(ScanRequest request)
    {
        int chosen = (request.Ports is null ? 0 : 1) + (request.AllPorts ? 1 : 0) + (request.TopPorts is null ? 0 : 1);
        if (chosen > 1)
            throw new ScanUsageException("give one of -p, -p- and --top-ports");
        IReadOnlyList<int> ports;
        if (request.AllPorts || request.Ports == "-")
        {
            ports = PortSpec.Parse("1-");
        }
        else if (request.Ports is { } spec)
        {
            ports = PortSpec.Parse(spec);
        }
        else
        {
            if (NmapServices.TopCount == 0)
                throw new ScanUsageException($"no port list: neither {NmapServices.NmapServicesPath} (package nmap-common) nor {NmapServices.EtcServicesPath} (package netbase) is readable; name the ports with -p");
            int n = request.TopPorts ?? Math.Min(NmapServices.DefaultTopCount, NmapServices.TopCount);
            if (n < 1 || n > NmapServices.TopCount)
                throw new ScanUsageException($"--top-ports {n}: {NmapServices.Source} ranks {NmapServices.TopCount} TCP ports; give 1-{NmapServices.TopCount}, or the ports with -p");
            ports = NmapServices.Top(n).Order().ToArray();
        }

        if (request.TimeoutMs is < 1 or > 60_000)
            throw new ScanUsageException($"--timeout {request.TimeoutMs}: give 1-60000 milliseconds");
        if (request.BannerWaitMs is < 0 or > 60_000)
            throw new ScanUsageException($"--banner-wait {request.BannerWaitMs}: give 0-60000 milliseconds");
        if (request.Concurrency is < 1 or > ScanOptions.MaxConcurrency)
            throw new ScanUsageException($"--concurrency {request.Concurrency}: give 1-{ScanOptions.MaxConcurrency}");
        string rateText = request.Rate.EndsWith("/s", StringComparison.Ordinal) ? request.Rate[..^2] : request.Rate;
        if (!double.TryParse(rateText, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double rate) || rate <= 0 || rate > ScanOptions.MaxRate)
            throw new ScanUsageException($"--rate {request.Rate}: give connection attempts per second, more than 0 and at most {ScanOptions.MaxRate:0} (e.g. 500 or 500/s)");
        if (!(request.MaxTimeSeconds > 0 && request.MaxTimeSeconds <= 86_400))
            throw new ScanUsageException($"--max-time {request.MaxTimeSeconds.ToString(CultureInfo.InvariantCulture)}: give more than 0 and at most 86400 seconds");
        return new ScanOptions
        {
            Ports = ports,
            ServiceDetection = request.ServiceDetection,
            Timeout = TimeSpan.FromMilliseconds(request.TimeoutMs),
            BannerWait = TimeSpan.FromMilliseconds(request.BannerWaitMs),
            Concurrency = request.Concurrency,
            Rate = rate,
            MaxTime = TimeSpan.FromSeconds(request.MaxTimeSeconds),
        };
    }

    /// <summary>Writes to standard output; false when it is closed.</summary>
    private bool Print(Action write)
    {
        try
        {
            write();
            _console.Out.Flush();
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
