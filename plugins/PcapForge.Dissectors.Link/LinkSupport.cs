using System.Buffers.Binary;
using System.Text;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissectors.Link;

/// <summary>Well-known EtherType values the dissectors of this plugin hand payloads to (IEEE Registration Authority).</summary>
internal static class EtherTypes
{
    public const int IPv4 = 0x0800;
    public const int Arp = 0x0806;
    public const int Rarp = 0x8035;
    public const int IPv6 = 0x86DD;
    public const int MplsUnicast = 0x8847;
    public const int MplsMulticast = 0x8848;

    /// <summary>Transparent Ethernet Bridging (RFC 1701 protocol type registry): an Ethernet frame follows.</summary>
    public const int TransparentEthernetBridging = 0x6558;
}

/// <summary>Names of the tables this plugin refers to (declared by the Core plugin or the host).</summary>
internal static class TableNames
{
    public const string EtherType = "ethertype";
    public const string IpProto = "ip.proto";
    public const string UdpPort = "udp.port";
    public const string Llc = "llc";
}

/// <summary>IP version nibble of the first byte of an IPv4 or IPv6 header (RFC 791 §3.1, RFC 8200 §3).</summary>
internal static class IpVersion
{
    public const int V4 = 4;
    public const int V6 = 6;

    public static int Of(byte first) => first >> 4;
}

/// <summary>Formatting of addresses for the Info line (called only when the output wants it).</summary>
internal static class InfoText
{
    public const int MacLength = 6;
    public const int IPv4Length = 4;
    public const int IPv6Length = 16;

    public static StringBuilder AppendIPv4(this StringBuilder b, ReadOnlySpan<byte> address) =>
        b.Append(address[0]).Append('.').Append(address[1]).Append('.').Append(address[2]).Append('.').Append(address[3]);

    public static StringBuilder AppendMac(this StringBuilder b, ReadOnlySpan<byte> mac)
    {
        for (int i = 0; i < MacLength; i++)
        {
            if (i > 0)
                b.Append(':');
            b.Append(mac[i].ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        }

        return b;
    }

    public static StringBuilder AppendIPv6(this StringBuilder b, ReadOnlySpan<byte> address) =>
        b.Append(new System.Net.IPAddress(address).ToString());

    public static StringBuilder AppendHex2(this StringBuilder b, int value) =>
        b.Append("0x").Append(value.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));

    public static StringBuilder AppendHex4(this StringBuilder b, int value) =>
        b.Append("0x").Append(value.ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
}

/// <summary>
/// The 8-byte header ICMP (RFC 792) and ICMPv6 (RFC 4443 section 2.1) share: type, code, checksum, then 4 bytes
/// whose meaning depends on the type. Adds the three common fields; a header cut short gets what is there.
/// </summary>
internal readonly struct IcmpCommonHeader(FieldHandle type, FieldHandle code, FieldHandle checksum, AnomalyHandle truncated, string protocolName)
{
    public const int TypeOffset = 0;
    public const int CodeOffset = 1;
    public const int ChecksumOffset = 2;
    public const int Length = 8;

    /// <summary>Adds type, code and checksum; for fewer than 8 bytes adds what there is, reports it and returns false.</summary>
    public bool TryAdd(PacketContext context, ReadOnlySpan<byte> data)
    {
        if (data.Length > TypeOffset)
            context.Add(type, TypeOffset, 1, data[TypeOffset]);
        if (data.Length > CodeOffset)
            context.Add(code, CodeOffset, 1, data[CodeOffset]);
        if (data.Length >= ChecksumOffset + 2)
            context.Add(checksum, ChecksumOffset, 2, BinaryPrimitives.ReadUInt16BigEndian(data[ChecksumOffset..]));
        if (data.Length >= Length)
            return true;

        // A header quoted inside an ICMP error is only required to be 8 bytes; a shorter one is still cut.
        context.Report(truncated, 0, $"{data.Length} bytes, an {protocolName} header needs {Length}");
        return false;
    }
}
