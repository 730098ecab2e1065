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

/// <summary>An IPv4 or IPv6 address as the synthesizer writes it: the address, in host order, in the low 32 or all 128 bits.</summary>
public readonly record struct HostAddress(UInt128 Value, bool IsIpv6)
{
    public static HostAddress Ipv4(uint address) => new(address, false);

    public static HostAddress Ipv6(UInt128 address) => new(address, true);

    /// <summary>Bytes of the address on the wire: 4 or 16.</summary>
    public int Length => IsIpv6 ? 16 : 4;

    public void WriteTo(Span<byte> destination)
    {
        if (IsIpv6)
            BinaryPrimitives.WriteUInt128BigEndian(destination, Value);
        else
            BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)Value);
    }

    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[16];
        WriteTo(bytes);
        return new System.Net.IPAddress(bytes[..Length]).ToString();
    }
}

/// <summary>One end of a conversation as it appears on an Ethernet link: MAC, IPv4 or IPv6 address, port.</summary>
public readonly record struct Endpoint(ulong Mac, HostAddress Address, ushort Port);

/// <summary>One end of a conversation as it appears on an Ethernet/IPv4 link.</summary>
public readonly record struct Ipv4Endpoint(ulong Mac, uint Address, ushort Port)
{
    /// <summary>Dotted quad, for messages.</summary>
    public string AddressText => $"{Address >> 24}.{(Address >> 16) & 0xFF}.{(Address >> 8) & 0xFF}.{Address & 0xFF}:{Port}";

    public static implicit operator Endpoint(Ipv4Endpoint e) => new(e.Mac, HostAddress.Ipv4(e.Address), e.Port);
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

    /// <summary>IPv6 flow label (RFC 6437); unused on IPv4.</summary>
    public uint FlowLabel;

    /// <summary>Adds the TCP timestamps option (RFC 7323) when set, as Linux does on every segment.</summary>
    public bool Timestamps;
    public uint TsVal;
    public uint TsEcr;

    /// <summary>SYN options: MSS, SACK permitted, window scale (with timestamps, in Linux's order).</summary>
    public ushort Mss;
    public byte WindowScale;
}

/// <summary>
/// Writes Ethernet II frames carrying IPv4 or IPv6 and TCP, UDP or ICMP echo, with consistent lengths and valid
/// IPv4, TCP, UDP, ICMP and ICMPv6 checksums. Stateless: a <see cref="TcpConversation"/> keeps sequence numbers and
/// the like, a session decides what is sent.
/// </summary>
public static class PacketBuilder
{
    public const int EthernetHeaderLength = 14;
    public const int Ipv4HeaderLength = 20;
    public const int Ipv6HeaderLength = 40;
    public const int TcpHeaderLength = 20;
    public const int UdpHeaderLength = 8;
    public const int IcmpEchoHeaderLength = 8;

    /// <summary>Shortest Ethernet frame without its FCS; shorter frames are padded with zeros, as NICs do.</summary>
    public const int MinimumFrameLength = 60;

    /// <summary>Largest frame on a 1500-byte-MTU link without the FCS.</summary>
    public const int MaximumFrameLength = EthernetHeaderLength + Mtu;

    public const int Mtu = 1500;

    public const ushort EtherTypeIpv4 = 0x0800;
    public const ushort EtherTypeIpv6 = 0x86DD;
    public const byte ProtocolIcmp = 1;
    public const byte ProtocolTcp = 6;
    public const byte ProtocolUdp = 17;
    public const byte ProtocolIcmpv6 = 58;

    /// <summary>IPv4 flags and fragment offset: Don't Fragment, offset 0 (RFC 791 section 3.1).</summary>
    private const ushort DontFragment = 0x4000;

    // ICMP echo types: RFC 792 (IPv4), RFC 4443 section 4 (IPv6).
    private const byte IcmpEchoRequest = 8, IcmpEchoReply = 0, Icmpv6EchoRequest = 128, Icmpv6EchoReply = 129;

    /// <summary>Bytes of TCP options <see cref="WriteTcp"/> writes for these fields (always a multiple of 4).</summary>
    public static int TcpOptionsLength(in TcpSegmentFields f)
    {
        if ((f.Flags & TcpFlags.Syn) != 0)
            return 4 + 2 + (f.Timestamps ? 10 : 2) + 1 + 3; // MSS, SACK_PERM, TS (or NOP NOP), NOP, WS = 20
        return f.Timestamps ? 12 : 0; // NOP, NOP, TS
    }

    /// <summary>Payload bytes that fit in one full-MTU IPv4 frame with these options.</summary>
    public static int MaxPayload(in TcpSegmentFields f) => Mtu - Ipv4HeaderLength - TcpHeaderLength - TcpOptionsLength(f);

    /// <summary>Bytes of the IP header for an address family.</summary>
    public static int IpHeaderLength(in HostAddress address) => address.IsIpv6 ? Ipv6HeaderLength : Ipv4HeaderLength;

    /// <summary>
    /// Writes one TCP segment into <paramref name="frame"/> and returns the frame's length (at least <see cref="MinimumFrameLength"/>).
    /// </summary>
    public static int WriteTcp(Span<byte> frame, in Endpoint source, in Endpoint destination, in TcpSegmentFields f,
        ReadOnlySpan<byte> payload)
    {
        int options = TcpOptionsLength(f);
        int tcpLength = TcpHeaderLength + options + payload.Length;
        int at = WriteHeaders(frame, source, destination, ProtocolTcp, tcpLength, f.IpId, f.Ttl, f.FlowLabel, out int length);

        Span<byte> tcp = frame.Slice(at, tcpLength);
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
        WriteChecksum(tcp[16..], Sum(tcp, PseudoHeaderSum(source.Address, destination.Address, ProtocolTcp, tcpLength)));
        return Pad(frame, length);
    }

    /// <summary>Writes one UDP datagram (RFC 768) with its checksum and returns the frame's length.</summary>
    public static int WriteUdp(Span<byte> frame, in Endpoint source, in Endpoint destination, ushort ipId, byte ttl, uint flowLabel,
        ReadOnlySpan<byte> payload)
    {
        int udpLength = UdpHeaderLength + payload.Length;
        int at = WriteHeaders(frame, source, destination, ProtocolUdp, udpLength, ipId, ttl, flowLabel, out int length);
        Span<byte> udp = frame.Slice(at, udpLength);
        BinaryPrimitives.WriteUInt16BigEndian(udp, source.Port);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], destination.Port);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)udpLength);
        udp[6] = 0;
        udp[7] = 0;
        payload.CopyTo(udp[UdpHeaderLength..]);
        // RFC 768: a computed checksum of zero is sent as all ones (zero means "no checksum").
        ushort folded = Fold(Sum(udp, PseudoHeaderSum(source.Address, destination.Address, ProtocolUdp, udpLength)));
        BinaryPrimitives.WriteUInt16LittleEndian(udp[6..], folded == 0xFFFF ? (ushort)0xFFFF : (ushort)~folded);
        return Pad(frame, length);
    }

    /// <summary>
    /// Writes an ICMP (IPv4) or ICMPv6 (IPv6) echo request or reply and returns the frame's length. The ports of the
    /// endpoints are not used. ICMPv6's checksum covers the pseudo-header (RFC 4443 section 2.3), ICMP's does not.
    /// </summary>
    public static int WriteIcmpEcho(Span<byte> frame, in Endpoint source, in Endpoint destination, bool reply, ushort identifier,
        ushort sequence, ushort ipId, byte ttl, ReadOnlySpan<byte> payload)
    {
        bool v6 = source.Address.IsIpv6;
        byte protocol = v6 ? ProtocolIcmpv6 : ProtocolIcmp;
        int icmpLength = IcmpEchoHeaderLength + payload.Length;
        int at = WriteHeaders(frame, source, destination, protocol, icmpLength, ipId, ttl, 0, out int length);
        Span<byte> icmp = frame.Slice(at, icmpLength);
        icmp[0] = v6 ? (reply ? Icmpv6EchoReply : Icmpv6EchoRequest) : (reply ? IcmpEchoReply : IcmpEchoRequest);
        icmp[1] = 0;
        icmp[2] = 0;
        icmp[3] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[4..], identifier);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[6..], sequence);
        payload.CopyTo(icmp[IcmpEchoHeaderLength..]);
        ulong start = v6 ? PseudoHeaderSum(source.Address, destination.Address, protocol, icmpLength) : 0;
        WriteChecksum(icmp[2..], Sum(icmp, start));
        return Pad(frame, length);
    }

    /// <summary>
    /// Writes the Ethernet II and IPv4 (no options, DF set) or IPv6 (no extension headers) headers for a transport
    /// message of <paramref name="transportLength"/> bytes; returns the transport header's offset and, in
    /// <paramref name="length"/>, the frame's length before padding.
    /// </summary>
    private static int WriteHeaders(Span<byte> frame, in Endpoint source, in Endpoint destination, byte protocol, int transportLength,
        ushort ipId, byte ttl, uint flowLabel, out int length)
    {
        bool v6 = source.Address.IsIpv6;
        if (v6 != destination.Address.IsIpv6)
            throw new ArgumentException($"source {source.Address} and destination {destination.Address} are of different IP versions");
        int ipHeader = v6 ? Ipv6HeaderLength : Ipv4HeaderLength;
        int ipLength = ipHeader + transportLength;
        if (ipLength > 65535)
            throw new ArgumentOutOfRangeException(nameof(transportLength), $"{transportLength} bytes of {protocol} do not fit one IP packet");
        length = EthernetHeaderLength + ipLength;
        int padded = Math.Max(length, MinimumFrameLength);
        if (frame.Length < padded)
            throw new ArgumentException($"frame buffer of {frame.Length} bytes is shorter than the {padded}-byte frame", nameof(frame));

        // Ethernet II
        WriteMac(frame, destination.Mac);
        WriteMac(frame[6..], source.Mac);
        BinaryPrimitives.WriteUInt16BigEndian(frame[12..], v6 ? EtherTypeIpv6 : EtherTypeIpv4);

        Span<byte> ip = frame.Slice(EthernetHeaderLength, ipHeader);
        if (v6)
        {
            // RFC 8200 section 3: version 6, traffic class 0, flow label; payload length; next header; hop limit.
            BinaryPrimitives.WriteUInt32BigEndian(ip, (6u << 28) | (flowLabel & 0xFFFFF));
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)transportLength);
            ip[6] = protocol;
            ip[7] = ttl;
            source.Address.WriteTo(ip[8..]);
            destination.Address.WriteTo(ip[24..]);
        }
        else
        {
            ip[0] = 0x45;
            ip[1] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)ipLength);
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], ipId);
            BinaryPrimitives.WriteUInt16BigEndian(ip[6..], DontFragment);
            ip[8] = ttl;
            ip[9] = protocol;
            ip[10] = 0;
            ip[11] = 0;
            source.Address.WriteTo(ip[12..]);
            destination.Address.WriteTo(ip[16..]);
            WriteChecksum(ip[10..], Sum(ip, 0));
        }

        return EthernetHeaderLength + ipHeader;
    }

    /// <summary>
    /// The one's-complement sum of the pseudo-header: for IPv4 source, destination, zero, protocol and length
    /// (RFC 9293 section 3.1, RFC 768); for IPv6 source, destination, 32-bit length, three zero bytes and next header
    /// (RFC 8200 section 8.1).
    /// </summary>
    private static ulong PseudoHeaderSum(in HostAddress source, in HostAddress destination, byte protocol, int length)
    {
        Span<byte> pseudo = stackalloc byte[40];
        int n;
        if (source.IsIpv6)
        {
            source.WriteTo(pseudo);
            destination.WriteTo(pseudo[16..]);
            BinaryPrimitives.WriteUInt32BigEndian(pseudo[32..], (uint)length);
            BinaryPrimitives.WriteUInt32BigEndian(pseudo[36..], protocol);
            n = 40;
        }
        else
        {
            source.WriteTo(pseudo);
            destination.WriteTo(pseudo[4..]);
            pseudo[8] = 0;
            pseudo[9] = protocol;
            BinaryPrimitives.WriteUInt16BigEndian(pseudo[10..], (ushort)length);
            n = 12;
        }

        return Sum(pseudo[..n], 0);
    }

    /// <summary>Zero-pads a frame shorter than <see cref="MinimumFrameLength"/> and returns its padded length.</summary>
    private static int Pad(Span<byte> frame, int length)
    {
        int padded = Math.Max(length, MinimumFrameLength);
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
