using System.Buffers.Binary;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissectors.Link;

/// <summary>
/// ICMPv6 (RFC 4443): type, code, checksum, echo identifier and sequence, the MTU of "packet too big", and the
/// target address and flags of neighbour solicitations and advertisements (RFC 4861 §4.3, §4.4). Error messages
/// quote as much of the offending IPv6 packet as fits: it goes on through <c>ethertype</c> 0x86DD. The checksum is
/// verified over the IPv6 pseudo-header the IPv6 layer publishes (<see cref="PacketContext.PseudoHeaderSum"/>).
/// Attaches to <c>ip.proto</c> 58.
/// </summary>
[DissectorExport("icmpv6")]
public sealed class Icmpv6 : IDissector
{
    private const int TypeOffset = IcmpCommonHeader.TypeOffset;
    private const int CodeOffset = IcmpCommonHeader.CodeOffset;
    private const int ChecksumOffset = IcmpCommonHeader.ChecksumOffset;
    private const int IdentifierOffset = 4;
    private const int SequenceOffset = 6;
    private const int MtuOffset = 4;
    private const int NaFlagsOffset = 4;
    private const int TargetOffset = 8;
    private const int AddressLength = 16;
    private const int HeaderLength = IcmpCommonHeader.Length;
    private const int IpProtocolNumber = 58;

    // Message types (RFC 4443 §2.1, RFC 4861 §4, RFC 3810 §5.2).
    private const int DestinationUnreachable = 1, PacketTooBig = 2, TimeExceeded = 3, ParameterProblem = 4,
        EchoRequest = 128, EchoReply = 129, MldQuery = 130, MldReport = 131, MldDone = 132,
        RouterSolicitation = 133, RouterAdvertisement = 134, NeighborSolicitation = 135, NeighborAdvertisement = 136,
        RedirectMessage = 137, MldV2Report = 143;

    /// <summary>Neighbour advertisement flags (RFC 4861 §4.4): router, solicited, override.</summary>
    private const uint NaRouter = 0x8000_0000, NaSolicited = 0x4000_0000, NaOverride = 0x2000_0000;

    private FieldHandle _type, _code, _checksum, _checksumStatus, _ident, _seq, _mtu, _nsTarget, _naTarget, _naFlags;
    private AnomalyHandle _truncated;
    private TableHandle _ethertype;
    private IcmpCommonHeader _header;

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("icmpv6", "Internet Control Message Protocol v6", "ICMP for IPv6 (RFC 4443) with neighbour discovery targets (RFC 4861)");
        _type = setup.Field("icmpv6.type", "Type", FieldType.UInt8, "Message type (1 unreachable, 128 echo request, 135 neighbour solicitation…)");
        _code = setup.Field("icmpv6.code", "Code", FieldType.UInt8, "Message code");
        _checksum = setup.Field("icmpv6.checksum", "Checksum", FieldType.UInt16, "Checksum as sent", FieldBase.Hex);
        _checksumStatus = setup.Field("icmpv6.checksum.status", "Checksum Status", FieldType.UInt8,
            "0 bad, 1 good, 2 unverified (no IPv6 pseudo-header, a quoted, partial or truncated message); over the RFC 8200 pseudo-header");
        _ident = setup.Field("icmpv6.echo.identifier", "Identifier", FieldType.UInt16, "Echo identifier", FieldBase.Hex);
        _seq = setup.Field("icmpv6.echo.sequence_number", "Sequence", FieldType.UInt16, "Echo sequence number");
        _mtu = setup.Field("icmpv6.mtu", "MTU", FieldType.UInt32, "MTU of a packet-too-big message");
        _nsTarget = setup.Field("icmpv6.nd.ns.target_address", "Target Address", FieldType.IPv6, "Target of a neighbour solicitation");
        _naTarget = setup.Field("icmpv6.nd.na.target_address", "Target Address", FieldType.IPv6, "Target of a neighbour advertisement");
        _naFlags = setup.Field("icmpv6.nd.na.flag", "Flags", FieldType.UInt32, "Neighbour advertisement flags (router, solicited, override)", FieldBase.Hex);
        _truncated = setup.Anomaly("icmpv6.truncated", "Fewer bytes than the ICMPv6 header or the message body its type needs");
        _header = new IcmpCommonHeader(_type, _code, _checksum, _truncated, "ICMPv6");
        _ethertype = setup.TableRef(TableNames.EtherType);
        setup.AttachTo(TableNames.IpProto, IpProtocolNumber);
    }

    public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data)
    {
        bool inner = context.IsNested;
        if (!_header.TryAdd(context, data))
            return DissectResult.Done(data.Length);

        byte type = data[TypeOffset];
        byte code = data[CodeOffset];

        // RFC 4443 section 2.3: the checksum covers the IPv6 pseudo-header (RFC 8200 section 8.1) and the message.
        // Messages are small, so it is always verified, as Wireshark does.
        int messageLength = context.DeclaredLength >= 0 ? context.DeclaredLength : data.Length;
        ulong status = InternetChecksum.StatusUnverified;
        if (!inner && !context.IsPartial && context.PseudoHeaderSum is uint pseudo && messageLength <= data.Length)
            status = InternetChecksum.Compute(data[..messageLength], pseudo + (uint)messageLength) == 0 ? InternetChecksum.StatusGood : InternetChecksum.StatusBad;
        context.Add(_checksumStatus, ChecksumOffset, 2, status);

        int headerLength = HeaderLength;
        int targetField = -1;
        uint naFlags = 0;
        switch (type)
        {
            case EchoRequest or EchoReply:
                context.Add(_ident, IdentifierOffset, 2, BinaryPrimitives.ReadUInt16BigEndian(data[IdentifierOffset..]));
                context.Add(_seq, SequenceOffset, 2, BinaryPrimitives.ReadUInt16BigEndian(data[SequenceOffset..]));
                break;
            case PacketTooBig:
                context.Add(_mtu, MtuOffset, 4, BinaryPrimitives.ReadUInt32BigEndian(data[MtuOffset..]));
                break;
            case NeighborSolicitation or NeighborAdvertisement:
                if (type == NeighborAdvertisement)
                {
                    naFlags = BinaryPrimitives.ReadUInt32BigEndian(data[NaFlagsOffset..]);
                    context.Add(_naFlags, NaFlagsOffset, 4, naFlags);
                }

                if (data.Length < TargetOffset + AddressLength)
                {
                    context.Report(_truncated, TargetOffset, $"{data.Length} bytes, a neighbour discovery message needs {TargetOffset + AddressLength}");
                    return DissectResult.Done(data.Length);
                }

                context.Add(type == NeighborSolicitation ? _nsTarget : _naTarget, TargetOffset, AddressLength);
                targetField = TargetOffset;
                headerLength = TargetOffset + AddressLength;
                break;
        }

        if (context.WantsDetail && !inner)
            WriteInfo(context, data, type, code, targetField, naFlags);

        bool error = type is DestinationUnreachable or PacketTooBig or TimeExceeded or ParameterProblem;
        if (error && data.Length > HeaderLength)
        {
            // The quoted packet is decoded (its fields can be filtered on), but the frame's summary is the error's.
            context.FreezeSummary();
                return DissectResult.Next(HeaderLength, _ethertype, EtherTypes.IPv6);
        }
        return DissectResult.Done(headerLength);
    }

    /// <summary>tshark's wording (packet-icmpv6.c), without the IPv6 hop limit it appends.</summary>
    private static void WriteInfo(PacketContext context, ReadOnlySpan<byte> data, int type, int code, int target, uint naFlags)
    {
        var b = context.Info;
        b.Clear();
        switch (type)
        {
            case EchoRequest or EchoReply:
                b.Append(type == EchoRequest ? "Echo (ping) request" : "Echo (ping) reply")
                    .Append(" id=").AppendHex4(BinaryPrimitives.ReadUInt16BigEndian(data[IdentifierOffset..]))
                    .Append(", seq=").Append(BinaryPrimitives.ReadUInt16BigEndian(data[SequenceOffset..]));
                return;
            case NeighborSolicitation when target >= 0:
                b.Append("Neighbor Solicitation for ").AppendIPv6(data.Slice(target, AddressLength));
                return;
            case NeighborAdvertisement when target >= 0:
                b.Append("Neighbor Advertisement ").AppendIPv6(data.Slice(target, AddressLength));
                string flags = ((naFlags & NaRouter) != 0 ? "rtr, " : "") + ((naFlags & NaSolicited) != 0 ? "sol, " : "") + ((naFlags & NaOverride) != 0 ? "ovr, " : "");
                if (flags.Length > 0)
                    b.Append(" (").Append(flags, 0, flags.Length - 2).Append(')');
                return;
        }

        b.Append(type switch
        {
            DestinationUnreachable => "Destination Unreachable",
            PacketTooBig => "Packet Too Big",
            TimeExceeded => "Time Exceeded",
            ParameterProblem => "Parameter Problem",
            MldQuery => "Multicast Listener Query",
            MldReport => "Multicast Listener Report",
            MldDone => "Multicast Listener Done",
            RouterSolicitation => "Router Solicitation",
            RouterAdvertisement => "Router Advertisement",
            RedirectMessage => "Redirect",
            MldV2Report => "Multicast Listener Report Message v2",
            _ => "Unknown ICMPv6 type",
        });
        string? codeName = (type, code) switch
        {
            (DestinationUnreachable, 0) => "no route to destination",
            (DestinationUnreachable, 1) => "communication with destination administratively prohibited",
            (DestinationUnreachable, 2) => "beyond scope of source address",
            (DestinationUnreachable, 3) => "address unreachable",
            (DestinationUnreachable, 4) => "port unreachable",
            (DestinationUnreachable, 5) => "source address failed ingress/egress policy",
            (DestinationUnreachable, 6) => "reject route to destination",
            (TimeExceeded, 0) => "hop limit exceeded in transit",
            (TimeExceeded, 1) => "fragment reassembly time exceeded",
            (ParameterProblem, 0) => "erroneous header field encountered",
            (ParameterProblem, 1) => "unrecognized Next Header type encountered",
            (ParameterProblem, 2) => "unrecognized IPv6 option encountered",
            _ => null,
        };
        if (codeName is not null)
            b.Append(" (").Append(codeName).Append(')');
    }
}
