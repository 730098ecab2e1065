using System.Buffers.Binary;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissectors.Fallback;

/// <summary>The PPPoE header both stages share (RFC 2516 §4): version and type nibbles, code, session id, payload length.</summary>
internal static class PppoeHeader
{
    public const int Length = 6;
    public const int VersionTypeOffset = 0, CodeOffset = 1, SessionIdOffset = 2, PayloadLengthOffset = 4;
    public const int ExpectedVersionType = 0x11;
}

/// <summary>
/// PPPoE Discovery stage (RFC 2516 §5), EtherType 0x8863: header fields and the tags (service name, AC name, host
/// uniq…). PacketDotNet's <c>PppoePacket</c> does not decode tags, so everything is read from the bytes here. Its
/// fields are named <c>pppoed.*</c>: Wireshark's shared <c>pppoe.*</c> names are declared by <see cref="PppoeSession"/>
/// (a field name is declared by one protocol only).
/// </summary>
[DissectorExport("pppoed", Priority = Fallback.Priority)]
public sealed class PppoeDiscovery : IDissector
{
    private const int EtherTypePppoeDiscovery = 0x8863;
    private const int TagHeaderLength = 4;
    private const int TagEndOfList = 0x0000, TagServiceName = 0x0101, TagAcName = 0x0102, TagHostUniq = 0x0103, TagAcCookie = 0x0104;

    private FieldHandle _code, _sessionId, _payloadLength, _tag, _tagLength, _serviceName, _acName, _hostUniq, _acCookie;
    private AnomalyHandle _truncated, _malformed;

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("pppoed", "PPP-over-Ethernet Discovery", "PPPoE Discovery stage: PADI, PADO, PADR, PADS, PADT (RFC 2516)");
        _code = setup.Field("pppoed.code", "Code", FieldType.UInt8, "Discovery code (0x09 PADI, 0x07 PADO, 0x19 PADR, 0x65 PADS, 0xa7 PADT)", FieldBase.Hex);
        _sessionId = setup.Field("pppoed.session_id", "Session ID", FieldType.UInt16, "Session id (0 until PADS assigns one)", FieldBase.Hex);
        _payloadLength = setup.Field("pppoed.payload_length", "Payload Length", FieldType.UInt16, "Length of the tags");
        _tag = setup.Field("pppoed.tag", "Tag", FieldType.UInt16, "Type of each tag", FieldBase.Hex);
        _tagLength = setup.Field("pppoed.tag_length", "Tag Length", FieldType.UInt16, "Length of each tag's value");
        _serviceName = setup.Field("pppoed.tags.service_name", "Service-Name", FieldType.String, "Service-Name tag (empty: any service)");
        _acName = setup.Field("pppoed.tags.ac_name", "AC-Name", FieldType.String, "AC-Name tag: the access concentrator");
        _hostUniq = setup.Field("pppoed.tags.host_uniq", "Host-Uniq", FieldType.Bytes, "Host-Uniq tag");
        _acCookie = setup.Field("pppoed.tags.ac_cookie", "AC-Cookie", FieldType.Bytes, "AC-Cookie tag");
        _truncated = setup.Anomaly("pppoed.truncated", "Fewer bytes than the 6-byte PPPoE header");
        _malformed = setup.Anomaly("pppoed.malformed", "The version/type is not 1/1, the payload length runs past the frame, or a tag runs past the payload");
        setup.AttachTo(TableNames.EtherType, EtherTypePppoeDiscovery);
    }

    public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data)
    {
        if (data.Length < PppoeHeader.Length)
        {
            context.Report(_truncated, 0, $"{data.Length} bytes, a PPPoE header needs {PppoeHeader.Length}");
            return DissectResult.Done(data.Length);
        }

        byte code = data[PppoeHeader.CodeOffset];
        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(data[PppoeHeader.PayloadLengthOffset..]);
        context.Add(_code, PppoeHeader.CodeOffset, 1, code);
        context.Add(_sessionId, PppoeHeader.SessionIdOffset, 2, BinaryPrimitives.ReadUInt16BigEndian(data[PppoeHeader.SessionIdOffset..]));
        context.Add(_payloadLength, PppoeHeader.PayloadLengthOffset, 2, (ulong)payloadLength);
        if (data[PppoeHeader.VersionTypeOffset] != PppoeHeader.ExpectedVersionType)
            context.Report(_malformed, 0, $"version/type {FallbackText.Hex2(data[0])}, RFC 2516 requires 0x11");

        int end = PppoeHeader.Length + payloadLength;
        if (end > data.Length)
        {
            context.Report(_malformed, PppoeHeader.PayloadLengthOffset, $"payload length {payloadLength}, {data.Length - PppoeHeader.Length} bytes follow the header");
            end = data.Length;
        }

        string? acName = null;
        int offset = PppoeHeader.Length;
        while (offset < end)
        {
            if (offset + TagHeaderLength > end)
            {
                context.Report(_malformed, offset, $"{end - offset} bytes left, a tag header needs {TagHeaderLength}");
                break;
            }

            int tag = BinaryPrimitives.ReadUInt16BigEndian(data[offset..]);
            int length = BinaryPrimitives.ReadUInt16BigEndian(data[(offset + 2)..]);
            context.Add(_tag, offset, 2, (ulong)tag);
            context.Add(_tagLength, offset + 2, 2, (ulong)length);
            int value = offset + TagHeaderLength;
            if (length > end - value)
            {
                context.Report(_malformed, offset, $"tag {FallbackText.Hex4(tag)} declares {length} bytes, {end - value} remain");
                break;
            }

            switch (tag)
            {
                case TagServiceName:
                    context.Add(_serviceName, value, length);
                    break;
                case TagAcName:
                    context.Add(_acName, value, length);
                    acName = System.Text.Encoding.UTF8.GetString(data.Slice(value, length));
                    break;
                case TagHostUniq:
                    context.Add(_hostUniq, value, length);
                    break;
                case TagAcCookie:
                    context.Add(_acCookie, value, length);
                    break;
            }

            offset = value + length;
            if (tag == TagEndOfList)
                break;
        }

        if (context.WantsDetail)
        {
            context.Info.Clear();
            context.Info.Append(CodeName(code));
            if (acName is not null)
                context.Info.Append(" AC-Name='").Append(acName).Append('\'');
        }

        return DissectResult.Done(end);
    }

    /// <summary>Discovery codes as Wireshark names them (RFC 2516 §5, RFC 4938 PADG/PADC/PADQ, RFC 5578…).</summary>
    private static string CodeName(byte code) => code switch
    {
        0x09 => "Active Discovery Initiation (PADI)",
        0x07 => "Active Discovery Offer (PADO)",
        0x19 => "Active Discovery Request (PADR)",
        0x65 => "Active Discovery Session-confirmation (PADS)",
        0xA7 => "Active Discovery Terminate (PADT)",
        _ => "PPPoE Discovery code " + FallbackText.Hex2(code),
    };
}

/// <summary>
/// PPPoE Session stage (RFC 2516 §6), EtherType 0x8864: the header, then the PPP frame (protocol field first) handed
/// to the <c>ppp</c> table, bounded by the payload length. Declares Wireshark's <c>pppoe.*</c> fields.
/// </summary>
[DissectorExport("pppoes", Priority = Fallback.Priority)]
public sealed class PppoeSession : IDissector
{
    private const int EtherTypePppoeSession = 0x8864;

    private FieldHandle _version, _type, _code, _sessionId, _payloadLength;
    private AnomalyHandle _truncated, _badLength;
    private TableHandle _ppp;

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("pppoes", "PPP-over-Ethernet Session", "PPPoE Session stage header (RFC 2516); the PPP frame follows");
        _version = setup.Field("pppoe.version", "Version", FieldType.UInt8, "PPPoE version (1)");
        _type = setup.Field("pppoe.type", "Type", FieldType.UInt8, "PPPoE type (1)");
        _code = setup.Field("pppoe.code", "Code", FieldType.UInt8, "Code (0 in the session stage)", FieldBase.Hex);
        _sessionId = setup.Field("pppoe.session_id", "Session ID", FieldType.UInt16, "Session id assigned by PADS", FieldBase.Hex);
        _payloadLength = setup.Field("pppoe.payload_length", "Payload Length", FieldType.UInt16, "Length of the PPP frame");
        _truncated = setup.Anomaly("pppoes.truncated", "Fewer bytes than the 6-byte PPPoE header");
        _badLength = setup.Anomaly("pppoes.malformed", "The version/type is not 1/1, the code is not 0, or the payload length runs past the frame");
        _ppp = setup.TableRef(TableNames.Ppp);
        setup.AttachTo(TableNames.EtherType, EtherTypePppoeSession);
    }

    public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data)
    {
        if (data.Length < PppoeHeader.Length)
        {
            context.Report(_truncated, 0, $"{data.Length} bytes, a PPPoE header needs {PppoeHeader.Length}");
            return DissectResult.Done(data.Length);
        }

        byte versionType = data[PppoeHeader.VersionTypeOffset];
        byte code = data[PppoeHeader.CodeOffset];
        ushort session = BinaryPrimitives.ReadUInt16BigEndian(data[PppoeHeader.SessionIdOffset..]);
        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(data[PppoeHeader.PayloadLengthOffset..]);
        context.Add(_version, PppoeHeader.VersionTypeOffset, 1, (ulong)(versionType >> 4));
        context.Add(_type, PppoeHeader.VersionTypeOffset, 1, (ulong)(versionType & 0x0F));
        context.Add(_code, PppoeHeader.CodeOffset, 1, code);
        context.Add(_sessionId, PppoeHeader.SessionIdOffset, 2, session);
        context.Add(_payloadLength, PppoeHeader.PayloadLengthOffset, 2, (ulong)payloadLength);
        if (versionType != PppoeHeader.ExpectedVersionType || code != 0)
            context.Report(_badLength, 0, $"version/type {FallbackText.Hex2(versionType)} code {FallbackText.Hex2(code)}, the session stage has 0x11 and 0x00");
        if (payloadLength > data.Length - PppoeHeader.Length)
        {
            context.Report(_badLength, PppoeHeader.PayloadLengthOffset, $"payload length {payloadLength}, {data.Length - PppoeHeader.Length} bytes follow the header");
            payloadLength = data.Length - PppoeHeader.Length;
        }

        if (context.WantsDetail)
        {
            context.Info.Clear();
            context.Info.Append("PPPoE Session ").Append(FallbackText.Hex4(session));
        }

        if (payloadLength == 0)
            return DissectResult.Done(PppoeHeader.Length);
        return DissectResult.Next(PppoeHeader.Length, _ppp, 0, payloadLength);
    }
}

/// <summary>
/// Point-to-Point Protocol without HDLC framing (RFC 1661 §2), as PPPoE carries it: the protocol field (two bytes,
/// or one when compressed: RFC 1661 §6.5), then IPv4, IPv6 or MPLS handed to <c>ethertype</c>; other protocols (LCP,
/// IPCP, PAP, CHAP…) to <c>ppp.protocol</c>.
/// </summary>
[DissectorExport("ppp", Priority = Fallback.Priority)]
public sealed class Ppp : IDissector
{
    private const int ProtocolIPv4 = 0x0021, ProtocolIPv6 = 0x0057, ProtocolMplsUnicast = 0x0281, ProtocolMplsMulticast = 0x0283;
    private const int EtherTypeIPv4 = 0x0800, EtherTypeIPv6 = 0x86DD, EtherTypeMplsUnicast = 0x8847, EtherTypeMplsMulticast = 0x8848;

    private FieldHandle _protocol;
    private AnomalyHandle _truncated;
    private TableHandle _ethertype, _pppProtocol;

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("ppp", "Point-to-Point Protocol", "PPP protocol field without HDLC framing (RFC 1661), as PPPoE carries it");
        _protocol = setup.Field("ppp.protocol", "Protocol", FieldType.UInt16, "PPP protocol (0x0021 IPv4, 0x0057 IPv6, 0xc021 LCP, 0x8021 IPCP…)", FieldBase.Hex);
        _truncated = setup.Anomaly("ppp.truncated", "No byte, or one byte of an uncompressed protocol field");
        setup.Table(TableNames.Ppp, "PPP frames without HDLC framing, key 0 (PPPoE session payload)", 8);
        _pppProtocol = setup.Table(TableNames.PppProtocol, "PPP protocol of a payload other than IP or MPLS (LCP 0xc021, IPCP 0x8021…)", 16);
        _ethertype = setup.TableRef(TableNames.EtherType);
        setup.AttachTo(TableNames.Ppp, 0);
    }

    public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data)
    {
        // RFC 1661 §2: protocol values have an odd low byte and an even high byte, so an odd first byte is a compressed one-byte field.
        int length = data.Length > 0 && (data[0] & 1) != 0 ? 1 : 2;
        if (data.Length < length)
        {
            context.Report(_truncated, 0, $"{data.Length} bytes, the PPP protocol field needs {length}");
            return DissectResult.Done(data.Length);
        }

        int protocol = length == 1 ? data[0] : BinaryPrimitives.ReadUInt16BigEndian(data);
        context.Add(_protocol, 0, length, (ulong)protocol);
        if (context.WantsDetail)
        {
            context.Info.Clear();
            context.Info.Append(ProtocolName(protocol));
        }

        int etherType = protocol switch
        {
            ProtocolIPv4 => EtherTypeIPv4,
            ProtocolIPv6 => EtherTypeIPv6,
            ProtocolMplsUnicast => EtherTypeMplsUnicast,
            ProtocolMplsMulticast => EtherTypeMplsMulticast,
            _ => -1,
        };
        if (data.Length == length)
            return DissectResult.Done(length);
        return etherType >= 0 ? DissectResult.Next(length, _ethertype, etherType) : DissectResult.Next(length, _pppProtocol, protocol);
    }

    private static string ProtocolName(int protocol) => protocol switch
    {
        0xC021 => "PPP LCP",
        0x8021 => "PPP IPCP",
        0x8057 => "PPP IPV6CP",
        0xC023 => "PPP PAP",
        0xC223 => "PPP CHAP",
        0x80FD => "PPP CCP",
        _ => "PPP protocol " + FallbackText.Hex4(protocol),
    };
}
