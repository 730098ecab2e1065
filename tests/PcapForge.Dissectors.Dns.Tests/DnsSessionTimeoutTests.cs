using PcapForge.TestSupport;

namespace PcapForge.Dissectors.Dns.Tests;

/// <summary>
/// A UDP flow the DNS dissector confirmed ends after 10 s without packets, as Zeek's DNS analyzer removes it
/// (dns_session_timeout); other UDP flows keep the one-minute udp_inactivity_timeout.
/// </summary>
public sealed class DnsSessionTimeoutTests
{
    private const long Start = 1_700_000_000_000_000_000;

    private static (long Ts, byte[] Frame) At(double seconds, byte[] frame) => (Start + (long)(seconds * 1e9), frame);

    [Fact]
    public void A_dns_flow_idle_for_10_s_ends_while_other_udp_waits_a_minute()
    {
        var frames = new List<(long Ts, byte[] Frame)>
        {
            At(0.00, Frames.Udp("10.0.0.1", 40000, "10.0.0.53", 53, DnsWire.Query(1, "a.example"))),
            At(0.01, Frames.Udp("10.0.0.53", 53, "10.0.0.1", 40000, DnsWire.AResponse(1, "a.example", "192.0.2.1"))),
            At(0.02, Frames.Udp("10.0.0.1", 40001, "10.0.0.9", 9000, "hello, not dns"u8.ToArray())),
            At(0.03, Frames.Udp("10.0.0.2", 40002, "10.0.0.53", 53, DnsWire.Query(4, "first.unanswered.example"))),
            // 11 s later, the same ports again: a new DNS flow, but the same other UDP flow.
            At(11.00, Frames.Udp("10.0.0.1", 40000, "10.0.0.53", 53, DnsWire.Query(2, "b.example"))),
            At(11.01, Frames.Udp("10.0.0.53", 53, "10.0.0.1", 40000, DnsWire.AResponse(2, "b.example", "192.0.2.2"))),
            At(11.02, Frames.Udp("10.0.0.1", 40001, "10.0.0.9", 9000, "hello again"u8.ToArray())),
            At(11.03, Frames.Udp("10.0.0.2", 40002, "10.0.0.53", 53, DnsWire.Query(5, "second.unanswered.example"))),
            // 9 s later: within the DNS session timeout, the second DNS flow goes on.
            At(20.00, Frames.Udp("10.0.0.1", 40000, "10.0.0.53", 53, DnsWire.Query(3, "c.example"))),
        };
        var rows = Analyzer.Run(frames);

        var dnsFlows = rows["flows"].Where(f => (int)f["resp_p"]! == 53 && (int)f["orig_p"]! == 40000).OrderBy(f => (long)f["orig_pkts"]!).ToList();
        Assert.Equal(2, dnsFlows.Count);
        Assert.Equal([2L, 3L], dnsFlows.Select(f => (long)f["orig_pkts"]! + (long)f["resp_pkts"]!));
        Assert.All(dnsFlows, f => Assert.Equal("dns", f["service"]));
        var other = Assert.Single(rows["flows"], f => (int)f["resp_p"]! == 9000);
        Assert.Equal(2L, other["orig_pkts"]);

        // A flow whose only packet is a query is on the 10 s timeout from that packet on (its confirmation).
        Assert.Equal(2, rows["flows"].Count(f => (int)f["orig_p"]! == 40002));

        // Each query's row belongs to the flow it came in.
        var byQuery = rows["dns"].ToDictionary(r => (string)r["query"]!, r => (string)r["flow_uid"]!);
        Assert.NotEqual(byQuery["a.example"], byQuery["b.example"]);
        Assert.Equal(byQuery["b.example"], byQuery["c.example"]);
    }
}
