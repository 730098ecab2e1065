using System.Buffers.Binary;

namespace PcapForge.Abstractions.Dissection;

/// <summary>
/// The layout of a LINKTYPE_NFLOG frame (239, https://www.tcpdump.org/linktypes/LINKTYPE_NFLOG.html): a 4-byte
/// header, then attributes (TLVs) of a 16-bit length (header included) and a 16-bit type, in the byte order of the
/// host that captured, each padded to a multiple of 4 bytes. The Link plugin's NFLOG dissector and the host's
/// partition of a capture between threads both walk it, and must agree on the byte order and the payload.
/// </summary>
public static class NflogLayout
{
    public const int HeaderLength = 4, AttributeHeaderLength = 4;

    /// <summary>NFULA_PAYLOAD (linux/netfilter/nfnetlink_log.h): the logged packet.</summary>
    public const int PayloadAttribute = 9;

    /// <summary>The attribute type without NLA_F_NESTED, its top bit.</summary>
    public const int TypeMask = 0x7FFF;

    /// <summary>
    /// The attributes' byte order: little-endian unless the first attribute only makes sense read big-endian: its
    /// length must fit the frame and its type be a known attribute number (under 64), which a big-endian type read
    /// little-endian never is (type 1 reads as 256).
    /// </summary>
    public static bool AttributesAreBigEndian(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < HeaderLength + AttributeHeaderLength)
            return false;
        var first = frame[HeaderLength..];
        bool littleFits = Plausible(BinaryPrimitives.ReadUInt16LittleEndian(first), BinaryPrimitives.ReadUInt16LittleEndian(first[2..]) & TypeMask, frame.Length);
        bool bigFits = Plausible(BinaryPrimitives.ReadUInt16BigEndian(first), BinaryPrimitives.ReadUInt16BigEndian(first[2..]) & TypeMask, frame.Length);
        return !littleFits && bigFits;
    }

    /// <summary>An attribute's length and type, in the frame's byte order.</summary>
    public static (int Length, int Type) Attribute(ReadOnlySpan<byte> at, bool bigEndian) => bigEndian
        ? (BinaryPrimitives.ReadUInt16BigEndian(at), BinaryPrimitives.ReadUInt16BigEndian(at[2..]) & TypeMask)
        : (BinaryPrimitives.ReadUInt16LittleEndian(at), BinaryPrimitives.ReadUInt16LittleEndian(at[2..]) & TypeMask);

    /// <summary>Where the attribute after the one at <paramref name="offset"/> of <paramref name="length"/> bytes starts.</summary>
    public static int Next(int offset, int length) => offset + ((length + 3) & ~3);

    /// <summary>Offset of the logged packet (the payload attribute's value), or -1 when there is none or an attribute is broken.</summary>
    public static int PayloadOffset(ReadOnlySpan<byte> frame)
    {
        bool bigEndian = AttributesAreBigEndian(frame);
        for (int offset = HeaderLength; offset + AttributeHeaderLength <= frame.Length;)
        {
            var (length, type) = Attribute(frame[offset..], bigEndian);
            if (length < AttributeHeaderLength || offset + length > frame.Length)
                return -1;
            if (type == PayloadAttribute)
                return offset + AttributeHeaderLength;
            offset = Next(offset, length);
        }

        return -1;
    }

    private static bool Plausible(int length, int type, int frameLength) =>
        length >= AttributeHeaderLength && HeaderLength + length <= frameLength && type is > 0 and < 64;
}
