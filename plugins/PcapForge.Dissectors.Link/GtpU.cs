using System.Buffers.Binary;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissectors.Link;

/// <summary>
/// GTP-U, the user plane of the GPRS Tunnelling Protocol (3GPP TS 29.281 section 5): flags, message type, length,
/// tunnel endpoint id; with any of the E, S or PN flags, a sequence number, an N-PDU number and the next extension
/// header type; then extension headers, each with its length in 4-byte units. A G-PDU (type 255) carries an IPv4 or
/// IPv6 packet, decoded through <c>ethertype</c>. Attaches to <c>udp.port</c> 2152.
/// </summary>
[DissectorExport("gtp")]
public sealed class GtpU : IDissector
{
    private const int UdpPort = 2152;
    private const int MandatoryLength = 8;
    private const int OptionalLength = 4;
    private const byte GPdu = 0xFF;
    private const byte FlagE = 0x04, FlagS = 0x02, FlagPn = 0x01;
    private const int MaxExtensionHeaders = 16;

    private FieldHandle _flags, _version, _message, _length, _teid, _seq, _npdu, _nextExt;
    private AnomalyHandle _truncated, _badVersion;
    private TableHandle _ethertype;

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("gtp", "GPRS Tunneling Protocol", "GTP-U user plane header (3GPP TS 29.281)");
        _flags = setup.Field("gtp.flags", "Flags", FieldType.UInt8, "Version, protocol type, E, S and PN flags", FieldBase.Hex);
        _version = setup.Field("gtp.flags.version", "Version", FieldType.UInt8, "GTP version (1)");
        _message = setup.Field("gtp.message", "Message Type", FieldType.UInt8, "Message type (255: G-PDU)", FieldBase.Hex);
        _length = setup.Field("gtp.length", "Length", FieldType.UInt16, "Length after the mandatory 8 bytes");
        _teid = setup.Field("gtp.teid", "TEID", FieldType.UInt32, "Tunnel endpoint identifier");
        _seq = setup.Field("gtp.seq_number", "Sequence number", FieldType.UInt16, "Sequence number (present with E, S or PN)");
        _npdu = setup.Field("gtp.npdu_number", "N-PDU Number", FieldType.UInt8, "N-PDU number (present with E, S or PN)", FieldBase.Hex);
        _nextExt = setup.Field("gtp.ext_hdr.next", "Next extension header type", FieldType.UInt8, "Type of the next extension header (0: none)", FieldBase.Hex);
        _truncated = setup.Anomaly("gtp.truncated", "Fewer bytes than the header and its extension headers");
        _badVersion = setup.Anomaly("gtp.version_invalid", "A GTP-U header whose version is not 1");
        _ethertype = setup.TableRef(TableNames.EtherType);
        setup.AttachTo(TableNames.UdpPort, UdpPort);
    }

    public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data)
    {
        if (data.Length < MandatoryLength)
        {
            context.Report(_truncated, 0, $"{data.Length} bytes, a GTP-U header needs {MandatoryLength}");
            return DissectResult.Done(data.Length);
        }

        byte flags = data[0];
        int version = flags >> 5;
        byte message = data[1];
        ushort length = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
        context.Add(_flags, 0, 1, flags);
        context.Add(_version, 0, 1, (ulong)version);
        context.Add(_message, 1, 1, message);
        context.Add(_length, 2, 2, length);
        context.Add(_teid, 4, 4, BinaryPrimitives.ReadUInt32BigEndian(data[4..]));
        if (version != 1)
        {
            context.Report(_badVersion, 0, $"version {version}");
            return DissectResult.Done(MandatoryLength);
        }

        int offset = MandatoryLength;
        if ((flags & (FlagE | FlagS | FlagPn)) != 0)
        {
            if (data.Length < offset + OptionalLength)
            {
                context.Report(_truncated, offset, "the sequence number, N-PDU number and next extension type are cut off");
                return DissectResult.Done(data.Length);
            }

            context.Add(_seq, offset, 2, BinaryPrimitives.ReadUInt16BigEndian(data[offset..]));
            context.Add(_npdu, offset + 2, 1, data[offset + 2]);
            byte next = data[offset + 3];
            context.Add(_nextExt, offset + 3, 1, next);
            offset += OptionalLength;

            // Extension headers: length in 4-byte units, the last byte names the next one (TS 29.281 section 5.2).
            for (int count = 0; (flags & FlagE) != 0 && next != 0; count++)
            {
                if (count == MaxExtensionHeaders || data.Length <= offset || data[offset] == 0 || data.Length < offset + data[offset] * 4)
                {
                    context.Report(_truncated, offset, "an extension header is cut off, has length 0, or there are too many");
                    return DissectResult.Done(Math.Min(offset, data.Length));
                }

                int extLength = data[offset] * 4;
                next = data[offset + extLength - 1];
                context.Add(_nextExt, offset + extLength - 1, 1, next);
                offset += extLength;
            }
        }

        if (context.WantsDetail)
        {
            context.Info.Clear();
            context.Info.Append("GTP-U message 0x").Append(message.ToString("x2"));
        }

        if (message != GPdu || data.Length <= offset)
            return DissectResult.Done(offset);
        int ipVersion = IpVersion.Of(data[offset]);
        int payload = Math.Max(0, MandatoryLength + length - offset);
        return ipVersion switch
        {
            IpVersion.V4 => DissectResult.Next(offset, _ethertype, EtherTypes.IPv4, payload),
            IpVersion.V6 => DissectResult.Next(offset, _ethertype, EtherTypes.IPv6, payload),
            _ => DissectResult.Done(offset),
        };
    }
}
