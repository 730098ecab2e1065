using System.Net;

namespace PcapForge.Flows.Tests;

/// <summary>Community ID v1 against the vectors of Zeek's test suite (testing/btest/bifs/community_id_v1).</summary>
public class CommunityIdTests
{
    private static IpAddress128 V4(string a) => IpAddress128.FromV4(IPAddress.Parse(a).GetAddressBytes());

    [Theory]
    [InlineData(6, "1:wCb3OG7yAFWelaUydu0D+125CLM=")]
    [InlineData(17, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=")]
    public void Zeek_vectors(int protocol, string expected)
    {
        Assert.Equal(expected, CommunityId.Compute(V4("1.2.3.4"), V4("5.6.7.8"), true, protocol, 1122, 3344, true));
        // The same flow seen from the other side hashes alike.
        Assert.Equal(expected, CommunityId.Compute(V4("5.6.7.8"), V4("1.2.3.4"), true, protocol, 3344, 1122, true));
    }

    [Fact]
    public void Flow_rows_carry_it()
    {
        var c = new Conversation("1.2.3.4", 1122, "5.6.7.8", 3344);
        c.C(Frames.Syn);
        var flow = Assert.Single(Analyzer.Run(c.Frames)["flows"]);
        Assert.Equal("1:wCb3OG7yAFWelaUydu0D+125CLM=", flow["community_id"]);
    }

    [Fact]
    public void Echo_request_and_reply_are_one_icmp_flow_per_identifier()
    {
        var frames = new List<(long, byte[])>
        {
            (1_000, Frames.IcmpEcho("10.0.0.1", "10.0.0.2", true, 7, 1)),
            (2_000, Frames.IcmpEcho("10.0.0.2", "10.0.0.1", false, 7, 1)),
            (3_000, Frames.IcmpEcho("10.0.0.1", "10.0.0.2", true, 8, 1)),
        };
        var flows = Analyzer.Run(frames)["flows"].OrderBy(f => (long)f["first_frame"]!).ToList();
        Assert.Equal(2, flows.Count);
        Assert.Equal("icmp", flows[0]["proto"]);
        Assert.Equal(8, flows[0]["orig_p"]);
        Assert.Equal(0, flows[0]["resp_p"]);
        Assert.Equal("SF", flows[0]["conn_state"]);
        Assert.Equal(32L, flows[0]["orig_bytes"]);
        Assert.Equal("S0", flows[1]["conn_state"]);
        Assert.Null(flows[0]["history"]);
    }

    [Fact]
    public void Icmpv6_echo_logs_the_reply_type_as_resp_p()
    {
        var frames = new List<(long, byte[])>
        {
            (1_000, Frames.IcmpEcho("fd00::1", "fd00::2", true, 7, 1)),
            (2_000, Frames.IcmpEcho("fd00::2", "fd00::1", false, 7, 1)),
        };
        var flow = Assert.Single(Analyzer.Run(frames)["flows"]);
        Assert.Equal(128, flow["orig_p"]);
        Assert.Equal(129, flow["resp_p"]);
        Assert.Equal(1L, flow["resp_pkts"]);
    }

    [Fact]
    public void Udp_and_ipv6_flows()
    {
        var frames = new List<(long, byte[])>
        {
            (1_000, Frames.Udp("fd00::1", 5353, "fd00::2", 53, new byte[12])),
            (2_000, Frames.Udp("fd00::2", 53, "fd00::1", 5353, new byte[40])),
        };
        var flow = Assert.Single(Analyzer.Run(frames)["flows"]);
        Assert.Equal("udp", flow["proto"]);
        Assert.Equal("fd00::1", flow["orig_h"]);
        Assert.Equal(6, flow["ip_version"]);
        Assert.Equal(12L, flow["orig_bytes"]);
        Assert.Equal(40L, flow["resp_bytes"]);
        Assert.Equal(40L + 8 + 12, flow["orig_ip_bytes"]);
        Assert.Equal("SF", flow["conn_state"]);
    }

    [Fact]
    public void Vlan_tags_separate_flows()
    {
        var frames = new List<(long, byte[])>
        {
            (1_000, Frames.Tcp("10.0.0.1", 1, "10.0.0.2", 2, Frames.Syn, 1, 0, vlan: 10)),
            (2_000, Frames.Tcp("10.0.0.1", 1, "10.0.0.2", 2, Frames.Syn, 1, 0, vlan: 20)),
        };
        var flows = Analyzer.Run(frames)["flows"];
        Assert.Equal(new object?[] { 10, 20 }, flows.Select(f => f["vlan"]).OrderBy(v => (int)v!).ToArray());
    }
}
