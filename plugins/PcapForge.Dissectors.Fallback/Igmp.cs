using System.Buffers.Binary;
using PacketDotNet;
using PacketDotNet.Utils;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissectors.Fallback;

/// <summary>
/// Internet Group Management Protocol v1, v2 and v3 (RFC 1112, RFC 2236, RFC 3376), IP protocol 2. Fixed fields are
/// read from the bytes; IGMPv3 report group records are decoded by PacketDotNet's
/// <see cref="IgmpV3MembershipReportPacket"/> for the Info line. Off the hot path.
/// </summary>
[DissectorExport("igmp", Priority = Fallback.Priority)]
public sealed class Igmp : IDissector
{
    private const int IpProtocolIgmp = 2;
    private const int TypeOffset = 0, MaxRespOffset = 1, ChecksumOffset = 2, GroupOffset = 4;
    private const int MessageLength = 8;
    private const int V3QueryMinLength = 12;
    private const int V3QueryFlagsOffset = 8, V3QueryQqicOffset = 9, V3QueryNumSourcesOffset = 10;
    private const int V3ReportNumRecordsOffset = 6, V3ReportRecordsOffset = 8;
    private const int RecordHeaderLength = 8;
    private const int Ipv4Length = 4;
    private const int QrvMask = 0x07, SuppressFlag = 0x08;

    private const int TypeQuery = 0x11, TypeV1Report = 0x12, TypeV2Report = 0x16, TypeLeave = 0x17, TypeV3Report = 0x22;
    private const int RecordModeIsInclude = 1, RecordModeIsExclude = 2, RecordToInclude = 3, RecordToExclude = 4;

    private FieldHandle _version, _type, _maxResp, _checksum, _checksumStatus, _maddr, _s, _qrv, _qqic, _numSrc, _saddr, _numRecords, _recordType,
        _auxLength;
    private AnomalyHandle _truncated, _malformed;

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("igmp", "Internet Group Management Protocol", "IGMP v1, v2 and v3 (RFC 1112, 2236, 3376; fallback decoder through PacketDotNet)");
        _version = setup.Field("igmp.version", "IGMP Version", FieldType.UInt8, "IGMP version, from the type and length (RFC 3376 §7.1)");
        _type = setup.Field("igmp.type", "Type", FieldType.UInt8, "Message type (0x11 query, 0x12/0x16/0x22 v1/v2/v3 report, 0x17 leave)", FieldBase.Hex);
        _maxResp = setup.Field("igmp.max_resp", "Max Resp Time", FieldType.UInt8, "Max response time or code, as sent (tenths of a second)");
        _checksum = setup.Field("igmp.checksum", "Checksum", FieldType.UInt16, "Checksum as sent", FieldBase.Hex);
        _checksumStatus = setup.Field("igmp.checksum.status", "Checksum Status", FieldType.UInt8, "0 bad, 1 good, 2 unverified (truncated)");
        _maddr = setup.Field("igmp.maddr", "Multicast Address", FieldType.IPv4, "Group address of the message, or of each IGMPv3 group record");
        _s = setup.Field("igmp.s", "S", FieldType.Boolean, "IGMPv3 query: suppress router-side processing");
        _qrv = setup.Field("igmp.qrv", "QRV", FieldType.UInt8, "IGMPv3 query: querier's robustness variable");
        _qqic = setup.Field("igmp.qqic", "QQIC", FieldType.UInt8, "IGMPv3 query: querier's query interval code");
        _numSrc = setup.Field("igmp.num_src", "Num Src", FieldType.UInt16, "Number of sources of an IGMPv3 query or group record");
        _saddr = setup.Field("igmp.saddr", "Source Address", FieldType.IPv4, "Source address of an IGMPv3 query or group record");
        _numRecords = setup.Field("igmp.num_grp_recs", "Num Group Records", FieldType.UInt16, "IGMPv3 report: number of group records");
        _recordType = setup.Field("igmp.record_type", "Record Type", FieldType.UInt8, "IGMPv3 group record type (1..6)");
        _auxLength = setup.Field("igmp.aux_data_len", "Aux Data Len", FieldType.UInt8, "IGMPv3 group record: auxiliary data length in 32-bit words");
        _truncated = setup.Anomaly("igmp.truncated", "Fewer bytes than the IGMP message needs (8, or 12 for a v3 query)");
        _malformed = setup.Anomaly("igmp.malformed", "IGMPv3 source lists or group records run past the message, or PacketDotNet rejected it");
        setup.AttachTo(TableNames.IpProto, IpProtocolIgmp);
    }

    public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data)
    {
        if (data.Length < MessageLength)
        {
            context.Report(_truncated, 0, $"{data.Length} bytes, an IGMP message needs {MessageLength}");
            if (data.Length > TypeOffset)
                context.Add(_type, TypeOffset, 1, data[TypeOffset]);
            return DissectResult.Done(data.Length);
        }

        int length = context.DeclaredLength >= 0 ? Math.Min(context.DeclaredLength, data.Length) : data.Length;
        if (length < MessageLength)
            length = MessageLength;
        byte type = data[TypeOffset];
        byte maxResp = data[MaxRespOffset];
        int version = type switch
        {
            TypeQuery when length >= V3QueryMinLength => 3,
            TypeQuery => maxResp == 0 ? 1 : 2,
            TypeV1Report => 1,
            TypeV2Report or TypeLeave => 2,
            TypeV3Report => 3,
            _ => 0,
        };
        if (version != 0)
            context.Add(_version, TypeOffset, 1, (ulong)version);
        context.Add(_type, TypeOffset, 1, type);
        if (type != TypeV3Report)
            context.Add(_maxResp, MaxRespOffset, 1, maxResp);
        context.Add(_checksum, ChecksumOffset, 2, BinaryPrimitives.ReadUInt16BigEndian(data[ChecksumOffset..]));
        bool whole = context.DeclaredLength >= 0 ? data.Length >= context.DeclaredLength && !context.IsPartial : true;
        ulong status = whole ? (InternetChecksum.Compute(data[..length]) == 0 ? InternetChecksum.StatusGood : InternetChecksum.StatusBad) : InternetChecksum.StatusUnverified;
        context.Add(_checksumStatus, ChecksumOffset, 2, status);

        string? info = null;
        switch (type)
        {
            case TypeQuery:
                context.Add(_maddr, GroupOffset, Ipv4Length);
                uint group = BinaryPrimitives.ReadUInt32BigEndian(data[GroupOffset..]);
                info = group == 0 ? "Membership Query, general" : "Membership Query, specific for group " + FallbackText.IPv4(data[GroupOffset..]);
                if (version == 3)
                    DissectV3Query(context, data, length);
                break;
            case TypeV1Report or TypeV2Report:
                context.Add(_maddr, GroupOffset, Ipv4Length);
                info = (version == 1 ? "V1 Membership Report group " : "Membership Report group ") + FallbackText.IPv4(data[GroupOffset..]);
                break;
            case TypeLeave:
                context.Add(_maddr, GroupOffset, Ipv4Length);
                info = "Leave Group " + FallbackText.IPv4(data[GroupOffset..]);
                break;
            case TypeV3Report:
                info = DissectV3Report(context, data, length);
                break;
            default:
                info = "Unknown IGMP type " + FallbackText.Hex2(type);
                break;
        }

        if (context.WantsDetail)
        {
            context.Info.Clear();
            context.Info.Append(info);
        }

        return DissectResult.Done(length);
    }

    private void DissectV3Query(PacketContext context, ReadOnlySpan<byte> data, int length)
    {
        byte flags = data[V3QueryFlagsOffset];
        context.Add(_s, V3QueryFlagsOffset, 1, (flags & SuppressFlag) != 0 ? 1UL : 0UL);
        context.Add(_qrv, V3QueryFlagsOffset, 1, (ulong)(flags & QrvMask));
        context.Add(_qqic, V3QueryQqicOffset, 1, data[V3QueryQqicOffset]);
        int sources = BinaryPrimitives.ReadUInt16BigEndian(data[V3QueryNumSourcesOffset..]);
        context.Add(_numSrc, V3QueryNumSourcesOffset, 2, (ulong)sources);
        int offset = V3QueryMinLength;
        for (int i = 0; i < sources; i++, offset += Ipv4Length)
        {
            if (offset + Ipv4Length > length)
            {
                if (!context.IsPartial)
                    context.Report(_malformed, offset, $"{sources} sources, only {i} fit in {length} bytes");
                return;
            }

            context.Add(_saddr, offset, Ipv4Length);
        }
    }

    private string DissectV3Report(PacketContext context, ReadOnlySpan<byte> data, int length)
    {
        int records = BinaryPrimitives.ReadUInt16BigEndian(data[V3ReportNumRecordsOffset..]);
        context.Add(_numRecords, V3ReportNumRecordsOffset, 2, (ulong)records);
        int offset = V3ReportRecordsOffset;
        for (int r = 0; r < records; r++)
        {
            if (offset + RecordHeaderLength > length)
            {
                if (!context.IsPartial)
                    context.Report(_malformed, offset, $"{records} group records, only {r} fit in {length} bytes");
                return "Membership Report";
            }

            int sources = BinaryPrimitives.ReadUInt16BigEndian(data[(offset + 2)..]);
            int recordLength = RecordHeaderLength + (sources * Ipv4Length) + (data[offset + 1] * 4);
            context.Add(_recordType, offset, 1, data[offset]);
            context.Add(_auxLength, offset + 1, 1, data[offset + 1]);
            context.Add(_numSrc, offset + 2, 2, (ulong)sources);
            context.Add(_maddr, offset + 4, Ipv4Length);
            for (int s = 0; s < sources && offset + RecordHeaderLength + ((s + 1) * Ipv4Length) <= length; s++)
                context.Add(_saddr, offset + RecordHeaderLength + (s * Ipv4Length), Ipv4Length);
            if (offset + recordLength > length)
            {
                if (!context.IsPartial)
                    context.Report(_malformed, offset, $"group record {r} needs {recordLength} bytes, {length - offset} remain");
                return "Membership Report";
            }

            offset += recordLength;
        }

        if (!context.WantsDetail)
            return "";

        // The group records, as PacketDotNet decodes them, for the Info line.
        try
        {
            var report = new IgmpV3MembershipReportPacket(new ByteArraySegment(data[..length].ToArray()));
            var info = new System.Text.StringBuilder("Membership Report");
            foreach (var record in report.GroupRecords)
            {
                string group = record.MulticastAddress.ToString();
                int recordType = (int)record.RecordType;
                info.Append(" / ");
                if (record.NumberOfSources == 0 && recordType is RecordModeIsInclude or RecordToInclude)
                    info.Append("Leave group ").Append(group);
                else if (record.NumberOfSources == 0 && recordType is RecordModeIsExclude or RecordToExclude)
                    info.Append("Join group ").Append(group).Append(" for any sources");
                else
                    info.Append("Group ").Append(group).Append(", ").Append(record.RecordType).Append(", ").Append(record.NumberOfSources).Append(" sources");
            }

            return info.ToString();
        }
        catch (Exception e)
        {
            context.Report(_malformed, V3ReportRecordsOffset, $"PacketDotNet could not decode the group records: {e.GetType().Name}");
            return "Membership Report";
        }
    }
}
