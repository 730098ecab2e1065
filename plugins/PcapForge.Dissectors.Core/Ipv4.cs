using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissectors.Core;

/// <summary>
/// IPv4 (RFC 791): header with options, the header checksum verified, fragments recognised (their payload is
/// not decoded until reassembly), payload bounded by the total length. Declares <c>ip.proto</c>.
/// </summary>
[DissectorExport("ip")]
public sealed class Ipv4 : IDissector
{
    private const int MinHeaderLength = 20;
    private const int VersionOffset = 0;
    private const int DsfieldOffset = 1;
    private const int TotalLengthOffset = 2;
    private const int IdOffset = 4;
    private const int FlagsOffset = 6;
    private const int TtlOffset = 8;
    private const int ProtocolOffset = 9;
    private const int ChecksumOffset = 10;
    private const int SourceOffset = 12;
    private const int DestinationOffset = 16;
    private const int FragmentOffsetMask = 0x1FFF;
    private const int MoreFragmentsBit = 0x2000;
    private const int DontFragmentBit = 0x4000;
    private const int ReservedBit = 0x8000;

    /// <summary>Values a header records.</summary>
    private const int ExpectedFields = 13;

    /// <summary>The three flag bits are the top of the 16-bit flags-and-offset word; <c>ip.flags</c> is them alone.</summary>
    private const int FlagsShift = 13;

    // RFC 2474 section 3 and RFC 3168 section 5: the DS field is a 6-bit code point and the 2-bit ECN field.
    private const ulong DscpMask = 0xFC;
    private const ulong EcnMask = 0x03;

    private FieldHandle _version, _hdrLen, _dsfield, _len, _id, _flags, _fragOffset, _ttl, _proto,
        _checksum, _checksumStatus, _src, _dst;
    private AnomalyHandle _truncated, _badVersion, _badHeaderLength, _badTotalLength, _badChecksum;
    private TableHandle _ipProto;

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("ip", "Internet Protocol Version 4", "IPv4 header (RFC 791)");
        _version = setup.Field("ip.version", "Version", FieldType.UInt8, "IP version (4)");
        _hdrLen = setup.Field("ip.hdr_len", "Header Length", FieldType.UInt8, "Header length in bytes (IHL × 4)");
        _dsfield = setup.Field("ip.dsfield", "Differentiated Services Field", FieldType.UInt8, "DS field (RFC 2474) with ECN (RFC 3168)", FieldBase.Hex);
        setup.BitmaskField("ip.dsfield.dscp", "DSCP", FieldType.UInt8, "Differentiated services code point", _dsfield, DscpMask);
        setup.BitmaskField("ip.dsfield.ecn", "ECN", FieldType.UInt8, "Explicit congestion notification", _dsfield, EcnMask);
        _len = setup.Field("ip.len", "Total Length", FieldType.UInt16, "Length of header and payload");
        _id = setup.Field("ip.id", "Identification", FieldType.UInt16, "Identification, shared by the fragments of a datagram", FieldBase.Hex);
        _flags = setup.Field("ip.flags", "Flags", FieldType.UInt8, "The three flag bits", FieldBase.Hex);
        setup.BitmaskField("ip.flags.rb", "Reserved bit", FieldType.Boolean, "Reserved (evil) bit", _flags, ReservedBit >> FlagsShift);
        setup.BitmaskField("ip.flags.df", "Don't fragment", FieldType.Boolean, "Don't fragment", _flags, DontFragmentBit >> FlagsShift);
        setup.BitmaskField("ip.flags.mf", "More fragments", FieldType.Boolean, "More fragments follow", _flags, MoreFragmentsBit >> FlagsShift);
        _fragOffset = setup.Field("ip.frag_offset", "Fragment Offset", FieldType.UInt16, "Offset of this fragment's data in bytes");
        _ttl = setup.Field("ip.ttl", "Time to Live", FieldType.UInt8, "Time to live");
        _proto = setup.Field("ip.proto", "Protocol", FieldType.UInt8, "Protocol of the payload (IANA protocol number)");
        _checksum = setup.Field("ip.checksum", "Header Checksum", FieldType.UInt16, "Header checksum as sent", FieldBase.Hex);
        _checksumStatus = setup.Field("ip.checksum.status", "Header checksum status", FieldType.UInt8, "0 bad, 1 good");
        _src = setup.Field("ip.src", "Source Address", FieldType.IPv4, "Source address");
        _dst = setup.Field("ip.dst", "Destination Address", FieldType.IPv4, "Destination address");
        setup.EitherField("ip.addr", "Source or Destination Address", FieldType.IPv4, "Source or destination address (matches either)", _src, _dst);
        _truncated = setup.Anomaly("ip.truncated", "Fewer bytes than an IPv4 header");
        _badVersion = setup.Anomaly("ip.version_invalid", "The version field of a packet sent as IPv4 is not 4");
        _badHeaderLength = setup.Anomaly("ip.hdr_len_invalid", "The header length is under 20 bytes or past the captured bytes");
        _badTotalLength = setup.Anomaly("ip.len_invalid", "The total length is smaller than the header, or larger than the frame that carried it");
        _badChecksum = setup.Anomaly("ip.checksum_bad", "The header checksum does not match the header");
        _ipProto = setup.Table("ip.proto", "IP protocol number of an IPv4 or IPv6 payload", 8);
        setup.AttachTo("ethertype", 0x0800);
        setup.AttachTo("ip.proto", 4); // IP in IP (RFC 2003)
    }

    public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data)
    {
        if (data.Length < MinHeaderLength)
            return Truncated(context, data.Length);

        int version = data[VersionOffset] >> 4;
        int headerLength = (data[VersionOffset] & 0x0F) * 4;
        if (version != 4)
        {
            context.Add(_version, VersionOffset, 1, (ulong)version);
            return BadVersion(context, version);
        }

        if (headerLength < MinHeaderLength || headerLength > data.Length)
        {
            context.Add(_version, VersionOffset, 1, (ulong)version);
            context.Add(_hdrLen, VersionOffset, 1, (ulong)headerLength);
            return BadHeaderLength(context, headerLength, data.Length);
        }

        byte ds = data[DsfieldOffset];
        ushort totalLength = BinaryPrimitives.ReadUInt16BigEndian(data[TotalLengthOffset..]);
        ushort flagsAndOffset = BinaryPrimitives.ReadUInt16BigEndian(data[FlagsOffset..]);
        int fragmentOffset = (flagsAndOffset & FragmentOffsetMask) * 8;
        byte protocol = data[ProtocolOffset];
        ushort checksum = BinaryPrimitives.ReadUInt16BigEndian(data[ChecksumOffset..]);
        bool checksumGood = InternetChecksum.Compute(data[..headerLength]) == 0;
        var fields = context.BeginFields(ExpectedFields);
        fields.Add(_version, VersionOffset, 1, (ulong)version);
        fields.Add(_hdrLen, VersionOffset, 1, (ulong)headerLength);
        fields.Add(_dsfield, DsfieldOffset, 1, ds); // ip.dsfield.dscp and .ecn are derived from it
        fields.Add(_len, TotalLengthOffset, 2, totalLength);
        fields.Add(_id, IdOffset, 2, BinaryPrimitives.ReadUInt16BigEndian(data[IdOffset..]));
        fields.Add(_flags, FlagsOffset, 1, (ulong)(flagsAndOffset >> FlagsShift)); // ip.flags.rb, .df and .mf are derived from it
        fields.Add(_fragOffset, FlagsOffset, 2, (ulong)fragmentOffset);
        fields.Add(_ttl, TtlOffset, 1, data[TtlOffset]);
        fields.Add(_proto, ProtocolOffset, 1, protocol);
        fields.Add(_checksum, ChecksumOffset, 2, checksum);
        fields.Add(_checksumStatus, ChecksumOffset, 2, checksumGood ? InternetChecksum.StatusGood : InternetChecksum.StatusBad);
        fields.Add(_src, SourceOffset, 4);
        fields.Add(_dst, DestinationOffset, 4); // ip.addr (source, destination) is derived from these two
        fields.End();
        if (!checksumGood)
            ReportBadChecksum(context, checksum);

        // The frame may carry Ethernet padding after the datagram (payload bounded by the total length), or be
        // cut by the snaplen (then the payload is what was captured, and that is not an anomaly).
        int payloadLength = totalLength - headerLength;
        if (totalLength < headerLength || totalLength > data.Length)
            payloadLength = CheckTotalLength(context, totalLength, headerLength, data.Length);

        if (context.WantsDetail) // an ICMP error froze the summary before its quote (PacketContext.FreezeSummary)
            Describe(context, protocol, fragmentOffset, (flagsAndOffset & MoreFragmentsBit) != 0);

        // A fragment goes to the engine's reassembly (RFC 791 section 3.2: same source, destination, protocol and
        // identification). The first one starts with the transport header (ports, flags) and is decoded, marked
        // partial, so the flow is known before reassembly; the one that completes the datagram has its payload
        // decoded from the reassembled bytes.
        // RFC 9293 section 3.1 / RFC 768: the transport checksum covers a pseudo-header of the addresses, the
        // protocol and the transport length (added by the transport dissector, which knows it).
        context.PseudoHeaderSum = InternetChecksum.Sum(data.Slice(SourceOffset, 8)) + protocol;

        bool more = (flagsAndOffset & MoreFragmentsBit) != 0;
        if (fragmentOffset != 0 || more)
            return Fragment(context, data, headerLength, protocol, fragmentOffset, more, payloadLength);

        return DissectResult.Next(headerLength, _ipProto, protocol, payloadLength);
    }

    // The rare cases, out of line: the frame path's stack frame then holds no interpolated-string handler or
    // fragment key, which would be zeroed on every call whether used or not.

    [MethodImpl(MethodImplOptions.NoInlining)]
    private DissectResult Truncated(PacketContext context, int length)
    {
        context.Report(_truncated, 0, $"{length} bytes, an IPv4 header needs {MinHeaderLength}");
        return DissectResult.Done(length);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private DissectResult BadVersion(PacketContext context, int version)
    {
        context.Report(_badVersion, VersionOffset, $"version {version}");
        return DissectResult.Done(1);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private DissectResult BadHeaderLength(PacketContext context, int headerLength, int captured)
    {
        context.Report(_badHeaderLength, VersionOffset, $"header length {headerLength}, captured {captured}");
        return DissectResult.Done(Math.Min(captured, MinHeaderLength));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ReportBadChecksum(PacketContext context, ushort checksum) =>
        context.Report(_badChecksum, ChecksumOffset, $"header checksum 0x{checksum:x4} does not match the header");

    /// <summary>A total length shorter than the header, or longer than the bytes at hand; returns the payload length to use.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int CheckTotalLength(PacketContext context, int totalLength, int headerLength, int captured)
    {
        if (totalLength < headerLength)
        {
            context.Report(_badTotalLength, TotalLengthOffset, $"total length {totalLength} is less than the header length {headerLength}");
            return captured - headerLength;
        }

        // An inner header quoted by an ICMP error is expected to be cut short; an outer one is not.
        if (!context.Frame.IsTruncated && !context.IsNested)
            context.Report(_badTotalLength, TotalLengthOffset, $"total length {totalLength} is more than the {captured} bytes the frame carries");
        return totalLength - headerLength;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Describe(PacketContext context, byte protocol, int fragmentOffset, bool more)
    {
        context.Info.Clear();
        context.Info.Append("IPv4 proto ").Append(protocol);
        if (fragmentOffset != 0 || more)
            context.Info.Append(" fragment off=").Append(fragmentOffset).Append(more ? " MF" : "");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private DissectResult Fragment(PacketContext context, ReadOnlySpan<byte> data, int headerLength, byte protocol, int fragmentOffset, bool more,
        int payloadLength)
    {
        var key = new FragmentKey(4, BinaryPrimitives.ReadUInt32BigEndian(data[SourceOffset..]), BinaryPrimitives.ReadUInt32BigEndian(data[DestinationOffset..]),
            BinaryPrimitives.ReadUInt16BigEndian(data[IdOffset..]), protocol);
        context.DeclareFragment(new FragmentInfo(key, fragmentOffset, more));
        return fragmentOffset == 0
            ? DissectResult.NextPartial(headerLength, _ipProto, protocol, payloadLength)
            : DissectResult.Next(headerLength, _ipProto, protocol, payloadLength);
    }
}
