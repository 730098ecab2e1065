using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace PcapForge.Live.Linux;

/// <summary>A network interface as a capture sees it.</summary>
/// <param name="Name">Its name (<c>eth0</c>), or <c>any</c> for the pseudo-device that captures on all interfaces.</param>
/// <param name="Index">Its interface index (ifindex); 0 for <c>any</c>.</param>
/// <param name="HardwareType">ARPHRD_* type (linux/if_arp.h); -1 for <c>any</c>.</param>
/// <param name="Flags">IFF_* flags as SIOCGIFFLAGS gives them (netdevice(7)): up, running, loopback, promiscuous…</param>
/// <param name="Mtu">Its MTU.</param>
/// <param name="MacAddress">Its link-layer address as colon-separated hex, or null.</param>
/// <param name="Addresses">Its IPv4 and IPv6 addresses with prefix length.</param>
public sealed record NetworkInterfaceInfo(string Name, int Index, int HardwareType, int Flags, int Mtu, string? MacAddress, IReadOnlyList<string> Addresses)
{
    /// <summary>The name of the pseudo-device that captures on every interface (bound to ifindex 0, packet(7)).</summary>
    public const string Any = "any";

    public bool IsAny => Name == Any;
    public bool IsUp => (Flags & Native.IffUp) != 0;
    public bool IsRunning => (Flags & Native.IffRunning) != 0;
    public bool IsLoopback => (Flags & Native.IffLoopback) != 0;

    /// <summary>The link type and read mode its frames get.</summary>
    public (int LinkType, FrameMode Mode) Link => IsAny ? (Abstractions.LinkTypes.LinuxSll2, FrameMode.CookedV2) : LinkLayer.For(HardwareType);

    /// <summary>The flags in words, as <c>tcpdump -D</c> shows them.</summary>
    public string FlagText
    {
        get
        {
            var words = new List<string>();
            if (IsUp)
                words.Add("Up");
            if (IsRunning)
                words.Add("Running");
            if (IsLoopback)
                words.Add("Loopback");
            if ((Flags & Native.IffPromisc) != 0)
                words.Add("Promiscuous");
            return string.Join(", ", words);
        }
    }
}

/// <summary>
/// The network interfaces of the caller's network namespace: names and indexes from if_nameindex(3), flags,
/// hardware type and MTU from the netdevice(7) ioctls, addresses from getifaddrs(3) (through .NET's
/// <see cref="NetworkInterface"/>). None of it needs privileges, so listing works for any user, as
/// <c>tcpdump -D</c> does.
/// </summary>
public static class NetworkInterfaces
{
    /// <summary>Every interface, by index, then <c>any</c>.</summary>
    public static IReadOnlyList<NetworkInterfaceInfo> List()
    {
        var names = NameIndexes();
        var addresses = Addresses();
        using var probe = ProbeSocket();
        var list = new List<NetworkInterfaceInfo>();
        foreach (var (index, name) in names.OrderBy(n => n.Index))
        {
            if (Describe(probe, name, index, addresses) is { } info)
                list.Add(info);
        }

        list.Add(AnyDevice());
        return list;
    }

    /// <summary>
    /// The interface named <paramref name="name"/> (or <c>any</c>, or a number from <see cref="List"/> as
    /// <c>tcpdump -i 2</c> takes), or null when there is none.
    /// </summary>
    public static NetworkInterfaceInfo? Find(string name)
    {
        if (name == NetworkInterfaceInfo.Any)
            return AnyDevice();
        uint index = name.Length is > 0 and < Native.IfNameSize ? Native.IfNameToIndex(name) : 0;
        if (index == 0)
        {
            // tcpdump -i N: the Nth entry of tcpdump -D, when no interface has that name.
            if (int.TryParse(name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) && n >= 1)
            {
                var all = List();
                return n <= all.Count ? all[n - 1] : null;
            }

            return null;
        }

        using var probe = ProbeSocket();
        return Describe(probe, name, (int)index, Addresses());
    }

    /// <summary>The index of the loopback device <c>lo</c>, or 0: its outgoing frames come back as incoming ones.</summary>
    public static int LoopbackIndex() => (int)Native.IfNameToIndex("lo");

    private static NetworkInterfaceInfo AnyDevice() => new(NetworkInterfaceInfo.Any, 0, -1, Native.IffUp | Native.IffRunning, 0, null, []);

    private static unsafe List<(int Index, string Name)> NameIndexes()
    {
        var result = new List<(int, string)>();
        Native.IfNameIndex* list = Native.IfNameIndexList();
        if (list == null)
            return result;
        try
        {
            for (var p = list; p->Index != 0 && p->Name != null; p++)
                result.Add(((int)p->Index, Marshal.PtrToStringUTF8((nint)p->Name) ?? ""));
        }
        finally
        {
            Native.IfFreeNameIndex(list);
        }

        return result;
    }

    private static Dictionary<string, (string? Mac, List<string> Addresses)> Addresses()
    {
        var map = new Dictionary<string, (string?, List<string>)>(StringComparer.Ordinal);
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            var addresses = new List<string>();
            try
            {
                // Without the scope suffix .NET adds to link-local IPv6 addresses (%4), as ip(8) shows them.
                foreach (var a in nic.GetIPProperties().UnicastAddresses)
                    addresses.Add($"{new System.Net.IPAddress(a.Address.GetAddressBytes())}/{a.PrefixLength}");
            }
            catch (NetworkInformationException)
            {
                // An interface that went away while listing: no addresses.
            }

            byte[] mac = nic.GetPhysicalAddress().GetAddressBytes();
            map[nic.Name] = (mac.Length > 0 ? string.Join(':', mac.Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture))) : null, addresses);
        }

        return map;
    }

    /// <summary>A socket to ask the netdevice(7) ioctls on: a UNIX datagram socket needs no privilege and sends nothing.</summary>
    private static Socket ProbeSocket() => new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);

    private static unsafe NetworkInterfaceInfo? Describe(Socket probe, string name, int index, Dictionary<string, (string? Mac, List<string> Addresses)> addresses)
    {
        int fd = (int)probe.SafeHandle.DangerousGetHandle();
        byte* ifr = stackalloc byte[Native.IfReqLength];
        int flags, mtu, hardware;
        if (!Ask(fd, Native.SiocGifFlags, name, ifr))
            return null; // gone since it was listed
        flags = *(ushort*)(ifr + Native.IfNameSize);
        mtu = Ask(fd, Native.SiocGifMtu, name, ifr) ? *(int*)(ifr + Native.IfNameSize) : 0;
        // ifr_hwaddr is a struct sockaddr whose family is the ARPHRD type.
        hardware = Ask(fd, Native.SiocGifHwAddr, name, ifr) ? *(ushort*)(ifr + Native.IfNameSize) : -1;
        addresses.TryGetValue(name, out var a);
        return new NetworkInterfaceInfo(name, index, hardware, flags, mtu, a.Mac, a.Addresses ?? []);
    }

    private static unsafe bool Ask(int fd, uint request, string name, byte* ifr)
    {
        new Span<byte>(ifr, Native.IfReqLength).Clear();
        int n = Encoding.UTF8.GetBytes(name, new Span<byte>(ifr, Native.IfNameSize - 1));
        ifr[n] = 0;
        return Native.Ioctl(fd, request, ifr) == 0;
    }
}
