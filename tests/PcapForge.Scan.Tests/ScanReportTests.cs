using System.Net;
using PcapForge.Scan.Report;
using PcapForge.Scan.Scanning;
using PcapForge.Scan.Services;
using PcapForge.Scan.Targets;

namespace PcapForge.Scan.Tests;

/// <summary>The report's shape against nmap 7.93's normal output for the same port states.</summary>
public sealed class ScanReportTests
{
    private static readonly ScanTarget Localhost = new(IPAddress.Loopback, "localhost", "localhost");

    private static PortResult Port(int port, PortState state, string reason, ServiceInfo? service = null, double ms = 0.11) =>
        new(Localhost, port, state, reason, 0, state == PortState.Filtered ? null : TimeSpan.FromMilliseconds(ms)) { Service = service };

    private static string Host(IReadOnlyList<PortResult> results, bool versions = false, bool openOnly = false, ScanTarget? target = null)
    {
        var w = new StringWriter { NewLine = "\n" };
        ScanReport.WriteHost(w, target ?? Localhost, results, versions, openOnly);
        return w.ToString();
    }

    private static IEnumerable<PortResult> Closed(int from, int count) =>
        Enumerable.Range(from, count).Select(p => Port(p, PortState.Closed, "conn-refused"));

    /// <summary>
    /// nmap -sT -sV -p 1-100,8080,9999 localhost, against OpenSSH, Postfix and nginx in a namespace with 9999 dropped,
    /// printed (its first line aside) exactly this.
    /// </summary>
    [Fact]
    public void AServiceScanReadsAsNmapsDoes()
    {
        var results = Closed(1, 100).Where(r => r.Port is not (22 or 25 or 80)).ToList();
        results.Add(Port(22, PortState.Open, "syn-ack", new ServiceInfo
        {
            Name = "ssh", Probed = true, Product = "OpenSSH", Version = "9.2p1", VersionDetail = "Debian 2+deb12u10", ExtraInfo = "protocol 2.0", OsType = "Linux",
        }));
        results.Add(Port(25, PortState.Open, "syn-ack", new ServiceInfo { Name = "smtp", Probed = true, Product = "Postfix smtpd", ServiceHost = "vm" }));
        results.Add(Port(80, PortState.Open, "syn-ack", new ServiceInfo { Name = "http", Probed = true, Product = "nginx", Version = "1.22.1" }));
        results.Add(Port(8080, PortState.Open, "syn-ack", new ServiceInfo { Name = "http", Probed = true, Product = "nginx", Version = "1.22.1" }));
        results.Add(Port(9999, PortState.Filtered, "no-response"));
        results.Sort((a, b) => a.Port.CompareTo(b.Port));

        Assert.Equal("""
            PcapForge scan report for localhost (127.0.0.1)
            Host is up (0.00011s latency).
            Not shown: 97 closed tcp ports (conn-refused)
            PORT     STATE    SERVICE VERSION
            22/tcp   open     ssh     OpenSSH 9.2p1 Debian 2+deb12u10 (protocol 2.0)
            25/tcp   open     smtp    Postfix smtpd
            80/tcp   open     http    nginx 1.22.1
            8080/tcp open     http    nginx 1.22.1
            9999/tcp filtered abyss
            Service Info: Host: vm; OS: Linux


            """.Replace("\r", ""), Host(results, versions: true));
    }

    /// <summary>nmap shows a state with 25 ports or fewer, and folds one with more; a blank line stands where "Not shown" would.</summary>
    [Fact]
    public void StatesWithMoreThan25PortsAreNotShown()
    {
        var few = Closed(1, 25).Append(Port(22, PortState.Open, "syn-ack")).OrderBy(r => r.Port).ToList();
        string text = Host(few);
        Assert.StartsWith("PcapForge scan report for localhost (127.0.0.1)\nHost is up (0.00011s latency).\n\nPORT   STATE  SERVICE\n1/tcp  closed tcpmux\n", text);
        // Report line, Host is up, blank, header, 26 ports, blank, and the empty rest after the last line end.
        Assert.Equal(32, text.Split('\n').Length);

        var many = Closed(1, 26).Concat(Enumerable.Range(100, 20).Select(p => Port(p, PortState.Filtered, "no-response")))
            .Concat(Enumerable.Range(200, 8).Select(p => Port(p, PortState.Filtered, "host-unreach"))).ToList();
        Assert.Equal("""
            PcapForge scan report for localhost (127.0.0.1)
            Host is up (0.00011s latency).
            All 54 scanned ports on localhost (127.0.0.1) are in ignored states.
            Not shown: 28 filtered tcp ports (20 no-response, 8 host-unreach), 26 closed tcp ports (conn-refused)


            """.Replace("\r", ""), Host(many));
    }

    [Fact]
    public void OpenOnlyShowsOpenPortsAndNothingForAHostWithout()
    {
        var results = Closed(1, 3).Append(Port(22, PortState.Open, "syn-ack")).OrderBy(r => r.Port).ToList();
        Assert.Equal("""
            PcapForge scan report for localhost (127.0.0.1)
            Host is up (0.00011s latency).
            Not shown: 3 closed tcp ports (conn-refused)
            PORT   STATE SERVICE
            22/tcp open  ssh


            """.Replace("\r", ""), Host(results, openOnly: true));
        Assert.Equal("", Host(Closed(1, 3).ToList(), openOnly: true));
    }

    [Fact]
    public void AHostWithoutAnyAnswerIsAssumedUpAsWithNmapPn()
    {
        var target = new ScanTarget(IPAddress.Parse("127.0.0.9"), null, "127.0.0.9");
        var results = new List<PortResult> { new(target, 9999, PortState.Filtered, "no-response", 0, null) { Service = null } };
        Assert.Equal("""
            PcapForge scan report for 127.0.0.9
            Host is up.

            PORT     STATE    SERVICE
            9999/tcp filtered abyss


            """.Replace("\r", ""), Host(results, target: target));
    }

    [Fact]
    public void UnidentifiedServicesGetAQuestionMarkAndOtherAddressesAreNamed()
    {
        var target = Localhost with { OtherAddresses = [IPAddress.IPv6Loopback] };
        var results = new List<PortResult>
        {
            new(target, 4444, PortState.Open, "syn-ack", 0, TimeSpan.FromMilliseconds(0.2)) { Service = new ServiceInfo { Name = "krb524", Banner = "HELLO" } },
            new(target, 4446, PortState.Open, "syn-ack", 0, TimeSpan.FromMilliseconds(0.2)) { Service = new ServiceInfo { Name = "tcpwrapped", Probed = true } },
        };
        Assert.Equal("""
            PcapForge scan report for localhost (127.0.0.1)
            Host is up (0.00020s latency).
            Other addresses for localhost (not scanned): ::1

            PORT     STATE SERVICE    VERSION
            4444/tcp open  krb524?
            4446/tcp open  tcpwrapped


            """.Replace("\r", ""), Host(results, versions: true, target: target));
    }

    [Theory]
    [InlineData(0.00011, "0.00011")]
    [InlineData(0.000012, "0.000012")]
    [InlineData(0.0123, "0.012")]
    [InlineData(0.2, "0.20")]
    [InlineData(1.5, "1.5")]
    [InlineData(12.3, "12")]
    public void LatencyHasTwoSignificantDigits(double seconds, string text) =>
        Assert.Equal(text, ScanReport.SignificantSeconds(TimeSpan.FromSeconds(seconds)));
}
