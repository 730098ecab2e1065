using System.CommandLine;
using System.Globalization;
using System.Text;
using Microsoft.Win32.SafeHandles;
using PcapForge.Frontends.Sockets;
using PcapForge.Output;

namespace PcapForge.Cli.Commands;

/// <summary>What <c>pcapforge sockets</c> was asked for.</summary>
internal sealed record SocketsRequest(NetstatOptions Netstat, bool Continuous, string? OutPath, bool Force, bool Quiet, string CommandLine)
{
    /// <summary>Where the socket tables and processes are read (tests point it at a made-up tree).</summary>
    public string ProcRoot { get; init; } = ProcNetSockets.DefaultProcRoot;

    /// <summary>Time between snapshots with -c: one second, as netstat -c.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// <c>pcapforge sockets [-tulanpeW46c] [--out DIR]</c>: the machine's TCP and UDP sockets with netstat's flags and
/// table, from <c>/proc/net</c> and <c>/proc/PID/fd</c>; with <c>--out</c> also the <c>sockets</c> and <c>captures</c>
/// tables of a dataset, which joins <c>flows</c> on the endpoints.
/// </summary>
public sealed class SocketsCommand : ICliCommand
{
    private const string Prefix = "pcapforge sockets: ";

    private readonly Console _console;

    public SocketsCommand(Console console)
    {
        _console = console;
    }

    public Command Build()
    {
        // netstat's letters and long names (netstat(8)); single letters bundle, so -tupan works as in netstat.
        var tcp = new Option<bool>("--tcp", "-t") { Description = "TCP sockets (without -t and -u: TCP and UDP)" };
        var udp = new Option<bool>("--udp", "-u") { Description = "UDP sockets" };
        var listening = new Option<bool>("--listening", "-l") { Description = "Only listening (server) sockets" };
        var all = new Option<bool>("--all", "-a") { Description = "Listening and non-listening sockets (default: non-listening only)" };
        var numeric = new Option<bool>("--numeric", "-n") { Description = "Addresses, ports and users as numbers" };
        var numericHosts = new Option<bool>("--numeric-hosts") { Description = "Addresses as numbers" };
        var numericPorts = new Option<bool>("--numeric-ports") { Description = "Ports as numbers" };
        var numericUsers = new Option<bool>("--numeric-users") { Description = "User ids as numbers (with -e)" };
        var programs = new Option<bool>("--programs", "-p") { Description = "The PID/Program name holding each socket (other users' processes need root)" };
        var extend = new Option<bool>("--extend", "-e") { Description = "The User and Inode columns" };
        var wide = new Option<bool>("--wide", "-W") { Description = "Do not cut long addresses" };
        var inet = new Option<bool>("--inet", "-4") { Description = "IPv4 sockets only (tcp, udp)" };
        var inet6 = new Option<bool>("--inet6", "-6") { Description = "IPv6 sockets only (tcp6, udp6)" };
        var continuous = new Option<bool>("--continuous", "-c") { Description = "Repeat every second until Ctrl-C or SIGTERM, each snapshot stamped" };
        var output = new Option<string?>("--out")
        {
            Description = "Also write the dataset DIR/: sockets.parquet (the listed sockets, with pid and program) and captures.parquet (one row per snapshot)",
        };
        var force = new Option<bool>("--force") { Description = "Replace existing output files" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No table on standard output and no summary (with --out)" };
        var command = new Command("sockets", "List the machine's TCP and UDP sockets like netstat -tupan, optionally into the dataset")
        {
            tcp, udp, listening, all, numeric, numericHosts, numericPorts, numericUsers, programs, extend, wide, inet, inet6, continuous, output, force, quiet,
        };
        command.SetAction((result, cancel) =>
        {
            bool n = result.GetValue(numeric);
            var netstat = new NetstatOptions
            {
                Tcp = result.GetValue(tcp),
                Udp = result.GetValue(udp),
                Listening = result.GetValue(listening),
                All = result.GetValue(all),
                NumericHosts = n || result.GetValue(numericHosts),
                NumericPorts = n || result.GetValue(numericPorts),
                NumericUsers = n || result.GetValue(numericUsers),
                Programs = result.GetValue(programs),
                Extend = result.GetValue(extend),
                Wide = result.GetValue(wide),
                Inet = result.GetValue(inet),
                Inet6 = result.GetValue(inet6),
            };
            var request = new SocketsRequest(netstat, result.GetValue(continuous), result.GetValue(output), result.GetValue(force), result.GetValue(quiet),
                string.Join(' ', result.Tokens.Select(t => t.Value)));
            return Task.FromResult(Run(request, cancel));
        });
        return command;
    }

    internal int Run(SocketsRequest request, CancellationToken cancel)
    {
        var options = request.Netstat;
        if (request.OutPath is { } outPath && DatasetLayout.KindOf(outPath, partitionByDate: false) != DatasetLayoutKind.Directory)
        {
            _console.Error.WriteLine($"{Prefix}--out needs a directory (DIR/ gets sockets.parquet and captures.parquet); '{outPath}' is a file name, which the dataset layout keeps for flows");
            return ExitCodes.Usage;
        }

        DatasetWriter? writer = null;
        if (request.OutPath is not null &&
            (writer = CliDataset.TryCreate(_console, "sockets", new DatasetOptions(request.OutPath, request.Force), [HostTables.Sockets, HostTables.Captures])) is null)
            return ExitCodes.Usage;

        using (writer)
        {
            // Names come from /etc/hosts, /etc/services and /etc/passwd only: never a DNS query (see LocalNames).
            bool needsNames = !(options.NumericHosts && options.NumericPorts) || (options.Extend && !options.NumericUsers) || writer is not null;
            var names = needsNames ? LocalNames.Load() : LocalNames.None;
            string host = Environment.MachineName;
            long runStart = UnixNowNs();
            var tables = options.Tables().ToList();
            bool owners = options.Programs || writer is not null;
            bool print = !request.Quiet;
            int snapshots = 0;
            long rows = 0;
            var next = DateTime.UtcNow;
            while (true)
            {
                SocketSnapshot snapshot;
                try
                {
                    snapshot = SocketSnapshot.Take(tables, owners, request.ProcRoot);
                }
                catch (ProcNetUnavailableException e)
                {
                    _console.Error.WriteLine(Prefix + e.Message);
                    return ExitCodes.InputError;
                }

                snapshots++;
                foreach (string problem in snapshot.Problems)
                    _console.Error.WriteLine($"{Prefix}warning: {problem}");
                if (print && !Print(snapshot, options, request.Continuous, names))
                    print = false;

                if (writer is not null)
                {
                    string captureId = SocketRows.CaptureId(host, snapshot.Timestamp);
                    var sockets = writer.Table(HostTables.Sockets.Name);
                    foreach (var entry in snapshot.Sockets)
                    {
                        if (!options.Selects(entry))
                            continue;
                        sockets.Append(SocketRows.Socket(snapshot, entry, captureId, names));
                        rows++;
                    }

                    writer.Table(HostTables.Captures.Name).Append(
                        SocketRows.Capture(snapshot, captureId, host, request.ProcRoot, request.CommandLine, runStart, UnixNowNs()));
                }

                // netstat -c stops only when killed; here Ctrl-C and SIGTERM end the loop and the dataset is completed.
                // A closed standard output (sockets -c | head) ends it too, unless a dataset is being written.
                if (!request.Continuous || cancel.IsCancellationRequested || (!print && !request.Quiet && writer is null))
                    break;
                // Snapshots start on a fixed one-second cadence; a tick missed by a slow snapshot is skipped, not
                // caught up, so two snapshots are never taken back to back.
                var now = DateTime.UtcNow;
                do
                    next += request.Interval;
                while (next <= now);

                if (cancel.WaitHandle.WaitOne(next - now))
                    break;
            }

            if (writer is null)
                return ExitCodes.Ok;
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

            if (!request.Quiet)
            {
                _console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Prefix}{snapshots} snapshot(s), {rows:N0} socket rows"));
                CliDataset.PrintFiles(_console, writer, written);
            }

            return ExitCodes.Ok;
        }
    }

    /// <summary>Prints one snapshot as netstat does; false when standard output is closed.</summary>
    private bool Print(SocketSnapshot snapshot, NetstatOptions options, bool continuous, LocalNames names)
    {
        // netstat prints its note while it loads the process table, before the title (prg_cache_load).
        if (options.Programs && snapshot.Owners?.Note is { } note)
            _console.Error.WriteLine(note);
        var text = new StringBuilder();
        if (continuous)
            text.Append("Snapshot at ").Append(FormatTimestamp(snapshot.Timestamp)).Append('\n');
        text.Append(NetstatTable.Title(options)).Append('\n');
        text.Append(NetstatTable.Header(options)).Append('\n');
        foreach (var entry in snapshot.Sockets)
        {
            if (options.Selects(entry))
                text.Append(NetstatTable.Line(entry, snapshot.OwnerOf(entry), options, names)).Append('\n');
        }

        try
        {
            if (continuous && ReferenceEquals(_console.Out, System.Console.Out))
            {
                // .NET's console stream drops EPIPE silently, so "sockets -c | head" would run forever: write the
                // snapshot to file descriptor 1 directly, where a closed pipe is an IOException (the runtime ignores
                // SIGPIPE), and stop as netstat stops when SIGPIPE kills it.
                _standardOutput ??= new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);
                _standardOutput.Write(Encoding.UTF8.GetBytes(text.ToString()));
            }
            else
            {
                _console.Out.Write(text.ToString());
                _console.Out.Flush();
            }

            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private FileStream? _standardOutput;

    /// <summary>ISO 8601 UTC with nine fractional digits, as the query output writes timestamps.</summary>
    internal static string FormatTimestamp(long nanoseconds)
    {
        var time = DateTime.UnixEpoch.AddTicks(nanoseconds / 100);
        return time.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture)
            + "." + (nanoseconds % 1_000_000_000).ToString("D9", CultureInfo.InvariantCulture) + "Z";
    }

    private static long UnixNowNs() => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
}
