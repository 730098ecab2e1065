using System.Buffers.Binary;

namespace PcapForge.Dissectors.Ssh;

/// <summary>What a binary packet header says, read by <see cref="SshBinaryPacket"/>.</summary>
public enum SshPacketStatus
{
    /// <summary>A plausible header: the lengths are in bounds.</summary>
    Packet,

    /// <summary>Too few bytes to read the header (or, for <see cref="SshBinaryPacket.TryRead"/>, the whole packet).</summary>
    Incomplete,

    /// <summary>The packet length is outside the bounds: the stream is not (or no longer) framed as SSH.</summary>
    BadLength,

    /// <summary>The padding leaves no room for the message number.</summary>
    BadPadding,
}

/// <summary>
/// Framing of unencrypted binary packets. SSH-2 (RFC 4253 §6): <c>uint32 packet_length</c> (not counting itself
/// or the MAC), <c>byte padding_length</c>, payload, random padding; no MAC before the first NEWKEYS. SSH-1
/// (draft-ylonen-ssh-protocol-00 §"The Binary Packet Protocol"): <c>uint32 length</c> (type, data and CRC), 1 to 8
/// bytes of padding making the rest a multiple of 8, then type, data, CRC-32.
/// </summary>
public static class SshBinaryPacket
{
    /// <summary>Bytes of packet_length and padding_length, the SSH-2 header.</summary>
    public const int HeaderLength = 5;

    /// <summary>Bytes of the length field, which packet_length does not count.</summary>
    public const int LengthFieldLength = 4;

    /// <summary>
    /// Smallest SSH-2 packet_length accepted: the padding_length byte and the 4 bytes of padding RFC 4253 §6 requires
    /// at least. (The RFC's 16-byte minimum total is not enforced: a short packet is still framed correctly.)
    /// </summary>
    public const int MinPacketLength = 5;

    /// <summary>
    /// Largest SSH-2 packet_length accepted: RFC 4253 §6.1 requires implementations to handle packets of "total
    /// packet size of 35000 bytes or less"; the key exchange messages are far smaller, so a larger value means the
    /// bytes are not SSH framing.
    /// </summary>
    public const int MaxPacketLength = 35000;

    /// <summary>Smallest SSH-1 length: the type byte and the 4-byte CRC.</summary>
    public const int Ssh1MinLength = 5;

    /// <summary>Largest SSH-1 length (draft-ylonen-ssh-protocol-00: "The maximum packet size is 262144 bytes").</summary>
    public const int Ssh1MaxLength = 262144;

    /// <summary>SSH-1 padding aligns padding, type, data and CRC to this many bytes.</summary>
    public const int Ssh1Alignment = 8;

    /// <summary>
    /// Reads an SSH-2 header. <paramref name="packetLength"/> and <paramref name="paddingLength"/> are set when the
    /// header is there, whatever the status; the payload is <c>packetLength - paddingLength - 1</c> bytes at offset
    /// <see cref="HeaderLength"/>, and the packet takes <c>4 + packetLength</c> bytes.
    /// </summary>
    public static SshPacketStatus TryReadHeader(ReadOnlySpan<byte> data, out int packetLength, out int paddingLength)
    {
        if (data.Length < HeaderLength)
        {
            packetLength = paddingLength = 0;
            return SshPacketStatus.Incomplete;
        }

        uint length = BinaryPrimitives.ReadUInt32BigEndian(data);
        packetLength = length > MaxPacketLength ? int.MaxValue : (int)length;
        paddingLength = data[LengthFieldLength];
        if (length < MinPacketLength || length > MaxPacketLength)
            return SshPacketStatus.BadLength;
        return paddingLength + 1 >= packetLength ? SshPacketStatus.BadPadding : SshPacketStatus.Packet;
    }

    /// <summary>
    /// Reads a whole SSH-2 packet (unencrypted, no MAC): its <paramref name="payload"/> and the bytes it takes
    /// (<paramref name="consumed"/>). <see cref="SshPacketStatus.Incomplete"/> until the whole packet is there.
    /// </summary>
    public static SshPacketStatus TryRead(ReadOnlySpan<byte> data, out ReadOnlySpan<byte> payload, out int consumed)
    {
        payload = default;
        consumed = 0;
        var status = TryReadHeader(data, out int packetLength, out int paddingLength);
        if (status != SshPacketStatus.Packet)
            return status;
        if (data.Length < LengthFieldLength + packetLength)
            return SshPacketStatus.Incomplete;
        payload = data.Slice(HeaderLength, packetLength - paddingLength - 1);
        consumed = LengthFieldLength + packetLength;
        return SshPacketStatus.Packet;
    }

    /// <summary>
    /// Reads an SSH-1 header: <paramref name="length"/> (type, data, CRC) and the <paramref name="paddingLength"/>
    /// that follows the length field; the type byte is at <c>4 + paddingLength</c> and the packet takes
    /// <c>4 + paddingLength + length</c> bytes.
    /// </summary>
    public static SshPacketStatus TryReadSsh1Header(ReadOnlySpan<byte> data, out int length, out int paddingLength)
    {
        if (data.Length < LengthFieldLength)
        {
            length = paddingLength = 0;
            return SshPacketStatus.Incomplete;
        }

        uint value = BinaryPrimitives.ReadUInt32BigEndian(data);
        length = value > Ssh1MaxLength ? int.MaxValue : (int)value;
        paddingLength = Ssh1Alignment - (int)(value % Ssh1Alignment);
        return value is < Ssh1MinLength or > Ssh1MaxLength ? SshPacketStatus.BadLength : SshPacketStatus.Packet;
    }
}
