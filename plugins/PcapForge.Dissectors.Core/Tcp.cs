using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissectors.Core;

/// <summary>
/// TCP header (RFC 9293) with its options: MSS, window scale, SACK permitted, SACK blocks, timestamps (RFC 7323).
/// Declares <c>tcp.port</c>; per-packet dissectors of TCP payloads attach there, stream protocols are fed by the
/// flow engine instead.
/// </summary>
[DissectorExport("tcp")]
public sealed class Tcp : IDissector
{
    private const int MinHeaderLength = 20;
    private const int SourcePortOffset = 0;
    private const int DestinationPortOffset = 2;
    private const int SequenceOffset = 4;
    private const int AckOffset = 8;
    private const int DataOffsetOffset = 12;
    private const int FlagsOffset = 12;
    private const int WindowOffset = 14;
    private const int ChecksumOffset = 16;
    private const int UrgentOffset = 18;
    private const ushort FlagsMask = 0x0FFF;

    /// <summary>Values a segment usually records: the eleven fixed ones and the timestamp option's two.</summary>
    private const int ExpectedFields = 13;

    // Flag bits of the 12-bit flags field.
    private const ushort Fin = 0x001, Syn = 0x002, Rst = 0x004, Psh = 0x008, AckBit = 0x010, Urg = 0x020, Ece = 0x040, Cwr = 0x080, Ae = 0x100;

    // Option kinds (IANA "TCP Option Kind Numbers").
    private const byte OptEnd = 0, OptNop = 1, OptMss = 2, OptWindowScale = 3, OptSackPermitted = 4, OptSack = 5, OptTimestamp = 8;

    private FieldHandle _srcport, _dstport, _seqRaw, _ackRaw, _hdrLen, _flags,
        _window, _checksum, _checksumStatus, _urgent, _len, _mss, _wscale, _sackPerm, _sackLe, _sackRe, _tsval, _tsecr;
    private AnomalyHandle _truncated, _badHeaderLength, _badOption;
    private bool _checkChecksum;
    private TableHandle _tcpPort;

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("tcp", "Transmission Control Protocol", "TCP header and options (RFC 9293, RFC 7323)");
        _srcport = setup.Field("tcp.srcport", "Source Port", FieldType.UInt16, "Source port");
        _dstport = setup.Field("tcp.dstport", "Destination Port", FieldType.UInt16, "Destination port");
        setup.EitherField("tcp.port", "Source or Destination Port", FieldType.UInt16, "Source or destination port (matches either)", _srcport, _dstport);
        _seqRaw = setup.Field("tcp.seq_raw", "Sequence Number (raw)", FieldType.UInt32, "Sequence number as sent");
        _ackRaw = setup.Field("tcp.ack_raw", "Acknowledgment number (raw)", FieldType.UInt32, "Acknowledgment number as sent");
        _hdrLen = setup.Field("tcp.hdr_len", "Header Length", FieldType.UInt8, "Header length in bytes (data offset × 4)");
        _flags = setup.Field("tcp.flags", "Flags", FieldType.UInt16, "The 12 flag bits", FieldBase.Hex);
        setup.BitmaskField("tcp.flags.ae", "Accurate ECN", FieldType.Boolean, "AE (formerly NS) flag", _flags, Ae);
        setup.BitmaskField("tcp.flags.cwr", "Congestion Window Reduced", FieldType.Boolean, "CWR flag", _flags, Cwr);
        setup.BitmaskField("tcp.flags.ece", "ECN-Echo", FieldType.Boolean, "ECE flag", _flags, Ece);
        setup.BitmaskField("tcp.flags.urg", "Urgent", FieldType.Boolean, "URG flag", _flags, Urg);
        setup.BitmaskField("tcp.flags.ack", "Acknowledgment", FieldType.Boolean, "ACK flag", _flags, AckBit);
        setup.BitmaskField("tcp.flags.push", "Push", FieldType.Boolean, "PSH flag", _flags, Psh);
        setup.BitmaskField("tcp.flags.reset", "Reset", FieldType.Boolean, "RST flag", _flags, Rst);
        setup.BitmaskField("tcp.flags.syn", "Syn", FieldType.Boolean, "SYN flag", _flags, Syn);
        setup.BitmaskField("tcp.flags.fin", "Fin", FieldType.Boolean, "FIN flag", _flags, Fin);
        _window = setup.Field("tcp.window_size_value", "Window", FieldType.UInt16, "Window field as sent (before scaling)");
        _checksum = setup.Field("tcp.checksum", "Checksum", FieldType.UInt16, "Checksum as sent", FieldBase.Hex);
        _checksumStatus = setup.Field("tcp.checksum.status", "Checksum Status", FieldType.UInt8,
            "0 bad, 1 good, 2 unverified (tcp.check_checksum off, the default; no IP pseudo-header; a partial or truncated segment). A bad checksum is no anomaly on its own: captures taken on the sending host hold segments before the NIC fills the checksum in (offload)");
        _urgent = setup.Field("tcp.urgent_pointer", "Urgent Pointer", FieldType.UInt16, "Urgent pointer");
        _len = setup.Field("tcp.len", "TCP Segment Len", FieldType.UInt32, "Payload length (from the IP length, so also for truncated frames)");
        _mss = setup.Field("tcp.options.mss_val", "MSS Value", FieldType.UInt16, "Maximum segment size option");
        _wscale = setup.Field("tcp.options.wscale.shift", "Shift count", FieldType.UInt8, "Window scale option");
        _sackPerm = setup.Field("tcp.options.sack_perm", "SACK permitted", FieldType.None, "SACK permitted option present");
        _sackLe = setup.Field("tcp.options.sack_le", "left edge", FieldType.UInt32, "SACK block left edge (raw)");
        _sackRe = setup.Field("tcp.options.sack_re", "right edge", FieldType.UInt32, "SACK block right edge (raw)");
        _tsval = setup.Field("tcp.options.timestamp.tsval", "Timestamp value", FieldType.UInt32, "Timestamp option TSval");
        _tsecr = setup.Field("tcp.options.timestamp.tsecr", "Timestamp echo reply", FieldType.UInt32, "Timestamp option TSecr");
        _truncated = setup.Anomaly("tcp.truncated", "Fewer bytes than a TCP header");
        _badHeaderLength = setup.Anomaly("tcp.hdr_len_invalid", "The data offset is under 20 bytes or past the segment");
        _badOption = setup.Anomaly("tcp.option_invalid", "An option's length is wrong or runs past the header");
        _tcpPort = setup.Table("tcp.port", "TCP port of a per-packet dissector", 16);
        setup.AttachTo("ip.proto", 6);
        // Off by default, as in Wireshark: verifying reads every payload byte (the header-only frame loop never
        // does), and captures taken on the sending host hold checksums the NIC had not filled in yet.
        _checkChecksum = setup.Preference("tcp.check_checksum", false, "Verify the TCP checksum over the IP pseudo-header (tcp.checksum.status); reads every payload byte");
    }

    public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data)
    {
        if (data.Length < MinHeaderLength)
            return Truncated(context, data);

        ushort src = BinaryPrimitives.ReadUInt16BigEndian(data[SourcePortOffset..]);
        ushort dst = BinaryPrimitives.ReadUInt16BigEndian(data[DestinationPortOffset..]);
        uint seq = BinaryPrimitives.ReadUInt32BigEndian(data[SequenceOffset..]);
        uint ackNumber = BinaryPrimitives.ReadUInt32BigEndian(data[AckOffset..]);
        int headerLength = (data[DataOffsetOffset] >> 4) * 4;
        ushort flags = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(data[FlagsOffset..]) & FlagsMask);
        ushort window = BinaryPrimitives.ReadUInt16BigEndian(data[WindowOffset..]);
        var fields = context.BeginFields(ExpectedFields);
        fields.Add(_srcport, SourcePortOffset, 2, src);
        fields.Add(_dstport, DestinationPortOffset, 2, dst); // tcp.port (source, destination) is derived from these two
        fields.Add(_seqRaw, SequenceOffset, 4, seq);
        fields.Add(_ackRaw, AckOffset, 4, ackNumber);
        fields.Add(_hdrLen, DataOffsetOffset, 1, (ulong)headerLength);
        fields.Add(_flags, FlagsOffset, 2, flags); // the nine tcp.flags.* bits are derived from it
        fields.Add(_window, WindowOffset, 2, window);
        fields.Add(_checksum, ChecksumOffset, 2, BinaryPrimitives.ReadUInt16BigEndian(data[ChecksumOffset..]));
        fields.Add(_urgent, UrgentOffset, 2, BinaryPrimitives.ReadUInt16BigEndian(data[UrgentOffset..]));

        int segmentLength = context.DeclaredLength >= 0 ? context.DeclaredLength : data.Length;
        if (headerLength < MinHeaderLength || headerLength > segmentLength)
        {
            fields.End();
            return BadHeaderLength(context, headerLength, segmentLength);
        }

        int payloadLength = segmentLength - headerLength;
        fields.Add(_len, 0, 0, (ulong)payloadLength);
        ulong status = InternetChecksum.StatusUnverified;
        if (_checkChecksum && context.PseudoHeaderSum is uint pseudo && !context.IsPartial && data.Length >= segmentLength)
            status = InternetChecksum.Compute(data[..segmentLength], pseudo + (uint)segmentLength) == 0 ? InternetChecksum.StatusGood : InternetChecksum.StatusBad;
        fields.Add(_checksumStatus, ChecksumOffset, 2, status);
        ParseOptions(context, ref fields, data[MinHeaderLength..Math.Min(headerLength, data.Length)]);
        fields.End();

        if (context.WantsDetail)
            Describe(context, src, dst, flags, seq, ackNumber, window, payloadLength);

        if (headerLength >= data.Length)
            return DissectResult.Done(Math.Min(headerLength, data.Length));
        int low = Math.Min(src, dst), high = Math.Max(src, dst);
        return DissectResult.NextEither(headerLength, _tcpPort, low, high, payloadLength);
    }

    // The rare cases, out of line: the frame path's stack frame then holds no interpolated-string handler, which
    // would be zeroed on every call whether used or not.

    /// <summary>Fewer bytes than a header. Ports and sequence number come first: keep what a short snaplen left (tshark does the same).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private DissectResult Truncated(PacketContext context, ReadOnlySpan<byte> data)
    {
        if (data.Length >= 4)
        {
            context.Add(_srcport, SourcePortOffset, 2, BinaryPrimitives.ReadUInt16BigEndian(data[SourcePortOffset..]));
            context.Add(_dstport, DestinationPortOffset, 2, BinaryPrimitives.ReadUInt16BigEndian(data[DestinationPortOffset..]));
            if (data.Length >= 8)
                context.Add(_seqRaw, SequenceOffset, 4, BinaryPrimitives.ReadUInt32BigEndian(data[SequenceOffset..]));
        }

        context.Report(_truncated, 0, $"{data.Length} bytes, a TCP header needs {MinHeaderLength}");
        return DissectResult.Done(data.Length);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private DissectResult BadHeaderLength(PacketContext context, int headerLength, int segmentLength)
    {
        context.Report(_badHeaderLength, DataOffsetOffset, $"header length {headerLength}, segment {segmentLength} bytes");
        return DissectResult.Done(MinHeaderLength);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ReportBadOption(PacketContext context, int at, byte kind) => context.Report(_badOption, at, $"option kind {kind} has a bad length");

    // Inlined so that the field writer stays in registers (passed by reference to a call, it would live in memory).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ParseOptions(PacketContext context, ref FieldWriter fields, ReadOnlySpan<byte> options)
    {
        int i = 0;
        while (i < options.Length)
        {
            byte kind = options[i];
            if (kind == OptEnd)
                return;
            if (kind == OptNop)
            {
                i++;
                continue;
            }

            if (i + 1 >= options.Length || options[i + 1] < 2 || i + options[i + 1] > options.Length)
            {
                ReportBadOption(context, MinHeaderLength + i, kind);
                return;
            }

            int length = options[i + 1];
            int at = MinHeaderLength + i;
            ReadOnlySpan<byte> value = options.Slice(i + 2, length - 2);
            switch (kind)
            {
                case OptMss when value.Length == 2:
                    fields.Add(_mss, at + 2, 2, BinaryPrimitives.ReadUInt16BigEndian(value));
                    break;
                case OptWindowScale when value.Length == 1:
                    fields.Add(_wscale, at + 2, 1, value[0]);
                    break;
                case OptSackPermitted:
                    fields.Add(_sackPerm, at, length);
                    break;
                case OptSack:
                    for (int b = 0; b + 8 <= value.Length; b += 8)
                    {
                        fields.Add(_sackLe, at + 2 + b, 4, BinaryPrimitives.ReadUInt32BigEndian(value[b..]));
                        fields.Add(_sackRe, at + 6 + b, 4, BinaryPrimitives.ReadUInt32BigEndian(value[(b + 4)..]));
                    }

                    break;
                case OptTimestamp when value.Length == 8:
                    fields.Add(_tsval, at + 2, 4, BinaryPrimitives.ReadUInt32BigEndian(value));
                    fields.Add(_tsecr, at + 6, 4, BinaryPrimitives.ReadUInt32BigEndian(value[4..]));
                    break;
            }

            i += length;
        }
    }

    /// <summary>tshark's Info column for TCP: "443 → 51234 [SYN, ACK] Seq=… Ack=… Win=… Len=…" (raw sequence numbers).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Describe(PacketContext context, ushort src, ushort dst, ushort flags, uint seq, uint ack, ushort window, int length)
    {
        var b = context.Info;
        b.Clear();
        b.Append(src).Append(" → ").Append(dst).Append(" [");
        int before = b.Length;
        void Flag(ushort bit, string name)
        {
            if ((flags & bit) == 0)
                return;
            if (b.Length > before)
                b.Append(", ");
            b.Append(name);
        }

        Flag(Fin, "FIN");
        Flag(Syn, "SYN");
        Flag(Rst, "RST");
        Flag(Psh, "PSH");
        Flag(AckBit, "ACK");
        Flag(Urg, "URG");
        Flag(Ece, "ECE");
        Flag(Cwr, "CWR");
        Flag(Ae, "AE");
        if (b.Length == before)
            b.Append("<None>");
        b.Append("] Seq=").Append(seq);
        if ((flags & AckBit) != 0)
            b.Append(" Ack=").Append(ack);
        b.Append(" Win=").Append(window).Append(" Len=").Append(length);
    }
}
