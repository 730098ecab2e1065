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
