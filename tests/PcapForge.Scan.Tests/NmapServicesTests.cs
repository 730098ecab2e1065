using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using PcapForge.Scan.Ports;

namespace PcapForge.Scan.Tests;

/// <summary>The port tables' readers, and the ranking against nmap's own file and nmap's own choice of ports, where nmap is installed.</summary>
public sealed partial class NmapServicesTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const string NmapServicesFile = "/usr/share/nmap/nmap-services";

    [Fact]
    public void NmapServicesLinesGiveTcpPortsNamesAndFrequencies()
    {
        var entries = NmapServices.ReadNmapServices([
            "# Fields in this file are: Service name, portnum/protocol, open-frequency, optional comments",
            "tcpmux\t1/tcp\t0.001995\t# TCP Port Service Multiplexer [rfc-1078]",
            "domain\t53/udp\t0.213496\t# Domain Name Server",
            "ssh\t22/tcp\t0.182286\t# Secure Shell Login",
            "bogus\tx/tcp\t0.5",
            "",
        ]);
        Assert.Equal([(1, "tcpmux", 0.001995), (22, "ssh", 0.182286)], entries);
    }

    [Fact]
    public void EtcServicesLinesGiveTheFirstTcpNameOfEachPort()
    {
        var names = NmapServices.ReadEtcServices([
            "# Network services, Internet style",
            "ssh\t\t22/tcp\t\t\t\t# SSH Remote Login Protocol",
            "domain\t\t53/tcp\t\t\t\t# Domain Name Server",
            "domain\t\t53/udp",
            "http\t\t80/tcp\t\twww\t\t# WorldWideWeb HTTP",
            "www-alt\t\t80/tcp",
        ]);
        Assert.Equal(new Dictionary<int, string> { [22] = "ssh", [53] = "domain", [80] = "http" }, names);
    }

    /// <summary>With nmap installed, the ranking and the names are nmap-services' (frequency, then port).</summary>
    [Fact]
    public void TheTopPortsAreNmapServicesByFrequency()
    {
        if (!File.Exists(NmapServicesFile))
        {
            output.WriteLine($"{NmapServicesFile} is absent (package nmap-common): ranking comes from /etc/services, not compared");
            Assert.Equal(NmapServices.EtcServicesPath, NmapServices.Source);
            return;
        }

        Assert.Equal(NmapServicesFile, NmapServices.Source);
        Assert.Equal([80, 23, 443, 21, 22], NmapServices.Top(5));
        Assert.Equal("ssh", NmapServices.NameOf(22));
        Assert.Equal("http-proxy", NmapServices.NameOf(8080));
        Assert.Equal(NmapServices.Unknown, NmapServices.NameOf(60999));
        var expected = File.ReadLines(NmapServicesFile)
            .Where(l => !l.StartsWith('#') && l.Length > 0)
            .Select(l => l.Split('\t'))
            .Where(f => f[1].EndsWith("/tcp", StringComparison.Ordinal))
            .Select(f => (Port: int.Parse(f[1][..^4], CultureInfo.InvariantCulture), Name: f[0], Frequency: double.Parse(f[2], CultureInfo.InvariantCulture)))
            .OrderByDescending(e => e.Frequency).ThenBy(e => e.Port)
            .Take(NmapServices.DefaultTopCount)
            .ToList();
        Assert.Equal(expected.Select(e => e.Port), NmapServices.Top(NmapServices.DefaultTopCount));
        Assert.Equal(expected.Select(e => e.Name), expected.Select(e => NmapServices.NameOf(e.Port)));
    }

    /// <summary>
    /// nmap's own --top-ports choice, read from the scaninfo of its XML output. The nmap run scans the loopback
    /// address only, with one try per port.
    /// </summary>
    [Theory]
    [InlineData(10)]
    [InlineData(100)]
    [InlineData(1000)]
    public void TopPortsAreTheOnesNmapScans(int count)
    {
        if (!File.Exists("/usr/bin/nmap"))
        {
            output.WriteLine("/usr/bin/nmap is absent: --top-ports not compared with nmap");
            return;
        }

        var start = new ProcessStartInfo("/usr/bin/nmap", ["-sT", "-Pn", "-n", "--max-retries", "0", "--top-ports", count.ToString(CultureInfo.InvariantCulture), "-oX", "-", "127.0.0.1"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var nmap = Process.Start(start)!;
        string xml = nmap.StandardOutput.ReadToEnd();
        nmap.WaitForExit();
        var services = ScanInfo().Match(xml);
        Assert.True(services.Success, xml);
        var ports = new List<int>();
        foreach (string item in services.Groups[1].Value.Split(','))
        {
            var range = item.Split('-');
            int low = int.Parse(range[0], CultureInfo.InvariantCulture), high = int.Parse(range[^1], CultureInfo.InvariantCulture);
            for (int p = low; p <= high; p++)
                ports.Add(p);
        }

        Assert.Equal(ports, NmapServices.Top(count).Order());
    }

    [GeneratedRegex("<scaninfo [^>]*services=\"([^\"]*)\"")]
    private static partial Regex ScanInfo();
}
