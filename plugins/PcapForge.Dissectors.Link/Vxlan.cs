using System.Buffers.Binary;
using PcapForge.Abstractions;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissectors.Link;

/// <summary>
/// Virtual eXtensible LAN (RFC 7348 §5): flags (the I flag says the VNI is valid), reserved, 24-bit VXLAN network
/// identifier, reserved; an Ethernet frame follows, decoded through the link-type table at LINKTYPE_ETHERNET.
/// Attaches to <c>udp.port</c> 4789 (IANA).
/// </summary>
[DissectorExport("vxlan")]
public sealed class Vxlan : IDissector
{
    private const int FlagsOffset = 0;
    private const int VniOffset = 4;
    private const int VniLength = 3;
    private const int HeaderLength = 8;
    private const int UdpPort = 4789;

    /// <summary>The I flag, bit 3 of the first byte; in Wireshark's 16-bit flags word, 0x0800.</summary>
    private const int FlagVniValid = 0x0800;

    private FieldHandle _flags, _flagI, _vni;
    private AnomalyHandle _truncated, _noVni;
    private TableHandle _linkType;

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("vxlan", "Virtual eXtensible Local Area Network", "VXLAN header (RFC 7348)");
        _flags = setup.Field("vxlan.flags", "Flags", FieldType.UInt16, "First 16 bits: flags (0x0800 the I flag) and reserved", FieldBase.Hex);
        _flagI = setup.Field("vxlan.flag_i", "VXLAN Network ID (VNI)", FieldType.Boolean, "The I flag: the VNI is valid");
        _vni = setup.Field("vxlan.vni", "VXLAN Network Identifier (VNI)", FieldType.UInt24, "24-bit VXLAN network identifier");
        _truncated = setup.Anomaly("vxlan.truncated", "Fewer bytes than the 8-byte VXLAN header");
        _noVni = setup.Anomaly("vxlan.i_flag_clear", "The I flag, which RFC 7348 requires, is clear");
        _linkType = setup.TableRef(DissectorRegistryNames.LinkType);
        setup.AttachTo(TableNames.UdpPort, UdpPort);
    }

    public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data)
    {
        if (data.Length < HeaderLength)
        {
            context.Report(_truncated, 0, $"{data.Length} bytes, a VXLAN header needs {HeaderLength}");
            return DissectResult.Done(data.Length);
        }

        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(data[FlagsOffset..]);
        int vni = (data[VniOffset] << 16) | (data[VniOffset + 1] << 8) | data[VniOffset + 2];
        bool valid = (flags & FlagVniValid) != 0;
        context.Add(_flags, FlagsOffset, 2, flags);
        context.Add(_flagI, FlagsOffset, 2, valid ? 1UL : 0);
        context.Add(_vni, VniOffset, VniLength, (ulong)vni);
        if (!valid)
            context.Report(_noVni, FlagsOffset, $"flags 0x{flags:x4}");
        if (context.WantsDetail)
        {
            context.Info.Clear();
            context.Info.Append("VXLAN VNI ").Append(vni);
        }

        if (data.Length == HeaderLength)
            return DissectResult.Done(HeaderLength);
        return DissectResult.Next(HeaderLength, _linkType, LinkTypes.Ethernet);
    }
}
