using System.Buffers.Binary;

namespace PcapForge.Dissectors.Dns;

/// <summary>
/// The fixed 12-byte header of a DNS message (RFC 1035 §4.1.1), with the AD and CD bits of RFC 4035 §3.2 counted in
/// Zeek's 3-bit <see cref="Z"/>.
/// </summary>
public readonly struct DnsHeader
{
    /// <summary>Bytes of the header; the question section starts here.</summary>
    public const int Length = 12;

    // Wire layout (RFC 1035 §4.1.1): ID, flags, QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT, each 16 bits big-endian.
    private const int IdOffset = 0;
    private const int FlagsOffset = 2;
    private const int QuestionCountOffset = 4;
    private const int AnswerCountOffset = 6;
    private const int AuthorityCountOffset = 8;
    private const int AdditionalCountOffset = 10;

    // Flag bits, from the most significant: QR(1) OPCODE(4) AA(1) TC(1) RD(1) RA(1) Z(3) RCODE(4).
    private const int QrBit = 0x8000;
    private const int OpcodeShift = 11;
    private const int OpcodeMask = 0xF;
    private const int AaBit = 0x0400;
    private const int TcBit = 0x0200;
    private const int RdBit = 0x0100;
    private const int RaBit = 0x0080;
    private const int ZShift = 4;
    private const int ZMask = 0x7;
    private const int RcodeMask = 0xF;

    public DnsHeader(ushort id, ushort flags, ushort questionCount, ushort answerCount, ushort authorityCount, ushort additionalCount)
    {
        Id = id;
        Flags = flags;
        QuestionCount = questionCount;
        AnswerCount = answerCount;
        AuthorityCount = authorityCount;
        AdditionalCount = additionalCount;
    }

    /// <summary>The transaction id that a response copies from its query (Zeek's trans_id).</summary>
    public ushort Id { get; }

    /// <summary>The 16 flag bits as sent.</summary>
    public ushort Flags { get; }

    public ushort QuestionCount { get; }
    public ushort AnswerCount { get; }
    public ushort AuthorityCount { get; }
    public ushort AdditionalCount { get; }

    /// <summary>QR: the message is a response.</summary>
    public bool IsResponse => (Flags & QrBit) != 0;

    /// <summary>OPCODE: 0 query, 1 inverse query (obsolete), 2 status, 4 notify (RFC 1996), 5 update (RFC 2136).</summary>
    public int Opcode => (Flags >> OpcodeShift) & OpcodeMask;

    /// <summary>AA: authoritative answer.</summary>
    public bool Authoritative => (Flags & AaBit) != 0;

    /// <summary>TC: the message was truncated to fit the transport (a UDP client retries over TCP, RFC 7766 §5).</summary>
    public bool Truncated => (Flags & TcBit) != 0;

    /// <summary>RD: recursion desired.</summary>
    public bool RecursionDesired => (Flags & RdBit) != 0;

    /// <summary>RA: recursion available.</summary>
    public bool RecursionAvailable => (Flags & RaBit) != 0;

    /// <summary>The three bits after RA as Zeek's Z reports them: reserved Z, AD and CD (RFC 4035 §3.2).</summary>
    public int Z => (Flags >> ZShift) & ZMask;

    /// <summary>RCODE, the 4 bits of the header (without the EDNS extension of RFC 6891 §6.1.3).</summary>
    public int Rcode => Flags & RcodeMask;

    /// <summary>Reads the header at the start of <paramref name="message"/>; false when fewer than 12 bytes.</summary>
    public static bool TryParse(ReadOnlySpan<byte> message, out DnsHeader header)
    {
        if (message.Length < Length)
        {
            header = default;
            return false;
        }

        header = new DnsHeader(
            BinaryPrimitives.ReadUInt16BigEndian(message[IdOffset..]),
            BinaryPrimitives.ReadUInt16BigEndian(message[FlagsOffset..]),
            BinaryPrimitives.ReadUInt16BigEndian(message[QuestionCountOffset..]),
            BinaryPrimitives.ReadUInt16BigEndian(message[AnswerCountOffset..]),
            BinaryPrimitives.ReadUInt16BigEndian(message[AuthorityCountOffset..]),
            BinaryPrimitives.ReadUInt16BigEndian(message[AdditionalCountOffset..]));
        return true;
    }
}
