using System.Buffers.Binary;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissectors.Link;

/// <summary>
/// ICMP for IPv4 (RFC 792): type, code, checksum (verified when the whole message was captured), identifier and
/// sequence number of echo, timestamp, information and address mask messages (RFC 792, RFC 950), the gateway of a
/// redirect and the next-hop MTU of "fragmentation needed" (RFC 1191). Error messages quote the offending IP
/// header and the start of its payload: that goes on through <c>ethertype</c> 0x0800, so it is decoded too.
/// Attaches to <c>ip.proto</c> 1.
/// </summary>
[DissectorExport("icmp")]
public sealed class Icmp : IDissector
{
    private const int TypeOffset = IcmpCommonHeader.TypeOffset;
    private const int CodeOffset = IcmpCommonHeader.CodeOffset;
    private const int ChecksumOffset = IcmpCommonHeader.ChecksumOffset;
    private const int IdentifierOffset = 4;
    private const int SequenceOffset = 6;
    private const int GatewayOffset = 4;
    private const int MtuOffset = 6;
    private const int HeaderLength = IcmpCommonHeader.Length;
    private const int IpProtocolNumber = 1;

    // Message types (RFC 792, RFC 950, RFC 1191).
    private const int EchoReply = 0, DestinationUnreachable = 3, SourceQuench = 4, Redirect = 5, EchoRequest = 8,
        RouterAdvertisement = 9, RouterSolicitation = 10, TimeExceeded = 11, ParameterProblem = 12,
        TimestampRequest = 13, TimestampReply = 14, InformationRequest = 15, InformationReply = 16,
        AddressMaskRequest = 17, AddressMaskReply = 18;

    /// <summary>Destination unreachable code 4: fragmentation needed and DF set; the next-hop MTU is given (RFC 1191 §4).</summary>
    private const int CodeFragmentationNeeded = 4;

    private FieldHandle _type, _code, _checksum, _checksumStatus, _ident, _seq, _identLe, _seqLe, _gateway, _mtu;
    private AnomalyHandle _truncated, _badChecksum;
    private TableHandle _ethertype;
    private IcmpCommonHeader _header;

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("icmp", "Internet Control Message Protocol", "ICMP for IPv4 (RFC 792)");
        _type = setup.Field("icmp.type", "Type", FieldType.UInt8, "Message type (0 echo reply, 3 unreachable, 8 echo request, 11 time exceeded…)");
        _code = setup.Field("icmp.code", "Code", FieldType.UInt8, "Message code");
        _checksum = setup.Field("icmp.checksum", "Checksum", FieldType.UInt16, "Checksum as sent", FieldBase.Hex);
        _checksumStatus = setup.Field("icmp.checksum.status", "Checksum Status", FieldType.UInt8, "0 bad, 1 good (absent when not verified)");
        _ident = setup.Field("icmp.ident", "Identifier (BE)", FieldType.UInt16, "Identifier, big-endian");
        _seq = setup.Field("icmp.seq", "Sequence Number (BE)", FieldType.UInt16, "Sequence number, big-endian");
        _identLe = setup.Field("icmp.ident_le", "Identifier (LE)", FieldType.UInt16, "Identifier read little-endian (as Windows hosts fill it)");
        _seqLe = setup.Field("icmp.seq_le", "Sequence Number (LE)", FieldType.UInt16, "Sequence number read little-endian");
        _gateway = setup.Field("icmp.redir_gw", "Gateway Address", FieldType.IPv4, "Gateway of a redirect");
        _mtu = setup.Field("icmp.mtu", "MTU of next hop", FieldType.UInt16, "Next-hop MTU of a fragmentation-needed message");
        _truncated = setup.Anomaly("icmp.truncated", "Fewer bytes than the 8-byte ICMP header");
        _header = new IcmpCommonHeader(_type, _code, _checksum, _truncated, "ICMP");
        _badChecksum = setup.Anomaly("icmp.checksum_bad", "The checksum does not match the message");
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
        ushort checksum = BinaryPrimitives.ReadUInt16BigEndian(data[ChecksumOffset..]);

        // The checksum covers the whole message: verify it only when the IP header said how long the message is
        // and all of it was captured (a quoted message inside an ICMP error is cut short by design).
        int declared = context.DeclaredLength;
        if (!inner && declared >= HeaderLength && data.Length >= declared)
        {
            bool good = InternetChecksum.Compute(data[..declared]) == 0;
            context.Add(_checksumStatus, ChecksumOffset, 2, good ? InternetChecksum.StatusGood : InternetChecksum.StatusBad);
            if (!good)
                context.Report(_badChecksum, ChecksumOffset, $"checksum 0x{checksum:x4} does not match the {declared}-byte message");
        }

        ushort ident = BinaryPrimitives.ReadUInt16BigEndian(data[IdentifierOffset..]);
        ushort seq = BinaryPrimitives.ReadUInt16BigEndian(data[SequenceOffset..]);
        bool hasIdent = type is EchoReply or EchoRequest or TimestampRequest or TimestampReply or InformationRequest
            or InformationReply or AddressMaskRequest or AddressMaskReply;
        if (hasIdent)
        {
            context.Add(_ident, IdentifierOffset, 2, ident);
            context.Add(_identLe, IdentifierOffset, 2, BinaryPrimitives.ReverseEndianness(ident));
            context.Add(_seq, SequenceOffset, 2, seq);
            context.Add(_seqLe, SequenceOffset, 2, BinaryPrimitives.ReverseEndianness(seq));
        }
        else if (type == Redirect)
        {
            context.Add(_gateway, GatewayOffset, 4);
        }
        else if (type == DestinationUnreachable && code == CodeFragmentationNeeded)
        {
            context.Add(_mtu, MtuOffset, 2, BinaryPrimitives.ReadUInt16BigEndian(data[MtuOffset..]));
        }

        // A quoted message's summary is the error's, not its own (Wireshark keeps the outer Info).
        if (context.WantsDetail && !inner)
        {
            var b = context.Info;
            b.Clear();
            string name = TypeName(type);
            if (hasIdent)
            {
                b.Append(name.PadRight(20)).Append(" id=").AppendHex4(ident).Append(", seq=").Append(seq).Append('/').Append(BinaryPrimitives.ReverseEndianness(seq));
            }
            else
            {
                b.Append(name);
                string? codeName = CodeName(type, code);
                if (codeName is not null)
                    b.Append(" (").Append(codeName).Append(')');
            }
        }

        bool error = type is DestinationUnreachable or SourceQuench or Redirect or TimeExceeded or ParameterProblem;
        if (error && data.Length > HeaderLength)
        {
            // The quoted packet is decoded (its fields can be filtered on), but the frame's summary is the error's.
            context.FreezeSummary();
                return DissectResult.Next(HeaderLength, _ethertype, EtherTypes.IPv4);
        }
        return DissectResult.Done(HeaderLength);
    }

    /// <summary>Wireshark's names of the types (packet-icmp.c, icmp_type_str).</summary>
    private static string TypeName(int type) => type switch
    {
        EchoReply => "Echo (ping) reply",
        DestinationUnreachable => "Destination unreachable",
        SourceQuench => "Source quench (flow control)",
        Redirect => "Redirect",
        EchoRequest => "Echo (ping) request",
        RouterAdvertisement => "Router advertisement",
        RouterSolicitation => "Router solicitation",
        TimeExceeded => "Time-to-live exceeded",
        ParameterProblem => "Parameter problem",
        TimestampRequest => "Timestamp request",
        TimestampReply => "Timestamp reply",
        InformationRequest => "Information request",
        InformationReply => "Information reply",
        AddressMaskRequest => "Address mask request",
        AddressMaskReply => "Address mask reply",
        _ => "Unknown ICMP (obsolete or malformed?)",
    };

    /// <summary>Wireshark's names of the codes of error messages (packet-icmp.c).</summary>
    private static string? CodeName(int type, int code) => (type, code) switch
    {
        (DestinationUnreachable, 0) => "Network unreachable",
        (DestinationUnreachable, 1) => "Host unreachable",
        (DestinationUnreachable, 2) => "Protocol unreachable",
        (DestinationUnreachable, 3) => "Port unreachable",
        (DestinationUnreachable, 4) => "Fragmentation needed",
        (DestinationUnreachable, 5) => "Source route failed",
        (DestinationUnreachable, 6) => "Destination network unknown",
        (DestinationUnreachable, 7) => "Destination host unknown",
        (DestinationUnreachable, 8) => "Source host isolated",
        (DestinationUnreachable, 9) => "Network administratively prohibited",
        (DestinationUnreachable, 10) => "Host administratively prohibited",
        (DestinationUnreachable, 11) => "Network unreachable for TOS",
        (DestinationUnreachable, 12) => "Host unreachable for TOS",
        (DestinationUnreachable, 13) => "Communication administratively filtered",
        (DestinationUnreachable, 14) => "Host precedence violation",
        (DestinationUnreachable, 15) => "Precedence cutoff in effect",
        (Redirect, 0) => "Redirect for network",
        (Redirect, 1) => "Redirect for host",
        (Redirect, 2) => "Redirect for TOS and network",
        (Redirect, 3) => "Redirect for TOS and host",
        (TimeExceeded, 0) => "Time to live exceeded in transit",
        (TimeExceeded, 1) => "Fragment reassembly time exceeded",
        (ParameterProblem, 0) => "Pointer indicates the error",
        (ParameterProblem, 1) => "Required option missing",
        (ParameterProblem, 2) => "Bad length",
        _ => null,
    };
}
