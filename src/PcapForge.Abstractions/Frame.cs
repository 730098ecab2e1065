namespace PcapForge.Abstractions;

/// <summary>
/// Per-frame metadata as read from the capture file. A plain value type: reading it costs no allocation.
/// </summary>
public readonly struct FrameInfo
{
    /// <summary>1-based frame number across the whole file (all sections).</summary>
    public long Number { get; init; }

    /// <summary>0-based index of the pcapng section the frame belongs to (always 0 for classic pcap).</summary>
    public int Section { get; init; }

    /// <summary>Interface id as written in the file, scoped to <see cref="Section"/> (always 0 for classic pcap).</summary>
    public int InterfaceId { get; init; }

    /// <summary>0-based index into <c>CaptureReader.Interfaces</c>, unique across sections.</summary>
    public int InterfaceIndex { get; init; }

    /// <summary>LINKTYPE_* value of the interface (see <see cref="LinkTypes"/>).</summary>
    public int LinkType { get; init; }

    /// <summary>Capture time as integer nanoseconds since 1970-01-01T00:00:00Z. Meaningless when <see cref="HasTimestamp"/> is false.</summary>
    public long TimestampNs { get; init; }

    /// <summary>False for pcapng Simple Packet Blocks, which carry no timestamp.</summary>
    public bool HasTimestamp { get; init; }

    /// <summary>Number of bytes of the frame present in the file.</summary>
    public int CapturedLength { get; init; }

    /// <summary>Length of the frame on the wire.</summary>
    public long OriginalLength { get; init; }

    /// <summary>File offset of the record (pcap) or block (pcapng) holding the frame; for compressed files, the offset in the decompressed stream.</summary>
    public long FileOffset { get; init; }

    /// <summary>File offset of the first frame byte.</summary>
    public long DataOffset { get; init; }

    /// <summary>pcapng <c>epb_flags</c> (direction, reception type, FCS length, errors) when present.</summary>
    public uint? Flags { get; init; }

    /// <summary>pcapng <c>epb_dropcount</c> (or the obsolete Packet Block's drop count) when present.</summary>
    public ulong? DropCount { get; init; }

    /// <summary>pcapng <c>epb_packetid</c> when present.</summary>
    public ulong? PacketId { get; init; }

    /// <summary>pcapng <c>epb_queue</c> when present.</summary>
    public uint? Queue { get; init; }

    /// <summary><c>opt_comment</c> values of the block; null when the block has none (the common case, so no allocation).</summary>
    public IReadOnlyList<string>? Comments { get; init; }

    /// <summary>Number of FCS bytes at the end of the frame: from <c>epb_flags</c> when it says, otherwise from the interface (<c>if_fcslen</c>, or the FCS bits of the pcap link-type field).</summary>
    public int FcsLength { get; init; }

    /// <summary>Direction from <c>epb_flags</c> bits 0-1 (RFC draft-ietf-opsawg-pcapng, section 4.3.1).</summary>
    public PacketDirection Direction => Flags is uint f ? (PacketDirection)(f & 0x3) : PacketDirection.Unknown;

    /// <summary>True when fewer bytes were captured than were on the wire (snaplen).</summary>
    public bool IsTruncated => CapturedLength < OriginalLength;
}

/// <summary>Packet direction as recorded in <c>epb_flags</c>.</summary>
public enum PacketDirection
{
    Unknown = 0,
    Inbound = 1,
    Outbound = 2,
}

/// <summary>
/// One frame: its metadata and its bytes, a slice of the reader's mapping. The bytes are valid until the
/// reader is advanced or disposed; copy them to keep them.
/// </summary>
public readonly ref struct Frame
{
    public Frame(scoped in FrameInfo info, ReadOnlySpan<byte> data)
    {
        Info = info;
        Data = data;
    }

    public FrameInfo Info { get; }

    public ReadOnlySpan<byte> Data { get; }
}
