using System.Text;
using PcapForge.Abstractions;
using static PcapForge.Capture.Tests.CaptureBytes;

namespace PcapForge.Capture.Tests;

/// <summary>pcapng, from bytes written in each test (draft-ietf-opsawg-pcapng, section numbers cited per case).</summary>
public class PcapNgReaderTests
{
    private static readonly byte[] A = Payload(60, 1);
    private static readonly byte[] B = Payload(61, 2);

    private static byte[] Opt(ushort code, string value, bool be = false) => Option(code, value, be);

    private static byte[] Opt(ushort code, byte[] value, bool be = false) => Option(code, value, be);

    private static byte[] Opts(params byte[][] options) => Concat([.. options, EndOfOptions]);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SectionHeaderAndInterfaceOptionsAreKeptInEitherByteOrder(bool be)
    {
        // 4.1 SHB options shb_hardware (2), shb_os (3), shb_userappl (4), opt_comment (1);
        // 4.2 IDB options if_name (2), if_description (3), if_filter (11), if_os (12), if_fcslen (13), if_hardware (15), if_speed (8), if_MACaddr (6).
        var shb = Shb(be, options: Opts(Opt(1, "a comment", be), Opt(2, "hw", be), Opt(3, "Linux 6.1", be), Opt(4, "dumpcap", be)));
        var filter = Concat([0], Encoding.UTF8.GetBytes("tcp port 80"));
        var speed = new CaptureBytes(be).U64(1_000_000_000).ToArray();
        var idb = Idb(LinkTypes.Ethernet, 262144, Opts(Opt(2, "eth0", be), Opt(3, "uplink", be), Opt(11, filter, be), Opt(12, "Debian", be),
            Opt(13, [4], be), Opt(15, "virtio", be), Opt(8, speed, be), Opt(6, [0, 1, 2, 3, 4, 5], be)), be);
        var r = ReadResult.OfBytes(Concat(shb, idb, Epb(0, 1, A, bigEndian: be)));

        Assert.Empty(r.Anomalies);
        var s = Assert.Single(r.Sections);
        Assert.Equal(be ? ByteOrder.BigEndian : ByteOrder.LittleEndian, s.ByteOrder);
        Assert.Equal((1, 0), (s.MajorVersion, s.MinorVersion));
        Assert.Null(s.SectionLength);
        Assert.Equal("hw", s.Hardware);
        Assert.Equal("Linux 6.1", s.OperatingSystem);
        Assert.Equal("dumpcap", s.UserApplication);
        Assert.Equal(["a comment"], s.Comments);
        var i = Assert.Single(r.Interfaces);
        Assert.Equal(("eth0", "uplink", "tcp port 80", "Debian", 4, "virtio"), (i.Name, i.Description, i.Filter, i.OperatingSystem, i.FcsLength, i.Hardware));
        Assert.Equal(1_000_000_000UL, i.Speed);
        Assert.Equal("000102030405", i.MacAddress);
        Assert.Equal(262144u, i.SnapLength);
        Assert.Equal(4, r.Frames[0].Info.FcsLength);
    }

    [Theory]
    [InlineData((byte)6, 1_500_000_000_123_456UL, 1_500_000_000_123_456_000L)] // microseconds, the default
    [InlineData((byte)9, 1_500_000_000_123_456_789UL, 1_500_000_000_123_456_789L)] // nanoseconds
    [InlineData((byte)3, 1_500_000_000_123UL, 1_500_000_000_123_000_000L)] // milliseconds
    [InlineData((byte)12, 0UL, 0L)] // picoseconds: values set below (they need the full 64 bits)
    [InlineData((byte)0x80 | 20, 1UL << 20, 1_000_000_000L)] // 2^-20: one second
    [InlineData((byte)0x80 | 10, 3UL, 2_929_687L)] // 3/1024 s = 2929687.5 ns, truncated
    public void IfTsresolInPowersOfTenAndTwoConvertsExactly(byte tsresol, ulong raw, long expectedNs)
    {
        if (tsresol == 12)
        {
            raw = 1_500_000_000_123_456_789UL; // 1.5e18 ps = 1,500,000.000123456789 s
            expectedNs = 1_500_000_000_123_456L;
        }

        var r = ReadResult.OfBytes(Concat(Shb(), Idb(options: Opts(Opt(9, [tsresol]))), Epb(0, raw, A)));

        Assert.Empty(r.Anomalies);
        Assert.Equal(expectedNs, r.Frames[0].Info.TimestampNs);
        Assert.Equal(TimestampResolution.FromTsResolByte(tsresol), r.Interfaces[0].Resolution);
    }

    [Fact]
    public void IfTsoffsetAddsSecondsToEveryTimestamp()
    {
        var offset = new CaptureBytes().U64(1_000_000_000).ToArray();
        var r = ReadResult.OfBytes(Concat(Shb(), Idb(options: Opts(Opt(14, offset))), Epb(0, 2_500_000, A)));

        Assert.Equal(1_000_000_002_500_000_000L, r.Frames[0].Info.TimestampNs);
        Assert.Equal(1_000_000_000L, r.Interfaces[0].TimestampOffsetSeconds);
    }

    [Fact]
    public void EnhancedPacketOptionsFlagsDropCountPacketIdQueueAndCommentsAreKept()
    {
        // 4.3.1: epb_flags (2) with direction inbound and FCS length 4 in bits 5-8; epb_dropcount (4); epb_packetid (5); epb_queue (6).
        uint flags = 1 | (4u << 5);
        var options = Opts(Opt(1, "first"), Opt(1, "second"), Opt(2, new CaptureBytes().U32(flags).ToArray()),
            Opt(4, new CaptureBytes().U64(7).ToArray()), Opt(5, new CaptureBytes().U64(99).ToArray()), Opt(6, new CaptureBytes().U32(3).ToArray()),
            Opt(3, [2, 1, 2, 3, 4])); // epb_hash, ignored
        var r = ReadResult.OfBytes(Concat(Shb(), Idb(), Epb(0, 1, A, origLen: 100, options: options), Epb(0, 2, B)));

        var (info, data) = r.Frames[0];
        Assert.Equal(A, data);
        Assert.Equal(flags, info.Flags);
        Assert.Equal(PacketDirection.Inbound, info.Direction);
        Assert.Equal(4, info.FcsLength);
        Assert.Equal(7UL, info.DropCount);
        Assert.Equal(99UL, info.PacketId);
        Assert.Equal(3U, info.Queue);
        Assert.Equal(["first", "second"], info.Comments!);
        Assert.Equal(100, info.OriginalLength);
        Assert.Null(r.Frames[1].Info.Comments);
        Assert.Null(r.Frames[1].Info.Flags);
        Assert.Empty(r.Anomalies);
    }

    [Fact]
    public void SimplePacketBlockTakesInterfaceZeroAndClampsToItsSnaplen()
    {
        // 4.4: captured length = min(original length, snaplen of interface 0); no timestamp.
        var data = Payload(100);
        var r = ReadResult.OfBytes(Concat(Shb(), Idb(snapLen: 64), Spb(100, data[..64]), Spb(40, data[..40])));

        Assert.Empty(r.Anomalies);
        Assert.Equal(2, r.Frames.Count);
        Assert.Equal(64, r.Frames[0].Info.CapturedLength);
        Assert.Equal(100, r.Frames[0].Info.OriginalLength);
        Assert.Equal(data[..64], r.Frames[0].Data);
        Assert.False(r.Frames[0].Info.HasTimestamp);
        Assert.Equal(40, r.Frames[1].Info.CapturedLength);
    }

    [Fact]
    public void ObsoletePacketBlockIsReadWithItsDropCount()
    {
        // Appendix A: interface id (16 bits), drops count (16 bits), timestamp, caplen, len, data, options.
        var body = new CaptureBytes().U16(0).U16(5).U32(0).U32(1_000_000).U32((uint)A.Length).U32(80).Raw(A).Pad4().ToArray();
        var r = ReadResult.OfBytes(Concat(Shb(), Idb(), Block(2, body)));

        var (info, data) = Assert.Single(r.Frames);
        Assert.Equal(A, data);
        Assert.Equal(5UL, info.DropCount);
        Assert.Equal(1_000_000_000L, info.TimestampNs);
        Assert.Equal(80, info.OriginalLength);
    }

    [Fact]
    public void NameResolutionStatisticsSecretsCustomAndUnknownBlocksAreKeptOrSkipped()
    {
        // 4.5 NRB: ipv4 record (1) with two names, ipv6 record (2), then nrb_record_end.
        var nrb = new CaptureBytes()
            .U16(1).U16(4 + 9).Raw([10, 0, 0, 1]).Raw(Encoding.ASCII.GetBytes("a.b\0c.d\0\0")).Pad4()
            .U16(2).U16(16 + 4).Raw(new byte[15].Append((byte)1).ToArray()).Raw(Encoding.ASCII.GetBytes("lo6\0")).Pad4()
            .U16(0).U16(0).ToArray();
        // 4.6 ISB: interface 0, timestamp, isb_ifrecv (4) = 10, isb_ifdrop (5) = 2.
        var isb = new CaptureBytes().U32(0).U32(0).U32(5).Raw(Opts(Opt(4, new CaptureBytes().U64(10).ToArray()), Opt(5, new CaptureBytes().U64(2).ToArray()))).ToArray();
        // 4.7 DSB: TLS key log, 8 bytes of secrets.
        var dsb = new CaptureBytes().U32(0x544c534b).U32(8).Raw(Encoding.ASCII.GetBytes("CLIENT_R")).ToArray();
        var custom = new CaptureBytes().U32(32473).Raw([1, 2, 3, 4]).ToArray();
        var r = ReadResult.OfBytes(Concat(Shb(), Idb(), Block(4, nrb), Epb(0, 1, A), Block(5, isb), Block(10, dsb),
            Block(0xBAD, custom), Block(0x40000BAD, custom), Block(0x80000001, [9, 9, 9, 9]), Epb(0, 2, B)));

        Assert.Empty(r.Anomalies);
        Assert.Equal([A, B], r.Frames.Select(f => f.Data));
        var s = r.Sections[0];
        Assert.Equal(2, s.NameResolution.Count);
        Assert.Equal("10.0.0.1", s.NameResolution[0].Address);
        Assert.Equal(["a.b", "c.d"], s.NameResolution[0].Names);
        Assert.Equal("::1", s.NameResolution[1].Address);
        var stats = r.Interfaces[0].Statistics!;
        Assert.Equal(10UL, stats.ReceivedPackets);
        Assert.Equal(2UL, stats.DroppedByInterface);
        var secrets = Assert.Single(s.DecryptionSecrets);
        Assert.Equal("TLS key log", secrets.TypeName);
        Assert.Equal(8, secrets.Length);
        Assert.Equal(2, s.CustomBlocks);
        Assert.Equal(1, s.UnknownBlocks);
    }

    [Fact]
    public void SeveralSectionsOfMixedByteOrderScopeInterfaceIdsPerSection()
    {
        var bytes = Concat(
            Shb(false), Idb(LinkTypes.Ethernet), Idb(LinkTypes.Raw), Epb(1, 1, A),
            Shb(true), Idb(LinkTypes.LinuxSll, bigEndian: true), Epb(0, 2, B, bigEndian: true),
            Shb(false), Epb(0, 3, A)); // interface 0 of section 2 was never described
        var r = ReadResult.OfBytes(bytes);

        Assert.Equal(3, r.Sections.Count);
        Assert.Equal(ByteOrder.BigEndian, r.Sections[1].ByteOrder);
        Assert.Equal(3, r.Interfaces.Count);
        Assert.Equal(2, r.Frames.Count);
        Assert.Equal((0, 1, 1, LinkTypes.Raw), (r.Frames[0].Info.Section, r.Frames[0].Info.InterfaceId, r.Frames[0].Info.InterfaceIndex, r.Frames[0].Info.LinkType));
        Assert.Equal((1, 0, 2, LinkTypes.LinuxSll), (r.Frames[1].Info.Section, r.Frames[1].Info.InterfaceId, r.Frames[1].Info.InterfaceIndex, r.Frames[1].Info.LinkType));
        Assert.Equal(B, r.Frames[1].Data);
        Assert.Equal(["pcapng.undescribed_interface"], r.AnomalyNames);
    }

    [Fact]
    public void SectionLengthIsKeptWhenGiven()
    {
        var r = ReadResult.OfBytes(Concat(Shb(sectionLength: 0), Idb()));
        Assert.Equal(0L, r.Sections[0].SectionLength);
    }

    [Fact]
    public void FileCutInsideABlockKeepsEveryFrameBefore()
    {
        var full = Concat(Shb(), Idb(), Epb(0, 1, A), Epb(0, 2, B));
        var r = ReadResult.OfBytes(full[..^20]);

        Assert.Equal([A], r.Frames.Select(f => f.Data));
        Assert.Equal(["pcapng.truncated_block"], r.AnomalyNames);
        Assert.True(r.StoppedEarly);
    }

    [Fact]
    public void FileCutInsideABlockHeaderKeepsEveryFrameBefore()
    {
        var full = Concat(Shb(), Idb(), Epb(0, 1, A), Epb(0, 2, B));
        int cut = full.Length - Epb(0, 2, B).Length + 6;
        var r = ReadResult.OfBytes(full[..cut]);

        Assert.Single(r.Frames);
        Assert.Equal(["pcapng.truncated_block_header"], r.AnomalyNames);
    }

    [Theory]
    [InlineData(62u, "pcapng.block_length_unaligned")]
    [InlineData(8u, "pcapng.block_length_too_small")]
    public void BadBlockLengthIsAnAnomalyAndTheReaderResynchronisesOnTheNextBlock(uint badLength, string anomaly)
    {
        var damaged = Epb(0, 2, B);
        BitConverter.TryWriteBytes(damaged.AsSpan(4, 4), badLength);
        var r = ReadResult.OfBytes(Concat(Shb(), Idb(), Epb(0, 1, A), damaged, Epb(0, 3, A)));

        Assert.Equal(2, r.Frames.Count);
        Assert.Equal(3_000L, r.Frames[1].Info.TimestampNs);
        Assert.Equal([anomaly, "pcapng.resynchronized"], r.AnomalyNames);
        Assert.False(r.StoppedEarly);
    }

    [Fact]
    public void TrailingLengthThatDiffersIsAMismatchAndTheReaderResynchronises()
    {
        var damaged = Epb(0, 2, B);
        BitConverter.TryWriteBytes(damaged.AsSpan(damaged.Length - 4, 4), 12u);
        var r = ReadResult.OfBytes(Concat(Shb(), Idb(), Epb(0, 1, A), damaged, Epb(0, 3, A)));

        Assert.Equal(2, r.Frames.Count);
        Assert.Equal(["pcapng.block_length_mismatch", "pcapng.resynchronized"], r.AnomalyNames);
    }

    [Fact]
    public void BlockLengthPastTheEndFollowedByGoodBlocksIsInvalidNotTruncation()
    {
        var damaged = Epb(0, 2, B);
        BitConverter.TryWriteBytes(damaged.AsSpan(4, 4), 100_000u);
        var r = ReadResult.OfBytes(Concat(Shb(), Idb(), Epb(0, 1, A), damaged, Epb(0, 3, A)));

        Assert.Equal(2, r.Frames.Count);
        Assert.Equal(["pcapng.block_length_invalid", "pcapng.resynchronized"], r.AnomalyNames);
    }

    [Fact]
    public void PacketBlockNamingAnUndescribedInterfaceIsSkippedWithAnAnomaly()
    {
        var r = ReadResult.OfBytes(Concat(Shb(), Idb(), Epb(3, 1, A), Epb(0, 2, B)));

        Assert.Equal([B], r.Frames.Select(f => f.Data));
        Assert.Equal(1, r.Frames[0].Info.Number);
        var a = Assert.Single(r.Anomalies);
        Assert.Equal("pcapng.undescribed_interface", a.Name);
        Assert.Contains("interface 3", a.Detail);
    }

    [Fact]
    public void CaplenLargerThanTheBlockIsCutToTheBlockWithAnAnomaly()
    {
        var r = ReadResult.OfBytes(Concat(Shb(), Idb(), Epb(0, 1, A, capLen: 200, origLen: 200)));

        Assert.Equal(A, Assert.Single(r.Frames).Data);
        Assert.Equal(["pcapng.caplen_exceeds_block"], r.AnomalyNames);
    }

    [Fact]
    public void CaplenAboveTheInterfaceSnaplenIsAnAnomaly()
    {
        var r = ReadResult.OfBytes(Concat(Shb(), Idb(snapLen: 32), Epb(0, 1, A)));

        Assert.Single(r.Frames);
        Assert.Equal(["pcapng.caplen_exceeds_snaplen"], r.AnomalyNames);
    }

    [Fact]
    public void OptionRunningPastTheBlockIsAnAnomalyAndTheBlockIsKept()
    {
        // An if_name option claiming 200 bytes inside a small IDB.
        var bad = new CaptureBytes().U16(2).U16(200).Raw(Encoding.ASCII.GetBytes("eth0")).ToArray();
        var r = ReadResult.OfBytes(Concat(Shb(), Idb(options: bad), Epb(0, 1, A)));

        Assert.Single(r.Frames);
        Assert.Single(r.Interfaces);
        Assert.Equal(["pcapng.option_overrun"], r.AnomalyNames);
    }

    [Fact]
    public void UnknownSectionVersionIsAnAnomalyAndTheSectionIsStillRead()
    {
        var r = ReadResult.OfBytes(Concat(Shb(major: 2, minor: 0), Idb(), Epb(0, 1, A)));

        Assert.Equal(["pcapng.unsupported_version"], r.AnomalyNames);
        Assert.Single(r.Frames);
    }

    [Fact]
    public void TimestampBeyond2262IsAnAnomalyAndTheFrameHasNoTimestamp()
    {
        var r = ReadResult.OfBytes(Concat(Shb(), Idb(options: Opts(Opt(9, [9]))), Epb(0, ulong.MaxValue, A)));

        var (info, _) = Assert.Single(r.Frames);
        Assert.False(info.HasTimestamp);
        Assert.Equal(["pcapng.timestamp_out_of_range"], r.AnomalyNames);
    }

    [Fact]
    public void FrameNumbersCountOnlyPacketsAcrossSections()
    {
        var r = ReadResult.OfBytes(Concat(Shb(), Idb(), Epb(0, 1, A), Shb(), Idb(), Epb(0, 2, B), Spb(61, B)));
        Assert.Equal(new long[] { 1, 2, 3 }, r.Frames.Select(f => f.Info.Number));
    }

    [Fact]
    public void MicrosecondIsbTimesOnANanosecondInterfaceAreRecognisedAsDumpcapWritesThem()
    {
        // dumpcap 4.0 (testdata/mixed-2ifaces.pcapng) writes isb_starttime/isb_endtime in microseconds although
        // if_tsresol is 9; the EPBs are nanoseconds.
        const ulong frameNs = 1_795_532_846_990_467_770;
        const ulong startUs = 1_795_532_846_949_372;
        var isbStart = new CaptureBytes().U32((uint)(startUs >> 32)).U32(unchecked((uint)startUs)).ToArray();
        var isb = new CaptureBytes().U32(0).U32((uint)(startUs >> 32)).U32(unchecked((uint)startUs)).Raw(Opts(Opt(2, isbStart))).ToArray();
        var r = ReadResult.OfBytes(Concat(Shb(), Idb(options: Opts(Opt(9, [9]))), Epb(0, frameNs, A), Block(5, isb)));

        Assert.Equal((long)startUs * 1000, r.Interfaces[0].Statistics!.StartTimeNs);
        Assert.Equal((long)startUs * 1000, r.Interfaces[0].Statistics!.TimestampNs);
        Assert.Equal(["pcapng.isb_microsecond_timestamps"], r.AnomalyNames);
    }

    [Fact]
    public void IsbTimesInTheInterfaceResolutionAreTakenAsTheyAre()
    {
        const ulong frameNs = 1_795_532_846_990_467_770;
        var isbStart = new CaptureBytes().U32((uint)(frameNs >> 32)).U32(unchecked((uint)frameNs)).ToArray();
        var isb = new CaptureBytes().U32(0).U32((uint)(frameNs >> 32)).U32(unchecked((uint)frameNs)).Raw(Opts(Opt(2, isbStart))).ToArray();
        var r = ReadResult.OfBytes(Concat(Shb(), Idb(options: Opts(Opt(9, [9]))), Epb(0, frameNs, A), Block(5, isb)));

        Assert.Equal((long)frameNs, r.Interfaces[0].Statistics!.StartTimeNs);
        Assert.Empty(r.Anomalies);
    }
}
