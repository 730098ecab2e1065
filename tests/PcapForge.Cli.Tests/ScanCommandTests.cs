using PcapForge.Scan.Dataset;

namespace PcapForge.Cli.Tests;

/// <summary>
/// <c>pcapforge scan</c> through the command line, against servers the test runs on the loopback address only: the
/// report, the dataset read back with <c>pcapforge query</c>, usage errors, and the plugins that -sV shares.
/// </summary>
public sealed class ScanCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"pcapforge-scan-{Guid.NewGuid():N}");

    public ScanCommandTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void AssertNoStackTrace(string error)
    {
        Assert.DoesNotContain("   at ", error);
        Assert.DoesNotContain("Exception", error);
        Assert.DoesNotContain("internal error", error);
    }

    private static string Tsv(params string[] args)
    {
        var (exit, output, error) = CliRunner.Run(["query", .. args, "--format", "tsv"]);
        Assert.True(exit == ExitCodes.Ok, error);
        return output.Replace("\r\n", "\n");
    }

    [Fact]
    public void TheReportAndTheDatasetAgree()
    {
        using var ssh = new LoopbackServer(LoopbackServer.Banner("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"));
        int closed = LoopbackServer.ClosedPort();
        string dataset = Path.Combine(_dir, "scan");
        var (exit, output, error) = CliRunner.Run("scan", "-sV", "-p", $"{ssh.Port},{closed}", "127.0.0.1", "--banner-wait", "500", "--out", dataset);

        Assert.True(exit == ExitCodes.Ok, error);
        var lines = output.Replace("\r\n", "\n").Split('\n');
        Assert.StartsWith("Starting PcapForge ", lines[0]);
        Assert.Equal("PcapForge scan report for 127.0.0.1", lines[1]);
        Assert.Matches(@"^Host is up \([0-9.]+s latency\)\.$", lines[2]);
        Assert.Equal("", lines[3]);
        string portColumn = new string(' ', Math.Max($"{ssh.Port}/tcp".Length, $"{closed}/tcp".Length) - "PORT".Length);
        Assert.Equal($"PORT {portColumn}STATE  SERVICE VERSION", lines[4]);
        var rows = lines[5..7].OrderBy(l => l, StringComparer.Ordinal).ToArray();
        Assert.Contains(rows, l => l.StartsWith($"{ssh.Port}/tcp", StringComparison.Ordinal) && l.EndsWith(" open   ssh     OpenSSH 9.2p1 Debian 2+deb12u3 (protocol 2.0)", StringComparison.Ordinal));
        Assert.Contains(rows, l => l.StartsWith($"{closed}/tcp", StringComparison.Ordinal) && l.Contains(" closed ", StringComparison.Ordinal));
        Assert.Equal("Service Info: OS: Linux", lines[7]);
        Assert.Matches(@"^PcapForge done: 1 IP address \(1 host up\) scanned in [0-9.]+ seconds$", lines[9]);
        Assert.Contains("1 IP address", lines[9]);
        Assert.Contains(Path.Combine(dataset, "scan.parquet"), error);
        Assert.Contains(Path.Combine(dataset, "captures.parquet"), error);

        var (first, second) = ssh.Port < closed ? (ssh.Port, closed) : (closed, ssh.Port);
        string Row(int port) => port == ssh.Port
            ? $"127.0.0.1\t{port}\ttcp\topen\tsyn-ack\tssh\tprobed\tOpenSSH\t9.2p1\tDebian 2+deb12u3\tprotocol 2.0\tLinux\tSSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\t2.0"
            : $"127.0.0.1\t{port}\ttcp\tclosed\tconn-refused\t{PcapForge.Scan.Ports.NmapServices.NameOf(port)}\ttable\t\t\t\t\t\t\t";
        Assert.Equal(
            "host\tport\tproto\tstate\treason\tservice\tservice_method\tproduct\tversion\tversion_detail\textra_info\tos_type\tbanner\tssh_proto_version\n"
            + Row(first) + "\n" + Row(second) + "\n",
            Tsv(dataset, "SELECT host, port, proto, state, reason, service, service_method, product, version, version_detail, extra_info, os_type, banner, ssh_proto_version FROM scan ORDER BY port"));
        Assert.Equal("n\twith_time\twith_rtt\tids\n2\t2\t1\t1\n",
            Tsv(dataset, "SELECT count(*) AS n, count(connect_time) AS with_time, count(rtt) AS with_rtt, count(DISTINCT capture_id) AS ids FROM scan"));
        Assert.Equal($"scan\t{Environment.MachineName}\t127.0.0.1\t3\ttrue\ttrue\n",
            Tsv(dataset, "SELECT source, host, path, len(plugins), c.capture_id = (SELECT any_value(capture_id) FROM scan), run_start <= first_ts AND last_ts <= run_end FROM captures c")
                .Split('\n', 2)[1]);
    }

    [Fact]
    public void OpenOnlyHidesTheRestButTheDatasetKeepsIt()
    {
        using var server = new LoopbackServer(LoopbackServer.Silent());
        int closed = LoopbackServer.ClosedPort();
        string dataset = Path.Combine(_dir, "open");
        var (exit, output, error) = CliRunner.Run("scan", "--open", "-p", $"{server.Port},{closed}", "127.0.0.1", "--out", dataset);
        Assert.True(exit == ExitCodes.Ok, error);
        Assert.Contains("Not shown: 1 closed tcp port (conn-refused)", output);
        Assert.Contains($"{server.Port}/tcp open", output);
        Assert.DoesNotContain($"{closed}/tcp", output);
        Assert.Equal("state\tn\nclosed\t1\nopen\t1\n",
            Tsv(dataset, "SELECT state, count(*) AS n FROM scan GROUP BY state ORDER BY state"));
    }

    [Fact]
    public void AnIpv4BlockIsScannedWithoutItsNetworkAndBroadcastAddresses()
    {
        using var server = new LoopbackServer(LoopbackServer.Silent());
        var (exit, output, error) = CliRunner.Run("scan", "-p", $"{server.Port}", "127.0.0.0/30");
        Assert.True(exit == ExitCodes.Ok, error);
        Assert.Contains("pcapforge scan: 127.0.0.0/30: not scanned: 127.0.0.0 (network address), 127.0.0.3 (broadcast address)", error);
        Assert.Contains("PcapForge scan report for 127.0.0.1\n", output.Replace("\r\n", "\n"));
        Assert.Contains("PcapForge scan report for 127.0.0.2\n", output.Replace("\r\n", "\n"));
        Assert.DoesNotContain("127.0.0.0\n", output);
        Assert.DoesNotContain("127.0.0.3", output);
        Assert.Contains("PcapForge done: 2 IP addresses (2 hosts up)", output);
        // The server listens on 127.0.0.1 only, so 127.0.0.2 refuses.
        Assert.Equal(1, server.Accepted);
    }

    [Theory]
    [InlineData(new[] { "-p", "22", "224.0.0.1" }, "'224.0.0.1' is a multicast address; a scan contacts single hosts only")]
    [InlineData(new[] { "-p", "22", "ff02::1" }, "'ff02::1' is a multicast address; a scan contacts single hosts only")]
    [InlineData(new[] { "-p", "22", "255.255.255.255" }, "'255.255.255.255' is the limited broadcast address; a scan contacts single hosts only")]
    [InlineData(new[] { "-p", "22", "127.0.0.0/16" }, "'127.0.0.0/16' has 65,536 addresses; a scan takes at most 4,096 in all (use a longer prefix)")]
    [InlineData(new[] { "-p", "0", "127.0.0.1" }, "'0': port 0 cannot be reached with connect(); ports are 1-65535")]
    [InlineData(new[] { "-p", "U:53", "127.0.0.1" }, "'U:53': a connect scan is TCP only; 'U:' ports cannot be scanned (use T: or no prefix)")]
    [InlineData(new[] { "-p", "22", "--top-ports", "10", "127.0.0.1" }, "give one of -p, -p- and --top-ports")]
    [InlineData(new[] { "-p", "22", "--concurrency", "0", "127.0.0.1" }, "--concurrency 0: give 1-1000")]
    [InlineData(new[] { "-p", "22", "--rate", "fast", "127.0.0.1" }, "--rate fast: give connection attempts per second, more than 0 and at most 100000 (e.g. 500 or 500/s)")]
    [InlineData(new[] { "-p", "22", "--timeout", "0", "127.0.0.1" }, "--timeout 0: give 1-60000 milliseconds")]
    [InlineData(new[] { "-p", "22", "--max-time", "0", "127.0.0.1" }, "--max-time 0: give more than 0 and at most 86400 seconds")]
    [InlineData(new[] { "-p", "22", "10.0.0-3.1" }, "'10.0.0-3.1': nmap's octet ranges are not supported; name the addresses, or a CIDR block such as 10.0.0.0/30")]
    [InlineData(new[] { "-p", "22", "127.0.0.1", "--out", "x.parquet" }, "--out needs a directory (DIR/ gets scan.parquet and captures.parquet); 'x.parquet' is a file name, which the dataset layout keeps for flows")]
    public void UsageErrorsExit1WithOneLineAndScanNothing(string[] args, string message)
    {
        var (exit, output, error) = CliRunner.Run(["scan", .. args]);
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Equal("", output);
        Assert.Equal($"pcapforge scan: {message}\n", error.Replace("\r\n", "\n"));
        AssertNoStackTrace(error);
    }

    [Fact]
    public void MoreTopPortsThanTheTableRanksIsAUsageError()
    {
        int n = Scan.Ports.NmapServices.TopCount + 1;
        var (exit, output, error) = CliRunner.Run(["scan", "--top-ports", n.ToString(System.Globalization.CultureInfo.InvariantCulture), "127.0.0.1"]);
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Equal("", output);
        Assert.Equal($"pcapforge scan: --top-ports {n}: {Scan.Ports.NmapServices.Source} ranks {n - 1} TCP ports; give 1-{n - 1}, or the ports with -p\n", error.Replace("\r\n", "\n"));
    }

    [Fact]
    public void AnExistingDatasetIsKeptUnlessForced()
    {
        using var server = new LoopbackServer(LoopbackServer.Silent());
        string dataset = Path.Combine(_dir, "again");
        Assert.Equal(ExitCodes.Ok, CliRunner.Run("scan", "-p", $"{server.Port}", "127.0.0.1", "--out", dataset).Exit);
        var (exit, output, error) = CliRunner.Run("scan", "-p", $"{server.Port}", "127.0.0.1", "--out", dataset);
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Equal("", output);
        Assert.Contains("scan.parquet", error);
        Assert.Equal(1, server.Accepted);
        Assert.Equal(ExitCodes.Ok, CliRunner.Run("scan", "-p", $"{server.Port}", "127.0.0.1", "--out", dataset, "--force").Exit);
    }

    [Fact]
    public void NmapsShortFormsParse()
    {
        using var server = new LoopbackServer(LoopbackServer.Silent());
        var (exit, output, error) = CliRunner.Run("scan", $"-p{server.Port}", "127.0.0.1");
        Assert.True(exit == ExitCodes.Ok, error);
        Assert.Contains($"{server.Port}/tcp open", output);

        // -p- is every port; with a deadline of a fraction of a second the scan stops by itself and says so.
        (exit, output, error) = CliRunner.Run("scan", "-p-", "127.0.0.1", "--max-time", "0.3", "--rate", "200");
        Assert.True(exit == ExitCodes.Ok, error);
        Assert.Matches(@"Stopped at the --max-time deadline \(0\.3 s\): [0-9,]+ of 65,535 probes were not run\.", output);
    }

    [Fact]
    public void TheSchemaListsTheScanTable()
    {
        var (exit, output, _) = CliRunner.Run("schema", "scan");
        Assert.Equal(ExitCodes.Ok, exit);
        foreach (var column in ScanTable.Descriptor.Columns)
            Assert.Contains(column.Name, output);
    }

    /// <summary>
    /// The SSH, SMTP and HTTP plugins are both referenced by the scanner (so their DLLs sit beside pcapforge) and loaded
    /// from plugins/ in load contexts of their own. The CLI's build output lists each once and decodes with them.
    /// </summary>
    [Fact]
    public void TheCliBuildOutputListsEachPluginOnceAndStillDecodesWithIt()
    {
        Assert.True(File.Exists(CliBuild.Executable), $"{CliBuild.Executable} is not built");
        foreach (string plugin in new[] { "Ssh", "Smtp", "Http" })
        {
            Assert.True(File.Exists(Path.Combine(CliBuild.Directory, $"PcapForge.Dissectors.{plugin}.dll")), $"the scanner's copy of {plugin}");
            Assert.True(File.Exists(Path.Combine(CliBuild.Directory, "plugins", $"PcapForge.Dissectors.{plugin}", $"PcapForge.Dissectors.{plugin}.dll")), $"the plugin {plugin}");
        }

        var (exit, output, error) = CliBuild.Run(CliBuild.Executable, ["dissectors", "list"]);
        Assert.True(exit == 0, error);
        Assert.Equal("", error);
        var ids = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')[0]).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        foreach (string id in new[] { "ssh", "smtp", "http" })
            Assert.Single(ids, id);

        string dataset = Path.Combine(_dir, "ssh");
        (exit, _, error) = CliBuild.Run(CliBuild.Executable, ["analyze", Path.Combine(TestData.OwnCaptures, "ssh-session.pcapng"), "--out", dataset, "-q"]);
        Assert.True(exit == 0, error);
        Assert.Equal("", error);
        (exit, output, error) = CliBuild.Run(CliBuild.Executable, ["query", dataset, "SELECT count(*) AS n FROM ssh WHERE server LIKE 'SSH-2.0-%'", "--format", "csv"]);
        Assert.True(exit == 0, error);
        Assert.Equal("n\n1\n", output.Replace("\r\n", "\n"));
    }

    /// <summary>
    /// In one process: a -sV scan loads the SSH plugin's assembly into the default load context, then analyze loads the
    /// same DLL from a plugin folder into its own; both work, and the plugin is registered once.
    /// </summary>
    [Fact]
    public void TheScannersCopyAndThePluginsCopyLiveSideBySide()
    {
        using var ssh = new LoopbackServer(LoopbackServer.Banner("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"));
        var (exit, output, error) = CliRunner.Run("scan", "-sV", "-p", $"{ssh.Port}", "127.0.0.1");
        Assert.True(exit == ExitCodes.Ok, error);
        Assert.Contains("OpenSSH 9.2p1 Debian 2+deb12u3 (protocol 2.0)", output);
        Assert.Contains(AppDomain.CurrentDomain.GetAssemblies(), a => a.GetName().Name == "PcapForge.Dissectors.Ssh");

        string plugins = Path.Combine(_dir, "plugins", "PcapForge.Dissectors.Ssh");
        Directory.CreateDirectory(plugins);
        foreach (string file in Directory.GetFiles(Path.Combine(CliBuild.Directory, "plugins", "PcapForge.Dissectors.Ssh")))
            File.Copy(file, Path.Combine(plugins, Path.GetFileName(file)));
        string dataset = Path.Combine(_dir, "ssh");
        (exit, _, error) = CliRunner.Run("analyze", Path.Combine(TestData.OwnCaptures, "ssh-session.pcapng"), "--out", dataset, "-q",
            "--plugins", Path.Combine(_dir, "plugins"));
        Assert.True(exit == ExitCodes.Ok, error);
        Assert.DoesNotContain("warning", error);
        Assert.Equal("n\n1\n", Tsv(dataset, "SELECT count(*) AS n FROM ssh WHERE server LIKE 'SSH-2.0-%'").Replace('\t', ','));
        var loaded = AppDomain.CurrentDomain.GetAssemblies().Where(a => a.GetName().Name == "PcapForge.Dissectors.Ssh").ToList();
        Assert.Equal(2, loaded.Select(System.Runtime.Loader.AssemblyLoadContext.GetLoadContext).Distinct().Count());
    }
}
