using System.Collections.Frozen;

namespace PcapForge.Abstractions;

/// <summary>
/// LINKTYPE_* values as registered by tcpdump.org (https://www.tcpdump.org/linktypes.html), with the
/// name after the LINKTYPE_ prefix. Used to print link types; dissectors attach to the numbers.
/// </summary>
public static class LinkTypes
{
    public const int Null = 0;
    public const int Ethernet = 1;
    public const int Ieee8025 = 6;
    public const int Ppp = 9;
    public const int Fddi = 10;
    /// <summary>BSD's DLT_RAW value 12 written into some files instead of LINKTYPE_RAW (101).</summary>
    public const int RawBsd12 = 12;
    /// <summary>OpenBSD's DLT_RAW value 14.</summary>
    public const int RawBsd14 = 14;
    public const int PppHdlc = 50;
    public const int PppEther = 51;
    public const int AtmRfc1483 = 100;
    public const int Raw = 101;
    public const int CiscoHdlc = 104;
    public const int Ieee80211 = 105;
    public const int Loop = 108;
    public const int LinuxSll = 113;
    public const int Prism = 119;
    public const int Ieee80211Radiotap = 127;
    public const int Ppi = 192;
    public const int UsbLinux = 189;
    public const int Ipv4 = 228;
    public const int Ipv6 = 229;
    public const int DBus = 231;
    public const int Netlink = 253;
    public const int NetfilterLog = 239;
    public const int UsbPcap = 249;
    public const int LinuxSll2 = 276;
    public const int DsaTagDsa = 284;
    public const int VsockLinux = 271;

    private static readonly FrozenDictionary<int, string> Names = new Dictionary<int, string>
    {
        [0] = "NULL",
        [1] = "ETHERNET",
        [3] = "AX25",
        [6] = "IEEE802_5",
        [7] = "ARCNET_BSD",
        [8] = "SLIP",
        [9] = "PPP",
        [10] = "FDDI",
        [12] = "RAW (BSD DLT 12)",
        [14] = "RAW (OpenBSD DLT 14)",
        [50] = "PPP_HDLC",
        [51] = "PPP_ETHER",
        [100] = "ATM_RFC1483",
        [101] = "RAW",
        [104] = "C_HDLC",
        [105] = "IEEE802_11",
        [107] = "FRELAY",
        [108] = "LOOP",
        [113] = "LINUX_SLL",
        [114] = "LTALK",
        [117] = "PFLOG",
        [119] = "IEEE802_11_PRISM",
        [122] = "IP_OVER_FC",
        [123] = "SUNATM",
        [127] = "IEEE802_11_RADIOTAP",
        [129] = "ARCNET_LINUX",
        [138] = "APPLE_IP_OVER_IEEE1394",
        [139] = "MTP2_WITH_PHDR",
        [140] = "MTP2",
        [141] = "MTP3",
        [142] = "SCCP",
        [143] = "DOCSIS",
        [144] = "LINUX_IRDA",
        [163] = "IEEE802_11_AVS",
        [165] = "BACNET_MS_TP",
        [166] = "PPP_PPPD",
        [169] = "GPRS_LLC",
        [177] = "LINUX_LAPD",
        [187] = "BLUETOOTH_HCI_H4",
        [189] = "USB_LINUX",
        [192] = "PPI",
        [195] = "IEEE802_15_4_WITHFCS",
        [196] = "SITA",
        [197] = "ERF",
        [201] = "BLUETOOTH_HCI_H4_WITH_PHDR",
        [202] = "AX25_KISS",
        [204] = "PPP_WITH_DIR",
        [209] = "IPMB_LINUX",
        [215] = "IEEE802_15_4_NONASK_PHY",
        [220] = "USB_LINUX_MMAPPED",
        [224] = "FC_2",
        [225] = "FC_2_WITH_FRAME_DELIMS",
        [226] = "IPNET",
        [227] = "CAN_SOCKETCAN",
        [228] = "IPV4",
        [229] = "IPV6",
        [230] = "IEEE802_15_4_NOFCS",
        [231] = "DBUS",
        [235] = "DVB_CI",
        [236] = "MUX27010",
        [237] = "STANAG_5066_D_PDU",
        [239] = "NFLOG",
        [240] = "NETANALYZER",
        [241] = "NETANALYZER_TRANSPARENT",
        [242] = "IPOIB",
        [243] = "MPEG_2_TS",
        [244] = "NG40",
        [245] = "NFC_LLCP",
        [247] = "INFINIBAND",
        [248] = "SCTP",
        [249] = "USBPCAP",
        [250] = "RTAC_SERIAL",
        [251] = "BLUETOOTH_LE_LL",
        [253] = "NETLINK",
        [254] = "BLUETOOTH_LINUX_MONITOR",
        [255] = "BLUETOOTH_BREDR_BB",
        [256] = "BLUETOOTH_LE_LL_WITH_PHDR",
        [257] = "PROFIBUS_DL",
        [258] = "PKTAP",
        [259] = "EPON",
        [260] = "IPMI_HPM_2",
        [261] = "ZWAVE_R1_R2",
        [262] = "ZWAVE_R3",
        [263] = "WATTSTOPPER_DLM",
        [264] = "ISO_14443",
        [265] = "RDS",
        [266] = "USB_DARWIN",
        [268] = "SDLC",
        [270] = "LORATAP",
        [271] = "VSOCK",
        [272] = "NORDIC_BLE",
        [273] = "DOCSIS31_XRA31",
        [274] = "ETHERNET_MPACKET",
        [275] = "DISPLAYPORT_AUX",
        [276] = "LINUX_SLL2",
        [278] = "OPENVIZSLA",
        [279] = "EBHSCR",
        [280] = "VPP_DISPATCH",
        [281] = "DSA_TAG_BRCM",
        [282] = "DSA_TAG_BRCM_PREPEND",
        [283] = "IEEE802_15_4_TAP",
        [284] = "DSA_TAG_DSA",
        [285] = "DSA_TAG_EDSA",
        [286] = "ELEE",
        [287] = "Z_WAVE_SERIAL",
        [288] = "USB_2_0",
        [289] = "ATSC_ALP",
        [290] = "ETW",
        [292] = "ZBOSS_NCP",
        [293] = "USB_2_0_LOW_SPEED",
        [294] = "USB_2_0_FULL_SPEED",
        [295] = "USB_2_0_HIGH_SPEED",
        [296] = "AUERSWALD_LOG",
        [297] = "ZWAVE_TAP",
        [298] = "SILABS_DEBUG_CHANNEL",
        [299] = "FIRA_UCI",
        [300] = "MDB",
        [301] = "DECT_NR",
    }.ToFrozenDictionary();

    /// <summary>The registered name (without the LINKTYPE_ prefix), or <c>LINKTYPE_n</c> for a number not in the table.</summary>
    public static string Name(int linkType) =>
        Names.TryGetValue(linkType, out var name) ? name : $"LINKTYPE_{linkType}";

    /// <summary>True when the number is in the registry table above.</summary>
    public static bool IsKnown(int linkType) => Names.ContainsKey(linkType);
}
