namespace PcapForge.Dissectors.Dns;

/// <summary>Why a DNS structure could not be read. Each maps to one anomaly of the dissector.</summary>
public enum DnsError : byte
{
    None,

    /// <summary>The bytes end inside a header, name, question or record (the counts claim more than was sent).</summary>
    Truncated,

    /// <summary>A compression pointer (RFC 1035 §4.1.4) names an offset at or past the end of the message.</summary>
    PointerOutOfRange,

    /// <summary>Compression pointers lead round in a loop (more jumps than a legal name can need).</summary>
    CompressionLoop,

    /// <summary>A label length byte over 63: label types 01 and 10 are obsolete or reserved (RFC 6891 §5).</summary>
    LabelTooLong,

    /// <summary>A name longer than 255 octets in wire form (RFC 1035 §2.3.4).</summary>
    NameTooLong,

    /// <summary>A record's RDATA does not have the layout its type requires (an A record of 3 bytes).</summary>
    RdataMalformed,
}

/// <summary>
/// Domain names in wire form (RFC 1035 §3.1, §4.1.4): a sequence of labels, each a length byte and up to 63 bytes,
/// ended by the zero-length root label or by a 2-byte compression pointer (top bits 11) to another name in the same
/// message. Decoding follows pointers with a bounded number of jumps, so hostile input cannot loop.
/// </summary>
public static class DnsName
{
    /// <summary>Longest name in wire form, length bytes included (RFC 1035 §2.3.4).</summary>
    public const int MaxWireLength = 255;

    /// <summary>Longest label (RFC 1035 §2.3.4); the length byte's top two bits select the label type.</summary>
    public const int MaxLabelLength = 63;

    /// <summary>
    /// Room that <see cref="TryRead(ReadOnlySpan{byte}, int, Span{byte}, out int, out int)"/> may need for the text: every byte of a 255-octet name escaped as <c>\DDD</c>.
    /// </summary>
    public const int MaxTextLength = MaxWireLength * 4;

    /// <summary>
    /// A legal name has at most 127 labels, so a decoder never needs more jumps than that; more means a loop. This
    /// bounds the work on a hostile message to 128 jumps per name.
    /// </summary>
    public const int MaxPointerJumps = 128;

    private const byte LabelTypeMask = 0xC0;
    private const byte PointerType = 0xC0;
    private const int PointerOffsetMask = 0x3FFF;

    /// <summary>
    /// Reads the name at <paramref name="offset"/> of <paramref name="message"/> (the whole message, since pointers
    /// are offsets from its first byte). <paramref name="next"/> is the offset after the name where it was written
    /// (after its first pointer, if any). When <paramref name="text"/> is not empty (it must then hold
    /// <see cref="MaxTextLength"/> bytes) the name is written there in presentation form as ASCII: labels joined by
    /// dots, no trailing dot, the root as <c>.</c>, and a dot or backslash inside a label escaped with a backslash,
    /// other bytes outside 0x21–0x7E as <c>\DDD</c> (RFC 1035 §5.1). On an error, the text holds the labels read so
    /// far and <paramref name="next"/> is where reading stopped.
    /// </summary>
    public static DnsError TryRead(ReadOnlySpan<byte> message, int offset, Span<byte> text, out int textLength, out int next) =>
        TryRead(message, offset, message.Length, text, out textLength, out next);

    /// <summary>
    /// As <see cref="TryRead(ReadOnlySpan{byte}, int, Span{byte}, out int, out int)"/>, for a name inside RDATA: the
    /// labels before the first pointer must end by <paramref name="inlineEnd"/> (the end of the RDATA); pointers may
    /// lead anywhere in the message.
    /// </summary>
    public static DnsError TryRead(ReadOnlySpan<byte> message, int offset, int inlineEnd, Span<byte> text, out int textLength, out int next)
    {
        textLength = 0;
        next = -1;
        bool write = !text.IsEmpty;
        int position = offset;
        int wireLength = 0;
        int jumps = 0;
        while (true)
        {
            // Until the first pointer the name lies where it was written; after it, anywhere in the message.
            int limit = next < 0 ? Math.Min(inlineEnd, message.Length) : message.Length;
            if (position >= limit)
            {
                next = next < 0 ? position : next;
                return DnsError.Truncated;
            }

            byte length = message[position];
            if ((length & LabelTypeMask) == PointerType)
            {
                if (position + 1 >= limit)
                {
                    next = next < 0 ? limit : next;
                    return DnsError.Truncated;
                }

                int target = ((length << 8) | message[position + 1]) & PointerOffsetMask;
                if (next < 0)
                    next = position + 2;
                if (target >= message.Length)
                    return DnsError.PointerOutOfRange;
                if (++jumps > MaxPointerJumps)
                    return DnsError.CompressionLoop;
                position = target;
                continue;
            }

            if (length > MaxLabelLength)
            {
                next = next < 0 ? position + 1 : next;
                return DnsError.LabelTooLong;
            }

            wireLength += length + 1;
            if (wireLength > MaxWireLength)
            {
                next = next < 0 ? Math.Min(position + 1 + length, limit) : next;
                return DnsError.NameTooLong;
            }

            if (length == 0)
            {
                if (next < 0)
                    next = position + 1;
                if (write && textLength == 0)
                    text[textLength++] = (byte)'.';
                return DnsError.None;
            }

            if (position + 1 + length > limit)
            {
                next = next < 0 ? limit : next;
                return DnsError.Truncated;
            }

            if (write)
            {
                if (textLength > 0)
                    text[textLength++] = (byte)'.';
                textLength += Escape(message.Slice(position + 1, length), text[textLength..]);
            }

            position += 1 + length;
        }
    }

    /// <summary>The name at <paramref name="offset"/> as a string (see <see cref="TryRead(ReadOnlySpan{byte}, int, Span{byte}, out int, out int)"/>); on an error, what was read before it.</summary>
    public static DnsError TryReadString(ReadOnlySpan<byte> message, int offset, out string text, out int next) =>
        TryReadString(message, offset, message.Length, out text, out next);

    /// <summary>The name at <paramref name="offset"/> as a string, its labels before any pointer ending by <paramref name="inlineEnd"/>.</summary>
    public static DnsError TryReadString(ReadOnlySpan<byte> message, int offset, int inlineEnd, out string text, out int next)
    {
        Span<byte> buffer = stackalloc byte[MaxTextLength];
        var error = TryRead(message, offset, inlineEnd, buffer, out int length, out next);
        text = System.Text.Encoding.ASCII.GetString(buffer[..length]);
        return error;
    }

    /// <summary>Writes one label's bytes in presentation form; returns the bytes written (at most 4 per input byte).</summary>
    private static int Escape(ReadOnlySpan<byte> label, Span<byte> text)
    {
        int n = 0;
        foreach (byte b in label)
        {
            if (b is (byte)'.' or (byte)'\\')
            {
                text[n++] = (byte)'\\';
                text[n++] = b;
            }
            else if (b is > 0x20 and < 0x7F)
            {
                text[n++] = b;
            }
            else
            {
                text[n++] = (byte)'\\';
                text[n++] = (byte)('0' + b / 100);
                text[n++] = (byte)('0' + b / 10 % 10);
                text[n++] = (byte)('0' + b % 10);
            }
        }

        return n;
    }
}
