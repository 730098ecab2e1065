using System.Buffers.Binary;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissectors.Core;

/// <summary>
/// IPv6 (RFC 8200) with its extension headers: hop-by-hop options, routing, destination options, fragment, and
/// the authentication header's length (RFC 4302). The payload after the last extension header goes to
/// <c>ip.proto</c>; a fragment other than the first is not decoded further.
/// </summary>
[DissectorExport("ipv6")]
public sealed class Ipv6 : IDissector
{
    private const int HeaderLength = 40;
    private const int PayloadLengthOffset = 4;
    private const int NextHeaderOffset = 6;
    private const int HopLimitOffset = 7;
    private const int SourceOffset = 8;
    private const int DestinationOffset = 24;

    // Extension header numbers (IANA "IPv6 Extension Header Types").
    private const byte HopByHop = 0;
    private const byte Routing = 43;
    private const byte Fragment = 44;
    private const byte Authentication = 51;
    private const byte DestinationOptions = 60;
    private const byte Mobility = 135;
    private const int FragmentHeaderLength = 8;

    /// <summary>At most this many extension headers are walked; more is an anomaly (and a classic evasion).</summary>
    private const int MaxExtensionHeaders = 16;

    private FieldHandle _version, _tclass, _flow, _plen, _nxt, _hlim, _src, _dst, _routingType, _segmentsLeft, _finalDst, _fragOffset, _fragMore, _fragIdent;
    private AnomalyHandle _truncated, _badVersion, _extTruncated, _tooManyExt, _plenInvalid;
    private TableHandle _ipProto;

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("ipv6", "Internet Protocol Version 6", "IPv6 header and extension headers (RFC 8200)");
        _version = setup.Field("ipv6.version", "Version", FieldType.UInt8, "IP version (6)");
        _tclass = setup.Field("ipv6.tclass", "Traffic Class", FieldType.UInt32, "Traffic class (DSCP and ECN)", FieldBase.Hex);
        _flow = setup.Field("ipv6.flow", "Flow Label", FieldType.UInt24, "Flow label", FieldBase.Hex);
        _plen = setup.Field("ipv6.plen", "Payload Length", FieldType.UInt16, "Length of the payload including extension headers");
        _nxt = setup.Field("ipv6.nxt", "Next Header", FieldType.UInt8, "Next header after the fixed header");
        _hlim = setup.Field("ipv6.hlim", "Hop Limit", FieldType.UInt8, "Hop limit");
        _src = setup.Field("ipv6.src", "Source Address", FieldType.IPv6, "Source address");
        _dst = setup.Field("ipv6.dst", "Destination Address", FieldType.IPv6, "Destination address");
        setup.EitherField("ipv6.addr", "Source or Destination Address", FieldType.IPv6, "Source or destination address (matches either)", _src, _dst);
        _routingType = setup.Field("ipv6.routing.type", "Routing Type", FieldType.UInt8, "Type of a routing extension header");
        _segmentsLeft = setup.Field("ipv6.routing.segleft", "Segments Left", FieldType.UInt8, "Route segments still to visit before the final destination");
        _finalDst = setup.Field("ipv6.final_dst", "Final Destination", FieldType.IPv6,
            "PcapForge's: the destination a source routing header (type 0 or 4) with segments left names as final; the flow key, the upper-layer checksum (RFC 8200 section 8.1) and tshark's conversations use it instead of ipv6.dst");
        _fragOffset = setup.Field("ipv6.fraghdr.offset", "Offset", FieldType.UInt16, "Fragment offset in 8-byte units");
        _fragMore = setup.Field("ipv6.fraghdr.more", "More Fragments", FieldType.Boolean, "More fragments follow");
        _fragIdent = setup.Field("ipv6.fraghdr.ident", "Identification", FieldType.UInt32, "Fragment identification", FieldBase.Hex);
        _truncated = setup.Anomaly("ipv6.truncated", "Fewer bytes than an IPv6 header");
        _badVersion = setup.Anomaly("ipv6.version_invalid", "The version field of a packet sent as IPv6 is not 6");
        _extTruncated = setup.Anomaly("ipv6.ext_header_truncated", "An extension header runs past the captured bytes or the payload length");
        _tooManyExt = setup.Anomaly("ipv6.too_many_ext_headers", $"More than {MaxExtensionHeaders} extension headers");
        _plenInvalid = setup.Anomaly("ipv6.plen_invalid", "The payload length is larger than the frame that carried it");
        _ipProto = setup.TableRef("ip.proto");
        setup.AttachTo("ethertype", 0x86DD);
        setup.AttachTo("ip.proto", 41); // IPv6 in IPv4 or IPv6 (RFC 4213, RFC 2473)
    }

    public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data)
    {
        if (data.Length < HeaderLength)
        {
            context.Report(_truncated, 0, $"{data.Length} bytes, an IPv6 header needs {HeaderLength}");
            return DissectResult.Done(data.Length);
        }

        uint first = BinaryPrimitives.ReadUInt32BigEndian(data);
        int version = (int)(first >> 28);
        context.Add(_version, 0, 1, (ulong)version);
        if (version != 6)
        {
            context.Report(_badVersion, 0, $"version {version}");
            return DissectResult.Done(1);
        }

        context.Add(_tclass, 0, 2, (first >> 20) & 0xFF);
        context.Add(_flow, 1, 3, first & 0xFFFFF);
        ushort payloadLength = BinaryPrimitives.ReadUInt16BigEndian(data[PayloadLengthOffset..]);
        context.Add(_plen, PayloadLengthOffset, 2, payloadLength);
        byte next = data[NextHeaderOffset];
        context.Add(_nxt, NextHeaderOffset, 1, next);
        context.Add(_hlim, HopLimitOffset, 1, data[HopLimitOffset]);
        context.Add(_src, SourceOffset, 16);
        context.Add(_dst, DestinationOffset, 16); // ipv6.addr (source, destination) is derived from these two
        if (HeaderLength + payloadLength > data.Length && !context.Frame.IsTruncated && !context.IsNested)
            context.Report(_plenInvalid, PayloadLengthOffset, $"payload length {payloadLength} is more than the {data.Length - HeaderLength} bytes the frame carries");

        // Walk the extension headers (RFC 8200 section 4), bounded by the payload length and the captured bytes.
        int limit = Math.Min(data.Length, HeaderLength + payloadLength);
        int offset = HeaderLength;
        FragmentInfo? fragment = null;
        int finalDestination = DestinationOffset;
        for (int count = 0; ; count++)
        {
            if (next is not (HopByHop or Routing or Fragment or Authentication or DestinationOptions or Mobility))
                break;
            if (count == MaxExtensionHeaders)
            {
                context.Report(_tooManyExt, offset, $"more than {MaxExtensionHeaders} extension headers; the rest is not decoded");
                return DissectResult.Done(offset);
            }

            if (limit - offset < 8)
            {
                context.Report(_extTruncated, offset, $"extension header {next} at offset {offset} needs 8 bytes, {limit - offset} remain");
                return DissectResult.Done(offset);
            }

            int length = next switch
            {
                Fragment => FragmentHeaderLength,
                Authentication => (data[offset + 1] + 2) * 4,
                _ => (data[offset + 1] + 1) * 8,
            };
            if (length > limit - offset)
            {
                context.Report(_extTruncated, offset, $"extension header {next} claims {length} bytes, {limit - offset} remain");
                return DissectResult.Done(offset);
            }

            if (next == Routing)
            {
                context.Add(_routingType, offset + 2, 1, data[offset + 2]);
                context.Add(_segmentsLeft, offset + 3, 1, data[offset + 3]);
                var header = data.Slice(offset, length);
                if (Ipv6Routing.FinalDestination(header) is int at)
                    finalDestination = offset + at;
                if (Ipv6Routing.FlowDestination(header) is int key)
                    context.Add(_finalDst, offset + key, 16);
            }

            if (next == Fragment)
            {
                ushort fragmentField = BinaryPrimitives.ReadUInt16BigEndian(data[(offset + 2)..]);
                int fragmentOffset = fragmentField >> 3;
                context.Add(_fragOffset, offset + 2, 2, (ulong)fragmentOffset);
                context.Add(_fragMore, offset + 2, 2, (ulong)(fragmentField & 1));
                context.Add(_fragIdent, offset + 4, 4, BinaryPrimitives.ReadUInt32BigEndian(data[(offset + 4)..]));
                if (fragmentOffset != 0 || (fragmentField & 1) != 0)
                {
                    var key = new FragmentKey(6, BinaryPrimitives.ReadUInt128BigEndian(data[SourceOffset..]), BinaryPrimitives.ReadUInt128BigEndian(data[DestinationOffset..]),
                        BinaryPrimitives.ReadUInt32BigEndian(data[(offset + 4)..]), 0);
                    fragment = new FragmentInfo(key, fragmentOffset * 8, (fragmentField & 1) != 0);
                }

                // What follows the fragment header is the fragmentable part: it is what reassembly joins, so the
                // walk stops here (headers after it are decoded from the reassembled payload, or the first fragment).
                next = data[offset];
                offset += length;
                break;
            }

            next = data[offset];
            offset += length;
        }

        // RFC 8200 section 8.1: the upper-layer checksum covers the addresses, the upper-layer length (added by the
        // upper-layer dissector) and the next header value of the upper-layer header.
        // With a routing header, the destination there is the final one, not the next hop in the fixed header.
        context.PseudoHeaderSum = InternetChecksum.Sum(data.Slice(finalDestination, 16), InternetChecksum.Sum(data.Slice(SourceOffset, 16))) + next;

        if (context.WantsDetail) // an ICMP error froze the summary before its quote (PacketContext.FreezeSummary)
        {
            context.Info.Clear();
            context.Info.Append("IPv6 next header ").Append(next);
        }

        // As for IPv4, fragments go to the engine's reassembly (RFC 8200 section 4.5: same source, destination and
        // identification); the next header of the reassembled payload is the one after the fragment header.
        if (fragment is FragmentInfo f)
        {
            context.DeclareFragment(f);
            if (f.Offset == 0)
                return DissectResult.NextPartial(offset, _ipProto, next, HeaderLength + payloadLength - offset);
        }
        return DissectResult.Next(offset, _ipProto, next, HeaderLength + payloadLength - offset);
    }
}
