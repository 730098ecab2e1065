using PcapForge.Abstractions;
using static PcapForge.Capture.Tests.CaptureBytes;

namespace PcapForge.Capture.Tests;

/// <summary>Classic pcap, from bytes written in each test (draft-ietf-opsawg-pcap).</summary>
public class PcapReaderTests
{
    private static readonly byte[] A = Payload(60, 1);
    private static readonly byte[] B = Payload(74, 2);
    private static readonly byte[] C = Payload(54, 3);

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void AllFourMagicsGiveTheSameFramesAndExactNanosecondTimestamps(bool bigEndian, bool nanos)
    {
        uint fraction = nanos ? 123_456_789u : 123_456u;
        var bytes = Concat(PcapHeader(bigEndian, nanos, snapLen: 262144),
            PcapRecord(1_600_000_000, fraction, A, bigEndian: bigEndian),
            PcapRecord(1_600_000_001, 0, B, origLen: 1500, bigEndian: bigEndian));

        var r = ReadResult.OfBytes(bytes);

        Assert.Empty(r.Anomalies);
        Assert.Equal(CaptureFormat.Pcap, r.Format);
        Assert.Equal(bigEndian ? ByteOrder.BigEndian : ByteOrder.LittleEndian, r.Sections[0].ByteOrder);
        Assert.Equal(2, r.Frames.Count);
        long expectedNs = 1_600_000_000L * 1_000_000_000 + (nanos ? 123_456_789 : 123_456_000);
        Assert.Equal(expectedNs, r.Frames[0].Info.TimestampNs);
        Assert.Equal(A, r.Frames[0].Data);
        Assert.Equal(B, r.Frames[1].Data);
        Assert.Equal(1500, r.Frames[1].Info.OriginalLength);
        Assert.True(r.Frames[1].Info.IsTruncated);
        Assert.Equal(new long[] { 1, 2 }, r.Frames.Select(f => f.Info.Number));
        Assert.Equal(24, r.Frames[0].Info.FileOffset);
        Assert.Equal(24 + 16, r.Frames[0].Info.DataOffset);
        Assert.Equal(nanos ? TimestampResolution.Nanoseconds : TimestampResolution.Microseconds, r.Interfaces[0].Resolution);
        Assert.Equal(262144u, r.Interfaces[0].SnapLength);
    }

    [Fact]
    public void LinkTypeFieldCarriesFcsLengthInItsUpperBits()
    {
        // Section 5.1: F bit (26) set, FCS length 2 sixteen-bit words = 4 bytes, link type 1.
        uint field = 0x04000000 | (2u << 28) | LinkTypes.Ethernet;
        var r = ReadResult.OfBytes(Concat(PcapHeader(linkField: field), PcapRecord(1, 0, A)));

        Assert.Empty(r.Anomalies);
        Assert.Equal(LinkTypes.Ethernet, r.Interfaces[0].LinkType);
        Assert.Equal(4, r.Interfaces[0].FcsLength);
        Assert.Equal(4, r.Frames[0].Info.FcsLength);
    }

    [Fact]
    public void ReservedLinkTypeBitsAreAnAnomalyAndTheFileIsStillRead()
    {
        var r = ReadResult.OfBytes(Concat(PcapHeader(linkField: 0x00300000 | LinkTypes.Ethernet), PcapRecord(1, 0, A)));

        Assert.Contains("pcap.linktype_reserved_bits", r.AnomalyNames);
        Assert.Equal(LinkTypes.Ethernet, r.Interfaces[0].LinkType);
        Assert.Single(r.Frames);
    }

    [Fact]
    public void Version22WithSwappedLengthsIsSwappedBackWithANote()
    {
        // Before 2.3 some writers put len before caplen: caplen 1500 > len 60 means they are swapped.
        var rec = new CaptureBytes().U32(5).U32(0).U32(1500).U32(60).Raw(A).ToArray();
        var r = ReadResult.OfBytes(Concat(PcapHeader(minor: 2), rec));

        Assert.Equal(["pcap.old_version"], r.AnomalyNames);
        Assert.Equal(60, r.Frames[0].Info.CapturedLength);
        Assert.Equal(1500, r.Frames[0].Info.OriginalLength);
    }

    [Fact]
    public void UnknownMajorVersionIsAnAnomalyAndRecordsAreReadAsVersion24()
    {
        var r = ReadResult.OfBytes(Concat(PcapHeader(major: 1), PcapRecord(1, 0, A)));

        Assert.Contains("pcap.unsupported_version", r.AnomalyNames);
        Assert.Single(r.Frames);
    }

    [Fact]
    public void FileCutInsideARecordHeaderKeepsEveryFrameBefore()
    {
        var full = Concat(PcapHeader(), PcapRecord(1, 0, A), PcapRecord(2, 0, B));
        var r = ReadResult.OfBytes(full[..^(B.Length + 8)]);

        Assert.Single(r.Frames);
        Assert.Equal(A, r.Frames[0].Data);
        var anomaly = Assert.Single(r.Anomalies);
        Assert.Equal("pcap.truncated_record_header", anomaly.Name);
        Assert.Equal(24 + 16 + A.Length, anomaly.FileOffset);
        Assert.True(r.StoppedEarly);
    }

    [Fact]
    public void FileCutInsideRecordDataKeepsEveryFrameBefore()
    {
        var full = Concat(PcapHeader(), PcapRecord(1, 0, A), PcapRecord(2, 0, B));
        var r = ReadResult.OfBytes(full[..^10]);

        Assert.Single(r.Frames);
        Assert.Equal(["pcap.truncated_record"], r.AnomalyNames);
        Assert.True(r.StoppedEarly);
    }

    [Fact]
    public void CaplenLargerThanSnaplenButPlausibleIsDeliveredWithAnAnomaly()
    {
        var r = ReadResult.OfBytes(Concat(PcapHeader(snapLen: 32), PcapRecord(1, 0, A)));

        Assert.Single(r.Frames);
        Assert.Equal(A.Length, r.Frames[0].Info.CapturedLength);
        var a = Assert.Single(r.Anomalies);
        Assert.Equal("pcap.caplen_exceeds_snaplen", a.Name);
        Assert.Equal(1, a.Frame);
    }

    [Fact]
    public void CaplenLargerThanOriginalLengthIsAnAnomaly()
    {
        var r = ReadResult.OfBytes(Concat(PcapHeader(), PcapRecord(1, 0, A, origLen: 10)));

        Assert.Equal(["pcap.caplen_exceeds_origlen"], r.AnomalyNames);
        Assert.Single(r.Frames);
    }

    [Fact]
    public void CaplenPastTheEndOfTheFileIsATruncatedRecordNotAnException()
    {
        var r = ReadResult.OfBytes(Concat(PcapHeader(), PcapRecord(1, 0, A), PcapRecord(2, 0, B, capLen: 60_000, origLen: 60_000)));

        Assert.Single(r.Frames);
        Assert.Equal(["pcap.truncated_record"], r.AnomalyNames);
    }

    [Theory]
    [InlineData(false, 1_000_000u)]
    [InlineData(true, 1_000_000_000u)]
    public void TimestampFractionOutOfRangeIsCarriedIntoSecondsWithAnAnomaly(bool nanos, uint fraction)
    {
        var r = ReadResult.OfBytes(Concat(PcapHeader(nanos: nanos), PcapRecord(10, fraction, A)));

        var a = Assert.Single(r.Anomalies);
        Assert.Equal("pcap.timestamp_fraction_out_of_range", a.Name);
        Assert.Equal(11L * 1_000_000_000, r.Frames[0].Info.TimestampNs);
    }

    [Fact]
    public void GarbageRecordHeaderIsSkippedByResynchronisingOnTheNextPlausibleRecords()
    {
        // Three stray bytes between two records make the second header unreadable (as in the hand-edited
        // smtp capture of the public corpus); the reader finds the real header 3 bytes on.
        var bytes = Concat(PcapHeader(), PcapRecord(100, 0, A), [0xEE, 0xEE, 0xEE], PcapRecord(101, 0, B), PcapRecord(102, 0, C));
        var r = ReadResult.OfBytes(bytes);

        Assert.Equal([A, B, C], r.Frames.Select(f => f.Data));
        Assert.Equal(["pcap.record_length_invalid", "pcap.resynchronized"], r.AnomalyNames);
        Assert.Equal(24 + 16 + A.Length + 3, r.Anomalies[1].FileOffset);
        Assert.False(r.StoppedEarly);
    }

    [Fact]
    public void CaplenThatOverstatesItsDataIsFoundByLookingBackIntoThePreviousRecord()
    {
        // Record 1 says 62 bytes but has 60: the next header starts 2 bytes before where the reader looks.
        var first = PcapRecord(100, 0, A, capLen: (uint)A.Length + 2, origLen: (uint)A.Length + 2);
        var bytes = Concat(PcapHeader(), first, PcapRecord(101, 0, B), PcapRecord(102, 0, C));
        var r = ReadResult.OfBytes(bytes);

        Assert.Equal(3, r.Frames.Count);
        Assert.Equal(B, r.Frames[1].Data);
        Assert.Equal(C, r.Frames[2].Data);
        Assert.Contains("pcap.resynchronized", r.AnomalyNames);
    }

    [Fact]
    public void GarbageWithNoPlausibleRecordAfterItStopsCleanly()
    {
        var garbage = Enumerable.Repeat((byte)0xFF, 100).ToArray();
        var r = ReadResult.OfBytes(Concat(PcapHeader(), PcapRecord(1, 0, A), garbage));

        Assert.Single(r.Frames);
        Assert.Equal(["pcap.record_length_invalid", "pcap.resync_failed"], r.AnomalyNames);
        Assert.True(r.StoppedEarly);
    }

    [Fact]
    public void HeaderOnlyFileHasNoFramesAndNoAnomaly()
    {
        var r = ReadResult.OfBytes(PcapHeader());

        Assert.Empty(r.Frames);
        Assert.Empty(r.Anomalies);
        Assert.False(r.StoppedEarly);
    }

    [Fact]
    public void ModifiedPcapWithTheLongerRecordHeaderIsRead()
    {
        var header = PcapHeader();
        BitConverter.TryWriteBytes(header.AsSpan(0, 4), 0xA1B2CD34u);
        var record = new CaptureBytes().U32(1).U32(5).U32((uint)A.Length).U32((uint)A.Length)
            .U32(2).U16(0x0800).U8(0).U8(0).Raw(A).ToArray();
        var r = ReadResult.OfBytes(Concat(header, record));

        Assert.Equal(CaptureFormat.PcapModified, r.Format);
        Assert.Equal(A, Assert.Single(r.Frames).Data);
    }
}
