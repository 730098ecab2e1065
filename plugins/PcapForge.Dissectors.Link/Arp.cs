using System.Buffers.Binary;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissectors.Link;

/// <summary>
/// ARP (RFC 826) and RARP (RFC 903): hardware and protocol types and sizes, opcode, then sender and target
/// addresses of the sizes given. Ethernet/IPv4 addresses get Wireshark's typed fields, others the raw bytes.
/// The Info line reads as tshark's ("Who has 10.0.0.2? Tell 10.0.0.1", "10.0.0.2 is at aa:bb:cc:dd:ee:ff").
/// </summary>
[DissectorExport("arp")]
public sealed class Arp : IDissector
{
    private const int HardwareTypeOffset = 0;
    private const int ProtocolTypeOffset = 2;
    private const int HardwareSizeOffset = 4;
    private const int ProtocolSizeOffset = 5;
    private const int OpcodeOffset = 6;
    private const int AddressesOffset = 8;

    /// <summary>ARPHRD_ETHER and ARPHRD_IEEE802 (IANA hardware types 1 and 6) with 6-byte addresses are MACs.</summary>
    private const int HardwareEthernet = 1, HardwareIeee802 = 6;
    private const int MacLength = 6;

    /// <summary>Protocol type IPv4 (an EtherType), and AX.25's PID for IP, with 4-byte addresses.</summary>
    private const int ProtocolIPv4 = 0x0800, ProtocolAx25Ip = 0xCC;
    private const int IPv4Length = 4;

    /// <summary>ARP (RFC 826) and RARP (RFC 903) opcodes.</summary>
    private const int OpRequest = 1, OpReply = 2, OpReverseRequest = 3, OpReverseReply = 4;

    private FieldHandle _hwType, _protoType, _hwSize, _protoSize, _opcode, _srcMac, _srcIpv4, _dstMac, _dstIpv4, _srcHw, _srcProto, _dstHw, _dstProto;
    private AnomalyHandle _truncated, _badSize;

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("arp", "Address Resolution Protocol", "ARP (RFC 826) and RARP (RFC 903)");
        _hwType = setup.Field("arp.hw.type", "Hardware type", FieldType.UInt16, "Hardware type (1 Ethernet)");
        _protoType = setup.Field("arp.proto.type", "Protocol type", FieldType.UInt16, "Protocol type, an EtherType (0x0800 IPv4)", FieldBase.Hex);
        _hwSize = setup.Field("arp.hw.size", "Hardware size", FieldType.UInt8, "Length of a hardware address");
        _protoSize = setup.Field("arp.proto.size", "Protocol size", FieldType.UInt8, "Length of a protocol address");
        _opcode = setup.Field("arp.opcode", "Opcode", FieldType.UInt16, "1 request, 2 reply, 3 reverse request, 4 reverse reply");
        _srcMac = setup.Field("arp.src.hw_mac", "Sender MAC address", FieldType.Ether, "Sender hardware address (Ethernet)");
        _srcIpv4 = setup.Field("arp.src.proto_ipv4", "Sender IP address", FieldType.IPv4, "Sender protocol address (IPv4)");
        _dstMac = setup.Field("arp.dst.hw_mac", "Target MAC address", FieldType.Ether, "Target hardware address (Ethernet)");
        _dstIpv4 = setup.Field("arp.dst.proto_ipv4", "Target IP address", FieldType.IPv4, "Target protocol address (IPv4)");
        _srcHw = setup.Field("arp.src.hw", "Sender hardware address", FieldType.Bytes, "Sender hardware address of another type");
        _srcProto = setup.Field("arp.src.proto", "Sender protocol address", FieldType.Bytes, "Sender protocol address of another type");
        _dstHw = setup.Field("arp.dst.hw", "Target hardware address", FieldType.Bytes, "Target hardware address of another type");
        _dstProto = setup.Field("arp.dst.proto", "Target protocol address", FieldType.Bytes, "Target protocol address of another type");
        _truncated = setup.Anomaly("arp.truncated", "Fewer bytes than the fixed header and the four addresses of the sizes it gives");
        _badSize = setup.Anomaly("arp.bad_address_size", "Hardware type Ethernet with an address size other than 6, or protocol IPv4 with a size other than 4");
        setup.AttachTo(TableNames.EtherType, EtherTypes.Arp);
        setup.AttachTo(TableNames.EtherType, EtherTypes.Rarp);
    }

    public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data)
    {
        if (data.Length < AddressesOffset)
        {
            context.Report(_truncated, 0, $"{data.Length} bytes, an ARP header needs {AddressesOffset} before the addresses");
            return DissectResult.Done(data.Length);
        }

        ushort hwType = BinaryPrimitives.ReadUInt16BigEndian(data[HardwareTypeOffset..]);
        ushort protoType = BinaryPrimitives.ReadUInt16BigEndian(data[ProtocolTypeOffset..]);
        int hwSize = data[HardwareSizeOffset];
        int protoSize = data[ProtocolSizeOffset];
        ushort opcode = BinaryPrimitives.ReadUInt16BigEndian(data[OpcodeOffset..]);
        context.Add(_hwType, HardwareTypeOffset, 2, hwType);
        context.Add(_protoType, ProtocolTypeOffset, 2, protoType);
        context.Add(_hwSize, HardwareSizeOffset, 1, (ulong)hwSize);
        context.Add(_protoSize, ProtocolSizeOffset, 1, (ulong)protoSize);
        context.Add(_opcode, OpcodeOffset, 2, opcode);

        bool ether = hwSize == MacLength && hwType is HardwareEthernet or HardwareIeee802;
        bool ipv4 = protoSize == IPv4Length && protoType is ProtocolIPv4 or ProtocolAx25Ip;
        if ((hwType == HardwareEthernet && hwSize != MacLength) || (protoType == ProtocolIPv4 && protoSize != IPv4Length))
            context.Report(_badSize, HardwareSizeOffset, $"hardware type {hwType} with size {hwSize}, protocol type 0x{protoType:x4} with size {protoSize}");

        int sha = AddressesOffset;
        int spa = sha + hwSize;
        int tha = spa + protoSize;
        int tpa = tha + hwSize;
        int end = tpa + protoSize;
        AddAddress(context, data, sha, hwSize, ether ? _srcMac : _srcHw);
        AddAddress(context, data, spa, protoSize, ipv4 ? _srcIpv4 : _srcProto);
        AddAddress(context, data, tha, hwSize, ether ? _dstMac : _dstHw);
        AddAddress(context, data, tpa, protoSize, ipv4 ? _dstIpv4 : _dstProto);
        if (data.Length < end)
        {
            context.Report(_truncated, AddressesOffset, $"{data.Length} bytes, the addresses end at {end}");
            return DissectResult.Done(data.Length);
        }

        if (context.WantsDetail)
            WriteInfo(context, data, opcode, ether, ipv4, sha, spa, tha, tpa);
        return DissectResult.Done(end);
    }

    private static void AddAddress(PacketContext context, ReadOnlySpan<byte> data, int offset, int size, FieldHandle field)
    {
        if (size > 0 && offset + size <= data.Length)
            context.Add(field, offset, size);
    }

    /// <summary>tshark's wording (packet-arp.c), for Ethernet/IPv4 ARP; other kinds get the opcode only.</summary>
    private static void WriteInfo(PacketContext context, ReadOnlySpan<byte> data, int opcode, bool ether, bool ipv4, int sha, int spa, int tha, int tpa)
    {
        var b = context.Info;
        b.Clear();
        if (!ether || !ipv4)
        {
            b.Append("ARP opcode ").Append(opcode);
            return;
        }

        ReadOnlySpan<byte> senderIp = data.Slice(spa, IPv4Length);
        ReadOnlySpan<byte> targetIp = data.Slice(tpa, IPv4Length);
        bool targetMacZero = data.Slice(tha, MacLength).IndexOfAnyExcept((byte)0) < 0;
        bool senderIpZero = senderIp.IndexOfAnyExcept((byte)0) < 0;
        bool sameIp = senderIp.SequenceEqual(targetIp);

        // RFC 5227 §2.1.1 probe (sender IP 0) and §2.3 announcement (sender IP = target IP); otherwise an ARP
        // with sender IP = target IP is "gratuitous".
        bool announcement = opcode == OpRequest && targetMacZero && sameIp;
        bool probe = opcode == OpRequest && targetMacZero && senderIpZero;
        bool gratuitous = !announcement && sameIp && opcode is OpRequest or OpReply;
        switch (opcode)
        {
            case OpRequest when gratuitous:
                b.Append("Gratuitous ARP for ").AppendIPv4(targetIp).Append(" (Request)");
                break;
            case OpRequest when probe:
                b.Append("Who has ").AppendIPv4(targetIp).Append("? (ARP Probe)");
                break;
            case OpRequest when announcement:
                b.Append("ARP Announcement for ").AppendIPv4(targetIp);
                break;
            case OpRequest:
                b.Append("Who has ").AppendIPv4(targetIp).Append("? Tell ").AppendIPv4(senderIp);
                break;
            case OpReply when gratuitous:
                b.Append("Gratuitous ARP for ").AppendIPv4(senderIp).Append(" (Reply)");
                break;
            case OpReply:
                b.AppendIPv4(senderIp).Append(" is at ").AppendMac(data.Slice(sha, MacLength));
                break;
            case OpReverseRequest:
                b.Append("Who is ").AppendMac(data.Slice(tha, MacLength)).Append("? Tell ").AppendMac(data.Slice(sha, MacLength));
                break;
            case OpReverseReply:
                b.AppendMac(data.Slice(tha, MacLength)).Append(" is at ").AppendIPv4(targetIp);
                break;
            default:
                b.Append("Unknown ARP opcode ").AppendHex4(opcode);
                break;
        }
    }
}
