using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Text;

namespace PcapForge.Dissectors.Fallback;

/// <summary>Names of the tables this plugin refers to (declared by the Core plugin or here).</summary>
internal static class TableNames
{
    public const string EtherType = "ethertype";
    public const string IpProto = "ip.proto";
    public const string UdpPort = "udp.port";

    /// <summary>PPP frames without HDLC framing (PPPoE session payload), key 0; declared by <see cref="Ppp"/>.</summary>
    public const string Ppp = "ppp";

    /// <summary>PPP protocol number of a PPP payload that is not IP or MPLS (LCP 0xC021, IPCP 0x8021…); declared by <see cref="Ppp"/>.</summary>
    public const string PppProtocol = "ppp.protocol";
}

/// <summary>
/// Priority of every dissector of this plugin: below any other dissector attached to the same key, so that a
/// dedicated dissector installed later takes precedence over the PacketDotNet fallback.
/// </summary>
internal static class Fallback
{
    public const int Priority = -100;
}

/// <summary>Formatting for texts and the Info line (called only for the rare frames that reach these dissectors).</summary>
internal static class FallbackText
{
    public static string Mac(ReadOnlySpan<byte> mac)
    {
        var b = new StringBuilder(17);
        for (int i = 0; i < mac.Length; i++)
        {
            if (i > 0)
                b.Append(':');
            b.Append(mac[i].ToString("x2", CultureInfo.InvariantCulture));
        }

        return b.ToString();
    }

    public static string IPv4(ReadOnlySpan<byte> address) => new IPAddress(address[..4]).ToString();

    public static string Hex2(int value) => "0x" + value.ToString("x2", CultureInfo.InvariantCulture);

    public static string Hex4(int value) => "0x" + value.ToString("x4", CultureInfo.InvariantCulture);

    /// <summary>A value PacketDotNet decoded (a MAC, an address, a string, raw bytes) as tshark would print it.</summary>
    public static string Value(object? value) => value switch
    {
        null => "",
        PhysicalAddress mac => Mac(mac.GetAddressBytes()),
        IPAddress ip => ip.ToString(),
        PacketDotNet.Lldp.NetworkAddress na => na.Address?.ToString() ?? "",
        byte[] bytes => Convert.ToHexString(bytes).ToLowerInvariant(),
        string s => s,
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}
