using System.Buffers.Binary;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissectors.Core;

/// <summary>UDP (RFC 768). Declares <c>udp.port</c>; the payload is bounded by the UDP length.</summary>
[DissectorExport("udp")]
public sealed class Udp : IDissector
{
    private const int HeaderLength = 8;
    private const int SourcePortOffset = 0;
    private const int DestinationPortOffset = 2;
    private const int LengthOffset = 4;
    private const int ChecksumOffset = 6;

    private FieldHandle _srcport, _dstport, _length, _checksum, _checksumStatus;
    private AnomalyHandle _truncated, _badLength;
    private bool _checkChecksum;
    private TableHandle _udpPort;

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("udp", "User Datagram Protocol", "UDP header (RFC 768)");
        _srcport = setup.Field("udp.srcport", "Source Port", FieldType.UInt16, "Source port");
        _dstport = setup.Field("udp.dstport", "Destination Port", FieldType.UInt16, "Destination port");
        setup.EitherField("udp.port", "Source or Destination Port", FieldType.UInt16, "Source or destination port (matches either)", _srcport, _dstport);
        _length = setup.Field("udp.length", "Length", FieldType.UInt16, "Length of header and payload");
        _checksum = setup.Field("udp.checksum", "Checksum", FieldType.UInt16, "Checksum as sent (0: none)", FieldBase.Hex);
        _checksumStatus = setup.Field("udp.checksum.status", "Checksum Status", FieldType.UInt8,
            "0 bad, 1 good, 2 unverified (udp.check_checksum off, the default; checksum 0 over IPv4 means none; no pseudo-header; partial or truncated datagram)");
        _truncated = setup.Anomaly("udp.truncated", "Fewer bytes than a UDP header");
        _badLength = setup.Anomaly("udp.length_invalid", "The length is under 8 or more than the IP payload");
        _udpPort = setup.Table("udp.port", "UDP port of a per-packet dissector (DNS, VXLAN…)", 16);
        setup.AttachTo("ip.proto", 17);
        // Off by default, as in Wireshark: verifying reads every payload byte (the header-only frame loop never
        // does), and captures taken on the sending host hold checksums the NIC had not filled in yet.
        _checkChecksum = setup.Preference("udp.check_checksum", false, "Verify the UDP checksum over the IP pseudo-header (udp.checksum.status); reads every payload byte");
    }

    public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data)
    {
        if (data.Length < HeaderLength)
        {
            context.Report(_truncated, 0, $"{data.Length} bytes, a UDP header needs {HeaderLength}");
            return DissectResult.Done(data.Length);
        }

        ushort src = BinaryPrimitives.ReadUInt16BigEndian(data[SourcePortOffset..]);
        ushort dst = BinaryPrimitives.ReadUInt16BigEndian(data[DestinationPortOffset..]);
        ushort length = BinaryPrimitives.ReadUInt16BigEndian(data[LengthOffset..]);
        context.Add(_srcport, SourcePortOffset, 2, src);
        context.Add(_dstport, DestinationPortOffset, 2, dst); // udp.port (source, destination) is derived from these two
        context.Add(_length, LengthOffset, 2, length);
        context.Add(_checksum, ChecksumOffset, 2, BinaryPrimitives.ReadUInt16BigEndian(data[ChecksumOffset..]));

        int available = context.DeclaredLength >= 0 ? context.DeclaredLength : data.Length;
        int payloadLength = length - HeaderLength;
        if (length < HeaderLength || (length > available && !context.IsPartial))
        {
            context.Report(_badLength, LengthOffset, $"length {length}, the IP payload is {available} bytes");
            payloadLength = available - HeaderLength;
        }
        else if (length > available)
        {
            payloadLength = available - HeaderLength; // a first fragment: the rest of the datagram is in later frames
        }

        ushort checksum = BinaryPrimitives.ReadUInt16BigEndian(data[ChecksumOffset..]);
        ulong status = InternetChecksum.StatusUnverified;
        if (_checkChecksum && checksum != 0 && context.PseudoHeaderSum is uint pseudo && !context.IsPartial && length >= HeaderLength && data.Length >= length)
            status = InternetChecksum.Compute(data[..length], pseudo + length) == 0 ? InternetChecksum.StatusGood : InternetChecksum.StatusBad;
        context.Add(_checksumStatus, ChecksumOffset, 2, status);

        if (context.WantsDetail)
        {
            context.Info.Clear();
            context.Info.Append(src).Append(" → ").Append(dst).Append(" Len=").Append(payloadLength);
        }

        if (data.Length == HeaderLength)
            return DissectResult.Done(HeaderLength);
        return DissectResult.NextEither(HeaderLength, _udpPort, Math.Min(src, dst), Math.Max(src, dst), payloadLength);
    }
}
