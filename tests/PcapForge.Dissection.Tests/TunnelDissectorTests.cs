using PcapForge.Abstractions;
using PcapForge.Dissectors.Core;
using PcapForge.Dissectors.Link;

namespace PcapForge.Dissection.Tests;

/// <summary>Geneve, Teredo and GTP-U over UDP, from bytes written in the test.</summary>
public class TunnelDissectorTests
{
    private static Harness Stack() => new(new Ethernet(), new Ipv4(), new Ipv6(), new Udp(), new Tcp(), new Icmp(), new Icmpv6(),
        new Geneve(), new Teredo(), new GtpU());

    private static byte[] Hex(string s) => Convert.FromHexString(s.Replace(" ", ""));

    /// <summary>Ethernet + IPv4 (checksum not filled: not what these tests are about) + UDP to <paramref name="port"/>.</summary>
    private static byte[] OverUdp(ushort port, byte[] payload)
    {
        int udpLength = 8 + payload.Length, ipLength = 20 + udpLength;
        var ip = Hex($"4500{ipLength:x4} 0001 0000 4011 0000 0a000001 0a000002");
        var udp = Hex($"c000 {port:x4} {udpLength:x4} 0000");
        return Hex("020000000002 020000000001 0800").Concat(ip).Concat(udp).Concat(payload).ToArray();
    }

    private static readonly byte[] InnerIpv4Icmp = Hex("4500 001c 0002 0000 4001 0000 c0a80001 c0a80002 0800 f7ff 0000 0000");

    [Fact]
    public void GeneveCarriesAnEthernetFrameAfterItsOptions()
    {
        // Version 0, options 8 bytes (opt len 2), protocol 0x6558 (Ethernet), VNI 0x123456, one 8-byte option.
        var geneve = Hex("02 00 6558 123456 00" + "0102 0301 aabbccdd");
        var inner = Hex("020000000004 020000000003 0800").Concat(InnerIpv4Icmp).ToArray();
        var d = Stack().Dissect(OverUdp(6081, geneve.Concat(inner).ToArray()), LinkTypes.Ethernet);

        Assert.Equal(["eth", "ip", "udp", "geneve", "eth", "ip", "icmp"], d.Layers);
        Assert.Equal("1193046", d.One("geneve.vni"));
        Assert.Equal("8", d.One("geneve.opt_len"));
        Assert.Equal(["10.0.0.1", "192.168.0.1"], d.All("ip.src"));
    }

    [Fact]
    public void GeneveWithOptionsPastTheDataOrAnUnknownVersionIsAnAnomaly()
    {
        Assert.Contains("geneve.truncated", Stack().Dissect(OverUdp(6081, Hex("3f 00 6558 000001 00")), LinkTypes.Ethernet).Anomalies);
        Assert.Contains("geneve.version_unknown", Stack().Dissect(OverUdp(6081, Hex("40 00 6558 000001 00")), LinkTypes.Ethernet).Anomalies);
    }

    [Fact]
    public void TeredoWithAnOriginIndicationCarriesIpv6()
    {
        // Origin indication: port 40000 and 192.0.2.1, both with every bit inverted (RFC 4380 section 5.1.1).
        var origin = Hex("0000 " + unchecked((ushort)~40000).ToString("x4") + " " + (~0xC0000201u).ToString("x8"));
        var ipv6 = Hex("6000 0000 0008 3a 40 20010000000000000000000000000001 20010000000000000000000000000002 8000 0000 0001 0001");
        var d = Stack().Dissect(OverUdp(3544, origin.Concat(ipv6).ToArray()), LinkTypes.Ethernet);

        Assert.Equal(["eth", "ip", "udp", "teredo", "ipv6", "icmpv6"], d.Layers);
        Assert.Equal("40000", d.One("teredo.orig.port"));
        Assert.Equal("0xc0000201", d.One("teredo.orig.addr"));
    }

    [Fact]
    public void UdpPort3544WithoutIpv6IsNotTeredo()
    {
        var d = Stack().Dissect(OverUdp(3544, Hex("deadbeef")), LinkTypes.Ethernet);
        Assert.Equal(["eth", "ip", "udp"], d.Layers);
    }

    [Fact]
    public void GtpUGpduWithASequenceNumberAndAnExtensionHeaderCarriesIp()
    {
        // Flags 0x36: version 1, PT, E and S; G-PDU; extension header type 0x85 (PDU session container), 4 bytes.
        var gtp = Hex("36 ff 0028 00000042 0007 00 85" + "01 10 01 00").Concat(InnerIpv4Icmp).ToArray();
        var d = Stack().Dissect(OverUdp(2152, gtp), LinkTypes.Ethernet);

        Assert.Equal(["eth", "ip", "udp", "gtp", "ip", "icmp"], d.Layers);
        Assert.Equal("66", d.One("gtp.teid"));
        Assert.Equal("7", d.One("gtp.seq_number"));
        Assert.Equal(["0x85", "0x00"], d.All("gtp.ext_hdr.next"));
    }

    [Fact]
    public void GtpUOfAnotherVersionOrWithAZeroLengthExtensionIsAnAnomaly()
    {
        Assert.Contains("gtp.version_invalid", Stack().Dissect(OverUdp(2152, Hex("50 ff 0000 00000001")), LinkTypes.Ethernet).Anomalies);
        Assert.Contains("gtp.truncated", Stack().Dissect(OverUdp(2152, Hex("34 ff 0008 00000001 0000 00 85 00 000000")), LinkTypes.Ethernet).Anomalies);
    }

    [Fact]
    public void EveryPrefixOfEachTunnelDecodesWithoutThrowing()
    {
        var harness = Stack();
        var frames = new[]
        {
            OverUdp(6081, Hex("02 00 6558 123456 00 0102 0301 aabbccdd").Concat(Hex("020000000004 020000000003 0800")).Concat(InnerIpv4Icmp).ToArray()),
            OverUdp(2152, Hex("36 ff 0028 00000042 0007 00 85 01 10 01 00").Concat(InnerIpv4Icmp).ToArray()),
        };
        foreach (var frame in frames)
        {
            for (int n = 0; n <= frame.Length; n++)
                Assert.DoesNotContain("engine.dissector_exception", harness.Dissect(frame[..n], LinkTypes.Ethernet, originalLength: frame.Length).Anomalies);
        }
    }

    [Fact]
    public void CiscoMetaDataInsideGreHasItsTypeFirstAndOnEthernetLast()
    {
        var harness = new Harness(new Ethernet(), new Vlan(), new Ipv4(), new Udp(), new Icmp(), new Gre(), new CiscoMetaData());
        var inner = Hex("4500 001c 0003 0000 4001 0000 0a000001 0a000002 0800 f7ff 0000 0000");

        // Inside GRE (bytes of tunnel-gre-various.pcap frame 25): type 0x0800, version 1, length 1, options 1, SGT 0.
        var gre = Hex("0000 8909").Concat(Hex("0800 01 01 0001 0000")).Concat(inner).ToArray();
        var outer = Hex($"4500 {20 + gre.Length:x4} 0001 0000 402f 0000 0a000001 0a000002");
        var viaGre = harness.Dissect(Hex("020000000002 020000000001 0800").Concat(outer).Concat(gre).ToArray(), LinkTypes.Ethernet);
        Assert.Equal(["eth", "ip", "gre", "cmd", "ip", "icmp"], viaGre.Layers);
        Assert.Equal(("1", "1", "0x0001", "0", "0x0800"), (viaGre.One("cmd.version"), viaGre.One("cmd.length"), viaGre.One("cmd.options"), viaGre.One("cmd.sgt"), viaGre.One("cmd.type")));

        // On Ethernet: version 1, length 1, options 1, SGT 42, then type 0x0800.
        var onEthernet = harness.Dissect(Hex("020000000002 020000000001 8909 01 01 0001 002a 0800").Concat(inner).ToArray(), LinkTypes.Ethernet);
        Assert.Equal(["eth", "cmd", "ip", "icmp"], onEthernet.Layers);
        Assert.Equal(("42", "0x0800"), (onEthernet.One("cmd.sgt"), onEthernet.One("cmd.type")));

        Assert.Contains("cmd.truncated", harness.Dissect(Hex("020000000002 020000000001 8909 0101"), LinkTypes.Ethernet).Anomalies);
    }
}
