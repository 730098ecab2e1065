using System.Net;
using System.Net.Sockets;
using System.Numerics;

namespace PcapForge.Scan.Targets;

/// <summary>Address arithmetic for CIDR blocks (RFC 4632 for IPv4, RFC 4291 §2.3 for IPv6).</summary>
public static class Cidr
{
    /// <summary>Bits of an address of that family.</summary>
    public static int Bits(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? 128 : 32;

    /// <summary>The address as an unsigned number (network byte order, most significant first).</summary>
    public static UInt128 ToNumber(IPAddress address)
    {
        UInt128 value = 0;
        foreach (byte b in address.GetAddressBytes())
            value = (value << 8) | b;
        return value;
    }

    /// <summary>The address of that family with that number (an IPv6 address keeps <paramref name="scopeId"/>).</summary>
    public static IPAddress FromNumber(UInt128 value, AddressFamily family, long scopeId = 0)
    {
        int length = Bits(family) / 8;
        var bytes = new byte[length];
        for (int i = length - 1; i >= 0; i--)
        {
            bytes[i] = (byte)value;
            value >>= 8;
        }

        return family == AddressFamily.InterNetworkV6 ? new IPAddress(bytes, scopeId) : new IPAddress(bytes);
    }

    /// <summary>The first address of the block (host bits zero).</summary>
    public static IPAddress FirstAddress(IPAddress address, int prefix) =>
        FromNumber(ToNumber(address) & Mask(address.AddressFamily, prefix), address.AddressFamily, ScopeOf(address));

    /// <summary>The last address of the block (host bits one): for IPv4 its broadcast address.</summary>
    public static IPAddress LastAddress(IPAddress address, int prefix) =>
        FromNumber(ToNumber(address) | ~Mask(address.AddressFamily, prefix) & AllOnes(address.AddressFamily), address.AddressFamily, ScopeOf(address));

    /// <summary>Addresses in a block of that prefix: 2^(bits − prefix).</summary>
    public static BigInteger Size(AddressFamily family, int prefix) => BigInteger.One << (Bits(family) - prefix);

    private static UInt128 AllOnes(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? UInt128.MaxValue : uint.MaxValue;

    private static UInt128 Mask(AddressFamily family, int prefix)
    {
        int bits = Bits(family);
        return prefix == 0 ? 0 : AllOnes(family) & (AllOnes(family) << (bits - prefix));
    }

    private static long ScopeOf(IPAddress address) => address.AddressFamily == AddressFamily.InterNetworkV6 ? address.ScopeId : 0;
}
