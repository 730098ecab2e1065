using System.Buffers.Binary;
using PcapForge.Abstractions.Dissection;
using PcapForge.Abstractions.Records;

namespace PcapForge.Dissectors.Dns;

/// <summary>
/// DNS over UDP and TCP (RFC 1035; AAAA RFC 3596, SRV RFC 2782, EDNS RFC 6891, TCP RFC 7766), as Zeek's dns.log: one
/// row per query matched with its response by transaction id and question, with the round-trip time. Over UDP each
/// datagram is one message; over TCP each message has a 2-byte length prefix (RFC 1035 §4.2.2) and several may share
/// a connection, split anywhere. mDNS (UDP 5353, RFC 6762) and LLMNR (UDP 5355, RFC 4795) use the same message
/// format and are parsed the same way: their rows are mostly queries or responses without a partner, since multicast
/// answers come from other flows. On any other port a flow is DNS when its first message parses exactly as one
/// (<c>Plausible</c>); on the attached ports nothing is rejected, damage is reported.
/// </summary>
[StreamDissectorExport("dns")]
public sealed class DnsDissector : IStreamDissector
{
    /// <summary>Ports the dissector is attached to: DNS on UDP and TCP, mDNS and LLMNR on UDP.</summary>
    public const int DnsPort = 53, MdnsPort = 5353, LlmnrPort = 5355;

    /// <summary>Queries waiting for a response per flow; past this the oldest is written unanswered (a flood of unanswered queries costs bounded memory).</summary>
    public const int MaxPendingQueries = 256;

    /// <summary>Answers kept in one row's lists (a zone transfer message may carry thousands); the rest are counted in answer_count only.</summary>
    public const int MaxAnswersPerRow = 1000;

    private RecordTableHandle _table;
    private AnomalyHandle _tooShort, _truncated, _pointerOutOfRange, _loop, _labelTooLong, _nameTooLong, _rdata, _trailing, _resync, _manyAnswers;

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("dns", "Domain Name System", "DNS queries and responses over UDP and TCP (RFC 1035, 3596, 2782, 6891, 7766); also mDNS and LLMNR");
        _tooShort = setup.Anomaly("dns.message_too_short", "A message shorter than the 12-byte header (RFC 1035 §4.1.1); it gives no row");
        _truncated = setup.Anomaly("dns.message_truncated", "The message ends inside a name, question or record: the section counts claim more than was sent (not reported when TC is set); what was read is kept");
        _pointerOutOfRange = setup.Anomaly("dns.pointer_out_of_range", "A name compression pointer (RFC 1035 §4.1.4) to an offset at or past the end of the message");
        _loop = setup.Anomaly("dns.name_compression_loop", "Name compression pointers that loop (more than 128 jumps in one name)");
        _labelTooLong = setup.Anomaly("dns.label_too_long", "A label length byte over 63: label types 01 and 10 are obsolete or reserved (RFC 6891 §5)");
        _nameTooLong = setup.Anomaly("dns.name_too_long", "A name over 255 octets in wire form (RFC 1035 §2.3.4)");
        _rdata = setup.Anomaly("dns.rdata_malformed", "A record's RDATA does not fit its type (an A record not 4 bytes long, a name running past RDLENGTH); shown in the generic form");
        _trailing = setup.Anomaly("dns.trailing_bytes", "Bytes after the last record the header counts describe (padding, or data hidden in the message)");
        _resync = setup.Anomaly("dns.tcp_resync", "A gap in a TCP stream hid where the next length-prefixed message starts; bytes were skipped to the next plausible header");
        _manyAnswers = setup.Anomaly("dns.too_many_answers", $"A response with more than {MaxAnswersPerRow} answers: the row's lists keep the first {MaxAnswersPerRow}");
        _table = setup.RecordTable("dns", "One row per DNS query and its response (Zeek's dns.log); a query never answered and a response without a query get a row too",
            new ColumnDescriptor("ts", ColumnType.Timestamp, "Time of the query's frame (the response's when there was no query)"),
            new ColumnDescriptor("trans_id", ColumnType.Int32, "Transaction id (16 bits)"),
            new ColumnDescriptor("rtt", ColumnType.Double, "Seconds from the query's frame to the response's; null unless both were seen"),
            new ColumnDescriptor("query", ColumnType.String, "Name of the first question, in presentation form (case kept, no trailing dot, root as '.')"),
            new ColumnDescriptor("qclass", ColumnType.Int32, "Class of the first question (1 for IN; mDNS sets the top bit for a unicast-response question)"),
            new ColumnDescriptor("qclass_name", ColumnType.String, "Name of qclass (C_INTERNET, C_CHAOS…, qclass-N)"),
            new ColumnDescriptor("qtype", ColumnType.Int32, "Type of the first question (1 A, 28 AAAA…)"),
            new ColumnDescriptor("qtype_name", ColumnType.String, "Name of qtype (A, AAAA, * for 255, query-N)"),
            new ColumnDescriptor("rcode", ColumnType.Int32, "Response code of the response header (4 bits); null without a response"),
            new ColumnDescriptor("rcode_name", ColumnType.String, "Name of rcode (NOERROR, NXDOMAIN…)"),
            new ColumnDescriptor("aa", ColumnType.Boolean, "Authoritative Answer bit of the response; null without a response"),
            new ColumnDescriptor("tc", ColumnType.Boolean, "TrunCation bit (of the response, else the query)"),
            new ColumnDescriptor("rd", ColumnType.Boolean, "Recursion Desired bit (of the query, else the response)"),
            new ColumnDescriptor("ra", ColumnType.Boolean, "Recursion Available bit of the response; null without a response"),
            new ColumnDescriptor("z", ColumnType.Int32, "The 3 bits after RA as Zeek reports them: reserved Z, AD, CD (of the response, else the query)"),
            new ColumnDescriptor("answers", ColumnType.StringList, "RDATA of each answer-section record as text: addresses, names, 'pref name' for MX, SOA/SRV/CAA zone-file fields, 'TXT n text' per string, '\\# len hex' for other types; null when none"),
            new ColumnDescriptor("ttls", ColumnType.StringList, "TTL in seconds of each answer, as text, in the order of answers"),
            new ColumnDescriptor("rejected", ColumnType.Boolean, "The response has no answer, authority or additional record (Zeek's rejected)"),
            new ColumnDescriptor("proto", ColumnType.String, "Transport: udp or tcp"),
            new ColumnDescriptor("opcode", ColumnType.Int32, "OPCODE (0 query, 4 notify, 5 update…)"),
            new ColumnDescriptor("answer_types", ColumnType.StringList, "Type name of each answer, in the order of answers"),
            new ColumnDescriptor("answer_count", ColumnType.Int32, "ANCOUNT of the response header"),
            new ColumnDescriptor("authority_count", ColumnType.Int32, "NSCOUNT of the response header"),
            new ColumnDescriptor("additional_count", ColumnType.Int32, "ARCOUNT of the response header (the EDNS OPT record counts)"),
            new ColumnDescriptor("edns_udp_size", ColumnType.Int32, "UDP payload size of the query's EDNS OPT record (RFC 6891 §6.2.3); null without one"),
            new ColumnDescriptor("query_frame", ColumnType.Int64, "Frame that completed the query"),
            new ColumnDescriptor("response_frame", ColumnType.Int64, "Frame that completed the response"));
        setup.AttachTo("udp.port", DnsPort);
        setup.AttachTo("tcp.port", DnsPort);
        setup.AttachTo("udp.port", MdnsPort);
        setup.AttachTo("udp.port", LlmnrPort);
        // DNS on any other port is found by content: the first message must parse exactly (DnsParser.Plausible).
        setup.AttachHeuristic("udp");
        setup.AttachHeuristic("tcp");
    }

    public IStreamParser CreateParser(StreamContext context) => new DnsParser(this, context);

    /// <summary>
    /// The parser's own first test: on its port anything goes (a malformed message there is recorded); elsewhere a
    /// plausible message, whole over UDP, or the start of a length-prefixed one over TCP.
    /// </summary>
    public bool Probe(in StreamProbe first) =>
        first.OfferedByPort || (first.IsDatagram ? DnsParser.Plausible(first.Data) : DnsParser.PlausibleTcpStart(first.Data));

    /// <summary>
    /// Zeek's <c>dns_session_timeout</c>: its DNS analyzer removes a UDP connection idle for about 10 s (DNS.cc,
    /// ExpireTimer), where other UDP waits udp_inactivity_timeout (1 min).
    /// </summary>
    public TimeSpan? UdpSessionTimeout => TimeSpan.FromSeconds(10);

    private AnomalyHandle AnomalyFor(DnsError error) => error switch
    {
        DnsError.PointerOutOfRange => _pointerOutOfRange,
        DnsError.CompressionLoop => _loop,
        DnsError.LabelTooLong => _labelTooLong,
        DnsError.NameTooLong => _nameTooLong,
        DnsError.RdataMalformed => _rdata,
        _ => _truncated,
    };

    /// <summary>A query seen and not answered yet, with what its row needs.</summary>
    private sealed class PendingQuery
    {
        public ushort Id;
        public string? Query;
        public ushort QType, QClass;
        public bool HasQuestion;
        public DnsHeader Header;
        public long Ts, Frame;
        public int? EdnsUdpSize;
    }

    /// <summary>What one message said, kept while it is matched.</summary>
    private struct Parsed
    {
        public DnsHeader Header;
        public bool HasQuestion;
        public string? Query;
        public ushort QType, QClass;
        public List<string>? Answers, Ttls, Types;
        public int? EdnsUdpSize;
    }

    /// <summary>The framing state of one direction of a TCP connection.</summary>
    private struct TcpDirection
    {
        /// <summary>Bytes of a message cut by a gap still to skip.</summary>
        public long Skip;

        /// <summary>Length (prefix included) of the message waiting for more bytes; 0 when its prefix has not come.</summary>
        public int Waiting;

        /// <summary>A gap hid where the next message starts.</summary>
        public bool Lost;

        /// <summary>Bytes skipped while looking for the next message after such a gap (for the anomaly's detail).</summary>
        public long Resynced;
    }

    private sealed class DnsParser(DnsDissector owner, StreamContext context) : IStreamParser
    {
        // Resynchronising needs the length prefix, the header and the first label's length byte of a candidate.
        private const int ResyncWindow = DnsMessage.TcpLengthPrefix + DnsHeader.Length + 1;

        // The first of the three bits after RA; the other two are AD and CD (RFC 4035 §3.2), which may be set.
        private const int ReservedZBit = 0x4;

        // The heuristic holds at most this much of a TCP flow's first message before deciding (a query is far smaller).
        private const int MaxHeuristicMessage = 4096;

        // REFUSED (5): the codes above it belong to UPDATE, TSIG and EDNS, not to a first plain query or response.
        private const int MaxHeuristicRcode = 5;

        // Made on first use: most UDP flows hold one query and one response, and only TCP needs framing state.
        private List<PendingQuery>? _pending;
        private TcpDirection[]? _tcp;
        private bool _confirmed;

        private string Proto => context.IsDatagram ? "udp" : "tcp";

        public int OnData(StreamDirection direction, ReadOnlySpan<byte> data)
        {
            if (context.IsDatagram)
            {
                if (!_confirmed && !context.OfferedByPort && !Plausible(data))
                {
                    context.Reject("not a DNS message");
                    return data.Length;
                }

                Message(data);
                return data.Length;
            }

            ref var s = ref (_tcp ??= new TcpDirection[2])[(int)direction];
            if (s.Skip > 0)
            {
                int n = (int)Math.Min(s.Skip, data.Length);
                s.Skip -= n;
                return n;
            }

            if (s.Lost)
                return Resync(direction, ref s, data);
            if (!_confirmed && !context.OfferedByPort && !PlausibleTcpStart(data))
            {
                context.Reject("not a DNS message");
                return data.Length;
            }

            if (!DnsMessage.TryReadTcpFrame(data, out var message, out int consumed))
            {
                // Incomplete: consume nothing, remember how long the message is in case a gap cuts it.
                s.Waiting = data.Length >= DnsMessage.TcpLengthPrefix ? DnsMessage.TcpLengthPrefix + BinaryPrimitives.ReadUInt16BigEndian(data) : 0;
                return 0;
            }

            s.Waiting = 0;
            Message(message);
            return consumed;
        }

        public void OnGap(StreamDirection direction, long length)
        {
            if (!_confirmed && !context.OfferedByPort)
            {
                // The heuristic decides on a first message seen whole; after a gap it cannot.
                context.Reject("gap before a DNS message was seen");
                return;
            }

            ref var s = ref (_tcp ??= new TcpDirection[2])[(int)direction];
            if (s.Lost)
                return;
            if (s.Skip > 0)
            {
                s.Skip -= length;
                if (s.Skip >= 0)
                    return;
            }
            else if (s.Waiting > 0 && length < s.Waiting)
            {
                // The gap length includes the bytes of the cut message we had: the rest of it is known.
                s.Skip = s.Waiting - length;
                s.Waiting = 0;
                return;
            }
            else if (length == 0)
            {
                return;
            }

            s.Skip = 0;
            s.Waiting = 0;
            s.Lost = true;
            s.Resynced = 0;
        }

        public void OnEnd()
        {
            if (_pending is null)
                return;
            foreach (var q in _pending)
                WriteRow(q, null, 0, 0);
            _pending.Clear();
        }

        /// <summary>
        /// After a gap that hid a message boundary: skips to the first offset that holds a plausible message of this
        /// direction — a length prefix, a header with QR matching the direction, a standard query opcode, one
        /// question, the reserved Z bit clear (and for a query no answer or authority record and rcode 0) — whose
        /// questions and records then fill the length exactly. A candidate whose message has not fully arrived is
        /// waited for (it is at most 64 KiB).
        /// </summary>
        private int Resync(StreamDirection direction, ref TcpDirection s, ReadOnlySpan<byte> data)
        {
            bool response = direction == StreamDirection.FromResponder;
            for (int i = 0; i + ResyncWindow <= data.Length; i++)
            {
                var candidate = data[i..];
                int length = BinaryPrimitives.ReadUInt16BigEndian(candidate);
                if (length < DnsHeader.Length + 1 || !DnsHeader.TryParse(candidate[DnsMessage.TcpLengthPrefix..], out var h))
                    continue;
                if (h.IsResponse != response || h.Opcode != 0 || h.QuestionCount != 1 || (h.Z & ReservedZBit) != 0 || candidate[ResyncWindow - 1] > DnsName.MaxLabelLength)
                    continue;
                if (!response && (h.Rcode != 0 || h.AnswerCount != 0 || h.AuthorityCount != 0))
                    continue;
                if (!DnsMessage.TryReadTcpFrame(candidate, out var message, out _))
                {
                    // Wait for the whole candidate, having skipped what lies before it.
                    s.Resynced += i;
                    return i;
                }

                if (!Fills(message))
                    continue;
                s.Lost = false;
                s.Resynced += i;
                context.Report(owner._resync, $"framing lost after a gap; skipped {s.Resynced} bytes to a {length}-byte {(response ? "response" : "query")} (id 0x{h.Id:x4})");
                return i;
            }

            int skipped = Math.Max(0, data.Length - ResyncWindow + 1);
            s.Resynced += skipped;
            return skipped;
        }

        /// <summary>
        /// The heuristic's test of a flow's first message on a port not attached to DNS: a standard query or response
        /// (opcode 0) with one question of class IN, CH, HS or ANY and a non-zero type, the reserved Z bit clear, an
        /// rcode up to REFUSED (a query: rcode 0, no answer or authority record, at most one additional), and the
        /// counts filling the message exactly, and not a NetBIOS name service message. A random payload passes with
        /// negligible probability.
        /// </summary>
        internal static bool Plausible(ReadOnlySpan<byte> message)
        {
            if (!PlausibleHeader(message))
                return false;
            var reader = new DnsMessageReader(message);
            if (!reader.TryReadQuestion(out var q) || q.Type == 0 || q.Class is not (1 or 3 or 4 or 255) || IsNetbios(message, q))
                return false;
            return Fills(message);
        }

        /// <summary>
        /// NetBIOS Name Service (UDP 137, RFC 1002 §4.2) borrows the DNS layout: a question of type NB (32) or NBSTAT
        /// (33) whose first label is a NetBIOS name in first-level encoding, 32 letters A–P (RFC 1001 §14.1). It is
        /// another protocol (tshark's nbns), so the heuristic leaves it.
        /// </summary>
        private static bool IsNetbios(ReadOnlySpan<byte> message, DnsQuestion q)
        {
            const int EncodedLength = 32;
            if (q.Type is not (32 or 33) || q.NameOffset + 1 + EncodedLength > message.Length || message[q.NameOffset] != EncodedLength)
                return false;
            foreach (byte b in message.Slice(q.NameOffset + 1, EncodedLength))
            {
                if (b is < (byte)'A' or > (byte)'P')
                    return false;
            }

            return true;
        }

        private static bool PlausibleHeader(ReadOnlySpan<byte> message)
        {
            if (!DnsHeader.TryParse(message, out var h) || h.Opcode != 0 || h.QuestionCount != 1 || (h.Z & ReservedZBit) != 0 || h.Rcode > MaxHeuristicRcode)
                return false;
            return h.IsResponse || (h.Rcode == 0 && h.AnswerCount == 0 && h.AuthorityCount == 0 && h.AdditionalCount <= 1);
        }

        /// <summary>
        /// The heuristic over TCP, on what has come of the first message: false as soon as the bytes cannot start a
        /// plausible one (a length under a header or over <see cref="MaxHeuristicMessage"/>, or a header that fails
        /// <see cref="PlausibleHeader"/>), then on the whole message as <see cref="Plausible"/>.
        /// </summary>
        internal static bool PlausibleTcpStart(ReadOnlySpan<byte> data)
        {
            if (data.Length < DnsMessage.TcpLengthPrefix)
                return true;
            int length = BinaryPrimitives.ReadUInt16BigEndian(data);
            if (length <= DnsHeader.Length || length > MaxHeuristicMessage)
                return false;
            var message = data[DnsMessage.TcpLengthPrefix..Math.Min(data.Length, DnsMessage.TcpLengthPrefix + length)];
            if (message.Length < DnsHeader.Length)
                return true;
            if (!PlausibleHeader(message))
                return false;
            return message.Length < length || Plausible(message);
        }

        /// <summary>Whether the header's counts describe the message exactly, every name and record in place.</summary>
        private static bool Fills(ReadOnlySpan<byte> message)
        {
            var reader = new DnsMessageReader(message);
            while (reader.TryReadRecord(out _))
            {
            }

            return reader.AtEnd && reader.Position == message.Length;
        }

        /// <summary>One whole message: parse, report what is wrong, match a response to its query, write rows.</summary>
        private void Message(ReadOnlySpan<byte> message)
        {
            var reader = new DnsMessageReader(message);
            if (!reader.HasHeader)
            {
                context.Report(owner._tooShort, $"{message.Length} bytes, a DNS header has {DnsHeader.Length}");
                return;
            }

            var p = new Parsed { Header = reader.Header };
            bool response = p.Header.IsResponse;
            var firstError = DnsError.None;
            int errorOffset = 0;
            if (reader.TryReadQuestion(out var question))
            {
                var nameError = DnsName.TryReadString(message, question.NameOffset, out p.Query, out _);
                p.HasQuestion = true;
                p.QType = question.Type;
                p.QClass = question.Class;
                Note(ref firstError, ref errorOffset, nameError, question.NameOffset);
            }

            int answers = 0;
            while (reader.TryReadRecord(out var record))
            {
                if (record.Section == DnsSection.Answer && response)
                {
                    if (++answers > MaxAnswersPerRow)
                        continue;
                    Note(ref firstError, ref errorOffset, DnsRecordData.TryFormat(message, record, out string text), record.DataOffset);
                    (p.Answers ??= new()).Add(text);
                    (p.Ttls ??= new()).Add(record.Ttl.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    (p.Types ??= new()).Add(DnsTypes.TypeName(record.Type));
                }
                else if (record.Section == DnsSection.Additional && p.EdnsUdpSize is null && DnsEdns.TryRead(record, out var edns))
                {
                    p.EdnsUdpSize = edns.UdpPayloadSize;
                }
            }

            // A structural error ends the reader; it comes after any RDATA error found before it in the message.
            bool declaredTruncation = reader.Error == DnsError.Truncated && p.Header.Truncated;
            if (reader.Error != DnsError.None && !declaredTruncation && (firstError == DnsError.None || reader.ErrorOffset < errorOffset))
            {
                firstError = reader.Error;
                errorOffset = reader.ErrorOffset;
            }

            if (firstError != DnsError.None)
                context.Report(owner.AnomalyFor(firstError), $"{Describe(firstError)} at offset {errorOffset} of a {message.Length}-byte {(response ? "response" : "query")} (id 0x{p.Header.Id:x4})");
            if (answers > MaxAnswersPerRow)
                context.Report(owner._manyAnswers, $"{answers} answers (id 0x{p.Header.Id:x4}); the row keeps {MaxAnswersPerRow}");
            if (reader.AtEnd && reader.Position < message.Length)
                context.Report(owner._trailing, $"{message.Length - reader.Position} bytes after the last record of a {message.Length}-byte {(response ? "response" : "query")} (id 0x{p.Header.Id:x4})");

            // Certain once a header and its first question (or a question-less message) parsed cleanly.
            if (!_confirmed && (p.HasQuestion || (p.Header.QuestionCount == 0 && reader.AtEnd)))
            {
                _confirmed = true;
                context.Confirm();
            }

            if (!response)
            {
                _pending ??= new List<PendingQuery>();
                if (_pending.Count >= MaxPendingQueries)
                {
                    WriteRow(_pending[0], null, 0, 0);
                    _pending.RemoveAt(0);
                }

                _pending.Add(new PendingQuery
                {
                    Id = p.Header.Id, Query = p.Query, QType = p.QType, QClass = p.QClass, HasQuestion = p.HasQuestion, Header = p.Header,
                    Ts = context.CurrentTimestampNs, Frame = context.CurrentFrame, EdnsUdpSize = p.EdnsUdpSize,
                });
                return;
            }

            // RFC 1035 §7.3: a response is matched by id and by its question (case-insensitively, RFC 4343); one
            // without a question matches on the id. The oldest pending query wins, as Zeek's queue.
            for (int i = 0; _pending is not null && i < _pending.Count; i++)
            {
                var q = _pending[i];
                if (q.Id != p.Header.Id)
                    continue;
                if (p.HasQuestion && (!q.HasQuestion || q.QType != p.QType || q.QClass != p.QClass || !string.Equals(q.Query, p.Query, StringComparison.OrdinalIgnoreCase)))
                    continue;
                _pending.RemoveAt(i);
                WriteRow(q, p, context.CurrentTimestampNs, context.CurrentFrame);
                return;
            }

            WriteRow(null, p, context.CurrentTimestampNs, context.CurrentFrame);
        }

        private static void Note(ref DnsError first, ref int offset, DnsError error, int at)
        {
            if (error != DnsError.None && first == DnsError.None)
            {
                first = error;
                offset = at;
            }
        }

        private static string Describe(DnsError error) => error switch
        {
            DnsError.PointerOutOfRange => "compression pointer past the end",
            DnsError.CompressionLoop => "compression pointer loop",
            DnsError.LabelTooLong => "label length over 63",
            DnsError.NameTooLong => "name over 255 octets",
            DnsError.RdataMalformed => "RDATA does not fit its type",
            _ => "message ends inside a name, question or record",
        };

        /// <summary>One row from a query, a response, or both (<paramref name="r"/> is the response, if any).</summary>
        private void WriteRow(PendingQuery? q, in Parsed? r, long responseTs, long responseFrame)
        {
            var qh = q?.Header;
            var rh = r?.Header;
            bool hasQuestion = q?.HasQuestion ?? r!.Value.HasQuestion;
            ushort qtype = q?.QType ?? r!.Value.QType;
            ushort qclass = q?.QClass ?? r!.Value.QClass;
            // Columns numbered as declared in Initialize.
            var row = context.Records.BeginRow(owner._table);
            row.Set(0, q?.Ts ?? responseTs)
                .Set(1, (int)(q?.Id ?? rh!.Value.Id))
                .Set(2, q is not null && r is not null ? (responseTs - q.Ts) / 1e9 : null)
                .Set(3, q is not null ? q.Query : r!.Value.Query)
                .Set(4, hasQuestion ? qclass : null)
                .Set(5, hasQuestion ? DnsTypes.ClassName(qclass) : null)
                .Set(6, hasQuestion ? qtype : null)
                .Set(7, hasQuestion ? DnsTypes.TypeName(qtype) : null)
                .Set(8, rh?.Rcode)
                .Set(9, rh is { } h1 ? DnsTypes.RcodeName(h1.Rcode) : null)
                .Set(10, rh?.Authoritative)
                .Set(11, (rh ?? qh)!.Value.Truncated)
                .Set(12, (qh ?? rh)!.Value.RecursionDesired)
                .Set(13, rh?.RecursionAvailable)
                .Set(14, (rh ?? qh)!.Value.Z)
                .Set(15, r?.Answers)
                .Set(16, r?.Ttls)
                .Set(17, rh is { } h2 && h2.AnswerCount == 0 && h2.AuthorityCount == 0 && h2.AdditionalCount == 0)
                .Set(18, Proto)
                .Set(19, (qh ?? rh)!.Value.Opcode)
                .Set(20, r?.Types)
                .Set(21, rh?.AnswerCount)
                .Set(22, rh?.AuthorityCount)
                .Set(23, rh?.AdditionalCount)
                .Set(24, q?.EdnsUdpSize)
                .Set(25, q?.Frame)
                .Set(26, r is not null ? responseFrame : null);
            row.Commit();
        }
    }
}
