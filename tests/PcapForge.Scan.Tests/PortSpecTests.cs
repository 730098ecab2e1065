using PcapForge.Scan;
using PcapForge.Scan.Ports;

namespace PcapForge.Scan.Tests;

/// <summary>nmap's -p syntax (nmap(1), "Port Specification and Scan Order").</summary>
public sealed class PortSpecTests
{
    [Theory]
    [InlineData("22", new[] { 22 })]
    [InlineData("22,80,8000-8002", new[] { 22, 80, 8000, 8001, 8002 })]
    [InlineData("80,22,22,21-23", new[] { 21, 22, 23, 80 })]
    [InlineData("-3", new[] { 1, 2, 3 })]
    [InlineData("65534-", new[] { 65534, 65535 })]
    [InlineData("T:22,T:80", new[] { 22, 80 })]
    [InlineData(" 22 , 25 ", new[] { 22, 25 })]
    [InlineData("ssh,smtp", new[] { 22, 25 })]
    public void ParsesNmapPortLists(string spec, int[] expected) => Assert.Equal(expected, PortSpec.Parse(spec));

    [Fact]
    public void ADashAloneIsEveryPort()
    {
        var ports = PortSpec.Parse("-");
        Assert.Equal(65535, ports.Count);
        Assert.Equal(1, ports[0]);
        Assert.Equal(65535, ports[^1]);
    }

    [Fact]
    public void ServiceNamesTakeWildcardsAsNmapDoes()
    {
        var ports = PortSpec.Parse("http*");
        Assert.Contains(80, ports);
        Assert.Contains(443, ports); // https
        Assert.Contains(8080, ports); // http-proxy
        Assert.DoesNotContain(22, ports);
        Assert.Equal(PortSpec.Parse("HTTP*"), ports);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("0", "port 0")]
    [InlineData("0-10", "port 0")]
    [InlineData("70000", "past the last port, 65535")]
    [InlineData("10-5", "ends before it starts")]
    [InlineData("U:53", "TCP only")]
    [InlineData("S:9", "TCP only")]
    [InlineData("22,,80", "empty item")]
    [InlineData("22x", "not a port number")]
    [InlineData("1-2-3", "not a port number")]
    [InlineData("nosuchservice", "no service of that name")]
    public void RejectsWhatIsNotAPortList(string spec, string message)
    {
        var e = Assert.Throws<ScanUsageException>(() => PortSpec.Parse(spec));
        Assert.Contains(message, e.Message);
    }
}
