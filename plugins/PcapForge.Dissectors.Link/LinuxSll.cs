using System.Buffers.Binary;
using PcapForge.Abstractions;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissectors.Link;

/// <summary>
/// Linux "cooked" capture, version 1 (LINKTYPE_LINUX_SLL, 113) and version 2 (LINKTYPE_LINUX_SLL2, 276), as
/// Wireshark's <c>sll</c> dissector: one protocol for both, with the same field names (Wireshark has no
/// <c>sll2.*</c> fields; SLL2 only adds <c>sll.ifindex</c>). The payload goes to the <c>ethertype</c> table by
/// the protocol field, or to <c>llc</c> for Linux's 802.2 pseudo-protocol.
/// Layouts: https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html and LINKTYPE_LINUX_SLL2.html.
/// </summary>
[DissectorExport("sll")]
public sealed class LinuxSll : IDissector
{
    // SLL (v1): packet type(2) ARPHRD type(2) address length(2) address(8) protocol(2).
    private const int V1HeaderLength = 16;
    private const int V1PacketTypeOffset = 0;
    private const int V1HaTypeOffset = 2;
    private const int V1HaLenOffset = 4;
    private const int V1AddressOffset = 6;
    private const int V1ProtocolOffset = 14;

    // SLL2: protocol(2) reserved(2) interface index(4) ARPHRD type(2) packet type(1) address length(1) address(8).
    private const int V2HeaderLength = 20;
    private const int V2ProtocolOffset = 0;
    private const int V2IfIndexOffset = 4;
    private const int V2HaTypeOffset = 8;
    private const int V2PacketTypeOffset = 10;
    private const int V2HaLenOffset = 11;
    private const int V2AddressOffset = 12;

    /// <summary>The address field holds at most 8 bytes; a longer address is cut by the kernel.</summary>
    private const int AddressFieldLength = 8;
    private const int EthernetAddressLength = 6;
    private const int IPv4AddressLength = 4;

    /// <summary>ARPHRD_* values of linux/if_arp.h that change the meaning of the protocol field.</summary>
    private const int ArphrdIpGre = 778, ArphrdNetlink = 824;

    /// <summary>Protocol values up to 1536 are Linux ETH_P_* pseudo-protocols, not EtherTypes (packet-sll.c).</summary>
    private const int MaxLinuxProtocol = 1536;

    /// <summary>LINUX_SLL_P_802_2 (ETH_P_802_2): the payload starts with an IEEE 802.2 LLC header.</summary>
    private const int LinuxSllP8022 = 0x0004;

    private FieldHandle _pkttype, _hatype, _halen, _srcEth, _srcIpv4, _srcOther, _ltype, _gretype, _etype, _ifindex;
    private AnomalyHandle _truncated, _badHalen;
    private TableHandle _ethertype, _llc;

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("sll", "Linux cooked-mode capture", "Linux cooked capture header, v1 (LINKTYPE_LINUX_SLL) and v2 (LINKTYPE_LINUX_SLL2)");
        _pkttype = setup.Field("sll.pkttype", "Packet type", FieldType.UInt16, "PACKET_* type: 0 to us, 1 broadcast, 2 multicast, 3 to another host, 4 sent by us");
        _hatype = setup.Field("sll.hatype", "Link-layer address type", FieldType.UInt16, "ARPHRD_* type of the interface");
        _halen = setup.Field("sll.halen", "Link-layer address length", FieldType.UInt16, "Length of the link-layer source address");
        _srcEth = setup.Field("sll.src.eth", "Source", FieldType.Ether, "Link-layer source address (6 bytes)");
        _srcIpv4 = setup.Field("sll.src.ipv4", "Source", FieldType.IPv4, "Source address of an IP GRE interface");
        _srcOther = setup.Field("sll.src.other", "Source", FieldType.Bytes, "Link-layer source address of another length");
        _ltype = setup.Field("sll.ltype", "Protocol", FieldType.UInt16, "Linux ETH_P_* pseudo-protocol (values up to 1536) or netlink family", FieldBase.Hex);
        _gretype = setup.Field("sll.gretype", "Protocol", FieldType.UInt16, "GRE protocol type of an IP GRE interface", FieldBase.Hex);
        _etype = setup.Field("sll.etype", "Protocol", FieldType.UInt16, "EtherType of the payload", FieldBase.Hex);
        _ifindex = setup.Field("sll.ifindex", "Interface index", FieldType.UInt32, "Interface index (SLL2 only)");
        _truncated = setup.Anomaly("sll.truncated", "The frame is shorter than a Linux cooked header (16 bytes for SLL, 20 for SLL2)");
        _badHalen = setup.Anomaly("sll.halen_too_long", "The link-layer address length is more than the 8 bytes the header holds");
        _ethertype = setup.TableRef(TableNames.EtherType);
        _llc = setup.TableRef(TableNames.Llc);
        setup.AttachTo(DissectorRegistryNames.LinkType, LinkTypes.LinuxSll);
        setup.AttachTo(DissectorRegistryNames.LinkType, LinkTypes.LinuxSll2);
    }

    public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data)
    {
        bool v2 = context.Frame.LinkType == LinkTypes.LinuxSll2;
        int headerLength = v2 ? V2HeaderLength : V1HeaderLength;
        int protocolOffset = v2 ? V2ProtocolOffset : V1ProtocolOffset;
        int haTypeOffset = v2 ? V2HaTypeOffset : V1HaTypeOffset;
        int haLenOffset = v2 ? V2HaLenOffset : V1HaLenOffset;
        int haLenSize = v2 ? 1 : 2;
        int pktTypeOffset = v2 ? V2PacketTypeOffset : V1PacketTypeOffset;
        int pktTypeSize = v2 ? 1 : 2;
        int addressOffset = v2 ? V2AddressOffset : V1AddressOffset;

        if (data.Length < headerLength)
        {
            // Decode what is there, field by field, then stop.
            context.Report(_truncated, 0, $"{data.Length} bytes, a Linux cooked {(v2 ? "v2 " : "")}header needs {headerLength}");
            if (v2 && data.Length >= V2IfIndexOffset + 4)
                context.Add(_ifindex, V2IfIndexOffset, 4, BinaryPrimitives.ReadUInt32BigEndian(data[V2IfIndexOffset..]));
            if (data.Length >= haTypeOffset + 2)
                context.Add(_hatype, haTypeOffset, 2, BinaryPrimitives.ReadUInt16BigEndian(data[haTypeOffset..]));
            if (data.Length >= pktTypeOffset + pktTypeSize)
                context.Add(_pkttype, pktTypeOffset, pktTypeSize, ReadSized(data[pktTypeOffset..], pktTypeSize));
            if (data.Length >= haLenOffset + haLenSize)
                context.Add(_halen, haLenOffset, haLenSize, ReadSized(data[haLenOffset..], haLenSize));
            return DissectResult.Done(data.Length);
        }

        ushort protocol = BinaryPrimitives.ReadUInt16BigEndian(data[protocolOffset..]);
        ushort haType = BinaryPrimitives.ReadUInt16BigEndian(data[haTypeOffset..]);
        int haLen = (int)ReadSized(data[haLenOffset..], haLenSize);
        if (v2)
            context.Add(_ifindex, V2IfIndexOffset, 4, BinaryPrimitives.ReadUInt32BigEndian(data[V2IfIndexOffset..]));
        context.Add(_pkttype, pktTypeOffset, pktTypeSize, ReadSized(data[pktTypeOffset..], pktTypeSize));
        context.Add(_hatype, haTypeOffset, 2, haType);
        context.Add(_halen, haLenOffset, haLenSize, (ulong)haLen);

        if (haLen > AddressFieldLength)
            context.Report(_badHalen, haLenOffset, $"address length {haLen}, the header holds {AddressFieldLength}");
        if (haLen == EthernetAddressLength)
            context.Add(_srcEth, addressOffset, EthernetAddressLength);
        else if (haLen == IPv4AddressLength && haType == ArphrdIpGre)
            context.Add(_srcIpv4, addressOffset, IPv4AddressLength);
        else if (haLen != 0)
            context.Add(_srcOther, addressOffset, Math.Min(haLen, AddressFieldLength));

        if (haType == ArphrdNetlink)
        {
            context.Add(_ltype, protocolOffset, 2, protocol);
            return DissectResult.Done(headerLength); // netlink messages: no dissector here
        }

        if (haType == ArphrdIpGre)
        {
            // The protocol field of an IP GRE interface is the GRE protocol type, itself an EtherType.
            context.Add(_gretype, protocolOffset, 2, protocol);
            return DissectResult.Next(headerLength, _ethertype, protocol);
        }

        if (protocol <= MaxLinuxProtocol)
        {
            context.Add(_ltype, protocolOffset, 2, protocol);
            return protocol == LinuxSllP8022 ? DissectResult.Next(headerLength, _llc, 0) : DissectResult.Done(headerLength);
        }

        context.Add(_etype, protocolOffset, 2, protocol);
        return DissectResult.Next(headerLength, _ethertype, protocol);
    }

    private static ulong ReadSized(ReadOnlySpan<byte> data, int size) =>
        size == 1 ? data[0] : BinaryPrimitives.ReadUInt16BigEndian(data);
}
