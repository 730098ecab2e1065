using System.Buffers.Binary;
using PcapForge.Abstractions;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissectors.Link;

/// <summary>
/// IEEE 802.11 MAC header (IEEE Std 802.11-2020 §9.2–9.3) far enough to reach the payload of data frames: frame
/// control, duration, the addresses as the To DS/From DS bits assign them (Table 9-30), sequence control, the
/// fourth address, QoS control and HT control. Unprotected data frames hand their LLC header to the <c>llc</c>
/// table; protected ones (no keys here), null-data and A-MSDU frames, management and control frames stop here.
/// Attaches to LINKTYPE_IEEE802_11 (105), without FCS (radiotap and PPI cut the FCS when they say there is one).
/// </summary>
[DissectorExport("wlan")]
public sealed class Ieee80211 : IDissector
{
    private const int FrameControlOffset = 0;
    private const int DurationOffset = 2;
    private const int Address1Offset = 4;
    private const int Address2Offset = 10;
    private const int Address3Offset = 16;
    private const int SequenceControlOffset = 22;
    private const int Address4Offset = 24;
    private const int AddressLength = 6;

    /// <summary>FC, duration, three addresses and sequence control: the header of management and data frames.</summary>
    private const int ThreeAddressHeaderLength = 24;
    private const int QosControlLength = 2;
    private const int HtControlLength = 4;

    /// <summary>Control frames: FC, duration, RA (10 bytes); those with a TA add it (16 bytes).</summary>
    private const int ControlHeaderLength = 10;
    private const int ControlWithTaHeaderLength = 16;

    // First byte of frame control: protocol version (bits 0-1), type (2-3), subtype (4-7).
    private const int VersionMask = 0x03;
    private const int TypeShift = 2;
    private const int TypeMask = 0x03;
    private const int SubtypeShift = 4;

    // Second byte of frame control: the flags.
    private const int FlagToDs = 0x01;
    private const int FlagFromDs = 0x02;
    private const int FlagRetry = 0x08;
    private const int FlagProtected = 0x40;
    private const int FlagOrder = 0x80;

    private const int TypeManagement = 0, TypeControl = 1, TypeData = 2;

    /// <summary>Data subtypes: bit 3 means QoS, bit 2 means no data (Null, CF-Ack, CF-Poll…).</summary>
    private const int SubtypeQosBit = 0x8, SubtypeNoDataBit = 0x4;

    /// <summary>Control subtypes that carry a transmitter address: Block Ack Request, Block Ack, PS-Poll, RTS, CF-End, CF-End+CF-Ack.</summary>
    private const int SubtypeBlockAckReq = 8, SubtypeBlockAck = 9, SubtypePsPoll = 10, SubtypeRts = 11, SubtypeCfEnd = 14, SubtypeCfEndAck = 15;

    // Sequence control: fragment number (bits 0-3), sequence number (4-15).
    private const int FragmentMask = 0x000F;
    private const int SequenceShift = 4;

    // QoS control: TID (bits 0-3), A-MSDU present (bit 7).
    private const int QosTidMask = 0x000F;
    private const int QosAmsduPresent = 0x0080;

    private FieldHandle _fc, _fcVersion, _fcType, _fcSubtype, _typeSubtype, _fcDs, _toDs, _fromDs, _retry, _protected, _order, _duration,
        _ra, _ta, _da, _sa, _bssid, _addr, _frag, _seq, _qos, _qosTid, _amsdu;
    private AnomalyHandle _truncated, _badVersion;
    private TableHandle _llc;

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("wlan", "IEEE 802.11 wireless LAN", "IEEE 802.11 MAC header up to the LLC of data frames");
        _fc = setup.Field("wlan.fc", "Frame Control Field", FieldType.UInt16, "Frame control, first byte high (as Wireshark shows it)", FieldBase.Hex);
        _fcVersion = setup.Field("wlan.fc.version", "Version", FieldType.UInt8, "Protocol version (0)");
        _fcType = setup.Field("wlan.fc.type", "Type", FieldType.UInt8, "0 management, 1 control, 2 data, 3 extension");
        _fcSubtype = setup.Field("wlan.fc.subtype", "Subtype", FieldType.UInt8, "Subtype within the type");
        _typeSubtype = setup.Field("wlan.fc.type_subtype", "Type/Subtype", FieldType.UInt16, "Type × 16 + subtype (0x0008 beacon, 0x0020 data, 0x0028 QoS data)", FieldBase.Hex);
        _fcDs = setup.Field("wlan.fc.ds", "DS status", FieldType.UInt8, "From DS × 2 + To DS", FieldBase.Hex);
        _toDs = setup.Field("wlan.fc.tods", "To DS", FieldType.Boolean, "Sent towards the distribution system");
        _fromDs = setup.Field("wlan.fc.fromds", "From DS", FieldType.Boolean, "Sent from the distribution system");
        _retry = setup.Field("wlan.fc.retry", "Retry", FieldType.Boolean, "A retransmission");
        _protected = setup.Field("wlan.fc.protected", "Protected flag", FieldType.Boolean, "The body is encrypted");
        _order = setup.Field("wlan.fc.order", "+HTC/Order flag", FieldType.Boolean, "An HT control field follows (QoS data and management frames)");
        _duration = setup.Field("wlan.duration", "Duration", FieldType.UInt16, "Duration/ID");
        _ra = setup.Field("wlan.ra", "Receiver address", FieldType.Ether, "Receiver address (address 1)");
        _ta = setup.Field("wlan.ta", "Transmitter address", FieldType.Ether, "Transmitter address (address 2)");
        _da = setup.Field("wlan.da", "Destination address", FieldType.Ether, "Destination address");
        _sa = setup.Field("wlan.sa", "Source address", FieldType.Ether, "Source address");
        _bssid = setup.Field("wlan.bssid", "BSS Id", FieldType.Ether, "BSS identifier");
        _addr = setup.Field("wlan.addr", "Hardware address", FieldType.Ether, "Any of the addresses (matches each)");
        _frag = setup.Field("wlan.frag", "Fragment number", FieldType.UInt16, "Fragment number");
        _seq = setup.Field("wlan.seq", "Sequence number", FieldType.UInt16, "Sequence number");
        _qos = setup.Field("wlan.qos", "Qos Control", FieldType.UInt16, "QoS control field", FieldBase.Hex);
        _qosTid = setup.Field("wlan.qos.tid", "TID", FieldType.UInt16, "Traffic identifier");
        _amsdu = setup.Field("wlan.qos.amsdupresent", "Payload Type", FieldType.Boolean, "The body is an A-MSDU");
        _truncated = setup.Anomaly("wlan.truncated", "Fewer bytes than the MAC header that the frame control field implies");
        _badVersion = setup.Anomaly("wlan.bad_version", "The protocol version is not 0; the frame is not decoded");
        _llc = setup.TableRef(TableNames.Llc);
        setup.AttachTo(DissectorRegistryNames.LinkType, LinkTypes.Ieee80211);
    }

    public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data)
    {
        if (data.Length < DurationOffset)
        {
            context.Report(_truncated, 0, $"{data.Length} bytes, the frame control field needs {DurationOffset}");
            return DissectResult.Done(data.Length);
        }

        byte fc0 = data[FrameControlOffset];
        byte flags = data[FrameControlOffset + 1];
        int version = fc0 & VersionMask;
        int type = (fc0 >> TypeShift) & TypeMask;
        int subtype = fc0 >> SubtypeShift;
        context.Add(_fc, FrameControlOffset, 2, BinaryPrimitives.ReadUInt16BigEndian(data));
        context.Add(_fcVersion, FrameControlOffset, 1, (ulong)version);
        if (version != 0)
        {
            context.Report(_badVersion, FrameControlOffset, $"protocol version {version}");
            return DissectResult.Done(DurationOffset);
        }

        context.Add(_fcType, FrameControlOffset, 1, (ulong)type);
        context.Add(_fcSubtype, FrameControlOffset, 1, (ulong)subtype);
        context.Add(_typeSubtype, FrameControlOffset, 1, (ulong)((type << SubtypeShift) | subtype));
        bool toDs = (flags & FlagToDs) != 0;
        bool fromDs = (flags & FlagFromDs) != 0;
        context.Add(_fcDs, FrameControlOffset + 1, 1, (ulong)(flags & (FlagToDs | FlagFromDs)));
        context.Add(_toDs, FrameControlOffset + 1, 1, toDs ? 1UL : 0);
        context.Add(_fromDs, FrameControlOffset + 1, 1, fromDs ? 1UL : 0);
        context.Add(_retry, FrameControlOffset + 1, 1, (flags & FlagRetry) != 0 ? 1UL : 0);
        bool isProtected = (flags & FlagProtected) != 0;
        context.Add(_protected, FrameControlOffset + 1, 1, isProtected ? 1UL : 0);
        bool order = (flags & FlagOrder) != 0;
        context.Add(_order, FrameControlOffset + 1, 1, order ? 1UL : 0);
        if (context.WantsDetail)
            WriteInfo(context, type, subtype, isProtected);

        if (type == TypeControl)
            return DissectControl(context, data, subtype);

        bool fourAddresses = type == TypeData && toDs && fromDs;
        bool qos = type == TypeData && (subtype & SubtypeQosBit) != 0;
        int headerLength = ThreeAddressHeaderLength + (fourAddresses ? AddressLength : 0) + (qos ? QosControlLength : 0);

        // The HT control field is present in QoS data and management frames whose Order bit is set (§9.2.4.1.10).
        if (order && (qos || type == TypeManagement))
            headerLength += HtControlLength;

        if (data.Length < headerLength)
        {
            context.Report(_truncated, 0, $"{data.Length} bytes, this frame's MAC header needs {headerLength}");
            AddDurationIfPresent(context, data);
            AddAddressIfPresent(context, data, _ra, Address1Offset);
            AddAddressIfPresent(context, data, _ta, Address2Offset);
            return DissectResult.Done(data.Length);
        }

        context.Add(_duration, DurationOffset, 2, BinaryPrimitives.ReadUInt16LittleEndian(data[DurationOffset..]));
        AddAddresses(context, type, toDs, fromDs, fourAddresses);
        ushort sequenceControl = BinaryPrimitives.ReadUInt16LittleEndian(data[SequenceControlOffset..]);
        context.Add(_frag, SequenceControlOffset, 2, (ulong)(sequenceControl & FragmentMask));
        context.Add(_seq, SequenceControlOffset, 2, (ulong)(sequenceControl >> SequenceShift));

        ushort qosControl = 0;
        if (qos)
        {
            int qosOffset = ThreeAddressHeaderLength + (fourAddresses ? AddressLength : 0);
            qosControl = BinaryPrimitives.ReadUInt16LittleEndian(data[qosOffset..]);
            context.Add(_qos, qosOffset, QosControlLength, qosControl);
            context.Add(_qosTid, qosOffset, QosControlLength, (ulong)(qosControl & QosTidMask));
            context.Add(_amsdu, qosOffset, 1, (qosControl & QosAmsduPresent) != 0 ? 1UL : 0);
        }

        // Only an unprotected data frame that carries data and no A-MSDU starts with an LLC header.
        if (type != TypeData || isProtected || (subtype & SubtypeNoDataBit) != 0 || (qosControl & QosAmsduPresent) != 0
            || data.Length == headerLength)
            return DissectResult.Done(headerLength);
        return DissectResult.Next(headerLength, _llc, 0);
    }

    /// <summary>Addresses 1-4 of management and data frames (IEEE Std 802.11-2020 Table 9-30).</summary>
    private void AddAddresses(PacketContext context, int type, bool toDs, bool fromDs, bool fourAddresses)
    {
        context.Add(_ra, Address1Offset, AddressLength);
        context.Add(_ta, Address2Offset, AddressLength);
        int da, sa, bssid = -1;
        if (type != TypeData || (!toDs && !fromDs))
        {
            da = Address1Offset;
            sa = Address2Offset;
            bssid = Address3Offset;
        }
        else if (!toDs)
        {
            da = Address1Offset;
            bssid = Address2Offset;
            sa = Address3Offset;
        }
        else if (!fromDs)
        {
            bssid = Address1Offset;
            sa = Address2Offset;
            da = Address3Offset;
        }
        else
        {
            da = Address3Offset;
            sa = Address4Offset;
        }

        context.Add(_da, da, AddressLength);
        context.Add(_sa, sa, AddressLength);
        if (bssid >= 0)
            context.Add(_bssid, bssid, AddressLength);
        context.Add(_addr, Address1Offset, AddressLength);
        context.Add(_addr, Address2Offset, AddressLength);
        context.Add(_addr, Address3Offset, AddressLength);
        if (fourAddresses)
            context.Add(_addr, Address4Offset, AddressLength);
    }

    private DissectResult DissectControl(PacketContext context, ReadOnlySpan<byte> data, int subtype)
    {
        bool hasTa = subtype is SubtypeBlockAckReq or SubtypeBlockAck or SubtypePsPoll or SubtypeRts or SubtypeCfEnd or SubtypeCfEndAck;
        int headerLength = hasTa ? ControlWithTaHeaderLength : ControlHeaderLength;
        AddDurationIfPresent(context, data);
        AddAddressIfPresent(context, data, _ra, Address1Offset);
        AddAddressIfPresent(context, data, _addr, Address1Offset);
        if (hasTa)
        {
            AddAddressIfPresent(context, data, _ta, Address2Offset);
            AddAddressIfPresent(context, data, _addr, Address2Offset);
        }

        if (data.Length < headerLength)
        {
            context.Report(_truncated, 0, $"{data.Length} bytes, this control frame's header needs {headerLength}");
            return DissectResult.Done(data.Length);
        }

        return DissectResult.Done(headerLength);
    }

    private void AddDurationIfPresent(PacketContext context, ReadOnlySpan<byte> data)
    {
        if (DurationOffset + 2 <= data.Length)
            context.Add(_duration, DurationOffset, 2, BinaryPrimitives.ReadUInt16LittleEndian(data[DurationOffset..]));
    }

    private static void AddAddressIfPresent(PacketContext context, ReadOnlySpan<byte> data, FieldHandle field, int offset)
    {
        if (offset + AddressLength <= data.Length)
            context.Add(field, offset, AddressLength);
    }

    /// <summary>Wireshark's names of the frame types (packet-ieee80211.c, frame_type_subtype_vals).</summary>
    private static void WriteInfo(PacketContext context, int type, int subtype, bool isProtected)
    {
        string name = (type, subtype) switch
        {
            (TypeManagement, 0) => "Association Request",
            (TypeManagement, 1) => "Association Response",
            (TypeManagement, 2) => "Reassociation Request",
            (TypeManagement, 3) => "Reassociation Response",
            (TypeManagement, 4) => "Probe Request",
            (TypeManagement, 5) => "Probe Response",
            (TypeManagement, 8) => "Beacon frame",
            (TypeManagement, 9) => "ATIM",
            (TypeManagement, 10) => "Disassociate",
            (TypeManagement, 11) => "Authentication",
            (TypeManagement, 12) => "Deauthentication",
            (TypeManagement, 13) => "Action",
            (TypeManagement, 14) => "Action No Ack",
            (TypeControl, 8) => "802.11 Block Ack Req",
            (TypeControl, 9) => "802.11 Block Ack",
            (TypeControl, 10) => "Power-Save poll",
            (TypeControl, 11) => "Request-to-send",
            (TypeControl, 12) => "Clear-to-send",
            (TypeControl, 13) => "Acknowledgement",
            (TypeControl, 14) => "CF-End (Control-frame)",
            (TypeData, 0) => "Data",
            (TypeData, 4) => "Null function (No data)",
            (TypeData, 8) => "QoS Data",
            (TypeData, 12) => "QoS Null function (No data)",
            _ => "802.11 frame",
        };
        context.Info.Clear();
        context.Info.Append(name);
        if (isProtected)
            context.Info.Append(" (protected)");
    }
}
