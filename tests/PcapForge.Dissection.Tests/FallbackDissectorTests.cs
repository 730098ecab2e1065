using System.Net.NetworkInformation;
using PacketDotNet;
using PacketDotNet.Lldp;
using PcapForge.Abstractions;
using PcapForge.Capture;
using PcapForge.Dissectors.Core;
using PcapForge.Dissectors.Fallback;
using PcapForge.Dissectors.Link;
using PcapForge.TestSupport;

namespace PcapForge.Dissection.Tests;

/// <summary>
/// The PacketDotNet fallback plugin: LLDP, IGMP, PPPoE discovery and session (with PPP), Wake-on-LAN and OSPF. The
/// frames below were built for these tests and checked with tshark 4.x (<c>tshark -T fields -E occurrence=a</c> and the
/// Info column, name resolution off); the expected values are tshark's.
/// </summary>
public class FallbackDissectorTests
{
    // Built by a script, verified with tshark (frame.protocols in the comment).
    private const string LldpHex = "0180c200000e00112233445588cc02070400112233445504050565746830060200780a07737769746368310e04001400100000"; // eth:ethertype:lldp
    private const string Igmpv2ReportHex = "01005e7ffffa00112233445508004500001c123400000102f5ffc0a8010aeffffffa1600fa04effffffa";
    private const string Igmpv2QueryHex = "01005e00000100112233445508004500001c1234000001020602c0a80101e00000011164ee9b00000000";
    private const string Igmpv2LeaveHex = "01005e00000200112233445508004500001c12340000010205f8c0a8010ae00000021700f904effffffa";
    private const string Igmpv3ReportHex = "01005e00001600112233445508004500002412340000010205dcc0a8010ae00000162200ea030000000104000000effffffa";
    private const string Igmpv3QueryHex = "01005e00000100112233445508004500002012340000010205fec0a80101e00000011164ec1e00000000027d0000";
    private const string PppoedPadiHex = "ffffffffffff001122334455886311090000000c010100000103000412345678";
    private const string PppoedPadoHex = "00112233445500aabbccddee886311070000000c010100000102000469737031";
    private const string PppoesIpHex = "00aabbccddee001122334455886411001234002600214500002412340000400154a30a0000010a00000208006668000100016162636465666768"; // eth:ethertype:pppoes:ppp:ip:icmp:data
    private const string PppoesLcpHex = "00aabbccddee001122334455886411001234000ac02101010008010405d4";
    private const string WolEthHex = "ffffffffffff0011223344550842ffffffffffff001b21aabbcc001b21aabbcc001b21aabbcc001b21aabbcc001b21aabbcc001b21aabbcc001b21aabbcc001b21aabbcc001b21aabbcc001b21aabbcc001b21aabbcc001b21aabbcc001b21aabbcc001b21aabbcc001b21aabbcc001b21aabbcc";
    private const string WolUdpHex = "ffffffffffff001122334455080045000082123400004011e3ddc0a8010ac0a801ff9c400009006e0551ffffffffffff001b21aabbcc001b21aabbcc001b21aabbcc001b21aabbcc001b21aabbcc001b21aabbcc001b21aabbcc001b21aabbcc001b21aabbcc001b21aabbcc001b21aabbcc001b21aabbcc001b21aabbcc001b21aabbcc001b21aabbcc001b21aabbcc";
    private const string Udp9DiscardHex = "ffffffffffff001122334455080045000029123400004011e436c0a8010ac0a801ff9c4000090015fdee68656c6c6f2064697363617264"; // eth:ethertype:ip:udp:data
    private const string OspfHelloHex = "01005e000005001122334455080045000044123400000159057fc0a80101e000000502010030010101010000000034eb00000000000000000000ffffff00000a020100000028c0a801010000000002020202";

    private static readonly string[] FallbackProtocols = ["lldp", "igmp", "pppoed", "pppoes", "ppp", "wol", "ospf"];

    private readonly Harness _h = new(new Ethernet(), new Vlan(), new Ipv4(), new Ipv6(), new Tcp(), new Udp(), new Icmp(), new Icmpv6(), new Arp(), new Llc(),
        new Lldp(), new Igmp(), new PppoeDiscovery(), new PppoeSession(), new Ppp(), new WakeOnLan(), new Ospf());

    private Dissected Eth(string hex) => Eth(Convert.FromHexString(hex));

    private Dissected Eth(byte[] frame)
    {
        var d = _h.Dissect(frame, LinkTypes.Ethernet);
        Assert.DoesNotContain("engine.dissector_exception", d.Anomalies);
        return d;
    }

    // ---- declarations ----

    [Fact]
    public void Fallback_dissectors_declare_themselves_and_claim_only_free_keys()
    {
        foreach (var id in FallbackProtocols)
            Assert.True(_h.Registry.ProtocolIndex(id) >= 0, id);
        Assert.All(_h.Registry.Anomalies.Where(a => FallbackProtocols.Contains(a.Protocol)), a => Assert.Matches(@"^[a-z0-9]+\.[a-z0-9_]+$", a.Name));

        // No key a fallback dissector attaches to is claimed by a dissector of the Core or Link plugins.
        var full = new Harness(new Ethernet(), new Vlan(), new Ieee8021ad(), new Ipv4(), new Ipv6(), new Tcp(), new Udp(), new LinuxSll(), new NullLoopback(), new RawIp(),
            new Llc(), new Mpls(), new Arp(), new Ieee80211(), new Radiotap(), new Ppi(), new Icmp(), new Icmpv6(), new Gre(), new Vxlan(), new Geneve(), new Teredo(), new GtpU(),
            new Lldp(), new Igmp(), new PppoeDiscovery(), new PppoeSession(), new Ppp(), new WakeOnLan(), new Ospf());
        var protocols = full.Registry.Protocols;
        var others = protocols.Where(p => !FallbackProtocols.Contains(p.Id)).SelectMany(p => p.Attachments).ToHashSet();
        foreach (var p in protocols.Where(p => FallbackProtocols.Contains(p.Id)))
        {
            Assert.NotEmpty(p.Attachments);
            foreach (var a in p.Attachments)
                Assert.DoesNotContain(a, others);
        }
    }

    // ---- LLDP ----

    [Fact]
    public void Lldp_mandatory_and_optional_tlvs_as_tshark()
    {
        var d = Eth(LldpHex);
        Assert.Equal(["eth", "lldp"], d.Layers);
        Assert.Equal("4", d.One("lldp.chassis.subtype"));
        Assert.Equal("00:11:22:33:44:55", d.One("lldp.chassis.id.mac"));
        Assert.Equal("5", d.One("lldp.port.subtype"));
        Assert.Equal("eth0", d.One("lldp.port.id")); // decoded by PacketDotNet's PortIdTlv
        Assert.Equal("120", d.One("lldp.time_to_live"));
        Assert.Equal("switch1", d.One("lldp.tlv.system.name"));
        Assert.Equal("0x0014", d.One("lldp.tlv.system_cap"));
        Assert.Equal("MA/00:11:22:33:44:55 IN/eth0 120 SysN=switch1 ", d.Info);
        Assert.Empty(d.Anomalies);
    }

    [Fact]
    public void Lldp_built_by_PacketDotNet_round_trips()
    {
        var lldp = new LldpPacket();
        lldp.TlvCollection.Add(new ChassisIdTlv(ChassisSubType.InterfaceName, "chassis-a"));
        lldp.TlvCollection.Add(new PortIdTlv(new NetworkAddress(System.Net.IPAddress.Parse("10.1.2.3"))));
        lldp.TlvCollection.Add(new TimeToLiveTlv(30));
        lldp.TlvCollection.Add(new SystemNameTlv("core-sw"));
        lldp.TlvCollection.Add(new ManagementAddressTlv(new NetworkAddress(System.Net.IPAddress.Parse("192.0.2.7")), InterfaceNumber.SystemPortNumber, 5, ""));
        lldp.TlvCollection.Add(new EndOfLldpduTlv());
        // PacketDotNet 1.4.8 throws a NullReferenceException serialising an EthernetPacket around a built LldpPacket: the header is added here.
        var d = Eth([.. Convert.FromHexString("0180c200000e00112233445588cc"), .. lldp.Bytes]);
        Assert.Equal(["eth", "lldp"], d.Layers);
        Assert.Equal("6", d.One("lldp.chassis.subtype"));
        Assert.Equal("chassis-a", d.One("lldp.chassis.id"));
        Assert.Equal("4", d.One("lldp.port.subtype"));
        Assert.Equal("10.1.2.3", d.One("lldp.port.id"));
        Assert.Equal("30", d.One("lldp.time_to_live"));
        Assert.Equal("192.0.2.7", d.One("lldp.mgn.addr"));
        Assert.Equal("IN/chassis-a NA/10.1.2.3 30 SysN=core-sw ", d.Info);
        Assert.Empty(d.Anomalies);
    }

    [Fact]
    public void Lldp_malformed()
    {
        byte[] frame = Convert.FromHexString(LldpHex);
        // The port ID TLV (at 14 + 9) claims 0x1FF bytes.
        byte[] overrun = (byte[])frame.Clone();
        overrun[23] = 0x05;
        overrun[24] = 0xFF;
        Assert.Contains("lldp.malformed", Eth(overrun).Anomalies);

        // TTL before the port ID: out of order.
        byte[] swapped = Convert.FromHexString("0180c200000e00112233445588cc" + "020704001122334455" + "06020078" + "0405056574683" + "0" + "0000");
        Assert.Contains("lldp.malformed", Eth(swapped).Anomalies);

        // An End TLV straight away.
        Assert.Contains("lldp.malformed", Eth(Convert.FromHexString("0180c200000e00112233445588cc0000")).Anomalies);
    }

    // ---- IGMP ----

    [Theory]
    [InlineData(Igmpv2ReportHex, "2", "0x16", "0xfa04", "239.255.255.250", "Membership Report group 239.255.255.250")]
    [InlineData(Igmpv2QueryHex, "2", "0x11", "0xee9b", "0.0.0.0", "Membership Query, general")]
    [InlineData(Igmpv2LeaveHex, "2", "0x17", "0xf904", "239.255.255.250", "Leave Group 239.255.255.250")]
    [InlineData(Igmpv3ReportHex, "3", "0x22", "0xea03", "239.255.255.250", "Membership Report / Join group 239.255.255.250 for any sources")]
    [InlineData(Igmpv3QueryHex, "3", "0x11", "0xec1e", "0.0.0.0", "Membership Query, general")]
    public void Igmp_as_tshark(string hex, string version, string type, string checksum, string maddr, string info)
    {
        var d = Eth(hex);
        Assert.Equal(["eth", "ip", "igmp"], d.Layers);
        Assert.Equal(version, d.One("igmp.version"));
        Assert.Equal(type, d.One("igmp.type"));
        Assert.Equal(checksum, d.One("igmp.checksum"));
        Assert.Equal("1", d.One("igmp.checksum.status"));
        Assert.Equal(maddr, d.One("igmp.maddr"));
        Assert.Equal(info, d.Info);
        Assert.Empty(d.Anomalies);
    }

    [Fact]
    public void Igmpv3_fields_as_tshark()
    {
        var report = Eth(Igmpv3ReportHex);
        Assert.Equal("1", report.One("igmp.num_grp_recs"));
        Assert.Equal("4", report.One("igmp.record_type"));
        var query = Eth(Igmpv3QueryHex);
        Assert.Equal("100", query.One("igmp.max_resp"));
        Assert.Equal("2", query.One("igmp.qrv"));
        Assert.Equal("125", query.One("igmp.qqic"));
    }

    [Fact]
    public void Igmp_malformed()
    {
        // A v3 report announcing 3 group records with room for one (IP total length kept consistent).
        byte[] frame = Convert.FromHexString(Igmpv3ReportHex);
        frame[14 + 20 + 7] = 3;
        Assert.Contains("igmp.malformed", Eth(frame).Anomalies);

        // A bad checksum is reported as a status, not an anomaly.
        byte[] bad = Convert.FromHexString(Igmpv2ReportHex);
        bad[14 + 20 + 2] ^= 0xFF;
        Assert.Equal("0", Eth(bad).One("igmp.checksum.status"));
    }

    // ---- PPPoE and PPP ----

    [Fact]
    public void Pppoe_discovery_as_tshark()
    {
        var padi = Eth(PppoedPadiHex);
        Assert.Equal(["eth", "pppoed"], padi.Layers);
        Assert.Equal("0x09", padi.One("pppoed.code"));
        Assert.Equal("0x0000", padi.One("pppoed.session_id"));
        Assert.Equal("12", padi.One("pppoed.payload_length"));
        Assert.Equal("12345678", padi.One("pppoed.tags.host_uniq"));
        Assert.Equal("Active Discovery Initiation (PADI)", padi.Info);
        Assert.Empty(padi.Anomalies);

        var pado = Eth(PppoedPadoHex);
        Assert.Equal("isp1", pado.One("pppoed.tags.ac_name"));
        Assert.Equal("Active Discovery Offer (PADO) AC-Name='isp1'", pado.Info);
    }

    [Fact]
    public void Pppoe_session_carries_ip_through_ppp_as_tshark()
    {
        var d = Eth(PppoesIpHex);
        Assert.Equal(["eth", "pppoes", "ppp", "ip", "icmp"], d.Layers); // tshark: eth:ethertype:pppoes:ppp:ip:icmp:data
        Assert.Equal("1", d.One("pppoe.version"));
        Assert.Equal("1", d.One("pppoe.type"));
        Assert.Equal("0x00", d.One("pppoe.code"));
        Assert.Equal("0x1234", d.One("pppoe.session_id"));
        Assert.Equal("38", d.One("pppoe.payload_length"));
        Assert.Equal("0x0021", d.One("ppp.protocol"));
        Assert.Equal("10.0.0.2", d.One("ip.dst"));
        Assert.Empty(d.Anomalies);

        var lcp = Eth(PppoesLcpHex);
        Assert.Equal(["eth", "pppoes", "ppp"], lcp.Layers);
        Assert.Equal("0xc021", lcp.One("ppp.protocol"));
        Assert.Equal("10", lcp.One("pppoe.payload_length"));
        Assert.Equal("PPP LCP", lcp.Info);
    }

    [Fact]
    public void Pppoe_malformed()
    {
        byte[] padi = Convert.FromHexString(PppoedPadiHex);
        padi[14 + 4 + 6 + 3] = 0x40; // host-uniq tag claims 64 bytes
        Assert.Contains("pppoed.malformed", Eth(padi).Anomalies);

        byte[] session = Convert.FromHexString(PppoesIpHex);
        session[14 + 5] = 0xFF; // payload length past the frame
        var d = Eth(session);
        Assert.Contains("pppoes.malformed", d.Anomalies);
        Assert.Equal(["eth", "pppoes", "ppp", "ip", "icmp"], d.Layers); // the payload is still decoded, bounded by the frame
    }

    // ---- Wake-on-LAN ----

    [Fact]
    public void Wol_over_ethertype_and_udp_as_tshark()
    {
        foreach (var (hex, layers) in new[] { (WolEthHex, new[] { "eth", "wol" }), (WolUdpHex, new[] { "eth", "ip", "udp", "wol" }) })
        {
            var d = Eth(hex);
            Assert.Equal(layers, d.Layers);
            Assert.Equal("ffffffffffff", d.One("wol.sync"));
            Assert.Equal(Enumerable.Repeat("00:1b:21:aa:bb:cc", 16), d.All("wol.mac"));
            Assert.Equal("MagicPacket for 00:1b:21:aa:bb:cc (00:1b:21:aa:bb:cc)", d.Info); // tshark -n
            Assert.Empty(d.Anomalies);
        }
    }

    [Fact]
    public void Wol_payload_built_by_PacketDotNet_is_recognised()
    {
        var wol = new WakeOnLanPacket(PhysicalAddress.Parse("00-1B-21-AA-BB-CC"));
        Assert.True(WakeOnLan.IsMagicPacket(wol.Bytes));
        Assert.Equal(Convert.FromHexString(WolEthHex)[14..], wol.Bytes);
    }

    [Fact]
    public void Udp_port_9_that_is_not_a_magic_packet_is_left_alone()
    {
        var d = Eth(Udp9DiscardHex); // tshark: eth:ethertype:ip:udp:data
        Assert.Equal(["eth", "ip", "udp"], d.Layers);
        Assert.Empty(d.Anomalies);
    }

    [Fact]
    public void Wol_malformed_over_ethertype()
    {
        byte[] frame = Convert.FromHexString(WolEthHex);
        frame[14 + 6 + (6 * 9)] ^= 0x01; // the tenth copy of the MAC differs
        var d = Eth(frame);
        Assert.Equal(["eth", "wol"], d.Layers);
        Assert.Contains("wol.malformed", d.Anomalies);
    }

    // ---- OSPF ----

    [Fact]
    public void Ospf_hello_as_tshark()
    {
        var d = Eth(OspfHelloHex);
        Assert.Equal(["eth", "ip", "ospf"], d.Layers);
        Assert.Equal("2", d.One("ospf.version"));
        Assert.Equal("1", d.One("ospf.msg"));
        Assert.Equal("48", d.One("ospf.packet_length"));
        Assert.Equal("1.1.1.1", d.One("ospf.srcrouter"));
        Assert.Equal("0.0.0.0", d.One("ospf.area_id"));
        Assert.Equal("0x34eb", d.One("ospf.checksum"));
        Assert.Equal("255.255.255.0", d.One("ospf.hello.network_mask"));
        Assert.Equal("10", d.One("ospf.hello.hello_interval"));
        Assert.Equal("1", d.One("ospf.hello.router_priority"));
        Assert.Equal("40", d.One("ospf.hello.router_dead_interval"));
        Assert.Equal("192.168.1.1", d.One("ospf.hello.designated_router"));
        Assert.Equal("2.2.2.2", d.One("ospf.hello.active_neighbor"));
        Assert.Equal("Hello Packet", d.Info);
        Assert.Empty(d.Anomalies);
    }

    [Fact]
    public void Ospf_malformed()
    {
        byte[] frame = Convert.FromHexString(OspfHelloHex);
        frame[14 + 20 + 3] = 8; // packet length under the header
        Assert.Contains("ospf.malformed", Eth(frame).Anomalies);

        // An LS Update announcing 5 LSAs with none present: PacketDotNet's decoding fails or is short.
        byte[] lsu = Convert.FromHexString("01005e000005001122334455080045000034123400000159058fc0a80101e0000005" + "0204001c0101010100000000000000000000000000000000" + "00000005");
        var d = Eth(lsu);
        Assert.Equal(["eth", "ip", "ospf"], d.Layers);
        Assert.Contains("ospf.malformed", d.Anomalies);
    }

    // ---- robustness ----

    public static TheoryData<string> ValidFrames() => new()
    {
        LldpHex, Igmpv2ReportHex, Igmpv2QueryHex, Igmpv2LeaveHex, Igmpv3ReportHex, Igmpv3QueryHex, PppoedPadiHex, PppoedPadoHex, PppoesIpHex, PppoesLcpHex,
        WolEthHex, WolUdpHex, Udp9DiscardHex, OspfHelloHex,
    };

    [Theory]
    [MemberData(nameof(ValidFrames))]
    public void Every_prefix_decodes_without_exception(string hex)
    {
        byte[] frame = Convert.FromHexString(hex);
        for (int length = 0; length <= frame.Length; length++)
        {
            var d = _h.Dissect(frame[..length], LinkTypes.Ethernet, detail: true, originalLength: frame.Length);
            Assert.DoesNotContain("engine.dissector_exception", d.Anomalies);
        }
    }

    [Fact]
    public void Random_bytes_after_each_claimed_key_never_throw()
    {
        var random = new Random(1234);
        string[] heads = ["0180c200000e00112233445588cc", "ffffffffffff0011223344558863", "ffffffffffff0011223344558864", "ffffffffffff0011223344550842"];
        for (int i = 0; i < 2000; i++)
        {
            byte[] body = new byte[random.Next(0, 200)];
            random.NextBytes(body);
            if (i % 2 == 0 && body.Length > 2)
                body[0] = (byte)(random.Next(1, 4) << 1); // an LLDP-like TLV type 1..3 in front
            byte[] frame = [.. Convert.FromHexString(heads[i % heads.Length]), .. body];
            var d = _h.Dissect(frame, LinkTypes.Ethernet);
            Assert.DoesNotContain("engine.dissector_exception", d.Anomalies);
        }

        // The same behind IPv4 protocol 2 and 89.
        foreach (byte proto in new byte[] { 2, 89 })
        {
            for (int i = 0; i < 1000; i++)
            {
                byte[] body = new byte[random.Next(0, 120)];
                random.NextBytes(body);
                if (proto == 89 && body.Length > 0)
                    body[0] = 2;
                byte[] ip = Convert.FromHexString("450000001234000001000000c0a80101e0000005");
                ip[2] = (byte)((20 + body.Length) >> 8);
                ip[3] = (byte)(20 + body.Length);
                ip[9] = proto;
                byte[] frame = [.. Convert.FromHexString("01005e0000050011223344550800"), .. ip, .. body];
                var d = _h.Dissect(frame, LinkTypes.Ethernet);
                Assert.DoesNotContain("engine.dissector_exception", d.Anomalies);
            }
        }
    }

    // ---- the public corpus ----

    /// <summary>
    /// <c>tshark -Y 'lldp || igmp || pppoed || pppoes || wol || ospf'</c> finds no frame in these captures (their long
    /// tail is STP and CDP over LLC, which this plugin does not decode); so the fallback must claim none of their
    /// frames, in particular no UDP port 9 or EtherType it does not own.
    /// </summary>
    [SharedPcapsTheory]
    [InlineData("mixed-many-protocols.pcap")]
    [InlineData("tunnel-gre-various.pcap")]
    [InlineData("http-wikipedia-multi-conn.pcap")]
    [InlineData("mixed-ndpi-1kxun-lan.pcap")]
    [InlineData("mixed-web-browsing-4.6k-pkts.pcap")]
    [InlineData("pcap-linux-sll-mixed.pcap")]
    public void Corpus_frames_that_tshark_decodes_otherwise_are_not_claimed(string file)
    {
        var full = new Harness(new Ethernet(), new Vlan(), new Ieee8021ad(), new Ipv4(), new Ipv6(), new Tcp(), new Udp(), new LinuxSll(), new NullLoopback(), new RawIp(),
            new Llc(), new Mpls(), new Arp(), new Ieee80211(), new Radiotap(), new Ppi(), new Icmp(), new Icmpv6(), new Gre(), new Vxlan(), new Geneve(), new Teredo(), new GtpU(),
            new Lldp(), new Igmp(), new PppoeDiscovery(), new PppoeSession(), new Ppp(), new WakeOnLan(), new Ospf());
        using var reader = CaptureReader.Open(Path.Combine(TestData.SharedPcaps!, file));
        int frames = 0;
        while (reader.TryReadNext(out var f))
        {
            frames++;
            var d = full.Dissect(f.Data.ToArray(), f.Info.LinkType, detail: true, originalLength: f.Info.OriginalLength);
            Assert.DoesNotContain("engine.dissector_exception", d.Anomalies);
            Assert.False(d.Layers.Any(FallbackProtocols.Contains), $"{file} frame {frames}: {string.Join(":", d.Layers)}");
        }

        Assert.True(frames > 0);
    }
}
