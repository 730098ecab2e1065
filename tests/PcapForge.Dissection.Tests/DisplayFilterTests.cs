using PcapForge.Abstractions;
using PcapForge.Abstractions.Dissection;
using PcapForge.Dissection.Filters;
using PcapForge.Dissectors.Core;

namespace PcapForge.Dissection.Tests;

public class DisplayFilterTests
{
    private static readonly DissectorRegistry Registry = DissectorRegistry.Build(
        new IDissector[] { new Ethernet(), new Ipv4(), new Tcp(), new Udp() }
            .Select(d => new LoadedDissector(d, ((DissectorExportAttribute)Attribute.GetCustomAttribute(d.GetType(), typeof(DissectorExportAttribute))!).Id, 0, "t")),
        new List<PluginProblem>());

    /// <summary>10.0.0.1:51234 → 10.0.0.2:22, SYN (checksum left 0: not what these tests are about).</summary>
    private static readonly byte[] Frame = Convert.FromHexString(
        "020000000002020000000001" + "0800" +
        "45000028000140004006" + "0000" + "0a000001" + "0a000002" +
        "c8220016" + "00000064" + "00000000" + "5002faf0" + "00000000");

    private static bool Match(string filter)
    {
        var engine = new DissectionEngine(Registry);
        var context = new PacketContext();
        engine.Dissect(new Frame(new FrameInfo { Number = 1, LinkType = LinkTypes.Ethernet, CapturedLength = Frame.Length, OriginalLength = 1514 }, Frame), context,
            recordFrameFields: true);
        return DisplayFilter.Compile(filter, Registry).Matches(context, Frame);
    }

    [Theory]
    [InlineData("tcp", true)]
    [InlineData("udp", false)]
    [InlineData("tcp.port == 22", true)] // either side
    [InlineData("tcp.port == 51234", true)]
    [InlineData("!tcp.port == 22", false)]
    [InlineData("tcp.port != 22", false)] // != holds only when no occurrence equals (Wireshark 3.6+)
    [InlineData("tcp.port != 80", true)]
    [InlineData("ip.addr == 10.0.0.0/8 && tcp", true)]
    [InlineData("ip.addr == 10.0.0.0/31", true)]
    [InlineData("ip.src == 10.0.0.2/32", false)]
    [InlineData("eth.addr == 02-00-00-00-00-02", true)]
    [InlineData("tcp.flags & 0x02", true)]
    [InlineData("tcp.flags & 0x10", false)]
    [InlineData("tcp.flags.syn == True and tcp.flags.ack == 0", true)]
    [InlineData("tcp.flags.ack", true)] // a bare field tests presence, not truth: the ACK flag field is on every TCP frame, as in Wireshark
    [InlineData("tcp.srcport in {80, 443, 50000..60000}", true)]
    [InlineData("tcp.srcport in {80 443}", false)]
    [InlineData("ip.ttl >= 64 && ip.ttl <= 64", true)]
    [InlineData("ip.ttl gt 64", false)]
    [InlineData("(tcp.port == 80 || tcp.port == 22) && !udp", true)]
    [InlineData("tcp contains 16:00:00:00", true)]
    [InlineData("tcp contains \"GET\"", false)]
    [InlineData("ip.id == 0x0001", true)]
    [InlineData("frame.number == 1 && frame.len == 1514", true)]
    [InlineData("eth.src[0:3] == 02:00:00", true)]
    [InlineData("eth.src[3-5] == 00:00:01", true)]
    [InlineData("eth.src[-1:] == 01", true)]
    [InlineData("eth.src[5] == 0x02", false)]
    [InlineData("ip.dst[:2] != 0a:00", false)]
    [InlineData("tcp[13] == 0x02", true)] // the flags byte of the TCP header: SYN
    [InlineData("tcp[0:2] == 51234", true)] // a number as big-endian bytes of the slice's length
    [InlineData("frame.cap_len < 100", true)]
    [InlineData("frame.len < 100", false)]
    public void FilterSemanticsFollowWireshark(string filter, bool expected) => Assert.Equal(expected, Match(filter));

    [Theory]
    [InlineData("tcp.port ==", 12, "expected a value, but the filter ends")]
    [InlineData("tcp.port == 80 &&", 18, "expected a field or protocol name, but the filter ends")]
    [InlineData("nosuch.field", 1, "neither a field nor a protocol")]
    [InlineData("ip.src == 10.0.0.300", 11, "not a valid IPv4 address")]
    [InlineData("(tcp", 5, "expected ')'")]
    [InlineData("tcp.port == 80 )", 16, "expected end of the filter")]
    [InlineData("ip.src == 10.0.0.0/33", 11, "prefix length")]
    [InlineData("tcp == 3", 5, "is a protocol")]
    [InlineData("tcp.port == \"80", 13, "string not closed")]
    [InlineData("tcp.port # 80", 10, "unexpected character '#'")]
    [InlineData("eth.src[x] == 00", 9, "is not a slice")]
    [InlineData("eth.src[0:2 == 00", 13, "expected ']'")]
    [InlineData("eth.src[0:1] > 00", 14, "compared with == or !=")]
    [InlineData("tcp[0:1] == 0x1234", 13, "does not fit")]
    public void SyntaxErrorsPointAtTheColumn(string filter, int column, string message)
    {
        var e = Assert.Throws<FilterSyntaxException>(() => DisplayFilter.Compile(filter, Registry));
        Assert.Equal(column, e.Column);
        Assert.Contains(message, e.Message);
        Assert.Equal(column - 1, e.Render().Split('\n')[1].IndexOf('^'));
    }
}
