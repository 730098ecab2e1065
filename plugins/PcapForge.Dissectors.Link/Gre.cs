using System.Buffers.Binary;
using PcapForge.Abstractions;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissectors.Link;

/// <summary>
/// Generic Routing Encapsulation: flags and version, protocol type (an EtherType), then the optional checksum and
/// offset (RFC 2784 §2.1, offset and routing from RFC 1701 §2.1), key and sequence number (RFC 2890 §2), and for
/// version 1 (Enhanced GRE of PPTP, RFC 2637 §4.1) the payload length and call id in the key, and the
/// acknowledgement number. The payload goes on through <c>ethertype</c>; Transparent Ethernet Bridging (0x6558)
/// through the link-type table at LINKTYPE_ETHERNET. Attaches to <c>ip.proto</c> 47.
/// </summary>
[DissectorExport("gre")]
public sealed class Gre : IDissector
{
    private const int FlagsOffset = 0;
    private const int ProtocolOffset = 2;
    private const int BaseHeaderLength = 4;
    private const int IpProtocolNumber = 47;

    // Flags and version word (RFC 1701 §2.1, RFC 2637 §4.1).
    private const int FlagChecksum = 0x8000;
    private const int FlagRouting = 0x4000;
    private const int FlagKey = 0x2000;
    private const int FlagSequence = 0x1000;
    private const int FlagAck = 0x0080;
    private const int VersionMask = 0x0007;
    private const int VersionGre = 0, VersionEnhanced = 1;

    private const int ChecksumFieldLength = 4; // checksum(2) + offset/reserved1(2)
    private const int KeyLength = 4;
    private const int SequenceLength = 4;
    private const int AckLength = 4;

    /// <summary>A source route entry: address family(2), SRE offset(1), SRE length(1), routing information (RFC 1701 §2.1).</summary>
    private const int SreHeaderLength = 4;
    private const int SreLengthOffset = 3;

    private FieldHandle _flagsAndVersion, _flagChecksum, _flagRouting, _flagKey, _flagSequence, _flagAck, _version, _proto,
        _checksum, _checksumStatus, _offset, _key, _keyPayloadLength, _keyCallId, _sequence, _ack;
    private AnomalyHandle _truncated, _badVersion, _badChecksum;
    private TableHandle _ethertype, _linkType;

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("gre", "Generic Routing Encapsulation", "GRE header (RFC 2784, RFC 2890; enhanced GRE of PPTP, RFC 2637)");
        _flagsAndVersion = setup.Field("gre.flags_and_version", "Flags and Version", FieldType.UInt16, "Flags and version word", FieldBase.Hex);
        _flagChecksum = setup.Field("gre.flags.checksum", "Checksum Bit", FieldType.Boolean, "A checksum is present");
        _flagRouting = setup.Field("gre.flags.routing", "Routing Bit", FieldType.Boolean, "Routing information is present (RFC 1701)");
        _flagKey = setup.Field("gre.flags.key", "Key Bit", FieldType.Boolean, "A key is present");
        _flagSequence = setup.Field("gre.flags.sequence_number", "Sequence Number Bit", FieldType.Boolean, "A sequence number is present");
        _flagAck = setup.Field("gre.flags.ack", "Acknowledgment", FieldType.Boolean, "An acknowledgement number is present (version 1)");
        _version = setup.Field("gre.flags.version", "Version", FieldType.UInt16, "0 GRE, 1 enhanced GRE (PPTP)");
        _proto = setup.Field("gre.proto", "Protocol Type", FieldType.UInt16, "EtherType of the payload", FieldBase.Hex);
        _checksum = setup.Field("gre.checksum", "Checksum", FieldType.UInt16, "Checksum of header and payload", FieldBase.Hex);
        _checksumStatus = setup.Field("gre.checksum.status", "Checksum Status", FieldType.UInt8, "0 bad, 1 good (absent when not verified)");
        _offset = setup.Field("gre.offset", "Offset", FieldType.UInt16, "Offset to the active source route entry (RFC 1701)");
        _key = setup.Field("gre.key", "Key", FieldType.UInt32, "Key (RFC 2890)", FieldBase.Hex);
        _keyPayloadLength = setup.Field("gre.key.payload_length", "Payload Length", FieldType.UInt16, "Payload length, in the key of version 1");
        _keyCallId = setup.Field("gre.key.call_id", "Call ID", FieldType.UInt16, "PPTP call id, in the key of version 1");
        _sequence = setup.Field("gre.sequence_number", "Sequence Number", FieldType.UInt32, "Sequence number (RFC 2890)");
        _ack = setup.Field("gre.ack_number", "Acknowledgment Number", FieldType.UInt32, "Acknowledgement number (version 1)");
        _truncated = setup.Anomaly("gre.truncated", "Fewer bytes than the GRE header its flags describe");
        _badVersion = setup.Anomaly("gre.unknown_version", "A GRE version other than 0 and 1; the payload is not decoded");
        _badChecksum = setup.Anomaly("gre.checksum_bad", "The GRE checksum does not match the header and payload");
        _ethertype = setup.TableRef(TableNames.EtherType);
        _linkType = setup.TableRef(DissectorRegistryNames.LinkType);
        setup.AttachTo(TableNames.IpProto, IpProtocolNumber);
    }

    public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data)
    {
        if (data.Length < BaseHeaderLength)
        {
            if (data.Length >= ProtocolOffset)
                context.Add(_flagsAndVersion, FlagsOffset, 2, BinaryPrimitives.ReadUInt16BigEndian(data));
            context.Report(_truncated, 0, $"{data.Length} bytes, a GRE header needs {BaseHeaderLength}");
            return DissectResult.Done(data.Length);
        }

        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(data[FlagsOffset..]);
        ushort protocol = BinaryPrimitives.ReadUInt16BigEndian(data[ProtocolOffset..]);
        int version = flags & VersionMask;
        context.Add(_flagsAndVersion, FlagsOffset, 2, flags);
        context.Add(_flagChecksum, FlagsOffset, 2, (flags & FlagChecksum) != 0 ? 1UL : 0);
        context.Add(_flagRouting, FlagsOffset, 2, (flags & FlagRouting) != 0 ? 1UL : 0);
        context.Add(_flagKey, FlagsOffset, 2, (flags & FlagKey) != 0 ? 1UL : 0);
        context.Add(_flagSequence, FlagsOffset, 2, (flags & FlagSequence) != 0 ? 1UL : 0);
        if (version == VersionEnhanced)
            context.Add(_flagAck, FlagsOffset, 2, (flags & FlagAck) != 0 ? 1UL : 0);
        context.Add(_version, FlagsOffset, 2, (ulong)version);
        context.Add(_proto, ProtocolOffset, 2, protocol);
        if (version is not (VersionGre or VersionEnhanced))
        {
            context.Report(_badVersion, FlagsOffset, $"version {version}");
            return DissectResult.Done(BaseHeaderLength);
        }

        int offset = BaseHeaderLength;
        bool routing = (flags & FlagRouting) != 0;
        if ((flags & (FlagChecksum | FlagRouting)) != 0)
        {
            // RFC 1701: both fields are present when either the checksum or the routing bit is set.
            if (!Fits(context, data, offset, ChecksumFieldLength))
                return DissectResult.Done(data.Length);
            ushort checksum = BinaryPrimitives.ReadUInt16BigEndian(data[offset..]);
            context.Add(_checksum, offset, 2, checksum);
            context.Add(_offset, offset + 2, 2, BinaryPrimitives.ReadUInt16BigEndian(data[(offset + 2)..]));
            int declared = context.DeclaredLength;
            if ((flags & FlagChecksum) != 0 && declared >= BaseHeaderLength && data.Length >= declared)
            {
                bool good = InternetChecksum.Compute(data[..declared]) == 0;
                context.Add(_checksumStatus, offset, 2, good ? InternetChecksum.StatusGood : InternetChecksum.StatusBad);
                if (!good)
                    context.Report(_badChecksum, offset, $"checksum 0x{checksum:x4} does not match the {declared}-byte packet");
            }

            offset += ChecksumFieldLength;
        }

        if ((flags & FlagKey) != 0)
        {
            if (!Fits(context, data, offset, KeyLength))
                return DissectResult.Done(data.Length);
            if (version == VersionEnhanced)
            {
                context.Add(_keyPayloadLength, offset, 2, BinaryPrimitives.ReadUInt16BigEndian(data[offset..]));
                context.Add(_keyCallId, offset + 2, 2, BinaryPrimitives.ReadUInt16BigEndian(data[(offset + 2)..]));
            }
            else
            {
                context.Add(_key, offset, KeyLength, BinaryPrimitives.ReadUInt32BigEndian(data[offset..]));
            }

            offset += KeyLength;
        }

        if ((flags & FlagSequence) != 0)
        {
            if (!Fits(context, data, offset, SequenceLength))
                return DissectResult.Done(data.Length);
            context.Add(_sequence, offset, SequenceLength, BinaryPrimitives.ReadUInt32BigEndian(data[offset..]));
            offset += SequenceLength;
        }

        if (version == VersionEnhanced && (flags & FlagAck) != 0)
        {
            if (!Fits(context, data, offset, AckLength))
                return DissectResult.Done(data.Length);
            context.Add(_ack, offset, AckLength, BinaryPrimitives.ReadUInt32BigEndian(data[offset..]));
            offset += AckLength;
        }

        if (routing)
        {
            // Source route entries up to the null entry (address family 0, length 0).
            while (true)
            {
                if (!Fits(context, data, offset, SreHeaderLength))
                    return DissectResult.Done(data.Length);
                int family = BinaryPrimitives.ReadUInt16BigEndian(data[offset..]);
                int length = data[offset + SreLengthOffset];
                offset += SreHeaderLength;
                if (family == 0 && length == 0)
                    break;
                if (!Fits(context, data, offset, length))
                    return DissectResult.Done(data.Length);
                offset += length;
            }
        }

        if (context.WantsDetail)
        {
            context.Info.Clear();
            context.Info.Append("GRE encapsulated ").AppendHex4(protocol);
        }

        if (offset >= data.Length)
            return DissectResult.Done(offset);
        if (protocol == EtherTypes.TransparentEthernetBridging)
            return DissectResult.Next(offset, _linkType, LinkTypes.Ethernet);
        return DissectResult.Next(offset, _ethertype, protocol);
    }

    private bool Fits(PacketContext context, ReadOnlySpan<byte> data, int offset, int length)
    {
        if (offset + length <= data.Length)
            return true;
        context.Report(_truncated, offset, $"{data.Length} bytes, the GRE header's flags need {offset + length}");
        return false;
    }
}
