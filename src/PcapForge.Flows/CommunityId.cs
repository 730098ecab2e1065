using System.Buffers.Binary;
using System.Security.Cryptography;

namespace PcapForge.Flows;

/// <summary>
/// Community ID flow hashing, version 1 (https://github.com/corelight/community-id-spec): base64 of SHA-1 over seed,
/// source and destination address, protocol, a zero pad byte and the two ports, the endpoints ordered so that both
/// directions hash alike. ICMP uses type and code (or the counterpart type) as ports.
/// </summary>
public static class CommunityId
{
    /// <summary>
    /// ICMP "ports" per the spec: source = type, destination = the counterpart type for request/response pairs (then
    /// the flow is two-way) or the code for one-way messages.
    /// </summary>
    public static (int Source, int Destination, bool OneWay) IcmpPorts(int version, int type, int code)
    {
        int counterpart = version == 4 ? Icmp4Counterpart(type) : Icmp6Counterpart(type);
        return counterpart >= 0 ? (type, counterpart, false) : (type, code, true);
    }

    private static int Icmp4Counterpart(int type) => type switch
    {
        8 => 0, 0 => 8, // echo
        13 => 14, 14 => 13, // timestamp
        15 => 16, 16 => 15, // information
        17 => 18, 18 => 17, // address mask
        10 => 9, 9 => 10, // router solicitation / advertisement
        _ => -1,
    };

    private static int Icmp6Counterpart(int type) => type switch
    {
        128 => 129, 129 => 128, // echo
        133 => 134, 134 => 133, // router solicitation / advertisement
        135 => 136, 136 => 135, // neighbor solicitation / advertisement
        130 => 131, 131 => 130, // multicast listener query / report
        144 => 145, 145 => 144, // home agent address discovery
        146 => 147, 147 => 146, // mobile prefix
        139 => 140, 140 => 139, // node information
        _ => -1,
    };

    /// <summary>Length of a version-1 Community ID: "1:" and the base64 of a SHA-1 hash.</summary>
    public const int TextLength = 30;

    /// <summary>The Community ID ("1:" and base64) of a flow as its originator sent it.</summary>
    public static string Compute(IpAddress128 src, IpAddress128 dst, bool v4, int protocol, int srcPort, int dstPort, bool hasPorts,
        bool icmpOneWay = false, ushort seed = 0)
    {
        Span<char> text = stackalloc char[TextLength];
        Write(src, dst, v4, protocol, srcPort, dstPort, hasPorts, text, icmpOneWay, seed);
        return new string(text);
    }

    /// <summary>As <see cref="Compute"/>, written into <paramref name="destination"/> (<see cref="TextLength"/> characters) without a string.</summary>
    public static void Write(IpAddress128 src, IpAddress128 dst, bool v4, int protocol, int srcPort, int dstPort, bool hasPorts,
        Span<char> destination, bool icmpOneWay = false, ushort seed = 0)
    {
        // Order the endpoints: lower address first, then lower port (ICMP one-way messages keep their direction).
        int c = src.CompareTo(dst);
        bool swap = !icmpOneWay && (c > 0 || (c == 0 && srcPort > dstPort));
        if (swap)
        {
            (src, dst) = (dst, src);
            (srcPort, dstPort) = (dstPort, srcPort);
        }

        Span<byte> data = stackalloc byte[2 + 16 + 16 + 2 + 4];
        int n = 0;
        BinaryPrimitives.WriteUInt16BigEndian(data, seed);
        n += 2;
        n += src.WriteBytes(data[n..], v4);
        n += dst.WriteBytes(data[n..], v4);
        data[n++] = (byte)protocol;
        data[n++] = 0;
        if (hasPorts)
        {
            BinaryPrimitives.WriteUInt16BigEndian(data[n..], (ushort)srcPort);
            BinaryPrimitives.WriteUInt16BigEndian(data[(n + 2)..], (ushort)dstPort);
            n += 4;
        }

        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(data[..n], hash);
        destination[0] = '1';
        destination[1] = ':';
        if (!Convert.TryToBase64Chars(hash, destination[2..], out int written) || written != TextLength - 2)
            throw new ArgumentException($"room for {TextLength} characters needed", nameof(destination));
    }

    /// <summary>The Community ID of a flow, written into <paramref name="destination"/> (<see cref="TextLength"/> characters).</summary>
    public static void Write(Flow flow, Span<char> destination)
    {
        bool v4 = flow.IpVersion == 4;
        int proto = flow.Key.Protocol;
        if (proto is 1 or 58)
        {
            var (s, d, oneWay) = IcmpPorts(flow.IpVersion, flow.IcmpType, flow.IcmpCode);
            Write(flow.OrigAddress, flow.RespAddress, v4, proto, s, d, true, destination, oneWay);
            return;
        }

        bool ports = proto is 6 or 17 or 132;
        Write(flow.OrigAddress, flow.RespAddress, v4, proto, flow.OrigPort, flow.RespPort, ports, destination);
    }
}
