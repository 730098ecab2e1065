using System.Buffers.Binary;
using PcapForge.Abstractions;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissectors.Link;

/// <summary>
/// Generic Network Virtualization Encapsulation (RFC 8926 section 3.4): version, options length (4-byte units), the
/// OAM and critical flags, the protocol type of the payload (an EtherType; 0x6558 is an Ethernet frame), the 24-bit
/// VNI, then variable-length options. Attaches to <c>udp.port</c> 6081 (IANA).
/// </summary>
[DissectorExport("geneve")]
public sealed class Geneve : IDissector
{
    private const int FixedLength = 8;
    private const int FlagsOffset = 1;
    private const int ProtocolOffset = 2;
    private const int VniOffset = 4;
    private const int UdpPort = 6081;
    private const byte OamBit = 0x80, CriticalBit = 0x40;

    private FieldHandle _version, _optLen, _oam, _critical, _proto, _vni;
    private AnomalyHandle _truncated, _version1;
    private TableHandle _ethertype, _linkType;

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("geneve", "Generic Network Virtualization Encapsulation", "Geneve header (RFC 8926)");
        _version = setup.Field("geneve.version", "Version", FieldType.UInt8, "Geneve version (0)");
        _optLen = setup.Field("geneve.opt_len", "Options Length", FieldType.UInt8, "Length of the options in bytes");
        _oam = setup.Field("geneve.flags.oam", "Operations, Administration and Management Frame", FieldType.Boolean, "O flag: a control packet");
        _critical = setup.Field("geneve.flags.critical", "Critical Options Present", FieldType.Boolean, "C flag: an option the receiver must understand");
        _proto = setup.Field("geneve.proto_type", "Protocol Type", FieldType.UInt16, "EtherType of the payload", FieldBase.Hex);
        _vni = setup.Field("geneve.vni", "Virtual Network Identifier (VNI)", FieldType.UInt24, "24-bit virtual network identifier");
        _truncated = setup.Anomaly("geneve.truncated", "Fewer bytes than the header and its options");
        _version1 = setup.Anomaly("geneve.version_unknown", "A version other than 0");
        _ethertype = setup.TableRef(TableNames.EtherType);
        _linkType = setup.TableRef(DissectorRegistryNames.LinkType);
        setup.AttachTo(TableNames.UdpPort, UdpPort);
    }

    public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data)
    {
        if (data.Length < FixedLength)
        {
            context.Report(_truncated, 0, $"{data.Length} bytes, a Geneve header needs {FixedLength}");
            return DissectResult.Done(data.Length);
        }

        int version = data[0] >> 6;
        int optionsLength = (data[0] & 0x3F) * 4;
        ushort protocol = BinaryPrimitives.ReadUInt16BigEndian(data[ProtocolOffset..]);
        int vni = (data[VniOffset] << 16) | (data[VniOffset + 1] << 8) | data[VniOffset + 2];
        context.Add(_version, 0, 1, (ulong)version);
        context.Add(_optLen, 0, 1, (ulong)optionsLength);
        context.Add(_oam, FlagsOffset, 1, (data[FlagsOffset] & OamBit) != 0 ? 1UL : 0);
        context.Add(_critical, FlagsOffset, 1, (data[FlagsOffset] & CriticalBit) != 0 ? 1UL : 0);
        context.Add(_proto, ProtocolOffset, 2, protocol);
        context.Add(_vni, VniOffset, 3, (ulong)vni);
        if (version != 0)
        {
            context.Report(_version1, 0, $"version {version}; the rest is not decoded");
            return DissectResult.Done(FixedLength);
        }

        int headerLength = FixedLength + optionsLength;
        if (headerLength > data.Length)
        {
            context.Report(_truncated, 0, $"options of {optionsLength} bytes; {data.Length - FixedLength} remain");
            return DissectResult.Done(data.Length);
        }

        if (context.WantsDetail)
        {
            context.Info.Clear();
            context.Info.Append("Geneve VNI ").Append(vni);
        }

        return protocol == EtherTypes.TransparentEthernetBridging
            ? DissectResult.Next(headerLength, _linkType, LinkTypes.Ethernet)
            : DissectResult.Next(headerLength, _ethertype, protocol);
    }
}
