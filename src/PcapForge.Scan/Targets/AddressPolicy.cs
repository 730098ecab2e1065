using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace PcapForge.Scan.Targets;

/// <summary>
/// Which addresses a scan refuses to contact: those that do not name one host. A connect to any of them either fails
/// or reaches hosts the user did not name.
/// </summary>
public static class AddressPolicy
{
    /// <summary>
    /// Why <paramref name="address"/> must not be scanned, or null when it may. Refused: IPv4 and IPv6 multicast
    /// (224.0.0.0/4, RFC 5771; ff00::/8, RFC 4291 §2.7), the limited broadcast 255.255.255.255 (RFC 919), "this
    /// network" 0.0.0.0/8, which is a source address only (RFC 1122 §3.2.1.3), the unspecified IPv6 address ::
    /// (RFC 4291 §2.5.2), and the directed broadcast address of a subnet this machine is on (RFC 922), passed in
    /// <paramref name="localBroadcasts"/>. IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry.
    /// </summary>
    public static string? Refusal(IPAddress address, IReadOnlyCollection<IPAddress> localBroadcasts)
    {
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            byte first = address.GetAddressBytes()[0];
            if (address.Equals(IPAddress.Broadcast))
                return "the limited broadcast address";
            if (first is >= 224 and <= 239)
                return "a multicast address";
            if (first == 0)
                return "a 'this network' address (0.0.0.0/8), which is only a source address";
            if (localBroadcasts.Contains(address))
                return "the broadcast address of a local subnet";
            return null;
        }

        if (address.IsIPv6Multicast)
            return "a multicast address";
        if (address.Equals(IPAddress.IPv6Any))
            return "the unspecified address";
        return null;
    }

    /// <summary>
    /// The directed broadcast address of every IPv4 subnet of this machine's interfaces (in its network namespace)
    /// whose prefix is /30 or shorter: /31 and /32 have none (RFC 3021).
    /// </summary>
    public static IReadOnlyCollection<IPAddress> LocalBroadcasts()
    {
        var result = new HashSet<IPAddress>();
        NetworkInterface[] interfaces;
        try
        {
            interfaces = NetworkInterface.GetAllNetworkInterfaces();
        }
        catch (NetworkInformationException)
        {
            return result;
        }

        foreach (var nic in interfaces)
        {
            foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
            {
                if (unicast.Address.AddressFamily == AddressFamily.InterNetwork && unicast.PrefixLength is > 0 and <= 30)
                    result.Add(Cidr.LastAddress(unicast.Address, unicast.PrefixLength));
            }
        }

        return result;
    }
}
