using System.Buffers.Binary;
using PcapForge.Abstractions.Dissection;
using PcapForge.Dissection;

namespace PcapForge.Flows;

/// <summary>An IP address as 128 bits; IPv4 is kept as the IPv4-mapped IPv6 address (RFC 4291 section 2.5.5.2).</summary>
public readonly record struct IpAddress128(ulong High, ulong Low)
{
    private const ulong V4MappedHigh = 0;
    private const ulong V4MappedPrefix = 0x0000_FFFF_0000_0000;

    public static IpAddress128 FromV4(ReadOnlySpan<byte> b) => new(V4MappedHigh, V4MappedPrefix | BinaryPrimitives.ReadUInt32BigEndian(b));

    public static IpAddress128 FromV6(ReadOnlySpan<byte> b) => new(BinaryPrimitives.ReadUInt64BigEndian(b), BinaryPrimitives.ReadUInt64BigEndian(b[8..]));

    public bool IsV4Mapped => High == V4MappedHigh && (Low & 0xFFFF_FFFF_0000_0000) == V4MappedPrefix;

    public int CompareTo(IpAddress128 other) => High != other.High ? High.CompareTo(other.High) : Low.CompareTo(other.Low);

    /// <summary>The address bytes: 4 for IPv4 (<paramref name="v4"/>), else 16.</summary>
    public int WriteBytes(Span<byte> destination, bool v4)
    {
        if (v4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)Low);
            return 4;
        }

        BinaryPrimitives.WriteUInt64BigEndian(destination, High);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], Low);
        return 16;
    }

    /// <summary>Longest text <see cref="Format"/> writes (an IPv6 address with an embedded IPv4 one).</summary>
    public const int MaxTextLength = 45;

    /// <summary>
    /// Writes the canonical text into <paramref name="destination"/> (at least <see cref="MaxTextLength"/> characters)
    /// and returns its length, without allocating (a row of the packets table has two addresses per frame).
    /// </summary>
    public int Format(Span<char> destination, bool v4)
    {
        if (v4)
        {
            uint a = (uint)Low;
            int n = 0;
            for (int shift = 24; shift >= 0; shift -= 8)
            {
                if (shift != 24)
                    destination[n++] = '.';
                ((a >> shift) & 0xFF).TryFormat(destination[n..], out int w, default, System.Globalization.CultureInfo.InvariantCulture);
                n += w;
            }

            return n;
        }

        return FormatV6(destination);
    }

    /// <summary>
    /// RFC 5952 text of an IPv6 address: lower-case hex groups without leading zeros, the longest run of two or more
    /// zero groups (the first of equal runs) as "::". The forms with an embedded IPv4 address (the first four groups
    /// zero, or ISATAP's 0:5efe in the middle) go through <see cref="System.Net.IPAddress"/>, so that the text stays
    /// exactly what it printed before (a test compares the two on many addresses).
    /// </summary>
    private int FormatV6(Span<char> destination)
    {
        Span<ushort> g = stackalloc ushort[8];
        for (int i = 0; i < 4; i++)
        {
            g[i] = (ushort)(High >> (48 - 16 * i));
            g[4 + i] = (ushort)(Low >> (48 - 16 * i));
        }

        if ((g[0] | g[1] | g[2] | g[3]) == 0 || (g[4] == 0 && g[5] == 0x5EFE))
        {
            Span<byte> b = stackalloc byte[16];
            WriteBytes(b, v4: false);
            new System.Net.IPAddress(b).TryFormat(destination, out int written);
            return written;
        }

        int bestStart = -1, bestLength = 1;
        for (int i = 0; i < 8;)
        {
            if (g[i] != 0)
            {
                i++;
                continue;
            }

            int start = i;
            while (i < 8 && g[i] == 0)
                i++;
            if (i - start > bestLength)
            {
                bestStart = start;
                bestLength = i - start;
            }
        }

        int n = 0;
        for (int i = 0; i < 8; i++)
        {
            if (i == bestStart)
            {
                destination[n++] = ':';
                if (i == 0)
                    destination[n++] = ':';
                i += bestLength - 1;
                continue;
            }

            g[i].TryFormat(destination[n..], out int w, "x", System.Globalization.CultureInfo.InvariantCulture);
            n += w;
            if (i < 7)
                destination[n++] = ':';
        }

        return n;
    }
}

/// <summary>What the flow engine needs of one IP level of a frame (the outer packet, or a tunnelled one).</summary>
public struct IpLevel
{
    public int Version;
    public IpAddress128 Source, Destination;
    public int Protocol;
    public int TotalLength;
    public int HeaderLength;
    public int Ttl;
    public bool IsFragment;

    /// <summary>Transport fields came from the reassembled datagram (the frame that completed it).</summary>
    public bool Reassembled;

    public bool HasPorts;
    public int SourcePort, DestinationPort;
    public bool HasTcp;
    public uint Seq, Ack;
    public int TcpFlags, Window, TcpHeaderLength;

    /// <summary>Transport payload length as the headers declare it (tcp.len, UDP length − 8); −1 when unknown.</summary>
    public int PayloadLength;

    /// <summary>Where the transport payload starts, in the frame or (when <see cref="Reassembled"/>) the datagram; −1 when not located.</summary>
    public int PayloadOffset;

    public bool HasIcmp;
    public int IcmpType, IcmpCode, IcmpId;
}

/// <summary>
/// Extracts from the fields a frame's dissectors recorded what the flow engine needs: the outermost Ethernet addresses
/// and VLAN tags, and each IP level with its transport header. Reads by field id through a role table built once from
/// the registry, so the frame path is one pass over the recorded fields with no lookups by name.
/// </summary>
public sealed class PacketFacts
{
    public const int MaxLevels = 4;

    private enum Role : byte
    {
        None, EthSrc, EthDst, Vlan,
        IpHeaderLength, IpLength, IpFlagsMf, IpFragOffset, IpTtl, IpProto, IpSrc, IpDst,
        Ip6Plen, Ip6Nxt, Ip6Hlim, Ip6Src, Ip6Dst, Ip6FinalDst, Ip6FragOffset, Ip6FragMore,
        TcpSrc, TcpDst, TcpSeq, TcpAck, TcpHdrLen, TcpFlags, TcpWindow, TcpLen,
        UdpSrc, UdpDst, UdpLength,
        IcmpType, IcmpCode, IcmpId,
    }

    private readonly Role[] _roles;
    private readonly int _ip, _ipv6, _tcp, _udp, _icmp, _icmpv6;
    private readonly IpLevel[] _levels = new IpLevel[MaxLevels];
    private readonly int[] _transport = new int[MaxLevels];
    private int[] _layerLevel = new int[32];

    public PacketFacts(DissectorRegistry registry)
    {
        _roles = new Role[registry.Fields.Count];
        void Map(string name, Role role)
        {
            int id = registry.FieldIndex(name);
            if (id >= 0)
                _roles[id] = role;
        }

        Map("eth.src", Role.EthSrc);
        Map("eth.dst", Role.EthDst);
        Map("vlan.id", Role.Vlan);
        Map("ip.hdr_len", Role.IpHeaderLength);
        Map("ip.len", Role.IpLength);
        Map("ip.flags.mf", Role.IpFlagsMf);
        Map("ip.frag_offset", Role.IpFragOffset);
        Map("ip.ttl", Role.IpTtl);
        Map("ip.proto", Role.IpProto);
        Map("ip.src", Role.IpSrc);
        Map("ip.dst", Role.IpDst);
        Map("ipv6.plen", Role.Ip6Plen);
        Map("ipv6.nxt", Role.Ip6Nxt);
        Map("ipv6.hlim", Role.Ip6Hlim);
        Map("ipv6.src", Role.Ip6Src);
        Map("ipv6.dst", Role.Ip6Dst);
        Map("ipv6.final_dst", Role.Ip6FinalDst);
        Map("ipv6.fraghdr.offset", Role.Ip6FragOffset);
        Map("ipv6.fraghdr.more", Role.Ip6FragMore);
        Map("tcp.srcport", Role.TcpSrc);
        Map("tcp.dstport", Role.TcpDst);
        Map("tcp.seq_raw", Role.TcpSeq);
        Map("tcp.ack_raw", Role.TcpAck);
        Map("tcp.hdr_len", Role.TcpHdrLen);
        Map("tcp.flags", Role.TcpFlags);
        Map("tcp.window_size_value", Role.TcpWindow);
        Map("tcp.len", Role.TcpLen);
        Map("udp.srcport", Role.UdpSrc);
        Map("udp.dstport", Role.UdpDst);
        Map("udp.length", Role.UdpLength);
        Map("icmp.type", Role.IcmpType);
        Map("icmp.code", Role.IcmpCode);
        Map("icmp.ident", Role.IcmpId);
        Map("icmpv6.type", Role.IcmpType);
        Map("icmpv6.code", Role.IcmpCode);
        Map("icmpv6.echo.identifier", Role.IcmpId);
        _ip = registry.ProtocolIndex("ip");
        _ipv6 = registry.ProtocolIndex("ipv6");
        _tcp = registry.ProtocolIndex("tcp");
        _udp = registry.ProtocolIndex("udp");
        _icmp = registry.ProtocolIndex("icmp");
        _icmpv6 = registry.ProtocolIndex("icmpv6");
    }

    /// <summary>Number of IP levels found in the last frame (0 for a frame without IP).</summary>
    public int LevelCount { get; private set; }

    public ref IpLevel Level(int index) => ref _levels[index];

    public ulong EthSource { get; private set; }
    public ulong EthDestination { get; private set; }
    public bool HasEthernet { get; private set; }
    public int Vlan { get; private set; }
    public int InnerVlan { get; private set; }

    /// <summary>Reads the frame's recorded fields. <paramref name="frame"/> is the frame's bytes.</summary>
    public void Read(PacketContext context, ReadOnlySpan<byte> frame)
    {
        var layers = context.Layers;
        if (_layerLevel.Length < layers.Length)
            _layerLevel = new int[layers.Length * 2];
        int levels = 0;
        bool quoted = false;
        for (int i = 0; i < layers.Length; i++)
        {
            int p = layers[i].Protocol;
            if (quoted)
            {
                _layerLevel[i] = -1;
                continue;
            }

            if ((p == _ip || p == _ipv6) && levels < MaxLevels)
            {
                _levels[levels] = default;
                _levels[levels].Version = p == _ip ? 4 : 6;
                _levels[levels].PayloadLength = -1;
                _levels[levels].PayloadOffset = -1;
                _transport[levels] = -1;
                levels++;
            }

            // Fields before the first IP layer (Ethernet, VLAN) get level -2; the ICMP layer belongs to its IP level,
            // and what an ICMP error quotes after it is not a packet of its own.
            _layerLevel[i] = levels == 0 ? -2 : levels - 1;
            if (levels > 0)
            {
                ref var level = ref _levels[levels - 1];
                if (p == _tcp || p == _udp)
                {
                    level.PayloadOffset = layers[i].Offset + layers[i].Length;
                    level.Reassembled = layers[i].Source == FieldSource.Reassembled;
                    _transport[levels - 1] = p == _tcp ? 6 : 17;
                }
                else if (p == _icmp || p == _icmpv6)
                {
                    _transport[levels - 1] = p == _icmp ? 1 : 58;
                    level.HasIcmp = true;
                    level.Reassembled = layers[i].Source == FieldSource.Reassembled;
                    quoted = true;
                }
            }
        }

        HasEthernet = false;
        EthSource = EthDestination = 0;
        Vlan = InnerVlan = -1;
        // Recorded values only: the derived ones (flag bits, either-side fields) would be computed for nothing.
        var fields = context.RecordedFields;
        var roles = _roles;
        for (int i = 0; i < fields.Length; i++)
        {
            ref readonly FieldValue f = ref fields[i];
            if ((uint)f.Field >= (uint)roles.Length || f.Layer < 0)
                continue;
            Role role = roles[f.Field];
            if (role == Role.None)
                continue;
            int li = _layerLevel[f.Layer];
            if (li == -1)
                continue;
            if (li == -2)
            {
                switch (role)
                {
                    case Role.EthSrc when !HasEthernet || EthSource == 0:
                        EthSource = Mac(context, f, frame);
                        HasEthernet = true;
                        break;
                    case Role.EthDst when EthDestination == 0:
                        EthDestination = Mac(context, f, frame);
                        break;
                    case Role.Vlan:
                        if (Vlan < 0)
                            Vlan = (int)f.Value;
                        else if (InnerVlan < 0)
                            InnerVlan = (int)f.Value;
                        break;
                }

                continue;
            }

            ref IpLevel l = ref _levels[li];
            switch (role)
            {
                case Role.IpHeaderLength: l.HeaderLength = (int)f.Value; break;
                case Role.IpLength: l.TotalLength = (int)f.Value; break;
                case Role.IpFlagsMf: l.IsFragment |= f.Value != 0; break;
                case Role.IpFragOffset: l.IsFragment |= f.Value != 0; break;
                case Role.IpTtl or Role.Ip6Hlim: l.Ttl = (int)f.Value; break;
                case Role.IpProto: l.Protocol = (int)f.Value; break;
                case Role.Ip6Nxt:
                    // The last next-header of the chain names the transport (extension headers come before it).
                    l.Protocol = (int)f.Value;
                    break;
                case Role.Ip6Plen:
                    l.HeaderLength = 40;
                    l.TotalLength = 40 + (int)f.Value;
                    break;
                case Role.Ip6FragOffset or Role.Ip6FragMore: l.IsFragment |= f.Value != 0; break;
                case Role.IpSrc: l.Source = IpAddress128.FromV4(context.Bytes(in f, frame)); break;
                case Role.IpDst: l.Destination = IpAddress128.FromV4(context.Bytes(in f, frame)); break;
                case Role.Ip6Src: l.Source = IpAddress128.FromV6(context.Bytes(in f, frame)); break;
                // A routing header's final destination comes after ipv6.dst and replaces it (RFC 8200 section 8.1).
                case Role.Ip6Dst or Role.Ip6FinalDst: l.Destination = IpAddress128.FromV6(context.Bytes(in f, frame)); break;
                case Role.TcpSrc or Role.UdpSrc:
                    l.SourcePort = (int)f.Value;
                    l.HasPorts = true;
                    break;
                case Role.TcpDst or Role.UdpDst: l.DestinationPort = (int)f.Value; break;
                case Role.TcpSeq: l.Seq = (uint)f.Value; break;
                case Role.TcpAck: l.Ack = (uint)f.Value; break;
                case Role.TcpHdrLen: l.TcpHeaderLength = (int)f.Value; break;
                case Role.TcpFlags:
                    l.TcpFlags = (int)f.Value;
                    l.HasTcp = true;
                    break;
                case Role.TcpWindow: l.Window = (int)f.Value; break;
                case Role.TcpLen: l.PayloadLength = (int)f.Value; break;
                case Role.UdpLength: l.PayloadLength = Math.Max(0, (int)f.Value - 8); break;
                case Role.IcmpType: l.IcmpType = (int)f.Value; break;
                case Role.IcmpCode: l.IcmpCode = (int)f.Value; break;
                case Role.IcmpId: l.IcmpId = (int)f.Value; break;
            }
        }

        for (int i = 0; i < levels; i++)
        {
            ref IpLevel l = ref _levels[i];
            // IPv6's next header names an extension header when there is one; the decoded transport layer is the truth.
            if (_transport[i] >= 0)
                l.Protocol = _transport[i];
            if (l.Reassembled)
                l.TotalLength = l.HeaderLength + context.Reassembled.Length;
        }

        // A level whose addresses were cut off by the snaplen is no flow.
        while (levels > 0 && _levels[levels - 1].Source == default && _levels[levels - 1].Destination == default)
            levels--;
        LevelCount = levels;
    }

    private static ulong Mac(PacketContext context, in FieldValue f, ReadOnlySpan<byte> frame)
    {
        var b = context.Bytes(in f, frame);
        if (b.Length < 6)
            return 0;
        return ((ulong)BinaryPrimitives.ReadUInt16BigEndian(b) << 32) | BinaryPrimitives.ReadUInt32BigEndian(b[2..]);
    }
}
