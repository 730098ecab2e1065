using PcapForge.Abstractions;
using PcapForge.Abstractions.Dissection;
using PcapForge.Dissectors.Core;

namespace PcapForge.Dissection.Tests;

/// <summary>Ethernet, VLAN, IPv4, IPv6, TCP and UDP from bytes written in the test.</summary>
public class CoreDissectorTests
{
    private static Harness Core() => new(new Ethernet(), new Vlan(), new Ieee8021ad(), new Ipv4(), new Ipv6(), new Tcp(), new Udp());

    private static readonly byte[] EthHeader = Hex("020000000002 020000000001 0800");

    /// <summary>IPv4 10.0.0.1 → 10.0.0.2, TCP 51234 → 80, SYN with MSS 1460, SACK permitted, timestamps, window scale 7.</summary>
    private static readonly byte[] TcpSyn = Hex(
        "4500 003c 1c46 4000 4006 0a6f 0a000001 0a000002" +
        "c822 0050 00000064 00000000 a002 faf0 0000 0000" +
        "020405b4 0402 080a 00000001 00000000 01 030307");

    private static byte[] Hex(string s) => Convert.FromHexString(s.Replace(" ", ""));

    private static byte[] Ipv4Checksummed(byte[] packet)
    {
        var p = (byte[])packet.Clone();
        p[10] = p[11] = 0;
        ushort sum = Checksum(p.AsSpan(0, (p[0] & 0xF) * 4));
        p[10] = (byte)(sum >> 8);
        p[11] = (byte)sum;
        return p;
    }

    private static ushort Checksum(ReadOnlySpan<byte> d)
    {
        uint s = 0;
        for (int i = 0; i + 1 < d.Length; i += 2)
            s += (uint)(d[i] << 8 | d[i + 1]);
        while (s >> 16 != 0)
            s = (s & 0xFFFF) + (s >> 16);
        return (ushort)~s;
    }

    [Fact]
    public void EthernetIpv4TcpSynDecodesEveryLayerWithWiresharkFieldNames()
    {
        var frame = EthHeader.Concat(Ipv4Checksummed(TcpSyn)).ToArray();
        var d = Core().Dissect(frame, LinkTypes.Ethernet);

        Assert.Equal(["eth", "ip", "tcp"], d.Layers);
        Assert.Empty(d.Anomalies);
        Assert.Equal("02:00:00:00:00:01", d.One("eth.src"));
        Assert.Equal("02:00:00:00:00:02", d.One("eth.dst"));
        Assert.Equal(["02:00:00:00:00:01", "02:00:00:00:00:02"], d.All("eth.addr"));
        Assert.Equal("0x0800", d.One("eth.type"));
        Assert.Equal("10.0.0.1", d.One("ip.src"));
        Assert.Equal("10.0.0.2", d.One("ip.dst"));
        Assert.Equal("6", d.One("ip.proto"));
        Assert.Equal("1", d.One("ip.checksum.status"));
        Assert.Equal("1", d.One("ip.flags.df"));
        Assert.Equal("51234", d.One("tcp.srcport"));
        Assert.Equal("80", d.One("tcp.dstport"));
        Assert.Equal(["51234", "80"], d.All("tcp.port"));
        Assert.Equal("100", d.One("tcp.seq_raw"));
        Assert.Equal("0x0002", d.One("tcp.flags"));
        Assert.Equal("1", d.One("tcp.flags.syn"));
        Assert.Equal("0", d.One("tcp.flags.ack"));
        Assert.Equal("1460", d.One("tcp.options.mss_val"));
        Assert.Equal("7", d.One("tcp.options.wscale.shift"));
        Assert.True(d.Has("tcp.options.sack_perm"));
        Assert.Equal("1", d.One("tcp.options.timestamp.tsval"));
        Assert.Equal("0", d.One("tcp.len"));
        Assert.Equal("51234 → 80 [SYN] Seq=100 Win=64240 Len=0", d.Info);
    }

    [Fact]
    public void DerivedFieldsAreListedWhereTheDissectorsUsedToRecordThem()
    {
        // Bit fields (tcp.flags.*, ip.flags.*, ip.dsfield.*) and either-side fields (eth.addr, ip.addr, tcp.port) are
        // computed from recorded values when the list is read; readers see the order and bytes they always saw.
        var engine = new DissectionEngine(Core().Registry);
        var context = new PacketContext();
        var frame = EthHeader.Concat(Ipv4Checksummed(TcpSyn)).ToArray();
        engine.Dissect(new Frame(new FrameInfo { Number = 1, LinkType = LinkTypes.Ethernet, CapturedLength = frame.Length, OriginalLength = frame.Length }, frame), context);
        var fields = engine.Registry.Fields;
        string Name(FieldValue v) => fields[v.Field].FilterName;

        Assert.Equal(
            [
                "eth.dst", "eth.src", "eth.addr", "eth.addr", "eth.type",
                "ip.version", "ip.hdr_len", "ip.dsfield", "ip.dsfield.dscp", "ip.dsfield.ecn", "ip.len", "ip.id", "ip.flags", "ip.flags.rb",
                "ip.flags.df", "ip.flags.mf", "ip.frag_offset", "ip.ttl", "ip.proto", "ip.checksum", "ip.checksum.status", "ip.src", "ip.dst",
                "ip.addr", "ip.addr",
                "tcp.srcport", "tcp.dstport", "tcp.port", "tcp.port", "tcp.seq_raw", "tcp.ack_raw", "tcp.hdr_len", "tcp.flags", "tcp.flags.ae",
                "tcp.flags.cwr", "tcp.flags.ece", "tcp.flags.urg", "tcp.flags.ack", "tcp.flags.push", "tcp.flags.reset", "tcp.flags.syn",
                "tcp.flags.fin", "tcp.window_size_value", "tcp.checksum", "tcp.urgent_pointer", "tcp.len", "tcp.checksum.status",
                "tcp.options.mss_val", "tcp.options.sack_perm", "tcp.options.timestamp.tsval", "tcp.options.timestamp.tsecr",
                "tcp.options.wscale.shift",
            ],
            context.Fields.ToArray().Select(Name));
        Assert.Equal(context.Fields.Length - 20, context.RecordedFields.Length);
        Assert.DoesNotContain(context.RecordedFields.ToArray(), v => Name(v) is "eth.addr" or "ip.addr" or "tcp.port" || Name(v).StartsWith("tcp.flags.", StringComparison.Ordinal));

        var all = context.Fields.ToArray();
        FieldValue One(string name) => Assert.Single(all, v => Name(v) == name);
        FieldValue[] Each(string name) => all.Where(v => Name(v) == name).ToArray();
        Assert.Equal([One("eth.src") with { Field = 0 }, One("eth.dst") with { Field = 0 }], Each("eth.addr").Select(v => v with { Field = 0 }));
        Assert.Equal([One("ip.src") with { Field = 0 }, One("ip.dst") with { Field = 0 }], Each("ip.addr").Select(v => v with { Field = 0 }));
        Assert.Equal([One("tcp.srcport") with { Field = 0 }, One("tcp.dstport") with { Field = 0 }], Each("tcp.port").Select(v => v with { Field = 0 }));
        Assert.Equal(One("tcp.flags") with { Field = 0, Value = 1 }, One("tcp.flags.syn") with { Field = 0 });
        Assert.Equal(One("tcp.flags") with { Field = 0, Value = 0 }, One("tcp.flags.ack") with { Field = 0 });
        Assert.Equal(One("ip.flags") with { Field = 0, Value = 1 }, One("ip.flags.df") with { Field = 0 });
        Assert.True(context.TryGet(new FieldHandle(engine.Registry.FieldIndex("tcp.port")), out var port));
        Assert.Equal(80UL, port.Value);
    }

    [Fact]
    public void BadIpv4HeaderChecksumIsAnAnomalyAndDecodingGoesOn()
    {
        var packet = Ipv4Checksummed(TcpSyn);
        packet[11] ^= 0xFF;
        var d = Core().Dissect(EthHeader.Concat(packet).ToArray(), LinkTypes.Ethernet);

        Assert.Equal(["eth", "ip", "tcp"], d.Layers);
        Assert.Equal(["ip.checksum_bad"], d.Anomalies);
        Assert.Equal("0", d.One("ip.checksum.status"));
    }

    [Fact]
    public void EthernetPaddingAfterTheDatagramIsNotTcpPayload()
    {
        // A 40-byte IPv4+TCP ACK padded to the 60-byte Ethernet minimum: tcp.len must be 0, not 6.
        var ack = Hex("4500 0028 0001 4000 4006 0000 0a000001 0a000002 c822 0050 00000065 00000001 5010 0100 0000 0000");
        var frame = EthHeader.Concat(Ipv4Checksummed(ack)).Concat(new byte[6]).ToArray();
        var d = Core().Dissect(frame, LinkTypes.Ethernet);

        Assert.Empty(d.Anomalies);
        Assert.Equal("0", d.One("tcp.len"));
    }

    [Fact]
    public void SnaplenTruncatedFrameKeepsTheTcpLengthFromTheIpHeaderWithoutAnomaly()
    {
        var packet = Ipv4Checksummed(Hex("4500 05dc 0001 4000 4006 0000 0a000001 0a000002 c822 0050 00000065 00000001 5018 0100 0000 0000"));
        var frame = EthHeader.Concat(packet).ToArray(); // 54 bytes captured of a 1514-byte frame
        var d = Core().Dissect(frame, LinkTypes.Ethernet, originalLength: 1514);

        Assert.Empty(d.Anomalies);
        Assert.Equal("1460", d.One("tcp.len"));
    }

    [Fact]
    public void QinQTagsAreLayersOfTheirOwnAndVlanZeroIsKept()
    {
        // An 802.1ad S-tag (id 100, priority 5) around an 802.1Q C-tag with id 0 (priority tagging only), as
        // Wireshark names them: ieee8021ad.id and vlan.id.
        var frame = Hex("020000000002 020000000001 88a8 a064 8100 0000 0800").Concat(Ipv4Checksummed(TcpSyn)).ToArray();
        var d = Core().Dissect(frame, LinkTypes.Ethernet);

        Assert.Equal(["eth", "ieee8021ad", "vlan", "ip", "tcp"], d.Layers);
        Assert.Equal("100", d.One("ieee8021ad.id"));
        Assert.Equal("5", d.One("ieee8021ad.priority"));
        Assert.Equal("0", d.One("vlan.id"));
        Assert.Equal("0x0800", d.One("vlan.etype"));
    }

    [Fact]
    public void PreStandardQinQAndStackedCTagsAreVlanTagsAtAnyDepth()
    {
        var frame = Hex("020000000002 020000000001 9100 0064 8100 00c8 8100 012c 0800").Concat(Ipv4Checksummed(TcpSyn)).ToArray();
        var d = Core().Dissect(frame, LinkTypes.Ethernet);

        Assert.Equal(["eth", "vlan", "vlan", "vlan", "ip", "tcp"], d.Layers);
        Assert.Equal(["100", "200", "300"], d.All("vlan.id"));
    }

    [Fact]
    public void Ipv6WithHopByHopAndDestinationOptionsReachesUdp()
    {
        // IPv6 fd00::1 → fd00::2, hop-by-hop (8 bytes) → destination options (8 bytes) → UDP 5353 → 53, 4 bytes payload.
        var packet = Hex(
            "6000 0000 001c 00 40 fd000000000000000000000000000001 fd000000000000000000000000000002" +
            "3c00 0000 0000 0000" + "1100 0000 0000 0000" + "14e9 0035 000c 0000 deadbeef");
        var frame = Hex("020000000002 020000000001 86dd").Concat(packet).ToArray();
        var d = Core().Dissect(frame, LinkTypes.Ethernet);

        Assert.Equal(["eth", "ipv6", "udp"], d.Layers);
        Assert.Empty(d.Anomalies);
        Assert.Equal("fd00::1", d.One("ipv6.src"));
        Assert.Equal("0", d.One("ipv6.nxt"));
        Assert.Equal("5353", d.One("udp.srcport"));
        Assert.Equal("12", d.One("udp.length"));
    }

    [Fact]
    public void Ipv6ExtensionHeaderRunningPastThePacketIsAnAnomaly()
    {
        var packet = Hex("6000 0000 0008 00 40 fd000000000000000000000000000001 fd000000000000000000000000000002" + "11 05 000000000000");
        var d = Core().Dissect(Hex("020000000002 020000000001 86dd").Concat(packet).ToArray(), LinkTypes.Ethernet);

        Assert.Equal(["ipv6.ext_header_truncated"], d.Anomalies);
        Assert.Equal(["eth", "ipv6"], d.Layers);
    }

    [Fact]
    public void UdpLengthLargerThanTheIpPayloadIsAnAnomaly()
    {
        var packet = Ipv4Checksummed(Hex("4500 0020 0001 0000 4011 0000 0a000001 0a000002 14e9 0035 00ff 0000 deadbeef"));
        var d = Core().Dissect(EthHeader.Concat(packet).ToArray(), LinkTypes.Ethernet);

        Assert.Contains("udp.length_invalid", d.Anomalies);
    }

    [Fact]
    public void FirstFragmentDecodesItsTransportHeaderWithoutLengthAnomalies()
    {
        // Offset 0, MF set: the UDP header says 256 bytes, the fragment carries 12; that is no anomaly, the rest is
        // in later fragments.
        var packet = Ipv4Checksummed(Hex("4500 0020 0001 2000 4011 0000 0a000001 0a000002 14e9 0035 0100 0000 deadbeef"));
        var d = Core().Dissect(EthHeader.Concat(packet).ToArray(), LinkTypes.Ethernet);

        Assert.Equal(["eth", "ip", "udp"], d.Layers);
        Assert.Equal("1", d.One("ip.flags.mf"));
        Assert.Equal("53", d.One("udp.dstport"));
        Assert.Empty(d.Anomalies);
    }

    [Fact]
    public void LaterFragmentsAreNotDecodedPastTheIpHeader()
    {
        var packet = Ipv4Checksummed(Hex("4500 0020 0001 0001 4011 0000 0a000001 0a000002 14e9 0035 000c 0000 deadbeef"));
        var d = Core().Dissect(EthHeader.Concat(packet).ToArray(), LinkTypes.Ethernet);

        Assert.Equal(["eth", "ip"], d.Layers);
        Assert.Equal("8", d.One("ip.frag_offset"));
    }

    [Fact]
    public void AnUnfragmentedUdpLengthPastThePayloadIsStillAnAnomaly()
    {
        var packet = Ipv4Checksummed(Hex("4500 0020 0001 0000 4011 0000 0a000001 0a000002 14e9 0035 0100 0000 deadbeef"));
        var d = Core().Dissect(EthHeader.Concat(packet).ToArray(), LinkTypes.Ethernet);

        Assert.Equal(["udp.length_invalid"], d.Anomalies);
    }

    [Fact]
    public void EveryPrefixOfAFrameDecodesWithoutThrowing()
    {
        // Truncated frames decode as far as the bytes go; a header cut short is an anomaly, never an exception.
        var harness = Core();
        var frame = EthHeader.Concat(Ipv4Checksummed(TcpSyn)).ToArray();
        for (int n = 0; n <= frame.Length; n++)
        {
            var d = harness.Dissect(frame[..n], LinkTypes.Ethernet, originalLength: frame.Length);
            Assert.DoesNotContain("engine.dissector_exception", d.Anomalies);
            if (n > 0 && n < 14)
                Assert.Contains("eth.truncated", d.Anomalies);
            if (n > 14 && n < 34)
                Assert.Contains("ip.truncated", d.Anomalies);
            if (n > 34 && n < 54)
                Assert.Contains("tcp.truncated", d.Anomalies);
        }
    }

    [Fact]
    public void RandomBytesNeverThrow()
    {
        var harness = Core();
        var random = new Random(7);
        for (int i = 0; i < 2000; i++)
        {
            var frame = new byte[random.Next(0, 120)];
            random.NextBytes(frame);
            if (frame.Length > 14)
            {
                frame[12] = 0x08; // make most of them reach IPv4 …
                frame[13] = (byte)(i % 3 == 0 ? 0xdd : 0x00);
                frame[14] = (byte)(i % 3 == 0 ? 0x60 : 0x45);
                if (i % 3 == 0)
                    frame[12] = 0x86;
            }

            var d = harness.Dissect(frame, LinkTypes.Ethernet);
            Assert.DoesNotContain("engine.dissector_exception", d.Anomalies);
        }
    }
}

/// <summary>TCP and UDP checksums verified over the IP pseudo-header, on real frames of the project's recordings.</summary>
public class ChecksumTests
{
    private static byte[] Frame(string capture, long number)
    {
        using var reader = PcapForge.Capture.CaptureReader.Open(Path.Combine(PcapForge.TestSupport.TestData.OwnCaptures, capture));
        while (reader.TryReadNext(out var frame))
        {
            if (frame.Info.Number == number)
                return frame.Data.ToArray();
        }

        throw new InvalidOperationException($"{capture} has no frame {number}");
    }

    private static Harness Core() => new(
        new Dictionary<string, bool> { ["tcp.check_checksum"] = true, ["udp.check_checksum"] = true },
        new Ethernet(), new Vlan(), new Ieee8021ad(), new Ipv4(), new Ipv6(), new Tcp(), new Udp());

    private static byte[] Hex(string s) => Convert.FromHexString(s.Replace(" ", ""));

    /// <summary>
    /// fd00::1 → fd00::99 (the next hop) with a routing header of <paramref name="type"/> naming fd00::a then fd00::2
    /// (type 4: Segment List[0] = fd00::2, the final one), <paramref name="segmentsLeft"/> left, then UDP 5353 → 53
    /// with 4 bytes, its checksum over the pseudo-header with <paramref name="checksumDestination"/>.
    /// </summary>
    private static byte[] RoutedUdp(byte type, byte segmentsLeft, string checksumDestination)
    {
        byte[] a = Hex("fd00000000000000000000000000000a"), final = Hex("fd000000000000000000000000000002");
        byte[] routing = [17, 4, type, segmentsLeft, 0, 0, 0, 0, .. (type == 4 ? final : a), .. (type == 4 ? a : final)];
        byte[] udp = Hex("14e9 0035 000c 0000 deadbeef");
        byte[] src = Hex("fd000000000000000000000000000001");
        // RFC 8200 section 8.1 pseudo-header: source, destination, upper-layer length, three zero bytes, next header.
        byte[] pseudo = [.. src, .. Hex(checksumDestination), 0, 0, 0, (byte)udp.Length, 0, 0, 0, 17, .. udp];
        uint sum = 0;
        for (int i = 0; i < pseudo.Length; i += 2)
            sum += (uint)(pseudo[i] << 8 | (i + 1 < pseudo.Length ? pseudo[i + 1] : 0));
        while (sum > 0xFFFF)
            sum = (sum & 0xFFFF) + (sum >> 16);
        ushort checksum = (ushort)~sum;
        udp[6] = (byte)(checksum >> 8);
        udp[7] = (byte)checksum;
        byte[] packet = [.. Hex("6000 0000"), 0, (byte)(routing.Length + udp.Length), 43, 64, .. src, .. Hex("fd000000000000000000000000000099"), .. routing, .. udp];
        return [.. Hex("020000000002 020000000001 86dd"), .. packet];
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(2, false)]   // Mobile IPv6: the home address counts for the checksum, not for the flow key
    [InlineData(4, true)]
    public void ARoutingHeadersFinalDestinationIsTheChecksumsAndTheFlowsDestination(byte type, bool keysTheFlow)
    {
        var d = Core().Dissect(RoutedUdp(type, 2, "fd000000000000000000000000000002"), LinkTypes.Ethernet);
        Assert.Equal(["eth", "ipv6", "udp"], d.Layers);
        Assert.Equal(("fd00::99", "2"), (d.One("ipv6.dst"), d.One("ipv6.routing.segleft")));
        Assert.Equal(keysTheFlow ? ["fd00::2"] : [], d.All("ipv6.final_dst"));
        Assert.Equal("1", d.One("udp.checksum.status"));
        Assert.Empty(d.Anomalies);

        // Computed over the next hop instead, the checksum is wrong (RFC 8200 section 8.1).
        Assert.Equal("0", Core().Dissect(RoutedUdp(type, 2, "fd000000000000000000000000000099"), LinkTypes.Ethernet).One("udp.checksum.status"));
    }

    [Fact]
    public void WithNoSegmentsLeftTheFixedHeadersDestinationIsTheFinalOne()
    {
        var d = Core().Dissect(RoutedUdp(0, 0, "fd000000000000000000000000000099"), LinkTypes.Ethernet);
        Assert.Empty(d.All("ipv6.final_dst"));
        Assert.Equal("1", d.One("udp.checksum.status"));
    }

    [Fact]
    public void ChecksumsAreNotVerifiedUnlessAsked()
    {
        // As Wireshark: tcp.check_checksum and udp.check_checksum are off by default (verifying reads every payload byte).
        var d = new Harness(new Ethernet(), new Ipv4(), new Tcp()).Dissect(Frame("http-keepalive-veth.pcap", 6), LinkTypes.Ethernet);
        Assert.Equal("2", d.One("tcp.checksum.status"));
    }

    [Fact]
    public void TcpChecksumOfARealSegmentIsGoodAndACorruptedByteMakesItBad()
    {
        var frame = Frame("http-keepalive-veth.pcap", 6); // the first GET, offloads off on that veth
        Assert.Equal("1", Core().Dissect(frame, LinkTypes.Ethernet).One("tcp.checksum.status"));

        frame[^1] ^= 0x01;
        var d = Core().Dissect(frame, LinkTypes.Ethernet);
        Assert.Equal("0", d.One("tcp.checksum.status"));
        Assert.Empty(d.Anomalies); // a bad checksum alone is no anomaly: offloaded captures have them on every sent segment
    }

    [Fact]
    public void TcpChecksumOfATruncatedSegmentIsUnverified()
    {
        var frame = Frame("http-keepalive-veth.pcap", 6);
        Assert.Equal("2", Core().Dissect(frame[..60], LinkTypes.Ethernet, originalLength: frame.Length).One("tcp.checksum.status"));
    }

    [Fact]
    public void UdpChecksumOverIpv6IsVerified()
    {
        // mixed-2ifaces frame 15 or so is DNS over IPv6 on the veth; find the first IPv6 UDP frame.
        using var reader = PcapForge.Capture.CaptureReader.Open(Path.Combine(PcapForge.TestSupport.TestData.OwnCaptures, "mixed-2ifaces.pcapng"));
        var harness = Core();
        while (reader.TryReadNext(out var f))
        {
            var d = harness.Dissect(f.Data.ToArray(), LinkTypes.Ethernet);
            if (d.Layers.SequenceEqual(["eth", "ipv6", "udp"]) && f.Info.InterfaceIndex == 0)
            {
                Assert.Equal("1", d.One("udp.checksum.status"));
                return;
            }
        }

        Assert.Fail("no IPv6 UDP frame on the veth interface");
    }

    [Fact]
    public void Icmpv6ChecksumIsAlwaysVerifiedOverThePseudoHeader()
    {
        var harness = new Harness(new Ethernet(), new Ipv6(), new PcapForge.Dissectors.Link.Icmpv6());
        using var reader = PcapForge.Capture.CaptureReader.Open(Path.Combine(PcapForge.TestSupport.TestData.OwnCaptures, "mixed-2ifaces.pcapng"));
        while (reader.TryReadNext(out var f))
        {
            var bytes = f.Data.ToArray();
            var d = harness.Dissect(bytes, LinkTypes.Ethernet);
            if (!d.Layers.SequenceEqual(["eth", "ipv6", "icmpv6"]) || d.One("icmpv6.type") != "128")
                continue;
            Assert.Equal("1", d.One("icmpv6.checksum.status"));
            bytes[^1] ^= 0x40;
            Assert.Equal("0", harness.Dissect(bytes, LinkTypes.Ethernet).One("icmpv6.checksum.status"));
            return;
        }

        Assert.Fail("no ICMPv6 echo request in mixed-2ifaces.pcapng");
    }
}
