using System.Buffers.Binary;
using PcapForge.Abstractions;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissectors.Link;

/// <summary>
/// IEEE 802.2 Logical Link Control (ISO/IEC 8802-2) and the SNAP extension (IEEE Std 802-2014 §10.5). Declares the
/// <c>llc</c> table that IEEE 802.3 length frames (Ethernet), 802.11 data frames and SLL's 802.2 pseudo-protocol
/// hand their payload to, at key 0, and attaches itself there. SNAP frames with an EtherType-encapsulating OUI
/// (RFC 1042 OUI 00-00-00, or Cisco's 00-00-F8 of 802.1H) go on through <c>ethertype</c>; IEEE 802.1 bridged Ethernet
/// (OUI 00-80-C2) through the link-type table; other SAPs through <c>llc.dsap</c>.
/// </summary>
[DissectorExport("llc")]
public sealed class Llc : IDissector
{
    private const int DsapOffset = 0;
    private const int SsapOffset = 1;
    private const int ControlOffset = 2;

    /// <summary>A U-format control field (low two bits 11) is one byte; I and S formats are two (ISO/IEC 8802-2 §5.4.1).</summary>
    private const int UFormatMask = 0x03;
    private const int UFormat = 0x03;
    private const int UFormatControlLength = 1;
    private const int ExtendedControlLength = 2;

    /// <summary>I-format frames have bit 0 clear.</summary>
    private const int IFormatMask = 0x01;

    /// <summary>Unnumbered Information command (UI).</summary>
    private const int UnnumberedInformation = 0x03;

    /// <summary>The SNAP SAP (IEEE Std 802 §10.5): DSAP and SSAP 0xAA, then OUI(3) and protocol id(2).</summary>
    private const int SapSnap = 0xAA;
    private const int SsapResponseBit = 0x01;
    private const int SnapLength = 5;
    private const int OuiLength = 3;
    private const int PidOffsetInSnap = 3;

    /// <summary>
    /// RFC 1042 encapsulated Ethernet, 802.1H bridge tunnel (Cisco) and Apple's AppleTalk OUI: the protocol id is an
    /// EtherType (Wireshark shows it as <c>llc.type</c>).
    /// </summary>
    private const int OuiEncapsulatedEthernet = 0x000000, OuiBridgeTunnel = 0x0000F8, OuiAppleTalk = 0x080007;

    /// <summary>Cisco's OUI (CDP, VTP, DTP, PVST+): Wireshark shows its protocol ids as <c>llc.cisco_pid</c>.</summary>
    private const int OuiCisco = 0x00000C;

    /// <summary>IEEE 802.1 (OUI 00-80-C2): protocol id 0x0001 and 0x0007 are bridged 802.3 frames with and without FCS (RFC 2684 §5.2).</summary>
    private const int OuiIeee8021 = 0x0080C2;
    private const int PidBridgedEthernetWithFcs = 0x0001, PidBridgedEthernetNoFcs = 0x0007;
    private const int FcsLength = 4;

    private FieldHandle _dsap, _ssap, _control, _oui, _type, _pid, _ciscoPid;
    private AnomalyHandle _truncated;
    private TableHandle _ethertype, _linkType, _dsapTable;

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("llc", "Logical-Link Control", "IEEE 802.2 LLC header and SNAP extension");
        _dsap = setup.Field("llc.dsap", "DSAP", FieldType.UInt8, "Destination service access point", FieldBase.Hex);
        _ssap = setup.Field("llc.ssap", "SSAP", FieldType.UInt8, "Source service access point (low bit: response)", FieldBase.Hex);
        _control = setup.Field("llc.control", "Control", FieldType.UInt16, "Control field (1 byte for U format, 2 for I and S formats)", FieldBase.Hex);
        _oui = setup.Field("llc.oui", "Organization Code", FieldType.UInt24, "SNAP organizationally unique identifier");
        _type = setup.Field("llc.type", "Type", FieldType.UInt16, "EtherType carried by SNAP with OUI 00-00-00 or 00-00-F8", FieldBase.Hex);
        _pid = setup.Field("llc.pid", "Protocol ID", FieldType.UInt16, "SNAP protocol id under another OUI", FieldBase.Hex);
        _ciscoPid = setup.Field("llc.cisco_pid", "PID", FieldType.UInt16, "SNAP protocol id under Cisco's OUI 00-00-0C (0x2000 CDP…)", FieldBase.Hex);
        _truncated = setup.Anomaly("llc.truncated", "Fewer bytes than the LLC header (3 or 4 bytes) or its SNAP extension (5 more) need");
        setup.Table(TableNames.Llc, "IEEE 802.2 LLC frames, key 0 (802.3 length frames, 802.11 data, SLL 802.2)", 8);
        _dsapTable = setup.Table("llc.dsap", "Destination SAP of a non-SNAP LLC frame (0x42 spanning tree, 0xFE OSI…)", 8);
        _ethertype = setup.TableRef(TableNames.EtherType);
        _linkType = setup.TableRef(DissectorRegistryNames.LinkType);
        setup.AttachTo(TableNames.Llc, 0);
    }

    public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data)
    {
        if (data.Length < ControlOffset + UFormatControlLength)
        {
            context.Report(_truncated, 0, $"{data.Length} bytes, an LLC header needs at least {ControlOffset + UFormatControlLength}");
            if (data.Length > DsapOffset)
                context.Add(_dsap, DsapOffset, 1, data[DsapOffset]);
            if (data.Length > SsapOffset)
                context.Add(_ssap, SsapOffset, 1, data[SsapOffset]);
            return DissectResult.Done(data.Length);
        }

        byte dsap = data[DsapOffset];
        byte ssap = data[SsapOffset];
        context.Add(_dsap, DsapOffset, 1, dsap);
        context.Add(_ssap, SsapOffset, 1, ssap);

        int controlLength = (data[ControlOffset] & UFormatMask) == UFormat ? UFormatControlLength : ExtendedControlLength;
        if (data.Length < ControlOffset + controlLength)
        {
            context.Report(_truncated, ControlOffset, $"{data.Length} bytes, an LLC header with a 2-byte control field needs {ControlOffset + controlLength}");
            return DissectResult.Done(data.Length);
        }

        // The extended control field is sent low byte first (ISO/IEC 8802-2 §5.4.1; Wireshark shows it so).
        int control = controlLength == UFormatControlLength ? data[ControlOffset] : BinaryPrimitives.ReadUInt16LittleEndian(data[ControlOffset..]);
        context.Add(_control, ControlOffset, controlLength, (ulong)control);
        int headerLength = ControlOffset + controlLength;

        bool snap = dsap == SapSnap && (ssap & ~SsapResponseBit) == SapSnap;
        if (!snap)
        {
            if (context.WantsDetail)
            {
                context.Info.Clear();
                context.Info.Append("LLC DSAP ").AppendHex2(dsap).Append(", SSAP ").AppendHex2(ssap);
            }

            return DissectResult.Next(headerLength, _dsapTable, dsap);
        }

        if (data.Length < headerLength + SnapLength)
        {
            context.Report(_truncated, headerLength, $"{data.Length - headerLength} bytes after the LLC header, SNAP needs {SnapLength}");
            return DissectResult.Done(data.Length);
        }

        ReadOnlySpan<byte> snapHeader = data.Slice(headerLength, SnapLength);
        int oui = (snapHeader[0] << 16) | (snapHeader[1] << 8) | snapHeader[2];
        ushort pid = BinaryPrimitives.ReadUInt16BigEndian(snapHeader[PidOffsetInSnap..]);
        context.Add(_oui, headerLength, OuiLength, (ulong)oui);
        int pidOffset = headerLength + PidOffsetInSnap;
        headerLength += SnapLength;
        bool information = controlLength == ExtendedControlLength ? (control & IFormatMask) == 0 : control == UnnumberedInformation;
        switch (oui)
        {
            case OuiEncapsulatedEthernet or OuiBridgeTunnel or OuiAppleTalk:
                context.Add(_type, pidOffset, 2, pid);
                return information ? DissectResult.Next(headerLength, _ethertype, pid) : DissectResult.Done(headerLength);
            case OuiIeee8021 when information && pid == PidBridgedEthernetNoFcs:
                context.Add(_pid, pidOffset, 2, pid);
                return DissectResult.Next(headerLength, _linkType, LinkTypes.Ethernet);
            case OuiIeee8021 when information && pid == PidBridgedEthernetWithFcs && data.Length - headerLength > FcsLength:
                context.Add(_pid, pidOffset, 2, pid);
                return DissectResult.Next(headerLength, _linkType, LinkTypes.Ethernet, data.Length - headerLength - FcsLength);
            case OuiCisco:
                context.Add(_ciscoPid, pidOffset, 2, pid);
                return DissectResult.Done(headerLength);
            default:
                context.Add(_pid, pidOffset, 2, pid);
                return DissectResult.Done(headerLength);
        }
    }
}
