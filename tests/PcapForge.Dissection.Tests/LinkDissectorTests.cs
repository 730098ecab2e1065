using System.Buffers.Binary;
using PcapForge.Abstractions;
using PcapForge.Abstractions.Dissection;
using PcapForge.Capture;
using PcapForge.Dissection;
using PcapForge.Dissectors.Core;
using PcapForge.Dissectors.Link;
using PcapForge.TestSupport;

namespace PcapForge.Dissection.Tests;

/// <summary>
/// The Link plugin's dissectors: a valid frame, every prefix of it (never an exception; a cut header is an anomaly),
/// and a malformed one with its named anomaly, for each. Frames of the public corpus are checked against the values
/// <c>tshark -T fields</c> (Wireshark 4.0.17) printed for them, pasted below. IPv4, IPv6, UDP and VLAN are stood in
/// for by minimal stubs (no fields), so these tests check only this plugin's layers.
/// </summary>
public class LinkDissectorTests
{
    // ---- stubs of the Core plugin's layers: route payloads, declare the tables, add no fields ----

    [DissectorExport("ip")]
    private sealed class StubIPv4 : IDissector
    {
        private TableHandle _proto;

        public void Declare(IDissectorSetup setup)
        {
            setup.Protocol("ip", "IPv4 stub", "test stub");
            _proto = setup.Table("ip.proto", "IP protocol", 8);
            setup.AttachTo("ethertype", 0x0800);
        }

        public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data)
        {
            if (data.Length < 20)
                return DissectResult.Done(data.Length);
            int ihl = (data[0] & 0x0F) * 4;
            int total = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
            if (ihl < 20 || ihl > data.Length || total < ihl)
                return DissectResult.Done(data.Length);
            return DissectResult.Next(ihl, _proto, data[9], total - ihl);
        }
    }

    [DissectorExport("ipv6")]
    private sealed class StubIPv6 : IDissector
    {
        private TableHandle _proto;

        public void Declare(IDissectorSetup setup)
        {
            setup.Protocol("ipv6", "IPv6 stub", "test stub");
            _proto = setup.TableRef("ip.proto");
            setup.AttachTo("ethertype", 0x86DD);
        }

        public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data) =>
            data.Length < 40
                ? DissectResult.Done(data.Length)
                : DissectResult.Next(40, _proto, data[6], BinaryPrimitives.ReadUInt16BigEndian(data[4..]));
    }

    [DissectorExport("udp")]
    private sealed class StubUdp : IDissector
    {
        private TableHandle _port;

        public void Declare(IDissectorSetup setup)
        {
            setup.Protocol("udp", "UDP stub", "test stub");
            _port = setup.Table("udp.port", "UDP port", 16);
            setup.AttachTo("ip.proto", 17);
        }

        public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data) =>
            data.Length < 8
                ? DissectResult.Done(data.Length)
                : DissectResult.Next(8, _port, BinaryPrimitives.ReadUInt16BigEndian(data[2..]), BinaryPrimitives.ReadUInt16BigEndian(data[4..]) - 8);
    }

    [DissectorExport("vlan")]
    private sealed class StubVlan : IDissector
    {
        private TableHandle _ethertype;

        public void Declare(IDissectorSetup setup)
        {
            setup.Protocol("vlan", "VLAN stub", "test stub");
            _ethertype = setup.TableRef("ethertype");
            setup.AttachTo("ethertype", 0x8100);
            setup.AttachTo("ethertype", 0x88A8);
        }

        public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data) =>
            data.Length < 4 ? DissectResult.Done(data.Length) : DissectResult.Next(4, _ethertype, BinaryPrimitives.ReadUInt16BigEndian(data[2..]));
    }

    private static IDissector[] LinkDissectors() =>
    [
        new LinuxSll(), new NullLoopback(), new RawIp(), new Llc(), new Mpls(), new Arp(), new Ieee80211(), new Radiotap(), new Ppi(),
        new Icmp(), new Icmpv6(), new Gre(), new Vxlan(), new Nflog(),
    ];

    private static Harness NewHarness() =>
        new([new Ethernet(), new StubIPv4(), new StubIPv6(), new StubUdp(), new StubVlan(), .. LinkDissectors()]);

    private readonly Harness _h = NewHarness();

    // ---- frame builders ----

    private static readonly byte[] MacA = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55];
    private static readonly byte[] MacB = [0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff];
    private static readonly byte[] Ip1 = [10, 0, 0, 1];
    private static readonly byte[] Ip2 = [10, 0, 0, 2];

    private static byte[] Cat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    private static byte[] U16(int v) => [(byte)(v >> 8), (byte)v];

    private static byte[] U32(uint v) => [(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v];

    private static ushort Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (int i = 0; i < data.Length; i += 2)
            sum += i + 1 < data.Length ? BinaryPrimitives.ReadUInt16BigEndian(data[i..]) : (uint)data[i] << 8;
        while (sum >> 16 != 0)
            sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }

    private static byte[] WithChecksum(byte[] message, int offset)
    {
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(offset), Checksum(message));
        return message;
    }

    private static byte[] Ether(int type, byte[] payload) => Cat(MacB, MacA, U16(type), payload);

    private static byte[] IPv4(byte protocol, byte[] payload) =>
        Cat(WithChecksum(Cat([0x45, 0, .. U16(20 + payload.Length), 0, 1, 0x40, 0, 64, protocol, 0, 0], Ip1, Ip2), 10), payload);

    private static byte[] IcmpEcho(byte type, int id, int seq, bool goodChecksum = true)
    {
        byte[] m = Cat([type, 0, 0, 0], U16(id), U16(seq), "abcdefgh"u8.ToArray());
        return goodChecksum ? WithChecksum(m, 2) : m;
    }

    private static byte[] ArpRequest() =>
        Cat(U16(1), U16(0x0800), [6, 4], U16(1), MacA, Ip1, new byte[6], Ip2);

    private static byte[] ArpReply() =>
        Cat(U16(1), U16(0x0800), [6, 4], U16(2), MacB, Ip2, MacA, Ip1);

    /// <summary>Every prefix of the frame is dissected without an exception; a prefix that cuts the layer's header reports a <paramref name="protocol"/> anomaly.</summary>
    private void AssertPrefixesSafe(byte[] frame, int linkType, string protocol, int headerStart, int headerEnd)
    {
        for (int length = 0; length <= frame.Length; length++)
        {
            var d = _h.Dissect(frame[..length], linkType, detail: true, originalLength: frame.Length);
            Assert.DoesNotContain("engine.dissector_exception", d.Anomalies);
            if (length > headerStart && length < headerEnd)
                Assert.True(d.Anomalies.Any(a => a.StartsWith(protocol + ".", StringComparison.Ordinal)), $"prefix {length}: no {protocol} anomaly in [{string.Join(", ", d.Anomalies)}]");
        }
    }

    private static List<(FrameInfo Info, byte[] Data)> ReadFrames(string file)
    {
        var frames = new List<(FrameInfo, byte[])>();
        using var reader = CaptureReader.Open(Path.Combine(TestData.SharedPcaps!, file));
        while (reader.TryReadNext(out var f))
            frames.Add((f.Info, f.Data.ToArray()));
        return frames;
    }

    private Dissected Shared(List<(FrameInfo Info, byte[] Data)> frames, int number)
    {
        var (info, data) = frames[number - 1];
        var d = _h.Dissect(data, info.LinkType, detail: true, originalLength: info.OriginalLength);
        Assert.DoesNotContain("engine.dissector_exception", d.Anomalies);
        return d;
    }

    // ---- declarations ----

    [Fact]
    public void Every_link_dissector_declares_itself_without_problems()
    {
        var registry = _h.Registry;
        foreach (var id in new[] { "sll", "null", "raw", "llc", "mpls", "arp", "wlan", "radiotap", "ppi", "icmp", "icmpv6", "gre", "vxlan" })
            Assert.True(registry.ProtocolIndex(id) >= 0, id);
        Assert.All(registry.Anomalies.Where(a => a.Protocol is "sll" or "null" or "raw" or "llc" or "mpls" or "arp" or "wlan" or "radiotap" or "ppi" or "icmp" or "icmpv6" or "gre" or "vxlan"),
            a => Assert.Matches(@"^[a-z0-9]+\.[a-z0-9_]+$", a.Name));
        Assert.Contains(registry.Tables, t => t.Name == "llc" && t.Protocol == "llc");
    }

    // ---- Linux cooked capture ----

    private static byte[] SllV1(int protocol, byte[] payload, int haLen = 6) =>
        Cat(U16(0), U16(1), U16(haLen), MacA, [0, 0], U16(protocol), payload);

    [Fact]
    public void Sll_v1_decodes_the_header_and_hands_the_payload_to_its_ethertype()
    {
        var d = _h.Dissect(SllV1(0x0806, ArpRequest()), LinkTypes.LinuxSll);
        Assert.Equal(["sll", "arp"], d.Layers);
        Assert.Equal("0", d.One("sll.pkttype"));
        Assert.Equal("1", d.One("sll.hatype"));
        Assert.Equal("6", d.One("sll.halen"));
        Assert.Equal("00:11:22:33:44:55", d.One("sll.src.eth"));
        Assert.Equal("0x0806", d.One("sll.etype"));
        Assert.Equal("Who has 10.0.0.2? Tell 10.0.0.1", d.Info);
        Assert.Empty(d.Anomalies);
        AssertPrefixesSafe(SllV1(0x0806, ArpRequest()), LinkTypes.LinuxSll, "sll", 0, 16);
    }

    [Fact]
    public void Sll_802_2_pseudo_protocol_goes_to_llc_and_a_long_address_is_an_anomaly()
    {
        var d = _h.Dissect(SllV1(0x0004, [0x42, 0x42, 0x03, 0, 0, 0]), LinkTypes.LinuxSll);
        Assert.Equal(["sll", "llc"], d.Layers);
        Assert.Equal("0x0004", d.One("sll.ltype"));
        Assert.Equal("0x42", d.One("llc.dsap"));

        var bad = _h.Dissect(SllV1(0x0800, IPv4(1, IcmpEcho(8, 1, 1)), haLen: 9), LinkTypes.LinuxSll);
        Assert.Contains("sll.halen_too_long", bad.Anomalies);
        Assert.Equal("001122334455", bad.One("sll.src.other")[..12]);
    }

    [Fact]
    public void Sll2_decodes_the_interface_index_and_the_one_byte_fields()
    {
        byte[] frame = Cat(U16(0x0800), [0, 0], U32(3), U16(772), [4, 6], new byte[8], IPv4(1, IcmpEcho(8, 0x0102, 7)));
        var d = _h.Dissect(frame, LinkTypes.LinuxSll2);
        Assert.Equal(["sll", "ip", "icmp"], d.Layers);
        Assert.Equal("3", d.One("sll.ifindex"));
        Assert.Equal("772", d.One("sll.hatype"));
        Assert.Equal("4", d.One("sll.pkttype"));
        Assert.Equal("6", d.One("sll.halen"));
        Assert.Equal("00:00:00:00:00:00", d.One("sll.src.eth"));
        Assert.Equal("0x0800", d.One("sll.etype"));
        AssertPrefixesSafe(frame, LinkTypes.LinuxSll2, "sll", 0, 20);
    }

    [SharedPcapsFact]
    public void Sll_agrees_with_tshark_on_pcap_linux_sll_mixed()
    {
        var frames = ReadFrames("pcap-linux-sll-mixed.pcap");
        // tshark -T fields -e frame.number -e sll.pkttype -e sll.hatype -e sll.halen -e sll.src.eth -e sll.etype
        (int Frame, string PktType, string HaType, string Src, string EType)[] expected =
        [
            (1, "1", "1", "30:46:9a:23:fb:fa", "0x0800"),
            (2, "0", "772", "00:00:00:00:00:00", "0x0800"),
            (3, "4", "1", "08:00:27:19:1c:78", "0x0800"),
            (10, "4", "1", "08:00:27:19:1c:78", "0x0806"),
            (13, "4", "1", "08:00:27:19:1c:78", "0x86dd"),
            (510, "0", "1", "30:46:9a:23:fb:fa", "0x0800"),
        ];
        foreach (var e in expected)
        {
            var d = Shared(frames, e.Frame);
            Assert.Equal("sll", d.Layers[0]);
            Assert.Equal(e.PktType, d.One("sll.pkttype"));
            Assert.Equal(e.HaType, d.One("sll.hatype"));
            Assert.Equal("6", d.One("sll.halen"));
            Assert.Equal(e.Src, d.One("sll.src.eth"));
            Assert.Equal(e.EType, d.One("sll.etype"));
        }

        // Every frame decodes without an sll anomaly.
        foreach (var (info, data) in frames)
            Assert.DoesNotContain(_h.Dissect(data, info.LinkType).Anomalies, a => a.StartsWith("sll.", StringComparison.Ordinal));
    }

    [SharedPcapsFact]
    public void Sll2_arp_rarp_icmp_and_icmpv6_agree_with_tshark_on_pcap_linux_sll2()
    {
        var frames = ReadFrames("pcap-linux-sll2.pcap");
        // tshark -e sll.etype -e sll.ifindex -e sll.hatype -e sll.pkttype -e sll.halen -e sll.src.eth
        (string EType, string IfIndex, string HaType, string PktType, string Src)[] expected =
        [
            ("0x0800", "1", "772", "0", "00:00:00:00:00:00"),
            ("0x0800", "1", "772", "0", "00:00:00:00:00:00"),
            ("0x86dd", "1", "772", "0", "00:00:00:00:00:00"),
            ("0x86dd", "1", "772", "0", "00:00:00:00:00:00"),
            ("0x0806", "26", "1", "4", "8e:36:06:44:ac:af"),
            ("0x8035", "26", "1", "4", "8e:36:06:44:ac:af"),
        ];
        for (int i = 0; i < expected.Length; i++)
        {
            var d = Shared(frames, i + 1);
            Assert.Equal(expected[i].EType, d.One("sll.etype"));
            Assert.Equal(expected[i].IfIndex, d.One("sll.ifindex"));
            Assert.Equal(expected[i].HaType, d.One("sll.hatype"));
            Assert.Equal(expected[i].PktType, d.One("sll.pkttype"));
            Assert.Equal("6", d.One("sll.halen"));
            Assert.Equal(expected[i].Src, d.One("sll.src.eth"));
        }

        // tshark -e icmp.type -e icmp.code -e icmp.checksum -e icmp.ident -e icmp.seq -e _ws.col.Info
        var ping = Shared(frames, 1);
        Assert.Equal(["sll", "ip", "icmp"], ping.Layers);
        Assert.Equal(("8", "0", "0x66b4", "8", "1"), (ping.One("icmp.type"), ping.One("icmp.code"), ping.One("icmp.checksum"), ping.One("icmp.ident"), ping.One("icmp.seq")));
        Assert.Equal("1", ping.One("icmp.checksum.status"));
        Assert.Equal("Echo (ping) request  id=0x0008, seq=1/256", ping.Info); // tshark adds ", ttl=64" from IP
        var pong = Shared(frames, 2);
        Assert.Equal(("0", "0x6eb4"), (pong.One("icmp.type"), pong.One("icmp.checksum")));
        Assert.Equal("Echo (ping) reply    id=0x0008, seq=1/256", pong.Info);

        // tshark -e icmpv6.type -e icmpv6.code -e icmpv6.checksum -e icmpv6.echo.identifier -e icmpv6.echo.sequence_number
        var ping6 = Shared(frames, 3);
        Assert.Equal(["sll", "ipv6", "icmpv6"], ping6.Layers);
        Assert.Equal(("128", "0", "0xa8d7", "0x0009", "1"), (ping6.One("icmpv6.type"), ping6.One("icmpv6.code"), ping6.One("icmpv6.checksum"), ping6.One("icmpv6.echo.identifier"), ping6.One("icmpv6.echo.sequence_number")));
        Assert.Equal("Echo (ping) request id=0x0009, seq=1", ping6.Info); // tshark adds ", hop limit=64"
        var pong6 = Shared(frames, 4);
        Assert.Equal(("129", "0xa7d7"), (pong6.One("icmpv6.type"), pong6.One("icmpv6.checksum")));

        // tshark -e arp.hw.type -e arp.proto.type -e arp.opcode -e arp.src.hw_mac -e arp.src.proto_ipv4 -e arp.dst.hw_mac -e arp.dst.proto_ipv4 -e _ws.col.Info
        var arp = Shared(frames, 5);
        Assert.Equal(["sll", "arp"], arp.Layers);
        Assert.Equal(("1", "0x0800", "1"), (arp.One("arp.hw.type"), arp.One("arp.proto.type"), arp.One("arp.opcode")));
        Assert.Equal(("8e:36:06:44:ac:af", "192.0.2.1", "00:00:00:00:00:00", "192.0.2.2"),
            (arp.One("arp.src.hw_mac"), arp.One("arp.src.proto_ipv4"), arp.One("arp.dst.hw_mac"), arp.One("arp.dst.proto_ipv4")));
        Assert.Equal("Who has 192.0.2.2? Tell 192.0.2.1", arp.Info);
        var rarp = Shared(frames, 6);
        Assert.Equal("3", rarp.One("arp.opcode"));
        Assert.Equal("Who is 00:00:00:00:00:00? Tell 8e:36:06:44:ac:af", rarp.Info);
    }

    // ---- NFLOG ----

    /// <summary>An NFLOG frame: header (family, version 0, group 13), then TLVs (length and type in the given order, padded to 4).</summary>
    private static byte[] NflogFrame(byte family, bool bigEndian, params (int Type, byte[] Value)[] tlvs)
    {
        var frame = new List<byte> { family, 0, 0, 13 };
        foreach (var (type, value) in tlvs)
        {
            int length = 4 + value.Length;
            var header = new byte[4];
            if (bigEndian)
            {
                BinaryPrimitives.WriteUInt16BigEndian(header, (ushort)length);
                BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), (ushort)type);
            }
            else
            {
                BinaryPrimitives.WriteUInt16LittleEndian(header, (ushort)length);
                BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(2), (ushort)type);
            }

            frame.AddRange(header);
            frame.AddRange(value);
            while (frame.Count % 4 != 0)
                frame.Add(0);
        }

        return [.. frame];
    }

    [Fact]
    public void Nflog_reads_its_attributes_in_either_byte_order_and_decodes_the_payload()
    {
        byte[] v4 = IPv4(1, IcmpEcho(8, 1, 1));
        foreach (bool big in new[] { false, true })
        {
            var d = _h.Dissect(NflogFrame(2, big, (1, [0x08, 0x00, 3, 0]), (10, "pcapforge-nflog\0"u8.ToArray()), (5, [0, 0, 0, 1]),
                (11, [0, 0, 3, 0xE8]), (14, [0, 0, 0, 100]), (9, v4)), LinkTypes.NetfilterLog, detail: true);
            Assert.Equal(["nflog", "ip", "icmp"], d.Layers);
            Assert.Equal(("2", "13", "0x0800", "3"), (d.One("nflog.family"), d.One("nflog.res_id"), d.One("nflog.protocol"), d.One("nflog.hook")));
            Assert.Equal(("pcapforge-nflog", "1", "1000", "100"), (d.One("nflog.prefix"), d.One("nflog.ifindex_outdev"), d.One("nflog.uid"), d.One("nflog.gid")));
            Assert.Empty(d.Anomalies);
        }

        // A big-endian capture of a large (GSO) packet: the first attribute's length, 8, reads 2048 little-endian and
        // would fit; its type, 1, reads 256, which no attribute is.
        byte[] large = IPv4(1, [.. IcmpEcho(8, 1, 1), .. new byte[2100]]);
        var bigLarge = _h.Dissect(NflogFrame(2, true, (1, [0x08, 0x00, 3, 0]), (9, large)), LinkTypes.NetfilterLog);
        Assert.Equal(["nflog", "ip", "icmp"], bigLarge.Layers);
        Assert.Empty(bigLarge.Anomalies);

        // IPv6 by the family; a family that says nothing falls back on the packet header's EtherType.
        Assert.Equal(["nflog", "ipv6"], _h.Dissect(NflogFrame(10, false, (9, new byte[40])), LinkTypes.NetfilterLog).Layers);
        Assert.Equal(["nflog", "ip", "icmp"], _h.Dissect(NflogFrame(0, false, (1, [0x08, 0x00, 1, 0]), (9, v4)), LinkTypes.NetfilterLog).Layers);
    }

    [Fact]
    public void Nflog_damage_is_an_anomaly_never_an_exception()
    {
        var unknown = _h.Dissect(NflogFrame(7, false, (9, new byte[20])), LinkTypes.NetfilterLog);
        Assert.Equal(["nflog"], unknown.Layers);
        Assert.Contains("nflog.unknown_family", unknown.Anomalies);

        byte[] frame = NflogFrame(2, false, (10, "x\0"u8.ToArray()), (9, IPv4(1, IcmpEcho(8, 1, 1))));
        frame[12] = 0xFF;   // the second attribute's length (little-endian, at 12) runs past the frame
        var bad = _h.Dissect(frame, LinkTypes.NetfilterLog);
        Assert.Equal(["nflog"], bad.Layers);
        Assert.Contains("nflog.tlv_invalid", bad.Anomalies);

        AssertPrefixesSafe(NflogFrame(2, false, (9, IPv4(1, IcmpEcho(8, 1, 1)))), LinkTypes.NetfilterLog, "nflog", 0, 4);
    }

    // ---- BSD null/loopback ----

    [Fact]
    public void Null_reads_the_family_in_either_byte_order_and_loop_in_network_order()
    {
        byte[] v4 = IPv4(1, IcmpEcho(8, 1, 1));
        var little = _h.Dissect(Cat([2, 0, 0, 0], v4), LinkTypes.Null);
        Assert.Equal(["null", "ip", "icmp"], little.Layers);
        Assert.Equal("2", little.One("null.family"));
        var big = _h.Dissect(Cat([0, 0, 0, 2], v4), LinkTypes.Null);
        Assert.Equal("2", big.One("null.family"));
        var darwin6 = _h.Dissect(Cat([30, 0, 0, 0], new byte[40]), LinkTypes.Null);
        Assert.Equal(["null", "ipv6"], darwin6.Layers);
        var loop = _h.Dissect(Cat([0, 0, 0, 24], new byte[40]), LinkTypes.Loop);
        Assert.Equal(["null", "ipv6"], loop.Layers);
        Assert.Equal("24", loop.One("null.family"));
        AssertPrefixesSafe(Cat([2, 0, 0, 0], v4), LinkTypes.Null, "null", 0, 4);
    }

    [Fact]
    public void Null_unknown_family_is_an_anomaly()
    {
        var d = _h.Dissect(Cat([99, 0, 0, 0], new byte[20]), LinkTypes.Null);
        Assert.Equal(["null"], d.Layers);
        Assert.Contains("null.unknown_family", d.Anomalies);
    }

    [SharedPcapsFact]
    public void Null_agrees_with_tshark_on_pcap_null_loopback()
    {
        var frames = ReadFrames("pcap-null-loopback.pcap");
        // tshark -e null.family -e null.type -e frame.protocols: 30 null:ipv6, 2 null:ip, (type 0x0800) null:ip
        var f1 = Shared(frames, 1);
        Assert.Equal("30", f1.One("null.family"));
        Assert.Equal("ipv6", f1.Layers[1]);
        var f2 = Shared(frames, 2);
        Assert.Equal("2", f2.One("null.family"));
        Assert.Equal("ip", f2.Layers[1]);
        var f3 = Shared(frames, 3); // bytes 0f 00 08 00: Wireshark reads an EtherType there
        Assert.False(f3.Has("null.family"));
        Assert.Equal("0x0800", f3.One("null.type"));
        Assert.Equal("ip", f3.Layers[1]);
    }

    // ---- raw IP ----

    [Fact]
    public void Raw_ip_picks_the_version_from_the_first_nibble()
    {
        var v4 = _h.Dissect(IPv4(1, IcmpEcho(8, 1, 1)), LinkTypes.Raw);
        Assert.Equal(["raw", "ip", "icmp"], v4.Layers);
        var v6 = _h.Dissect(Cat([0x60], new byte[39]), LinkTypes.RawBsd14);
        Assert.Equal(["raw", "ipv6"], v6.Layers);
        var only4 = _h.Dissect(IPv4(1, IcmpEcho(8, 1, 1)), LinkTypes.Ipv4);
        Assert.Equal(["raw", "ip", "icmp"], only4.Layers);
        AssertPrefixesSafe(IPv4(1, IcmpEcho(8, 1, 1)), LinkTypes.Raw, "raw", 0, 0);
    }

    [Fact]
    public void Raw_ip_with_another_version_is_an_anomaly()
    {
        var d = _h.Dissect(Cat([0x50], new byte[19]), LinkTypes.Raw);
        Assert.Equal(["raw"], d.Layers);
        Assert.Contains("raw.unknown_version", d.Anomalies);
        var mismatch = _h.Dissect(Cat([0x60], new byte[39]), LinkTypes.Ipv4);
        Assert.Contains("raw.version_mismatch", mismatch.Anomalies);
    }

    [SharedPcapsFact]
    public void Raw_ip_agrees_with_tshark_on_pcap_rawip_101()
    {
        // tshark -T fields -e frame.protocols | sort | uniq -c: 50 raw:ip:…, 50 raw:ipv6:…
        var frames = ReadFrames("pcap-rawip-101-v4-v6.pcap");
        var layers = frames.Select(f => _h.Dissect(f.Data, f.Info.LinkType).Layers).ToList();
        Assert.All(layers, l => Assert.Equal("raw", l[0]));
        Assert.Equal(50, layers.Count(l => l[1] == "ip"));
        Assert.Equal(50, layers.Count(l => l[1] == "ipv6"));
    }

    // ---- LLC / SNAP ----

    [Fact]
    public void Llc_snap_with_oui_0_hands_the_ethertype_on()
    {
        byte[] llc = Cat([0xAA, 0xAA, 0x03, 0, 0, 0], U16(0x0806), ArpReply());
        byte[] frame = Cat(MacB, MacA, U16(llc.Length), llc);
        var d = _h.Dissect(frame, LinkTypes.Ethernet);
        Assert.Equal(["eth", "llc", "arp"], d.Layers);
        Assert.Equal(("0xaa", "0xaa", "0x0003", "0", "0x0806"), (d.One("llc.dsap"), d.One("llc.ssap"), d.One("llc.control"), d.One("llc.oui"), d.One("llc.type")));
        Assert.False(d.Has("llc.pid"));
        Assert.Equal("10.0.0.2 is at aa:bb:cc:dd:ee:ff", d.Info);
        AssertPrefixesSafe(frame, LinkTypes.Ethernet, "llc", 14, 22);
    }

    [Fact]
    public void Llc_without_snap_and_a_cut_snap_header()
    {
        // Spanning tree: DSAP 0x42, SSAP 0x42, UI.
        byte[] stp = Cat([0x42, 0x42, 0x03], new byte[35]);
        var d = _h.Dissect(Cat(MacB, MacA, U16(stp.Length), stp), LinkTypes.Ethernet);
        Assert.Equal(["eth", "llc"], d.Layers);
        Assert.Equal(("0x42", "0x42", "0x0003"), (d.One("llc.dsap"), d.One("llc.ssap"), d.One("llc.control")));
        Assert.False(d.Has("llc.oui"));

        // An I-format control field is two bytes, low byte first.
        var i = _h.Dissect(Cat(MacB, MacA, U16(4), [0xF0, 0xF0, 0x02, 0x05]), LinkTypes.Ethernet);
        Assert.Equal("0x0502", i.One("llc.control"));

        // SNAP header cut after the OUI (the 802.3 length says 6 bytes).
        var cut = _h.Dissect(Cat(MacB, MacA, U16(6), [0xAA, 0xAA, 0x03, 0, 0, 0]), LinkTypes.Ethernet);
        Assert.Contains("llc.truncated", cut.Anomalies);
    }

    // ---- MPLS ----

    private static byte[] MplsEntry(int label, int tc, bool bottom, int ttl) =>
        U32((uint)((label << 12) | (tc << 9) | (bottom ? 0x100 : 0) | ttl));

    [Fact]
    public void Mpls_decodes_the_stack_and_guesses_ip_from_the_nibble()
    {
        byte[] frame = Ether(0x8847, Cat(MplsEntry(16, 5, false, 64), MplsEntry(1000, 0, true, 63), IPv4(1, IcmpEcho(8, 1, 1))));
        var d = _h.Dissect(frame, LinkTypes.Ethernet);
        Assert.Equal(["eth", "mpls", "ip", "icmp"], d.Layers);
        Assert.Equal(["16", "1000"], d.All("mpls.label"));
        Assert.Equal(["5", "0"], d.All("mpls.exp"));
        Assert.Equal(["0", "1"], d.All("mpls.bottom"));
        Assert.Equal(["64", "63"], d.All("mpls.ttl"));
        AssertPrefixesSafe(frame, LinkTypes.Ethernet, "mpls", 14, 22);
    }

    [Fact]
    public void Mpls_pseudowire_with_control_word_carries_ethernet()
    {
        byte[] inner = Ether(0x0806, ArpRequest());
        byte[] frame = Ether(0x8847, Cat(MplsEntry(299, 0, true, 255), [0, 0, 0, 9], inner));
        var d = _h.Dissect(frame, LinkTypes.Ethernet);
        Assert.Equal(["eth", "mpls", "eth", "arp"], d.Layers);
        Assert.Equal("9", d.One("pweth.cw.sequence_number"));
        Assert.Equal(["aa:bb:cc:dd:ee:ff", "aa:bb:cc:dd:ee:ff"], d.All("eth.dst"));
    }

    [Fact]
    public void Mpls_stack_without_bottom_is_an_anomaly()
    {
        var d = _h.Dissect(Ether(0x8847, Cat(MplsEntry(16, 0, false, 64), MplsEntry(17, 0, false, 64))), LinkTypes.Ethernet);
        Assert.Contains("mpls.truncated", d.Anomalies);
        Assert.Equal(["16", "17"], d.All("mpls.label"));
    }

    [SharedPcapsFact]
    public void Mpls_agrees_with_tshark_on_mpls_in_vlan_http()
    {
        var frames = ReadFrames("mpls-in-vlan-http.pcap");
        // tshark -e mpls.label -e mpls.exp -e mpls.bottom -e mpls.ttl: frame 2 16106/0/1/44, frame 3 254,99/0,0/0,1/60,60
        var f2 = Shared(frames, 2);
        Assert.Equal(["eth", "vlan", "mpls", "ip"], f2.Layers.Take(4));
        Assert.Equal(("16106", "0", "1", "44"), (f2.One("mpls.label"), f2.One("mpls.exp"), f2.One("mpls.bottom"), f2.One("mpls.ttl")));
        var f3 = Shared(frames, 3);
        Assert.Equal(["254", "99"], f3.All("mpls.label"));
        Assert.Equal(["0", "0"], f3.All("mpls.exp"));
        Assert.Equal(["0", "1"], f3.All("mpls.bottom"));
        Assert.Equal(["60", "60"], f3.All("mpls.ttl"));
        Assert.Equal("ip", f3.Layers[3]);
    }

    // ---- ARP ----

    [Fact]
    public void Arp_request_and_reply_read_as_tshark()
    {
        var req = _h.Dissect(Ether(0x0806, ArpRequest()), LinkTypes.Ethernet);
        Assert.Equal(["eth", "arp"], req.Layers);
        Assert.Equal(("1", "0x0800", "6", "4", "1"), (req.One("arp.hw.type"), req.One("arp.proto.type"), req.One("arp.hw.size"), req.One("arp.proto.size"), req.One("arp.opcode")));
        Assert.Equal(("00:11:22:33:44:55", "10.0.0.1", "00:00:00:00:00:00", "10.0.0.2"),
            (req.One("arp.src.hw_mac"), req.One("arp.src.proto_ipv4"), req.One("arp.dst.hw_mac"), req.One("arp.dst.proto_ipv4")));
        Assert.Equal("Who has 10.0.0.2? Tell 10.0.0.1", req.Info);
        var reply = _h.Dissect(Ether(0x0806, ArpReply()), LinkTypes.Ethernet);
        Assert.Equal("10.0.0.2 is at aa:bb:cc:dd:ee:ff", reply.Info);
        byte[] gratuitous = Cat(U16(1), U16(0x0800), [6, 4], U16(1), MacA, Ip1, new byte[6], Ip1);
        Assert.Equal("ARP Announcement for 10.0.0.1", _h.Dissect(Ether(0x0806, gratuitous), LinkTypes.Ethernet).Info);
        byte[] probe = Cat(U16(1), U16(0x0800), [6, 4], U16(1), MacA, new byte[4], new byte[6], Ip2);
        Assert.Equal("Who has 10.0.0.2? (ARP Probe)", _h.Dissect(Ether(0x0806, probe), LinkTypes.Ethernet).Info);
        AssertPrefixesSafe(Ether(0x0806, ArpRequest()), LinkTypes.Ethernet, "arp", 14, 14 + 28);
    }

    [Fact]
    public void Arp_with_a_wrong_address_size_is_an_anomaly_and_uses_the_byte_fields()
    {
        byte[] arp = Cat(U16(1), U16(0x0800), [8, 4], U16(1), new byte[8], Ip1, new byte[8], Ip2);
        var d = _h.Dissect(Ether(0x0806, arp), LinkTypes.Ethernet);
        Assert.Contains("arp.bad_address_size", d.Anomalies);
        Assert.Equal("0000000000000000", d.One("arp.src.hw"));
        Assert.Equal("10.0.0.1", d.One("arp.src.proto_ipv4"));
    }

    [SharedPcapsFact]
    public void Arp_agrees_with_tshark_on_vlan_8021ad_qinq_arp()
    {
        var frames = ReadFrames("vlan-8021ad-qinq-arp.pcap");
        // tshark -e arp.hw.type -e arp.proto.type -e arp.opcode -e arp.src.hw_mac -e arp.src.proto_ipv4 -e arp.dst.hw_mac -e arp.dst.proto_ipv4 -e _ws.col.Info
        (string Op, string Sha, string Spa, string Tha, string Tpa, string Info)[] expected =
        [
            ("1", "00:20:d2:5a:fb:3f", "172.21.79.97", "00:00:00:00:00:00", "172.21.79.100", "Who has 172.21.79.100? Tell 172.21.79.97"),
            ("2", "00:80:ea:81:88:63", "172.21.79.100", "00:20:d2:5a:fb:3f", "172.21.79.97", "172.21.79.100 is at 00:80:ea:81:88:63"),
        ];
        for (int i = 0; i < expected.Length; i++)
        {
            var d = Shared(frames, i + 1);
            Assert.Equal("arp", d.Layers[^1]);
            Assert.Equal(("1", "0x0800"), (d.One("arp.hw.type"), d.One("arp.proto.type")));
            var e = expected[i];
            Assert.Equal((e.Op, e.Sha, e.Spa, e.Tha, e.Tpa), (d.One("arp.opcode"), d.One("arp.src.hw_mac"), d.One("arp.src.proto_ipv4"), d.One("arp.dst.hw_mac"), d.One("arp.dst.proto_ipv4")));
            Assert.Equal(e.Info, d.Info);
        }
    }

    // ---- 802.11, radiotap, PPI ----

    private static byte[] SnapIPv4(byte[] ip) => Cat([0xAA, 0xAA, 0x03, 0, 0, 0], U16(0x0800), ip);

    /// <summary>A QoS data frame To DS (station → AP): address 1 BSSID, 2 SA, 3 DA; TID 5.</summary>
    private static byte[] WlanQosData(byte flags = 0x01, byte version = 0) =>
        Cat([(byte)(0x88 | version), flags], [0x2c, 0x00], MacB, MacA, [0x02, 0, 0, 0, 0, 9], [0x10, 0x00], [0x05, 0x00], SnapIPv4(IPv4(1, IcmpEcho(8, 1, 1))));

    [Fact]
    public void Wlan_qos_data_to_ds_reaches_the_llc()
    {
        var d = _h.Dissect(WlanQosData(), LinkTypes.Ieee80211);
        Assert.Equal(["wlan", "llc", "ip", "icmp"], d.Layers);
        Assert.Equal(("0x8801", "2", "8", "0x0028", "0x01"), (d.One("wlan.fc"), d.One("wlan.fc.type"), d.One("wlan.fc.subtype"), d.One("wlan.fc.type_subtype"), d.One("wlan.fc.ds")));
        Assert.Equal(("aa:bb:cc:dd:ee:ff", "00:11:22:33:44:55", "02:00:00:00:00:09"), (d.One("wlan.bssid"), d.One("wlan.sa"), d.One("wlan.da")));
        Assert.Equal(("44", "1", "0"), (d.One("wlan.duration"), d.One("wlan.seq"), d.One("wlan.frag")));
        Assert.Equal(("0x0005", "5"), (d.One("wlan.qos"), d.One("wlan.qos.tid")));
        Assert.Equal("0x0800", d.One("llc.type"));
        AssertPrefixesSafe(WlanQosData(), LinkTypes.Ieee80211, "wlan", 0, 26);
    }

    [Fact]
    public void Wlan_protected_frames_stop_and_a_bad_version_is_an_anomaly()
    {
        var d = _h.Dissect(WlanQosData(flags: 0x41), LinkTypes.Ieee80211);
        Assert.Equal(["wlan"], d.Layers);
        Assert.Equal("1", d.One("wlan.fc.protected"));
        var bad = _h.Dissect(WlanQosData(version: 1), LinkTypes.Ieee80211);
        Assert.Contains("wlan.bad_version", bad.Anomalies);

        // A four-address (WDS) frame: DA is address 3, SA address 4.
        byte[] wds = Cat([0x08, 0x03], [0, 0], MacB, MacA, [1, 2, 3, 4, 5, 6], [0, 0], [0xde, 0xad, 0xbe, 0xef, 0, 1], SnapIPv4(IPv4(1, IcmpEcho(8, 1, 1))));
        var w = _h.Dissect(wds, LinkTypes.Ieee80211);
        Assert.Equal(("aa:bb:cc:dd:ee:ff", "00:11:22:33:44:55", "01:02:03:04:05:06", "de:ad:be:ef:00:01"), (w.One("wlan.ra"), w.One("wlan.ta"), w.One("wlan.da"), w.One("wlan.sa")));
        Assert.False(w.Has("wlan.bssid"));
        Assert.Equal("llc", w.Layers[1]);
    }

    [SharedPcapsFact]
    public void Wlan_agrees_with_tshark_on_pcap_80211_no_radiotap()
    {
        var frames = ReadFrames("pcap-80211-no-radiotap.pcap");
        // tshark -e wlan.fc -e wlan.fc.type_subtype -e wlan.ra -e wlan.ta -e wlan.da -e wlan.sa -e wlan.bssid -e wlan.seq
        (string Fc, string TypeSubtype, string Ra, string Ta, string Da, string Sa, string Bssid, string Seq, string Next)[] expected =
        [
            ("0x8801", "0x0028", "8a:15:14:9b:5a:e0", "90:72:40:97:b6:f5", "44:2b:03:aa:ab:8d", "90:72:40:97:b6:f5", "8a:15:14:9b:5a:e0", "1", "ip"),
            ("0x8802", "0x0028", "90:72:40:97:b6:f5", "8a:15:14:9b:5a:e0", "90:72:40:97:b6:f5", "44:2b:03:aa:ab:8d", "8a:15:14:9b:5a:e0", "4", "ip"),
            ("0x0802", "0x0020", "33:33:00:00:00:fb", "8a:15:14:9b:5a:e0", "33:33:00:00:00:fb", "a4:67:06:f7:ec:54", "8a:15:14:9b:5a:e0", "2779", "ipv6"),
        ];
        for (int i = 0; i < expected.Length; i++)
        {
            var d = Shared(frames, i + 1);
            var e = expected[i];
            Assert.Equal(["wlan", "llc", e.Next], d.Layers.Take(3));
            Assert.Equal((e.Fc, e.TypeSubtype, e.Ra, e.Ta, e.Da, e.Sa, e.Bssid, e.Seq),
                (d.One("wlan.fc"), d.One("wlan.fc.type_subtype"), d.One("wlan.ra"), d.One("wlan.ta"), d.One("wlan.da"), d.One("wlan.sa"), d.One("wlan.bssid"), d.One("wlan.seq")));
        }
    }

    /// <summary>Version 0, length 17, present TSFT | Flags: TSFT at 8 (8-aligned), Flags at 16.</summary>
    private static byte[] RadiotapHeader(byte flags) => Cat([0, 0, 17, 0, 0x03, 0, 0, 0], new byte[8], [flags]);

    [Fact]
    public void Radiotap_finds_the_flags_after_tsft_and_cuts_the_fcs()
    {
        byte[] wlan = WlanQosData();
        byte[] frame = Cat(RadiotapHeader(0x10), wlan, [0xde, 0xad, 0xbe, 0xef]);
        var d = _h.Dissect(frame, LinkTypes.Ieee80211Radiotap);
        Assert.Equal(["radiotap", "wlan", "llc", "ip", "icmp"], d.Layers);
        Assert.Equal(("0", "17", "0x00000003", "0x10", "1"), (d.One("radiotap.version"), d.One("radiotap.length"), d.One("radiotap.present.word"), d.One("radiotap.flags"), d.One("radiotap.flags.fcs")));
        AssertPrefixesSafe(frame, LinkTypes.Ieee80211Radiotap, "radiotap", 0, 8);
    }

    [Fact]
    public void Radiotap_with_a_lying_length_is_an_anomaly()
    {
        var shortLength = _h.Dissect(Cat([0, 0, 4, 0, 0, 0, 0, 0], WlanQosData()), LinkTypes.Ieee80211Radiotap);
        Assert.Contains("radiotap.length_invalid", shortLength.Anomalies);
        var longLength = _h.Dissect(Cat([0, 0, 0xff, 0x0f, 0, 0, 0, 0], WlanQosData()), LinkTypes.Ieee80211Radiotap);
        Assert.Contains("radiotap.truncated", longLength.Anomalies);
        Assert.Equal(["radiotap"], longLength.Layers);

        // The extension bit promises another present word the header has no room for.
        var chain = _h.Dissect(Cat([0, 0, 8, 0, 0, 0, 0, 0x80], WlanQosData()), LinkTypes.Ieee80211Radiotap);
        Assert.Contains("radiotap.length_invalid", chain.Anomalies);
    }

    [SharedPcapsFact]
    public void Radiotap_and_wlan_agree_with_tshark_on_http_over_80211_radiotap()
    {
        var frames = ReadFrames("http-over-80211-radiotap.pcap");
        // tshark -e radiotap.length -e radiotap.present.word -e radiotap.flags -e wlan.fc -e wlan.fc.type_subtype -e wlan.fc.ds
        //        -e wlan.ra -e wlan.ta -e wlan.da -e wlan.sa -e wlan.bssid -e llc.dsap -e llc.control -e llc.oui -e llc.type
        var f1 = Shared(frames, 1);
        Assert.Equal(["radiotap", "wlan", "llc", "ip"], f1.Layers.Take(4));
        Assert.Equal(("36", "0x10", "1"), (f1.One("radiotap.length"), f1.One("radiotap.flags"), f1.One("radiotap.flags.fcs")));
        Assert.Equal(["0xa000402f", "0x00000820"], f1.All("radiotap.present.word"));
        Assert.Equal(("0x0801", "0x0020", "0x01", "0"), (f1.One("wlan.fc"), f1.One("wlan.fc.type_subtype"), f1.One("wlan.fc.ds"), f1.One("wlan.fc.protected")));
        Assert.Equal(("88:25:93:40:6b:6f", "f8:a9:d0:1e:90:a3", "88:25:93:40:6b:6f", "f8:a9:d0:1e:90:a3", "88:25:93:40:6b:6f"),
            (f1.One("wlan.ra"), f1.One("wlan.ta"), f1.One("wlan.da"), f1.One("wlan.sa"), f1.One("wlan.bssid")));
        Assert.Equal(("2930", "0", "258"), (f1.One("wlan.seq"), f1.One("wlan.frag"), f1.One("wlan.duration")));
        Assert.Equal(("0xaa", "0xaa", "0x0003", "0", "0x0800"), (f1.One("llc.dsap"), f1.One("llc.ssap"), f1.One("llc.control"), f1.One("llc.oui"), f1.One("llc.type")));

        var f2 = Shared(frames, 2);
        Assert.Equal(("0x0802", "0x02"), (f2.One("wlan.fc"), f2.One("wlan.fc.ds")));
        Assert.Equal(("f8:a9:d0:1e:90:a3", "88:25:93:40:6b:6f", "88:25:93:40:6b:6f"), (f2.One("wlan.da"), f2.One("wlan.sa"), f2.One("wlan.bssid")));

        // Every frame reaches IP (tshark: radiotap:wlan_radio:wlan:llc:ip:tcp for all 26).
        Assert.All(frames, f => Assert.Equal("ip", _h.Dissect(f.Data, f.Info.LinkType).Layers[3]));
    }

    [SharedPcapsFact]
    public void Ppi_agrees_with_tshark_on_pcap_80211_ppi()
    {
        var frames = ReadFrames("pcap-80211-ppi.pcap");
        // tshark -e ppi.version -e ppi.flags -e ppi.length -e ppi.dlt -e wlan.fc -e wlan.ra -e wlan.ta -e wlan.da -e wlan.bssid -e wlan.qos -e wlan.qos.tid -e wlan.seq -e llc.type
        var f1 = Shared(frames, 1);
        Assert.Equal(["ppi", "wlan", "llc", "ip"], f1.Layers.Take(4));
        Assert.Equal(("0", "0x00", "84", "105"), (f1.One("ppi.version"), f1.One("ppi.flags"), f1.One("ppi.length"), f1.One("ppi.dlt")));
        Assert.Equal(("0x8801", "00:14:a5:cd:74:7b", "00:14:a5:cb:6e:1a", "00:01:02:27:f9:b2", "00:14:a5:cd:74:7b"),
            (f1.One("wlan.fc"), f1.One("wlan.ra"), f1.One("wlan.ta"), f1.One("wlan.da"), f1.One("wlan.bssid")));
        Assert.Equal(("0x0000", "0", "3802", "0x0800"), (f1.One("wlan.qos"), f1.One("wlan.qos.tid"), f1.One("wlan.seq"), f1.One("llc.type")));
        var f2 = Shared(frames, 2); // an acknowledgement: RA only
        Assert.Equal(("32", "0xd400", "0x001d", "00:14:a5:cb:6e:1a"), (f2.One("ppi.length"), f2.One("wlan.fc"), f2.One("wlan.fc.type_subtype"), f2.One("wlan.ra")));
        Assert.False(f2.Has("wlan.ta"));
        AssertPrefixesSafe(frames[0].Data, LinkTypes.Ppi, "ppi", 0, 84);
    }

    [Fact]
    public void Ppi_with_a_short_length_is_an_anomaly()
    {
        var d = _h.Dissect(Cat([0, 0, 4, 0, 105, 0, 0, 0], WlanQosData()), LinkTypes.Ppi);
        Assert.Contains("ppi.length_invalid", d.Anomalies);
        Assert.Equal(["ppi"], d.Layers);
    }

    // ---- ICMP ----

    [Fact]
    public void Icmp_echo_with_checksum_and_info()
    {
        byte[] frame = Ether(0x0800, IPv4(1, IcmpEcho(8, 0x04ca, 1)));
        var d = _h.Dissect(frame, LinkTypes.Ethernet);
        Assert.Equal(["eth", "ip", "icmp"], d.Layers);
        Assert.Equal(("8", "0", "1226", "1", "256", "1"), (d.One("icmp.type"), d.One("icmp.code"), d.One("icmp.ident"), d.One("icmp.seq"), d.One("icmp.seq_le"), d.One("icmp.checksum.status")));
        Assert.Equal("Echo (ping) request  id=0x04ca, seq=1/256", d.Info);
        Assert.Empty(d.Anomalies);
        AssertPrefixesSafe(frame, LinkTypes.Ethernet, "icmp", 34, 42);
    }

    [Fact]
    public void Icmp_bad_checksum_is_an_anomaly()
    {
        byte[] echo = IcmpEcho(8, 1, 1);
        echo[2] ^= 0xFF;
        var d = _h.Dissect(Ether(0x0800, IPv4(1, echo)), LinkTypes.Ethernet);
        Assert.Contains("icmp.checksum_bad", d.Anomalies);
        Assert.Equal("0", d.One("icmp.checksum.status"));
    }

    [Fact]
    public void Icmp_error_hands_the_quoted_packet_on_and_keeps_its_info()
    {
        byte[] quoted = IPv4(1, IcmpEcho(8, 0x0500, 0x3800));
        byte[] error = WithChecksum(Cat([11, 0, 0, 0, 0, 0, 0, 0], quoted), 2);
        var d = _h.Dissect(Ether(0x0800, IPv4(1, error)), LinkTypes.Ethernet);
        Assert.Equal(["eth", "ip", "icmp", "ip", "icmp"], d.Layers);
        Assert.Equal(["11", "8"], d.All("icmp.type"));
        Assert.Equal("1280", d.One("icmp.ident"));
        Assert.Equal("1", d.One("icmp.checksum.status")); // only the outer message is verified
        Assert.Equal("Time-to-live exceeded (Time to live exceeded in transit)", d.Info);
    }

    [SharedPcapsFact]
    public void Icmp_agrees_with_tshark_on_echo_and_traceroute()
    {
        var pings = ReadFrames("icmp-echo-5-pings.pcap");
        // tshark -e icmp.type -e icmp.code -e icmp.checksum -e icmp.ident -e icmp.seq -e icmp.checksum.status -e icmp.ident_le -e icmp.seq_le
        (int Frame, string Type, string Checksum, string Seq)[] expected = [(1, "8", "0xef24", "1"), (2, "0", "0xf724", "1"), (3, "8", "0x7720", "2")];
        foreach (var e in expected)
        {
            var d = Shared(pings, e.Frame);
            Assert.Equal((e.Type, "0", e.Checksum, "1226", e.Seq, "1"), (d.One("icmp.type"), d.One("icmp.code"), d.One("icmp.checksum"), d.One("icmp.ident"), d.One("icmp.seq"), d.One("icmp.checksum.status")));
        }

        Assert.Equal(("51716", "256"), (Shared(pings, 1).One("icmp.ident_le"), Shared(pings, 1).One("icmp.seq_le")));
        Assert.Equal("Echo (ping) request  id=0x04ca, seq=1/256", Shared(pings, 1).Info); // tshark: ", ttl=64" follows
        Assert.Equal("Echo (ping) reply    id=0x04ca, seq=1/256", Shared(pings, 2).Info);

        var trace = ReadFrames("icmp-traceroute.pcapng");
        // Frame 2: icmp.type 11,8; icmp.code 0,0; icmp.checksum 0xf4ff,0xbaff; icmp.ident 1280; icmp.seq 14336; status 1,2
        var t = Shared(trace, 2);
        Assert.Equal(["eth", "ip", "icmp", "ip", "icmp"], t.Layers);
        Assert.Equal(["11", "8"], t.All("icmp.type"));
        Assert.Equal(["0", "0"], t.All("icmp.code"));
        Assert.Equal(["0xf4ff", "0xbaff"], t.All("icmp.checksum"));
        Assert.Equal(("1280", "14336", "1"), (t.One("icmp.ident"), t.One("icmp.seq"), t.One("icmp.checksum.status")));
    }

    // ---- ICMPv6 ----

    private static byte[] IPv6(byte next, byte[] payload) =>
        Cat([0x60, 0, 0, 0], U16(payload.Length), [next, 255], new byte[15], [1], new byte[15], [2], payload);

    private static readonly byte[] Target = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01];

    [Fact]
    public void Icmpv6_neighbour_solicitation_and_advertisement_targets()
    {
        byte[] ns = Cat([135, 0, 0x12, 0x34, 0, 0, 0, 0], Target);
        byte[] frame = Ether(0x86DD, IPv6(58, ns));
        var d = _h.Dissect(frame, LinkTypes.Ethernet);
        Assert.Equal(["eth", "ipv6", "icmpv6"], d.Layers);
        Assert.Equal(("135", "0", "0x1234", "fe80::1"), (d.One("icmpv6.type"), d.One("icmpv6.code"), d.One("icmpv6.checksum"), d.One("icmpv6.nd.ns.target_address")));
        Assert.Equal("Neighbor Solicitation for fe80::1", d.Info);
        var na = _h.Dissect(Ether(0x86DD, IPv6(58, Cat([136, 0, 0, 0, 0x60, 0, 0, 0], Target))), LinkTypes.Ethernet);
        Assert.Equal(("fe80::1", "0x60000000"), (na.One("icmpv6.nd.na.target_address"), na.One("icmpv6.nd.na.flag")));
        Assert.Equal("Neighbor Advertisement fe80::1 (sol, ovr)", na.Info);
        AssertPrefixesSafe(frame, LinkTypes.Ethernet, "icmpv6", 54, 78);
    }

    [Fact]
    public void Icmpv6_error_quotes_an_ipv6_packet_and_a_cut_target_is_an_anomaly()
    {
        byte[] quoted = IPv6(58, Cat([128, 0, 0, 0, 0, 9, 0, 1]));
        var d = _h.Dissect(Ether(0x86DD, IPv6(58, Cat([1, 4, 0, 0, 0, 0, 0, 0], quoted))), LinkTypes.Ethernet);
        Assert.Equal(["eth", "ipv6", "icmpv6", "ipv6", "icmpv6"], d.Layers);
        Assert.Equal("Destination Unreachable (port unreachable)", d.Info);
        Assert.Equal("0x0009", d.One("icmpv6.echo.identifier"));

        var cut = _h.Dissect(Ether(0x86DD, IPv6(58, Cat([135, 0, 0, 0, 0, 0, 0, 0], Target[..8]))), LinkTypes.Ethernet);
        Assert.Contains("icmpv6.truncated", cut.Anomalies);
    }

    // ---- GRE ----

    [Fact]
    public void Gre_with_key_and_sequence_hands_the_protocol_on()
    {
        byte[] gre = Cat(U16(0x3000), U16(0x0800), U32(0xdeadbeef), U32(42), IPv4(1, IcmpEcho(8, 1, 1)));
        byte[] frame = Ether(0x0800, IPv4(47, gre));
        var d = _h.Dissect(frame, LinkTypes.Ethernet);
        Assert.Equal(["eth", "ip", "gre", "ip", "icmp"], d.Layers);
        Assert.Equal(("0x3000", "1", "1", "0", "0x0800", "0xdeadbeef", "42"),
            (d.One("gre.flags_and_version"), d.One("gre.flags.key"), d.One("gre.flags.sequence_number"), d.One("gre.flags.checksum"), d.One("gre.proto"), d.One("gre.key"), d.One("gre.sequence_number")));
        AssertPrefixesSafe(frame, LinkTypes.Ethernet, "gre", 34, 46);
    }

    [Fact]
    public void Gre_transparent_ethernet_bridging_and_checksums()
    {
        byte[] teb = WithChecksum(Cat(U16(0x8000), U16(0x6558), [0, 0, 0, 0], Ether(0x0806, ArpRequest())), 4);
        var d = _h.Dissect(Ether(0x0800, IPv4(47, teb)), LinkTypes.Ethernet);
        Assert.Equal(["eth", "ip", "gre", "eth", "arp"], d.Layers);
        Assert.Equal("1", d.One("gre.checksum.status"));

        teb[4] ^= 0x55;
        Assert.Contains("gre.checksum_bad", _h.Dissect(Ether(0x0800, IPv4(47, teb)), LinkTypes.Ethernet).Anomalies);
        Assert.Contains("gre.unknown_version", _h.Dissect(Ether(0x0800, IPv4(47, Cat(U16(0x0003), U16(0x0800), new byte[20]))), LinkTypes.Ethernet).Anomalies);
    }

    [SharedPcapsFact]
    public void Gre_agrees_with_tshark_on_tunnel_gre_ip()
    {
        var frames = ReadFrames("tunnel-gre-ip.pcap");
        // tshark -e gre.flags_and_version -e gre.proto -e icmp.type -e icmp.ident -e icmp.seq -e icmp.checksum -e icmp.checksum.status (frame 1)
        var d = Shared(frames, 1);
        Assert.Equal(["eth", "ip", "gre", "ip", "icmp"], d.Layers);
        Assert.Equal(("0x0000", "0x0800", "0", "0", "0"), (d.One("gre.flags_and_version"), d.One("gre.proto"), d.One("gre.flags.version"), d.One("gre.flags.checksum"), d.One("gre.flags.key")));
        Assert.Equal(("8", "0x46c9", "52072", "256", "1"), (d.One("icmp.type"), d.One("icmp.checksum"), d.One("icmp.ident"), d.One("icmp.seq"), d.One("icmp.checksum.status")));
        Assert.All(frames, f => Assert.Equal("gre", _h.Dissect(f.Data, f.Info.LinkType).Layers[2]));
    }

    // ---- VXLAN ----

    private static byte[] UdpTo(int port, byte[] payload) => Cat(U16(50000), U16(port), U16(8 + payload.Length), [0, 0], payload);

    [Fact]
    public void Vxlan_decodes_the_vni_and_the_inner_ethernet()
    {
        byte[] vxlan = Cat([0x08, 0, 0, 0], [0, 0x12, 0x34, 0], Ether(0x0806, ArpRequest()));
        byte[] frame = Ether(0x0800, IPv4(17, UdpTo(4789, vxlan)));
        var d = _h.Dissect(frame, LinkTypes.Ethernet);
        Assert.Equal(["eth", "ip", "udp", "vxlan", "eth", "arp"], d.Layers);
        Assert.Equal(("0x0800", "1", "4660"), (d.One("vxlan.flags"), d.One("vxlan.flag_i"), d.One("vxlan.vni")));
        Assert.Empty(d.Anomalies);
        AssertPrefixesSafe(frame, LinkTypes.Ethernet, "vxlan", 42, 50);

        byte[] noI = Cat([0, 0, 0, 0], [0, 0, 1, 0], Ether(0x0806, ArpRequest()));
        Assert.Contains("vxlan.i_flag_clear", _h.Dissect(Ether(0x0800, IPv4(17, UdpTo(4789, noI))), LinkTypes.Ethernet).Anomalies);
    }

    [SharedPcapsFact]
    public void Vxlan_agrees_with_tshark_on_tunnel_vxlan_http()
    {
        var frames = ReadFrames("tunnel-vxlan-http.pcap");
        // tshark -e vxlan.flags -e vxlan.flag_i -e vxlan.vni -e eth.src -e eth.dst (frame 1)
        var d = Shared(frames, 1);
        Assert.Equal(["eth", "ip", "udp", "vxlan", "eth", "ip"], d.Layers.Take(6));
        Assert.Equal(("0x0800", "1", "1"), (d.One("vxlan.flags"), d.One("vxlan.flag_i"), d.One("vxlan.vni")));
        Assert.Equal(["12:42:cd:c5:e8:22", "48:f1:7f:a3:b6:ff"], d.All("eth.src"));
        Assert.Equal(["12:42:cd:c5:e8:22", "74:ac:b9:3f:d2:7d"], d.All("eth.dst"));
    }

    // ---- the frame path allocates nothing ----

    [Fact]
    public void Dissecting_without_detail_allocates_nothing()
    {
        byte[][] frames =
        [
            SllV1(0x0806, ArpRequest()),
            Ether(0x8847, Cat(MplsEntry(16, 5, false, 64), MplsEntry(1000, 0, true, 63), IPv4(1, IcmpEcho(8, 1, 1)))),
            Cat(RadiotapHeader(0x10), WlanQosData(), [0xde, 0xad, 0xbe, 0xef]),
            Ether(0x0800, IPv4(47, Cat(U16(0x3000), U16(0x0800), U32(1), U32(2), IPv4(1, IcmpEcho(8, 1, 1))))),
            Ether(0x0800, IPv4(17, UdpTo(4789, Cat([0x08, 0, 0, 0], [0, 0, 1, 0], Ether(0x0806, ArpRequest()))))),
            Ether(0x86DD, IPv6(58, Cat([135, 0, 0, 0, 0, 0, 0, 0], Target))),
            Cat([2, 0, 0, 0], IPv4(1, IcmpEcho(8, 1, 1))),
        ];
        int[] linkTypes = [LinkTypes.LinuxSll, LinkTypes.Ethernet, LinkTypes.Ieee80211Radiotap, LinkTypes.Ethernet, LinkTypes.Ethernet, LinkTypes.Ethernet, LinkTypes.Null];
        var engine = new DissectionEngine(_h.Registry);
        var context = new PacketContext();
        var infos = frames.Select((f, i) => new FrameInfo { Number = 1, LinkType = linkTypes[i], CapturedLength = f.Length, OriginalLength = f.Length }).ToArray();
        for (int i = 0; i < frames.Length; i++)
            engine.Dissect(new Frame(infos[i], frames[i]), context);
        // The tiered JIT may allocate a few KB once while it recompiles the hot loop (never with
        // DOTNET_TieredCompilation=0), so the bound is per dissection: under one byte each over 70,000 dissections,
        // where one object per frame would be 24 bytes or more.
        const int rounds = 10_000;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int round = 0; round < rounds; round++)
        {
            for (int i = 0; i < frames.Length; i++)
                engine.Dissect(new Frame(infos[i], frames[i]), context);
        }

        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, rounds * frames.Length - 1);
    }
}

/// <summary>The Link plugin together with the real Core dissectors (Ethernet, VLAN, IPv4, IPv6, TCP, UDP).</summary>
public class LinkDissectorWithCoreTests
{
    private static Harness NewHarness() =>
        new([new Ethernet(), new Vlan(), new Ieee8021ad(), new Ipv4(), new Ipv6(), new Tcp(), new Udp(),
            new LinuxSll(), new NullLoopback(), new RawIp(), new Llc(), new Mpls(), new Arp(), new Ieee80211(), new Radiotap(), new Ppi(),
            new Icmp(), new Icmpv6(), new Gre(), new Vxlan(), new Geneve(), new Teredo(), new GtpU()]);

    private readonly Harness _h = NewHarness();

    /// <summary>Captures of the public corpus whose link layers or tunnels this plugin decodes.</summary>
    public static TheoryData<string> LinkCaptures() =>
    [
        "pcap-linux-sll-mixed.pcap", "pcap-linux-sll2.pcap", "pcap-null-loopback.pcap", "pcap-rawip-101-v4-v6.pcap",
        "http-over-80211-radiotap.pcap", "pcap-80211-no-radiotap.pcap", "pcap-80211-ppi.pcap", "mpls-in-vlan-http.pcap",
        "mpls-mixed-vlan.pcap", "tunnel-gre-ip.pcap", "tunnel-vxlan-http.pcap", "icmp-echo-5-pings.pcap", "icmp-traceroute.pcapng",
        "vlan-8021ad-qinq-arp.pcap", "icmpv6-ping-snaplen96.pcap", "ipv6-fragments-icmpv6.pcapng", "pcap-linktype-ipv4-228.pcap",
        "pcap-linktype-ipv6-229.pcap", "http-chunked-post-port8008-null-linktype.pcap", "pcapng-11ifaces-ether-null-rawip.pcapng",
    ];

    /// <summary>Every frame decodes, and so does every prefix of the first frames: a dissector never throws.</summary>
    [SharedPcapsTheory]
    [MemberData(nameof(LinkCaptures))]
    public void Every_frame_and_prefix_decodes_without_an_exception(string file)
    {
        using var reader = CaptureReader.Open(Path.Combine(TestData.SharedPcaps!, file));
        int n = 0;
        while (reader.TryReadNext(out var f))
        {
            byte[] data = f.Data.ToArray();
            var d = _h.Dissect(data, f.Info.LinkType, detail: true, originalLength: f.Info.OriginalLength);
            Assert.DoesNotContain("engine.dissector_exception", d.Anomalies);
            if (n++ < 10)
            {
                for (int length = 0; length < data.Length; length++)
                    Assert.DoesNotContain("engine.dissector_exception", _h.Dissect(data[..length], f.Info.LinkType, detail: true, originalLength: f.Info.OriginalLength).Anomalies);
            }
        }
    }

    /// <summary>Captures with a golden file <c>LinkDissectorTests.CAPTURE.tshark.txt</c> beside this source.</summary>
    public static TheoryData<string> GoldenCaptures()
    {
        var data = new TheoryData<string>();
        foreach (string path in Directory.GetFiles(GoldenDirectory, "LinkDissectorTests.*.tshark.txt").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(path)["LinkDissectorTests.".Length..^".tshark.txt".Length]);
        return data;
    }

    private static string GoldenDirectory => Path.Combine(TestData.RepositoryRoot, "tests", "PcapForge.Dissection.Tests");

    /// <summary>
    /// For every frame of the capture, every value of this plugin's fields equals what tshark 4.0.17 printed
    /// (<c>-E occurrence=a -E aggregator=,</c>; the command is the golden file's first line), and frames tshark
    /// gave none of them get none. IPv6 fragments are left out (tshark reassembles them, the engine does not yet).
    /// </summary>
    [SharedPcapsTheory]
    [MemberData(nameof(GoldenCaptures))]
    public void Fields_agree_with_tshark_on_every_frame(string capture)
    {
        string[] lines = File.ReadAllLines(Path.Combine(GoldenDirectory, $"LinkDissectorTests.{capture}.tshark.txt"));
        string[] fields = lines[1].Split('\t')[1..];
        var expected = lines.Skip(2).Select(l => l.Split('\t')).ToDictionary(c => int.Parse(c[0], System.Globalization.CultureInfo.InvariantCulture), c => c[1..]);
        var frames = ReadFrames(capture);
        var differences = new List<string>();
        for (int n = 1; n <= frames.Count; n++)
        {
            var (info, data) = frames[n - 1];
            var d = _h.Dissect(data, info.LinkType, detail: false, originalLength: info.OriginalLength);
            string[] want = expected.TryGetValue(n, out var values) ? values : new string[fields.Length].Select(_ => "").ToArray();
            for (int i = 0; i < fields.Length; i++)
            {
                string got = string.Join(",", d.All(fields[i]));
                if (got != want[i])
                    differences.Add($"frame {n} {fields[i]}: tshark '{want[i]}', here '{got}'");
            }
        }

        Assert.True(differences.Count == 0, string.Join("\n", differences.Take(20)));
    }

    [SharedPcapsFact]
    public void Inner_layers_agree_with_tshark()
    {
        var trace = ReadFrames("icmp-traceroute.pcapng");
        // tshark -Y frame.number==2 -e ip.src -e frame.protocols: 192.168.100.1,192.168.100.138 eth:ethertype:ip:icmp:ip:icmp
        var t = _h.Dissect(trace[1].Data, trace[1].Info.LinkType, detail: true);
        Assert.Equal(["eth", "ip", "icmp", "ip", "icmp"], t.Layers);
        Assert.Equal(["192.168.100.1", "192.168.100.138"], t.All("ip.src"));
        Assert.DoesNotContain(t.Anomalies, a => a.StartsWith("ip.", StringComparison.Ordinal));

        var vxlan = ReadFrames("tunnel-vxlan-http.pcap");
        // tshark -e frame.protocols: eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:tcp
        var v = _h.Dissect(vxlan[0].Data, vxlan[0].Info.LinkType);
        Assert.Equal(["eth", "ip", "udp", "vxlan", "eth", "ip", "tcp"], v.Layers);

        var gre = ReadFrames("tunnel-gre-ip.pcap");
        // tshark -e ip.src (frame 1): 172.27.1.66,66.59.111.190
        var g = _h.Dissect(gre[0].Data, gre[0].Info.LinkType);
        Assert.Equal(["172.27.1.66", "66.59.111.190"], g.All("ip.src"));
    }

    private static List<(FrameInfo Info, byte[] Data)> ReadFrames(string file)
    {
        var frames = new List<(FrameInfo, byte[])>();
        using var reader = CaptureReader.Open(Path.Combine(TestData.SharedPcaps!, file));
        while (reader.TryReadNext(out var f))
            frames.Add((f.Info, f.Data.ToArray()));
        return frames;
    }
}
