using System.Buffers.Binary;
using PcapForge.Capture.Formats;

namespace PcapForge.Capture.Writing;

/// <summary>
/// Writes classic pcap (draft-ietf-opsawg-pcap) version 2.4, little-endian, with microsecond or nanosecond
/// timestamps. <see cref="Complete"/> flushes; disposing only releases.
/// </summary>
public sealed class PcapWriter : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly bool _nanoseconds;
    private readonly byte[] _header = new byte[PcapLayout.RecordHeaderLength];

    public PcapWriter(Stream stream, int linkType, uint snapLength = PcapLayout.CommonMaxSnapLength, bool nanoseconds = true,
        int? fcsLength = null, bool leaveOpen = false)
    {
        if (linkType is < 0 or > 0xFFFF)
            throw new ArgumentOutOfRangeException(nameof(linkType), $"link type {linkType} does not fit the 16-bit field");
        if (fcsLength is int f && (f < 0 || f > 30 || f % 2 != 0))
            throw new ArgumentOutOfRangeException(nameof(fcsLength), $"FCS length {f} must be an even number of bytes up to 30");
        _stream = stream;
        _leaveOpen = leaveOpen;
        _nanoseconds = nanoseconds;

        Span<byte> h = stackalloc byte[PcapLayout.FileHeaderLength];
        BinaryPrimitives.WriteUInt32LittleEndian(h, nanoseconds ? PcapLayout.MagicNanosecondsLe : PcapLayout.MagicMicrosecondsLe);
        BinaryPrimitives.WriteUInt16LittleEndian(h[PcapLayout.VersionMajorOffset..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(h[PcapLayout.VersionMinorOffset..], 4);
        BinaryPrimitives.WriteInt32LittleEndian(h[PcapLayout.ThisZoneOffset..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(h[PcapLayout.SigFigsOffset..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(h[PcapLayout.SnapLenOffset..], snapLength);
        uint linkField = (uint)linkType;
        if (fcsLength is int fcs)
            linkField |= PcapLayout.FcsPresentBit | ((uint)(fcs / 2) << PcapLayout.FcsLengthShift);
        BinaryPrimitives.WriteUInt32LittleEndian(h[PcapLayout.LinkTypeOffset..], linkField);
        _stream.Write(h);
    }

    /// <summary>Writes one record. The timestamp must lie between 1970 and 2106 (the 32-bit seconds field).</summary>
    public void WritePacket(long timestampNs, ReadOnlySpan<byte> data, long originalLength)
    {
        if (timestampNs < 0 || timestampNs / 1_000_000_000 > uint.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(timestampNs), $"timestamp {timestampNs} ns does not fit pcap's unsigned 32-bit seconds");
        if (originalLength < data.Length || originalLength > uint.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(originalLength), $"original length {originalLength} must lie between the captured length {data.Length} and 2^32-1");
        long seconds = timestampNs / 1_000_000_000;
        long fraction = timestampNs % 1_000_000_000;
        if (!_nanoseconds)
            fraction /= 1000;
        BinaryPrimitives.WriteUInt32LittleEndian(_header.AsSpan(PcapLayout.TsSecondsOffset), (uint)seconds);
        BinaryPrimitives.WriteUInt32LittleEndian(_header.AsSpan(PcapLayout.TsFractionOffset), (uint)fraction);
        BinaryPrimitives.WriteUInt32LittleEndian(_header.AsSpan(PcapLayout.CapturedLengthOffset), (uint)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(_header.AsSpan(PcapLayout.OriginalLengthOffset), (uint)originalLength);
        _stream.Write(_header);
        _stream.Write(data);
    }

    public void Complete() => _stream.Flush();

    public void Dispose()
    {
        if (!_leaveOpen)
            _stream.Dispose();
    }
}
