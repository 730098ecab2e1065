using System.Buffers.Binary;

namespace PcapForge.Bench.Synthesis;

/// <summary>TCP header flags (RFC 9293 section 3.1).</summary>
[Flags]
public enum TcpFlags : byte
{
    None = 0,
    Fin = 0x01,
    Syn = 0x02,
    Rst = 0x04,
    Psh = 0x08,
    Ack = 0x10,
    Urg = 0x20,
}

/// <summary>One end of a conversation as it appears on an Ethernet/IPv4 link.</summary>
public readonly record struct Ipv4Endpoint(ulong Mac, uint Address, ushort Port)
{
    /// <summary>Dotted quad, for messages.</summary>
    public string AddressText => $"{Address >> 24}.{(Address >> 16) & 0xFF}.{(Address >> 8) & 0xFF}.{Address & 0xFF}:{Port}";
}

/// <summary>The per-segment TCP/IP header fields a caller chooses; lengths and checksums are derived.</summary>
public struct TcpSegmentFields
{
    public TcpFlags Flags;
    public uint Sequence;
    public uint Acknowledgement;
    public ushort Window;
    public ushort IpId;
    public byte Ttl;

    /// <summary>Adds the TCP timestamps option (RFC 7323) when set, as Linux does on every segment.</summary>
    public bool Timestamps;
    public uint TsVal;
    public uint TsEcr;

    /// <summary>SYN options: MSS, SACK permitted, window scale (with timestamps, in Linux's order).</summary>
    public ushort Mss;
    public byte WindowScale;
}

/// <summary>
/// Writes Ethernet II / IPv4 / TCP frames with consistent lengths and valid IPv4 and TCP checksums.
/// Stateless: a <see cref="TcpConversation"/> keeps sequence numbers and the like, a session decides what is sent.
/// Later protocols (UDP for DNS, say) belong here too, beside <see cref="WriteTcp"/>.
/// </summary>
public static class PacketBuilder
{
    public const int EthernetHeaderLength = 14;
    public const int Ipv4HeaderLength = 20;
    public const int TcpHeaderLength = 20;

    /// <summary>Shortest Ethernet frame without its FCS; shorter frames are padded with zeros, as NICs do.</summary>
    public const int MinimumFrameLength = 60;

    /// <summary>Largest frame on a 1500-byte-MTU link without the FCS.</summary>
    public const int MaximumFrameLength = EthernetHeaderLength + 1500;

    public const ushort EtherTypeIpv4 = 0x0800;
    public const byte ProtocolTcp = 6;

    /// <summary>Bytes of TCP options <see cref="WriteTcp"/> writes for these fields (always a multiple of 4).</summary>
    public static int TcpOptionsLength(in TcpSegmentFields f)
    {
        if ((f.Flags & TcpFlags.Syn) != 0)
            return 4 + 2 + (f.Timestamps ? 10 : 2) + 1 + 3; // MSS, SACK_PERM, TS (or NOP NOP), NOP, WS = 20
        return f.Timestamps ? 12 : 0; // NOP, NOP, TS
    }

    /// <summary>Payload bytes that fit in one full-MTU frame with these options.</summary>
    public static int MaxPayload(in TcpSegmentFields f) => 1500 - Ipv4HeaderLength - TcpHeaderLength - TcpOptionsLength(f);

    /// <summary>
    /// Writes one frame into <paramref name="frame"/> and returns its length (at least <see cref="MinimumFrameLength"/>).
    /// </summary>
    public static int WriteTcp(Span<byte> frame, in Ipv4Endpoint source, in Ipv4Endpoint destination, in TcpSegmentFields f,
        ReadOnlySpan<byte> payload)
    {
        int options = TcpOptionsLength(f);
        int tcpLength = TcpHeaderLength + options + payload.Length;
        int ipLength = Ipv4HeaderLength + tcpLength;
        if (ipLength > 65535)
            throw new ArgumentOutOfRangeException(nameof(payload), $"{payload.Length} bytes of payload do not fit one IPv4 packet");
        int length = EthernetHeaderLength + ipLength;
        int padded = Math.Max(length, MinimumFrameLength);
        if (frame.Length < padded)
            throw new ArgumentException($"frame buffer of {frame.Length} bytes is shorter than the {padded}-byte frame", nameof(frame));

        // Ethernet II
        WriteMac(frame, destination.Mac);
        WriteMac(frame[6..], source.Mac);
        BinaryPrimitives.WriteUInt16BigEndian(frame[12..], EtherTypeIpv4);

        // IPv4, no options, DF set
        Span<byte> ip = frame.Slice(EthernetHeaderLength, Ipv4HeaderLength);
        ip[0] = 0x45;
        ip[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)ipLength);
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], f.IpId);
        BinaryPrimitives.WriteUInt16BigEndian(ip[6..], 0x4000);
        ip[8] = f.Ttl;
        ip[9] = ProtocolTcp;
        ip[10] = 0;
        ip[11] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(ip[12..], source.Address);
        BinaryPrimitives.WriteUInt32BigEndian(ip[16..], destination.Address);
        WriteChecksum(ip[10..], Sum(ip, 0));

        // TCP
        Span<byte> tcp = frame.Slice(EthernetHeaderLength + Ipv4HeaderLength, tcpLength);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, source.Port);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], destination.Port);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], f.Sequence);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], (f.Flags & TcpFlags.Ack) != 0 ? f.Acknowledgement : 0);
        tcp[12] = (byte)(((TcpHeaderLength + options) / 4) << 4);
        tcp[13] = (byte)f.Flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], f.Window);
        tcp[16] = 0;
        tcp[17] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[18..], 0); // urgent pointer
        WriteOptions(tcp.Slice(TcpHeaderLength, options), f);
        payload.CopyTo(tcp[(TcpHeaderLength + options)..]);

        // Pseudo-header (RFC 9293 section 3.1): source, destination, zero, protocol, TCP length.
        Span<byte> pseudo = stackalloc byte[12];
        BinaryPrimitives.WriteUInt32BigEndian(pseudo, source.Address);
        BinaryPrimitives.WriteUInt32BigEndian(pseudo[4..], destination.Address);
        pseudo[8] = 0;
        pseudo[9] = ProtocolTcp;
        BinaryPrimitives.WriteUInt16BigEndian(pseudo[10..], (ushort)tcpLength);
        WriteChecksum(tcp[16..], Sum(tcp, Sum(pseudo, 0)));

        frame[length..padded].Clear();
        return padded;
    }

    private static void WriteOptions(Span<byte> o, in TcpSegmentFields f)
    {
        const byte Nop = 1, Mss = 2, WindowScale = 3, SackPermitted = 4, Timestamps = 8;
        int i = 0;
        if ((f.Flags & TcpFlags.Syn) != 0)
        {
            o[i++] = Mss;
            o[i++] = 4;
            BinaryPrimitives.WriteUInt16BigEndian(o[i..], f.Mss);
            i += 2;
            o[i++] = SackPermitted;
            o[i++] = 2;
            if (f.Timestamps)
                i = WriteTimestamps(o, i, f);
            else
            {
                o[i++] = Nop;
                o[i++] = Nop;
            }

            o[i++] = Nop;
            o[i++] = WindowScale;
            o[i++] = 3;
            o[i++] = f.WindowScale;
        }
        else if (f.Timestamps)
        {
            o[i++] = Nop;
            o[i++] = Nop;
            i = WriteTimestamps(o, i, f);
        }

        static int WriteTimestamps(Span<byte> o, int i, in TcpSegmentFields f)
        {
            o[i++] = Timestamps;
            o[i++] = 10;
            BinaryPrimitives.WriteUInt32BigEndian(o[i..], f.TsVal);
            BinaryPrimitives.WriteUInt32BigEndian(o[(i + 4)..], f.TsEcr);
            return i + 8;
        }
    }

    private static void WriteMac(Span<byte> destination, ulong mac)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)(mac >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(destination[2..], (uint)mac);
    }

    /// <summary>Stores the one's-complement of a <see cref="Sum"/> result in the checksum field.</summary>
    private static void WriteChecksum(Span<byte> field, ulong sum)
    {
        // The sum was taken over little-endian words; by RFC 1071's byte-order independence the folded result,
        // stored little-endian, is the big-endian checksum.
        BinaryPrimitives.WriteUInt16LittleEndian(field, (ushort)~Fold(sum));
    }

    /// <summary>
    /// Adds <paramref name="data"/> to a one's-complement accumulator, 8 bytes at a time (RFC 1071 section 2(B):
    /// the sum may be taken over wider words in either byte order and folded at the end). The span must start on
    /// an even offset of the checksummed data; an odd final byte is padded with zero.
    /// </summary>
    public static ulong Sum(ReadOnlySpan<byte> data, ulong accumulator)
    {
        int i = 0;
        for (; i + 8 <= data.Length; i += 8)
            accumulator = AddWithCarry(accumulator, BinaryPrimitives.ReadUInt64LittleEndian(data[i..]));
        if (i + 4 <= data.Length)
        {
            accumulator = AddWithCarry(accumulator, BinaryPrimitives.ReadUInt32LittleEndian(data[i..]));
            i += 4;
        }

        if (i + 2 <= data.Length)
        {
            accumulator = AddWithCarry(accumulator, BinaryPrimitives.ReadUInt16LittleEndian(data[i..]));
            i += 2;
        }

        if (i < data.Length)
            accumulator = AddWithCarry(accumulator, data[i]);
        return accumulator;
    }

    private static ulong AddWithCarry(ulong a, ulong b)
    {
        ulong s = a + b;
        return s < a ? s + 1 : s;
    }

    private static ushort Fold(ulong sum)
    {
        sum = (sum & 0xFFFFFFFF) + (sum >> 32);
        sum = (sum & 0xFFFFFFFF) + (sum >> 32);
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)sum;
    }
}
