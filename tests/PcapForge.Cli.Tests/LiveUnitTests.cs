using System.Buffers.Binary;
using PcapForge.Abstractions;
using PcapForge.Cli.Commands;
using PcapForge.Flows;
using PcapForge.Live;
using PcapForge.Live.Linux;
using PcapForge.TestSupport;

namespace PcapForge.Cli.Tests;

/// <summary>The parts of the live capture that need no socket: frame assembly as libpcap does it, link types, and the analysis of a stream.</summary>
public sealed class LiveUnitTests
{
    /// <summary>A struct sockaddr_ll as recvmsg(2) fills it (packet(7)).</summary>
    private static byte[] Sender(ushort protocol, int ifindex, ushort hatype, byte pkttype, byte[] address)
    {
        byte[] s = new byte[Native.SockaddrLlLength];
        BinaryPrimitives.WriteUInt16LittleEndian(s, 17); // AF_PACKET
        BinaryPrimitives.WriteUInt16BigEndian(s.AsSpan(2), protocol);
        BinaryPrimitives.WriteInt32LittleEndian(s.AsSpan(4), ifindex);
        BinaryPrimitives.WriteUInt16LittleEndian(s.AsSpan(8), hatype);
        s[10] = pkttype;
        s[11] = (byte)address.Length;
        address.CopyTo(s, 12);
        return s;
    }

    private static byte[] Buffer(byte[] received)
    {
        byte[] b = new byte[FrameAssembler.Headroom + received.Length];
        received.CopyTo(b, FrameAssembler.Headroom);
        return b;
    }

    private static readonly byte[] Ipv4 = Convert.FromHexString("4500001c0000000040110000c0a80001c0a800021f901f9000080000");
    private static readonly byte[] Mac = [0x02, 0, 0, 0, 0, 0x02];

    [Fact]
    public void Cooked_v2_header_is_built_from_the_senders_address_in_network_order()
    {
        byte[] buffer = Buffer(Ipv4);
        var (start, captured, original) = FrameAssembler.Assemble(buffer, Ipv4.Length, Ipv4.Length, FrameMode.CookedV2, -1,
            Sender(0x0800, 58, 1, Native.PacketBroadcast, Mac), default, 262144);
        // protocol 0800, reserved, ifindex 58, ARPHRD_ETHER, broadcast, 6-byte address padded to 8 (LINKTYPE_LINUX_SLL2).
        Assert.Equal("08000000" + "0000003A" + "0001" + "01" + "06" + "0200000000020000" + Convert.ToHexString(Ipv4),
            Convert.ToHexString(buffer, start, captured));
        Assert.Equal(Ipv4.Length + 20, original);
    }

    [Fact]
    public void Cooked_v1_header_and_a_vlan_tag_in_front_of_its_protocol_field()
    {
        byte[] buffer = Buffer(Ipv4);
        var aux = new AuxData(true, Native.TpStatusVlanValid, 0x2005, 0);
        var (start, captured, original) = FrameAssembler.Assemble(buffer, Ipv4.Length, Ipv4.Length, FrameMode.CookedV1,
            FrameAssembler.VlanOffset(LinkTypes.LinuxSll, FrameMode.CookedV1), Sender(0x0800, 3, 512, Native.PacketHost, []), aux, 262144);
        // pkttype 0, ARPHRD_PPP, no address, then 8100 (the tag's TPID where the protocol was), TCI, the protocol.
        Assert.Equal("0000" + "0200" + "0000" + "0000000000000000" + "8100" + "2005" + "0800" + Convert.ToHexString(Ipv4),
            Convert.ToHexString(buffer, start, captured));
        Assert.Equal(Ipv4.Length + 16 + 4, original);
    }

    [Fact]
    public void Ethernet_gets_the_vlan_tag_back_after_the_addresses_with_the_kernels_tpid_or_8021q()
    {
        byte[] frame = [.. new byte[6], .. Mac, 0x08, 0x00, .. Ipv4];
        foreach (var (aux, tag) in new[]
                 {
                     (new AuxData(true, Native.TpStatusVlanValid | Native.TpStatusVlanTpidValid, 0x0007, 0x88A8), "88A80007"),
                     (new AuxData(true, Native.TpStatusVlanValid, 0x0000, 0), "81000000"), // VLAN 0 is a tag too
                     (new AuxData(true, 0, 0x0064, 0), "81000064"), // kernels before 3.0: a TCI without the status bit
                 })
        {
            byte[] buffer = Buffer(frame);
            var (start, captured, original) = FrameAssembler.Assemble(buffer, frame.Length, frame.Length, FrameMode.Raw, 12,
                Sender(0x0800, 2, 1, Native.PacketHost, Mac), aux, 262144);
            Assert.Equal(Convert.ToHexString(frame, 0, 12) + tag + Convert.ToHexString(frame, 12, frame.Length - 12), Convert.ToHexString(buffer, start, captured));
            Assert.Equal(frame.Length + 4, original);
        }

        byte[] untagged = Buffer(frame);
        var plain = FrameAssembler.Assemble(untagged, frame.Length, frame.Length, FrameMode.Raw, 12, Sender(0x0800, 2, 1, 0, Mac), new AuxData(true, 0, 0, 0), 262144);
        Assert.Equal((FrameAssembler.Headroom, frame.Length, (long)frame.Length), plain);
    }

    [Fact]
    public void The_snapshot_length_cuts_the_frame_headers_included_but_not_its_length_on_the_wire()
    {
        byte[] frame = [.. new byte[6], .. Mac, 0x08, 0x00, .. Ipv4];
        byte[] buffer = Buffer(frame);
        var (_, captured, original) = FrameAssembler.Assemble(buffer, 30, 1514, FrameMode.Raw, 12, Sender(0x0800, 2, 1, 0, Mac),
            new AuxData(true, Native.TpStatusVlanValid, 5, 0), 32);
        Assert.Equal(32, captured);
        Assert.Equal(1518, original);
    }

    [Fact]
    public void Packet_types_become_the_direction_and_reception_type_of_epb_flags()
    {
        Assert.Equal(0b00101u, FrameAssembler.EpbFlags(Native.PacketHost));
        Assert.Equal(0b01101u, FrameAssembler.EpbFlags(Native.PacketBroadcast));
        Assert.Equal(0b01001u, FrameAssembler.EpbFlags(Native.PacketMulticast));
        Assert.Equal(0b10001u, FrameAssembler.EpbFlags(Native.PacketOtherHost));
        Assert.Equal(0b00010u, FrameAssembler.EpbFlags(Native.PacketOutgoing));
    }

    [Theory]
    [InlineData(LinkLayer.ArphrdEther, LinkTypes.Ethernet, FrameMode.Raw)]
    [InlineData(LinkLayer.ArphrdLoopback, LinkTypes.Ethernet, FrameMode.Raw)]
    [InlineData(LinkLayer.ArphrdNone, LinkTypes.Raw, FrameMode.Raw)]
    [InlineData(LinkLayer.ArphrdSit, LinkTypes.Raw, FrameMode.Raw)]
    [InlineData(LinkLayer.ArphrdIeee80211Radiotap, LinkTypes.Ieee80211Radiotap, FrameMode.Raw)]
    [InlineData(LinkLayer.ArphrdPpp, LinkTypes.LinuxSll, FrameMode.CookedV1)]
    [InlineData(LinkLayer.ArphrdIpGre, LinkTypes.LinuxSll, FrameMode.CookedV1)]
    [InlineData(65000, LinkTypes.LinuxSll, FrameMode.CookedV1)]
    public void Hardware_types_map_to_libpcaps_link_types(int arphrd, int linkType, FrameMode mode) =>
        Assert.Equal((linkType, mode), LinkLayer.For(arphrd));

    [Theory]
    [InlineData("mixed-2ifaces.pcapng")]
    [InlineData("http-keepalive-veth.pcap")]
    public void A_capture_analysed_from_a_stream_gives_the_rows_of_the_file(string name)
    {
        string path = Path.Combine(TestData.OwnCaptures, name);
        var engine = new PluginHost(new Console(TextWriter.Null, TextWriter.Null)).Engine;
        var fromFile = new MemoryRows();
        new CaptureAnalysis(engine, fromFile, new AnalysisOptions { Workers = 2 }).Run(path);
        var fromStream = new MemoryRows();
        string id = CaptureAnalysis.Fingerprint(path);
        using (var stream = File.OpenRead(path))
            new CaptureAnalysis(new Dissection.DissectionEngine(engine.Registry), fromStream, new AnalysisOptions()).Run(new CaptureStream(stream, id, "capture", "eth0"));

        static IEnumerable<string> Rows(MemoryRows rows, string table) =>
            rows[table].Select(r => string.Join('|', r.Select(kv => $"{kv.Key}={Show(kv.Value)}"))).Order(StringComparer.Ordinal);
        static string Show(object? v) => v is string[] list ? string.Join(',', list) : Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "null";
        Assert.NotEmpty(fromFile["flows"]);
        Assert.Equal(Rows(fromFile, "flows"), Rows(fromStream, "flows"));
        Assert.Equal(Rows(fromFile, "anomalies"), Rows(fromStream, "anomalies"));
        var file = fromFile["captures"].Single();
        var live = fromStream["captures"].Single();
        Assert.Equal(("file", path), (file["source"], file["path"]));
        Assert.Equal(("capture", "eth0"), (live["source"], live["path"]));
        // Size and SHA-256 over the stream's bytes are the file's.
        foreach (var column in new[] { "capture_id", "size", "sha256", "format", "frames", "bytes", "first_ts", "last_ts", "flows", "anomalies" })
            Assert.Equal(file[column], live[column]);
    }

    [Fact]
    public void The_live_capture_id_is_16_hex_digits_of_host_interfaces_and_start()
    {
        string a = LiveCapture.MakeCaptureId("host", "eth0", 1_700_000_000_000_000_000);
        Assert.Matches("^[0-9a-f]{16}$", a);
        Assert.Equal(a, LiveCapture.MakeCaptureId("host", "eth0", 1_700_000_000_000_000_000));
        Assert.NotEqual(a, LiveCapture.MakeCaptureId("host", "eth0", 1_700_000_000_000_000_001));
        Assert.NotEqual(a, LiveCapture.MakeCaptureId("host", "eth1", 1_700_000_000_000_000_000));
    }

    [Fact]
    public void Options_are_checked_before_anything_is_opened()
    {
        Assert.Null(CaptureCommand.Usage(new CaptureCommand.Settings { Interfaces = ["lo"], WritePath = "x.pcapng", Count = 1, DurationSeconds = 0.5 }));
        Assert.NotNull(CaptureCommand.Usage(new CaptureCommand.Settings { Interfaces = ["lo"], WritePath = "x.pcapng", DurationSeconds = double.NaN }));
        Assert.NotNull(CaptureCommand.Usage(new CaptureCommand.Settings { Interfaces = ["lo"], WritePath = "x.pcapng", BufferKiB = 0 }));
    }
}
