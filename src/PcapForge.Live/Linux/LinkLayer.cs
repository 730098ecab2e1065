using PcapForge.Abstractions;

namespace PcapForge.Live.Linux;

/// <summary>How frames of an interface are read and what link type they are written with.</summary>
public enum FrameMode
{
    /// <summary>SOCK_RAW: the frame as the device has it, link-layer header included.</summary>
    Raw,

    /// <summary>SOCK_DGRAM with a LINKTYPE_LINUX_SLL header built from the sender's sockaddr_ll (an interface whose header is unknown).</summary>
    CookedV1,

    /// <summary>SOCK_DGRAM with a LINKTYPE_LINUX_SLL2 header (the <c>any</c> device, as tcpdump writes it).</summary>
    CookedV2,
}

/// <summary>
/// The Linux hardware type of an interface (ARPHRD_*, linux/if_arp.h) to the link type its frames are written with,
/// as libpcap's <c>map_arphrd_to_dlt</c> (pcap-linux.c) does for the types a capture meets: Ethernet-like devices
/// keep their header, devices without one give raw IP, and every other type is read in cooked mode (SOCK_DGRAM, a
/// LINUX_SLL header built from the sender's address), as libpcap falls back for a type it does not map. Reading
/// the same interface with the same mode is what makes the frames byte for byte those tcpdump writes.
/// </summary>
public static class LinkLayer
{
    public const int ArphrdEther = 1, ArphrdIeee802 = 6, ArphrdPpp = 512, ArphrdTunnel = 768, ArphrdTunnel6 = 769, ArphrdLoopback = 772,
        ArphrdSit = 776, ArphrdIpGre = 778, ArphrdIeee80211 = 801, ArphrdIeee80211Radiotap = 803, ArphrdNone = 0xFFFE;

    // Serial-line and tunnel types libpcap writes as raw IP (pcap-linux.c map_arphrd_to_dlt).
    private const int ArphrdSlip = 256, ArphrdCslip = 257, ArphrdSlip6 = 258, ArphrdCslip6 = 259, ArphrdAdapt = 264, ArphrdRawHdlc = 518,
        ArphrdDlci = 15, ArphrdMetricom = 23;

    /// <summary>The link type and read mode for an interface of hardware type <paramref name="arphrd"/>.</summary>
    public static (int LinkType, FrameMode Mode) For(int arphrd) => arphrd switch
    {
        ArphrdEther or ArphrdLoopback or ArphrdMetricom => (LinkTypes.Ethernet, FrameMode.Raw),
        ArphrdIeee80211 => (LinkTypes.Ieee80211, FrameMode.Raw),
        ArphrdIeee80211Radiotap => (LinkTypes.Ieee80211Radiotap, FrameMode.Raw),
        ArphrdNone or ArphrdTunnel or ArphrdTunnel6 or ArphrdSit or ArphrdSlip or ArphrdCslip or ArphrdSlip6 or ArphrdCslip6 or ArphrdAdapt
            or ArphrdRawHdlc or ArphrdDlci => (LinkTypes.Raw, FrameMode.Raw),
        // PPP devices give no link header or an unreliable one: libpcap reads them cooked, and so does any other type.
        _ => (LinkTypes.LinuxSll, FrameMode.CookedV1),
    };

    /// <summary>A name for an ARPHRD_* value, for the interface list.</summary>
    public static string HardwareName(int arphrd) => arphrd switch
    {
        ArphrdEther => "ether",
        ArphrdIeee802 => "ieee802",
        ArphrdPpp => "ppp",
        ArphrdTunnel => "ipip",
        ArphrdTunnel6 => "ip6tnl",
        ArphrdLoopback => "loopback",
        ArphrdSit => "sit",
        ArphrdIpGre => "gre",
        ArphrdIeee80211 => "ieee802.11",
        ArphrdIeee80211Radiotap => "ieee802.11/radiotap",
        ArphrdNone => "none",
        _ => $"arphrd {arphrd}",
    };
}
