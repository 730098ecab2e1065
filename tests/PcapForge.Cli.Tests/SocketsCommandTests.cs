using System.Globalization;
using System.Net;
using System.Net.Sockets;
using PcapForge.Cli.Commands;
using PcapForge.Frontends.Sockets;
using PcapForge.Output;
using PcapForge.TestSupport;

namespace PcapForge.Cli.Tests;

/// <summary>
/// <c>pcapforge sockets</c> through the command line, over sockets this test process opens on loopback: the netstat
/// table for each flag, the dataset read back with <c>pcapforge query</c> and joined to a flow, <c>-c</c>, errors.
/// </summary>
public sealed class SocketsCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pcapforge-sockets-").FullName;
    private readonly Socket _listener, _client, _accepted, _udp;

    public SocketsCommandTests()
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(4);
        _client = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = true };
        _client.Connect(new IPEndPoint(IPAddress.Loopback, ListenerPort));
        _accepted = _listener.Accept();
        _udp = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
        _udp.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
    }

    public void Dispose()
    {
        foreach (var socket in new[] { _accepted, _client, _listener, _udp })
            socket.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private int ListenerPort => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    private int ClientPort => ((IPEndPoint)_client.LocalEndPoint!).Port;

    private int UdpPort => ((IPEndPoint)_udp.LocalEndPoint!).Port;

    private static string Pad(string text, int width) => text.PadRight(width);

    /// <summary>The lines netstat would print for the test's sockets, built column by column from netstat's format.</summary>
    private string ListenerLine => $"tcp        0      0 {Pad($"127.0.0.1:{ListenerPort}", 23)} 0.0.0.0:*               LISTEN     ";

    private string ClientLine => $"tcp6       0      0 {Pad($"127.0.0.1:{ClientPort}", 23)} {Pad($"127.0.0.1:{ListenerPort}", 23)} ESTABLISHED";

    private string AcceptedLine => $"tcp        0      0 {Pad($"127.0.0.1:{ListenerPort}", 23)} {Pad($"127.0.0.1:{ClientPort}", 23)} ESTABLISHED";

    private string UdpLine => $"udp6       0      0 {Pad($"::1:{UdpPort}", 23)} {Pad(":::*", 23)} {Pad("", 11)}";

    private static string[] Lines(string output) => output.Replace("\r\n", "\n").Split('\n');

    [LinuxToolsFact]
    public void FlagsSelectAsNetstatsDo()
    {
        var (exit, output, error) = CliRunner.Run("sockets", "-tuan");
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Equal("", error);
        var lines = Lines(output);
        Assert.Equal("Active Internet connections (servers and established)", lines[0]);
        Assert.Equal("Proto Recv-Q Send-Q Local Address           Foreign Address         State      ", lines[1]);
        Assert.Contains(ListenerLine, lines);
        Assert.Contains(ClientLine, lines);
        Assert.Contains(AcceptedLine, lines);
        Assert.Contains(UdpLine, lines);

        // Without -a or -l: no servers (netstat's default).
        (exit, output, _) = CliRunner.Run("sockets", "-tun");
        lines = Lines(output);
        Assert.Equal("Active Internet connections (w/o servers)", lines[0]);
        Assert.DoesNotContain(ListenerLine, lines);
        Assert.Contains(ClientLine, lines);
        Assert.DoesNotContain(UdpLine, lines);

        (exit, output, _) = CliRunner.Run("sockets", "--listening", "--numeric", "--udp", "--tcp");
        lines = Lines(output);
        Assert.Equal("Active Internet connections (only servers)", lines[0]);
        Assert.Contains(ListenerLine, lines);
        Assert.Contains(UdpLine, lines);
        Assert.DoesNotContain(ClientLine, lines);

        // -t alone: no UDP; -6 alone: only tcp6 and udp6.
        (_, output, _) = CliRunner.Run("sockets", "-tan");
        Assert.DoesNotContain(UdpLine, Lines(output));
        (_, output, _) = CliRunner.Run("sockets", "-an6");
        lines = Lines(output);
        Assert.Contains(UdpLine, lines);
        Assert.Contains(ClientLine, lines);
        Assert.DoesNotContain(ListenerLine, lines);
    }

    [LinuxToolsFact]
    public void ProgramsNameThisProcess()
    {
        var (exit, output, _) = CliRunner.Run("sockets", "-tupan");
        Assert.Equal(ExitCodes.Ok, exit);
        var lines = Lines(output);
        Assert.Equal("Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name    ", lines[1]);
        string pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "/";
        foreach (string expected in new[] { ListenerLine, ClientLine, AcceptedLine, UdpLine })
        {
            string? line = lines.FirstOrDefault(l => l.StartsWith(expected + " ", StringComparison.Ordinal));
            Assert.True(line is not null, $"no line starting with '{expected}'");
            Assert.StartsWith(pid, line[(expected.Length + 1)..]);
            Assert.Equal(expected.Length + 21, line.Length);
        }
    }

    [LinuxToolsFact]
    public void TheDatasetReadsBackWithQueryAndJoinsAFlowToItsProcess()
    {
        string ds = Path.Combine(_dir, "snap");
        var (exit, output, error) = CliRunner.Run("sockets", "-tuan", "--out", ds + "/");
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Contains(ListenerLine, Lines(output));
        Assert.Contains("1 snapshot(s)", error);
        Assert.True(File.Exists(Path.Combine(ds, "sockets.parquet")));
        Assert.True(File.Exists(Path.Combine(ds, "captures.parquet")));

        string sql = $"SELECT local_role, proto, ip_version, netstat_proto, orig_h, orig_p, resp_h, resp_p, state, pid FROM sockets WHERE local_p IN ({ListenerPort}, {ClientPort}, {UdpPort}) ORDER BY local_role, netstat_proto";
        (exit, output, error) = CliRunner.Run("query", ds, sql, "--format", "csv");
        Assert.True(exit == ExitCodes.Ok, error);
        int pid = Environment.ProcessId;
        string[] expected =
        [
            "local_role,proto,ip_version,netstat_proto,orig_h,orig_p,resp_h,resp_p,state,pid",
            $"listener,tcp,4,tcp,,,127.0.0.1,{ListenerPort},LISTEN,{pid}",
            $"listener,udp,6,udp6,,,::1,{UdpPort},,{pid}",
            $"originator,tcp,4,tcp6,127.0.0.1,{ClientPort},127.0.0.1,{ListenerPort},ESTABLISHED,{pid}",
            $"responder,tcp,4,tcp,127.0.0.1,{ClientPort},127.0.0.1,{ListenerPort},ESTABLISHED,{pid}",
        ];
        Assert.Equal(expected, output.Replace("\r\n", "\n").TrimEnd('\n').Split('\n'));

        (exit, output, error) = CliRunner.Run("query", ds,
            "SELECT c.source, c.host, c.first_ts = s.ts AS same_ts, count(*) > 0 AS rows FROM captures c JOIN sockets s USING (capture_id) GROUP BY ALL", "--format", "csv");
        Assert.True(exit == ExitCodes.Ok, error);
        Assert.Equal($"source,host,same_ts,rows\nsockets,{Environment.MachineName},true,true", output.Replace("\r\n", "\n").TrimEnd('\n'));

        // A flow of this connection, as analyze would write it, joins both of its sockets by the flow's endpoints.
        string flows = Path.Combine(_dir, "flows.parquet");
        using (var writer = DatasetWriter.Create(new DatasetOptions(flows), [HostTables.Flows]))
        {
            var row = new object?[HostTables.Flows.Columns.Count];
            row[HostTables.Flows.IndexOf("flow_uid")] = "Cflow";
            row[HostTables.Flows.IndexOf("orig_h")] = "127.0.0.1";
            row[HostTables.Flows.IndexOf("orig_p")] = ClientPort;
            row[HostTables.Flows.IndexOf("resp_h")] = "127.0.0.1";
            row[HostTables.Flows.IndexOf("resp_p")] = ListenerPort;
            row[HostTables.Flows.IndexOf("proto")] = "tcp";
            writer.Table("flows").Append(row);
            writer.Complete();
        }

        (exit, output, error) = CliRunner.Run("query", flows, ds,
            "SELECT f.flow_uid, s.local_role, s.pid FROM flows f JOIN sockets s USING (proto, orig_h, orig_p, resp_h, resp_p) ORDER BY s.local_role", "--format", "csv");
        Assert.True(exit == ExitCodes.Ok, error);
        Assert.Equal($"flow_uid,local_role,pid\nCflow,originator,{pid}\nCflow,responder,{pid}", output.Replace("\r\n", "\n").TrimEnd('\n'));
    }

    [LinuxToolsFact]
    public void ContinuousRepeatsStampedSnapshotsUntilCancelledAndCompletesTheDataset()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var command = new SocketsCommand(new Console(output, error));
        string ds = Path.Combine(_dir, "continuous");
        var request = new SocketsRequest(new NetstatOptions { Tcp = true, All = true, NumericHosts = true, NumericPorts = true }, Continuous: true, ds, Force: false, Quiet: false, "sockets -tanc")
        {
            Interval = TimeSpan.FromMilliseconds(200),
        };
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(2));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        int exit = command.Run(request, cancel.Token);
        clock.Stop();

        Assert.Equal(ExitCodes.Ok, exit);
        var lines = Lines(output.ToString());
        var stamps = lines.Where(l => l.StartsWith("Snapshot at ", StringComparison.Ordinal)).ToList();
        // One snapshot at the start and one per interval after it, for as long as the command ran: on a loaded
        // machine the cancellation timer fires late (13 snapshots were seen once for the 2 s asked), so the bound is
        // the time it really ran, not the 2 s.
        Assert.InRange(stamps.Count, 2, (int)(clock.Elapsed / request.Interval) + 1);
        for (int i = 0; i < lines.Length - 1; i++)
        {
            if (lines[i].StartsWith("Snapshot at ", StringComparison.Ordinal))
                Assert.Equal("Active Internet connections (servers and established)", lines[i + 1]);
        }

        Assert.Equal(stamps.Count, lines.Count(l => l == ListenerLine));
        var (qexit, csv, qerror) = CliRunner.Run("query", ds,
            $"SELECT count(DISTINCT c.capture_id) AS snapshots, count(DISTINCT c.first_ts) AS times, count(s.ts) AS listener_rows FROM captures c LEFT JOIN sockets s ON s.capture_id = c.capture_id AND s.local_p = {ListenerPort} AND s.state = 'LISTEN'",
            "--format", "csv");
        Assert.True(qexit == ExitCodes.Ok, qerror);
        Assert.Equal($"snapshots,times,listener_rows\n{stamps.Count},{stamps.Count},{stamps.Count}", csv.Replace("\r\n", "\n").TrimEnd('\n'));

        // The stamps are the snapshots' times as the dataset has them, at least an interval apart.
        (qexit, csv, _) = CliRunner.Run("query", ds, "SELECT first_ts FROM captures ORDER BY first_ts", "--format", "csv");
        Assert.Equal(stamps.Select(s => s["Snapshot at ".Length..]), Lines(csv).Skip(1).Where(l => l.Length > 0));
        var times = stamps.Select(s => DateTime.Parse(s["Snapshot at ".Length..], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal)).ToList();
        Assert.All(times.Zip(times.Skip(1)), pair => Assert.True(pair.Second - pair.First >= TimeSpan.FromMilliseconds(150), $"{pair.First:O} -> {pair.Second:O}"));
    }

    [Fact]
    public void ErrorsAreOneLineWithTheirExitCode()
    {
        var (exit, _, error) = CliRunner.Run("sockets", "--out", Path.Combine(_dir, "x.parquet"));
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.StartsWith("pcapforge sockets: --out needs a directory", error);
        Assert.False(File.Exists(Path.Combine(_dir, "x.sockets.parquet")));

        (exit, _, _) = CliRunner.Run("sockets", "-x");
        Assert.Equal(ExitCodes.Usage, exit);

        string ds = Path.Combine(_dir, "twice");
        Directory.CreateDirectory(ds);
        File.WriteAllText(Path.Combine(ds, "sockets.parquet"), "");
        (exit, _, error) = CliRunner.Run("sockets", "-q", "--out", ds);
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("exists (use --force to replace it)", error);

        // A machine without /proc/net (not Linux, or /proc not mounted).
        var output = new StringWriter();
        var errors = new StringWriter();
        var request = new SocketsRequest(new NetstatOptions(), false, null, false, false, "sockets") { ProcRoot = _dir };
        exit = new SocketsCommand(new Console(output, errors)).Run(request, CancellationToken.None);
        Assert.Equal(ExitCodes.InputError, exit);
        Assert.StartsWith($"pcapforge sockets: cannot read {Path.Combine(_dir, "net", "tcp")}", errors.ToString());
        Assert.DoesNotContain("   at ", errors.ToString());
        Assert.Equal("", output.ToString());
    }

    [Fact]
    public void SchemaListsTheSocketsTable()
    {
        var (exit, output, _) = CliRunner.Run("schema", "sockets");
        Assert.Equal(ExitCodes.Ok, exit);
        foreach (var column in HostTables.Sockets.Columns)
            Assert.Contains(column.Name, output);
    }

    /// <summary>Runs the CLI as the user nobody, which needs root to switch to and nobody's read access to the build.</summary>
    private sealed class AsNobodyFactAttribute : FactAttribute
    {
        public AsNobodyFactAttribute()
        {
            if (!TestSystem.IsLinux || !TestSystem.IsRoot || TestSystem.Which("setpriv") is null)
                Skip = "needs root and setpriv to run the CLI as another user; skipped";
            else if (TestSystem.Run("setpriv", [.. Nobody, "test", "-r", Path.Combine(AppContext.BaseDirectory, "pcapforge.dll")]).Exit != 0)
                Skip = "the user nobody cannot read the build folder; skipped";
        }
    }

    private static readonly string[] Nobody = ["--reuid=65534", "--regid=65534", "--clear-groups"];

    [AsNobodyFact]
    public void WithoutRootOtherUsersProcessesAreNotShownAndNetstatsNoteSaysSo()
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "pcapforge.dll");
        var (exit, output, error) = TestSystem.Run("setpriv", [.. Nobody, "env", "HOME=/tmp", "DOTNET_CLI_TELEMETRY_OPTOUT=1", "dotnet", dll, "sockets", "-tanp"]);

        Assert.True(exit == 0, error);
        Assert.Contains("(Not all processes could be identified, non-owned process info\n will not be shown, you would have to be root to see it all.)", error);

        // This test process runs as root: its listener is listed, without a process.
        var line = Lines(output).FirstOrDefault(l => l.StartsWith(ListenerLine + " ", StringComparison.Ordinal));
        Assert.True(line is not null, output);
        Assert.Equal(ListenerLine + " " + "-".PadRight(20), line);
    }
}
