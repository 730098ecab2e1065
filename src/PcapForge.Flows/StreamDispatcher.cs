using PcapForge.Abstractions.Dissection;
using PcapForge.Abstractions.Records;
using PcapForge.Dissection;
using PcapForge.Output;

namespace PcapForge.Flows;

/// <summary>
/// Feeds the stream dissectors (HTTP, SSH, DNS…) with the TCP byte streams and the UDP datagrams of the flows offered
/// to them — by port attachment or, for heuristic dissectors, every flow of the transport — until they confirm or
/// reject. Parsers are made when a flow's first bytes come, only for the dissectors whose
/// <see cref="IStreamDissector.Probe"/> does not refuse them. Only flows with a live parser keep reassembly state;
/// the others cost nothing past their first bytes.
/// </summary>
internal sealed class StreamDispatcher
{
    private const int TcpSyn = 0x002, TcpAck = 0x010;

    private readonly DissectorRegistry _registry;
    private readonly TcpReassemblyOptions _options;
    private readonly ReassemblyBudget _budget;
    private readonly IRowSink _output;
    private readonly Action<Flow?, string, string> _anomaly;
    private readonly StreamDissectorEntry[] _entries;
    private readonly RecordRows _rows;

    /// <summary>Rows of the boxed path (<see cref="IRecordSink.Write"/>), apart from the typed rows a parser may be filling.</summary>
    private readonly RecordRows _boxedRows;
    private PluginRow?[] _pluginRows = [];

    public StreamDispatcher(DissectorRegistry registry, TcpReassemblyOptions options, IRowSink output, Action<Flow?, string, string> anomaly)
    {
        _registry = registry;
        _options = options;
        _budget = new ReassemblyBudget(options.TotalBytes);
        _output = output;
        _anomaly = anomaly;
        _entries = registry.StreamDissectors.ToArray();
        _rows = new RecordRows(registry);
        _boxedRows = new RecordRows(registry);
        Any = _entries.Any(e => e.OnTcp);
        AnyUdp = _entries.Any(e => e.OnUdp);
    }

    /// <summary>Some dissector wants TCP flows.</summary>
    public bool Any { get; }

    /// <summary>Some dissector wants UDP flows.</summary>
    public bool AnyUdp { get; }

    /// <summary>Number of the frame and its time, for the parsers' context.</summary>
    public long Frame { get; set; }

    public long TimestampNs { get; set; }

    /// <summary>A TCP segment of a flow: hands its payload (from the frame or reassembled datagram) to the flow's parsers.</summary>
    public void Segment(Flow flow, bool isOrig, ref IpLevel ip, ReadOnlySpan<byte> payload)
    {
        if (flow.OrigTcp is null || Listening(flow, udp: false) is not { } streams)
            return;
        int dir = isOrig ? 0 : 1;
        var me = isOrig ? flow.OrigTcp! : flow.RespTcp!;
        bool syn = (ip.TcpFlags & TcpSyn) != 0;
        if (payload.Length > 0 && me.Started)
        {
            long start = me.Relative(syn ? ip.Seq + 1 : ip.Seq);
            streams.Streams[dir].Segment(start, payload, streams.Targets[dir]);
        }

        // The peer acknowledging bytes the capture never had: the hole is a gap now, not later.
        var peer = isOrig ? flow.RespTcp! : flow.OrigTcp!;
        if ((ip.TcpFlags & TcpAck) != 0 && peer.Started && streams.Streams[1 - dir].PendingBytes > 0)
            streams.Streams[1 - dir].Acknowledged(peer.Relative(ip.Ack), streams.Targets[1 - dir]);
        streams.ForgetRejected();
        if (!streams.AnyListening)
            Quiet(flow, streams);
        else if (flow.Closed && streams.Streams[0].PendingBytes == 0 && streams.Streams[1].PendingBytes == 0)
        {
            // Both FINs (or a RST) and no hole waiting for a retransmission: the streams are complete. The parsers
            // finish now rather than when the flow record is written after the close delay (TcpClosed, 5 s of capture
            // time), so a closed connection keeps no parser or reassembly state meanwhile.
            End(flow);
        }
    }

    /// <summary>A UDP datagram of a flow: its payload goes whole to each of the flow's parsers (one call per datagram).</summary>
    public void Datagram(Flow flow, bool isOrig, ReadOnlySpan<byte> payload)
    {
        if (Listening(flow, udp: true) is not { } streams)
            return;
        var direction = isOrig ? StreamDirection.FromOriginator : StreamDirection.FromResponder;
        if (streams.Unprobed)
            Begin(streams, direction, payload, probe: true);
        foreach (var slot in streams.Slots)
        {
            if (slot.Listening)
                slot.Datagram(direction, payload);
        }

        streams.ForgetRejected();
        if (!streams.AnyListening)
            Quiet(flow, streams);
    }

    /// <summary>
    /// The flow's streams when some parser still listens, or may: offered on the flow's first packet (null and never
    /// again when no dissector wants the flow), the parsers made at its first bytes (<see cref="Begin"/>).
    /// </summary>
    private FlowStreams? Listening(Flow flow, bool udp)
    {
        if (flow.Streams is Dead)
            return null;
        var streams = flow.Streams as FlowStreams;
        if (streams is null)
        {
            streams = Offer(flow, udp);
            if (streams is null)
            {
                flow.Streams = Dead.Instance;
                return null;
            }

            flow.Streams = streams;
        }

        return streams.Idle ? null : streams;
    }

    /// <summary>The flow ended: holes become gaps, held bytes are delivered, the parsers are told.</summary>
    public void End(Flow flow)
    {
        if (flow.Streams is not FlowStreams streams)
            return;
        for (int dir = 0; dir < streams.Streams.Length && !streams.Idle; dir++)
            streams.Streams[dir].Finish(streams.Targets[dir]);
        foreach (var slot in streams.Slots)
        {
            if (!slot.Rejected)
                slot.Invoke(p => p.OnEnd());
        }

        Drop(flow, streams);
    }

    /// <summary>
    /// No parser wants more bytes: the reassembly state goes; a parser that stopped listening without rejecting
    /// (<see cref="StreamContext.StopDelivery"/>) is still told when the flow ends.
    /// </summary>
    private void Quiet(Flow flow, FlowStreams streams)
    {
        if (!streams.Slots.Any(s => !s.Rejected))
        {
            Drop(flow, streams);
            return;
        }

        foreach (var s in streams.Streams)
            s.Discard();
        streams.Idle = true;
    }

    private void Drop(Flow flow, FlowStreams streams)
    {
        foreach (var s in streams.Streams)
            s.Discard();
        flow.Streams = Dead.Instance;
    }

    /// <summary>The flow's streams when some dissector wants it; no parser yet (<see cref="Begin"/>).</summary>
    private FlowStreams? Offer(Flow flow, bool udp)
    {
        foreach (var e in _entries)
        {
            if (e.Wants(udp, flow.OrigPort, flow.RespPort))
                return new FlowStreams(this, flow, udp);
        }

        return null;
    }

    /// <summary>
    /// The flow's first bytes (or, with <paramref name="probe"/> false, a gap before any): a parser for each dissector
    /// that wants the flow and whose probe does not refuse them. Most TCP flows are offered to four heuristic
    /// dissectors and are one protocol; the others make no parser (measured on the 1 GB benchmark: 0.1 s of 1.4).
    /// </summary>
    private void Begin(FlowStreams streams, StreamDirection direction, ReadOnlySpan<byte> first, bool probe)
    {
        var flow = streams.Flow;
        streams.Unprobed = false;
        foreach (var e in _entries)
        {
            if (!e.Wants(streams.Udp, flow.OrigPort, flow.RespPort))
                continue;
            bool byPort = e.ByPort(streams.Udp, flow.OrigPort, flow.RespPort);
            string stage = "Probe";
            try
            {
                if (probe && !e.Dissector.Probe(new StreamProbe(direction, first, streams.Udp, byPort)))
                    continue;
                stage = "CreateParser";
                var slot = new Slot(this, flow, e, streams.Udp, byPort);
                slot.Parser = e.Dissector.CreateParser(slot);
                streams.Slots.Add(slot);
            }
            catch (Exception ex)
            {
                _anomaly(flow, "engine.dissector_exception", $"stream dissector '{e.Id}' threw {ex.GetType().Name} in {stage}: {ex.Message}");
            }
        }
    }

    /// <summary>Marks a flow whose streams nobody wants.</summary>
    private sealed class Dead
    {
        public static readonly Dead Instance = new();
    }

    private sealed class FlowStreams
    {
        public FlowStreams(StreamDispatcher owner, Flow flow, bool udp)
        {
            Flow = flow;
            Udp = udp;
            if (udp)
            {
                // Datagrams are delivered as they come: nothing to reassemble.
                Streams = [];
                Targets = [];
                return;
            }

            Streams = [new TcpStream(owner._options, owner._budget), new TcpStream(owner._options, owner._budget)];
            // Relative offset 0 is the byte after the SYN, or the first byte seen mid-stream (TcpDirection.Base).
            Streams[0].Start(0);
            Streams[1].Start(0);
            Targets = [new Target(this, StreamDirection.FromOriginator, owner), new Target(this, StreamDirection.FromResponder, owner)];
        }

        public Flow Flow { get; }
        public bool Udp { get; }

        /// <summary>The parsers, made at the flow's first bytes; none before.</summary>
        public List<Slot> Slots { get; } = new(2);

        /// <summary>No byte (nor gap) has come yet, so no parser was made (<see cref="Begin"/>).</summary>
        public bool Unprobed { get; set; } = true;

        public TcpStream[] Streams { get; }
        public Target[] Targets { get; }

        /// <summary>Some parser still wants bytes, or none was made yet. Asked on every segment: a plain loop, no enumerator or delegate.</summary>
        public bool AnyListening
        {
            get
            {
                if (Unprobed)
                    return true;
                foreach (var slot in Slots)
                {
                    if (slot.Listening)
                        return true;
                }

                return false;
            }
        }

        /// <summary>
        /// Drops the slots of parsers that rejected the flow (a probe may let several parsers be made, and all but one
        /// reject later), so they die young instead of living, and being promoted by every collection, as long as
        /// the flow. Not during delivery: the loops over <see cref="Slots"/> are done by then.
        /// </summary>
        public void ForgetRejected()
        {
            var slots = Slots;
            int kept = 0;
            for (int i = 0; i < slots.Count; i++)
            {
                if (slots[i].Rejected)
                    continue;
                if (kept != i)
                    slots[kept] = slots[i]; // called on every segment: the list is written only when a slot moves
                kept++;
            }

            if (kept > 0 && kept < slots.Count)
                slots.RemoveRange(kept, slots.Count - kept);
        }

        /// <summary>Every parser rejected or stopped listening: bytes are no longer reassembled nor delivered.</summary>
        public bool Idle { get; set; }
    }

    /// <summary>Where one direction's in-order bytes go: to every parser still listening.</summary>
    private sealed class Target(FlowStreams streams, StreamDirection direction, StreamDispatcher owner) : IStreamTarget
    {
        public void Data(ReadOnlySpan<byte> data)
        {
            if (streams.Unprobed)
                owner.Begin(streams, direction, data, probe: true);
            foreach (var slot in streams.Slots)
            {
                if (slot.Listening)
                    slot.Feed(direction, data);
            }
        }

        public void Gap(long length)
        {
            if (streams.Unprobed)
                owner.Begin(streams, direction, default, probe: false);
            foreach (var slot in streams.Slots)
            {
                if (slot.Listening)
                    slot.Gap(direction, length);
            }
        }

        public void Conflict(long offset, int length)
        {
            owner._anomaly(streams.Flow, "tcp.reassembly_conflict",
                $"{length} bytes at stream offset {offset} ({(direction == StreamDirection.FromOriginator ? "originator" : "responder")}) were sent twice with different contents; kept the {(owner._options.LastWriteWins ? "last" : "first")}");
        }
    }

    /// <summary>One parser on one flow, with what it has not consumed yet in each direction; it is the parser's <see cref="StreamContext"/>.</summary>
    private sealed class Slot(StreamDispatcher owner, Flow flow, StreamDissectorEntry entry, bool datagram, bool offeredByPort) : StreamContext, IRecordSink
    {
        // Bytes a parser left unconsumed, per direction; allocated when a parser first leaves some.
        private byte[]?[]? _carry;
        private int _carryLength0, _carryLength1;

        private ref int CarryLength(int d) => ref d == 0 ? ref _carryLength0 : ref _carryLength1;

        public IStreamParser? Parser { get; set; }

        public bool Rejected { get; private set; }

        public override string FlowUid => flow.Uid;

        public override bool IsDatagram => datagram;

        public override bool OfferedByPort => offeredByPort;

        public override long CurrentFrame => owner.Frame;

        public override long CurrentTimestampNs => owner.TimestampNs;

        public override IRecordSink Records => this;

        public override void Report(AnomalyHandle anomaly, string detail)
        {
            var names = owner._registry.Anomalies;
            string name = (uint)anomaly.Id < (uint)names.Count ? names[anomaly.Id].Name : $"{entry.Id}.unknown_anomaly";
            owner._anomaly(flow, name, detail);
        }

        public override void Confirm()
        {
            if (datagram && entry.Dissector.UdpSessionTimeout is { Ticks: > 0 } session &&
                (flow.SessionTimeoutNs == 0 || session.Ticks * 100 < flow.SessionTimeoutNs))
                flow.SessionTimeoutNs = session.Ticks * 100;

            if (flow.Service is null)
                flow.Service = entry.Id;
            else if (!flow.Service.Split(',').Contains(entry.Id))
                flow.Service += "," + entry.Id;
        }

        /// <summary>The parser gave up: it is never called again, so it and its carried bytes are let go at once.</summary>
        public override void Reject(string reason)
        {
            Rejected = true;
            Parser = null;
            _carry = null;
        }

        public override void StopDelivery() => Stopped = true;

        /// <summary>The parser stopped listening (<see cref="StopDelivery"/>) but is told when the flow ends.</summary>
        public bool Stopped { get; private set; }

        public bool Listening => !Rejected && !Stopped;

        public void Write(RecordTableHandle table, object?[] values)
        {
            if (Written(table) is not { } written)
                return;
            var row = owner._boxedRows.For(table.Id);
            string? problem = null;
            if (RecordValues.Row(written, values, flow.CaptureId, out problem) is { } boxed && row.TrySetValues(boxed, out problem))
            {
                row.Set(written.IndexOf(DissectorRegistry.FlowUidColumn), flow.Uid);
                owner._output.Write(row);
            }
            else
            {
                owner._anomaly(flow, "engine.record_invalid", $"stream dissector '{entry.Id}': {problem}");
            }
        }

        public RecordRow BeginRow(RecordTableHandle table)
        {
            var written = Written(table);
            var rows = owner._pluginRows;
            int slot = written is null ? 0 : table.Id + 1;
            if (slot >= rows.Length)
                Array.Resize(ref owner._pluginRows, Math.Max(slot + 1, owner._registry.RecordTables.Count + 1));
            var row = owner._pluginRows[slot] ??= new PluginRow(written is null ? null : owner._rows.For(table.Id));
            if (row.InProgress && written is not null)
                owner._anomaly(flow, "engine.record_invalid",
                    $"stream dissector '{entry.Id}' began a row of '{written.Name}' before committing the one it was filling; that one is dropped");
            row.Begin(this);
            return row;
        }

        /// <summary>The table as written, when this slot's dissector declared it; otherwise null, and the anomaly reported.</summary>
        private RecordTableDescriptor? Written(RecordTableHandle table)
        {
            var tables = owner._registry.RecordTables;
            if ((uint)table.Id < (uint)tables.Count && tables[table.Id].Protocol == entry.Id)
                return tables[table.Id];
            owner._anomaly(flow, "engine.record_invalid", $"stream dissector '{entry.Id}' wrote to a table it did not declare");
            return null;
        }

        /// <summary>A typed row is complete: the host's columns are set and it is written, unless a value did not fit.</summary>
        public void Commit(TableRow? row, string? problem)
        {
            if (row is null)
                return; // a table the dissector did not declare: reported at BeginRow
            if (problem is not null)
            {
                owner._anomaly(flow, "engine.record_invalid", $"stream dissector '{entry.Id}': '{row.Table.Name}': {problem}");
                return;
            }

            var table = row.Table;
            row.Set(table.IndexOf(DissectorRegistry.FlowUidColumn), flow.Uid);
            row.Set(table.IndexOf(DissectorRegistry.CaptureIdColumn), flow.CaptureId);
            owner._output.Write(row);
        }

        public void Feed(StreamDirection direction, ReadOnlySpan<byte> data)
        {
            int d = (int)direction;
            ref int carried = ref CarryLength(d);
            if (carried == 0)
            {
                int used = Offer(direction, data);
                if (used < data.Length && Listening)
                    Keep(d, data[used..]);
                return;
            }

            Keep(d, data);
            if (!Listening || carried == 0)
                return;
            var buffer = _carry![d]!;
            int consumed = Offer(direction, buffer.AsSpan(0, carried));
            if (!Listening)
                return;
            int rest = carried - consumed;
            Buffer.BlockCopy(buffer, consumed, buffer, 0, rest);
            carried = rest;
        }

        /// <summary>One UDP datagram, whole; what the parser returns does not matter.</summary>
        public void Datagram(StreamDirection direction, ReadOnlySpan<byte> data)
        {
            try
            {
                Parser!.OnData(direction, data);
            }
            catch (Exception e) when (e is not OutputException)
            {
                Fail(e);
            }
        }

        public void Gap(StreamDirection direction, long length)
        {
            ref int carried = ref CarryLength((int)direction);
            long dropped = carried;
            carried = 0;
            Invoke(p => p.OnGap(direction, length + dropped));
        }

        /// <summary>Offers bytes until the parser takes no more; returns how many it took.</summary>
        private int Offer(StreamDirection direction, ReadOnlySpan<byte> data)
        {
            int total = 0;
            while (total < data.Length && Listening)
            {
                int used;
                try
                {
                    used = Parser!.OnData(direction, data[total..]);
                }
                catch (Exception e) when (e is not OutputException)
                {
                    Fail(e);
                    return data.Length;
                }

                if (used <= 0)
                    break;
                total += Math.Min(used, data.Length - total);
            }

            return total;
        }

        private void Keep(int d, ReadOnlySpan<byte> data)
        {
            ref int carried = ref CarryLength(d);
            int need = carried + data.Length;
            if (need > owner._options.MaxUnconsumedBytes)
            {
                owner._anomaly(flow, "stream.unconsumed_overflow",
                    $"stream dissector '{entry.Id}' left {need} bytes unconsumed (limit {owner._options.MaxUnconsumedBytes}); dropped as a gap");
                long dropped = need;
                carried = 0;
                Invoke(p => p.OnGap((StreamDirection)d, dropped));
                return;
            }

            _carry ??= new byte[]?[2];
            var buffer = _carry[d];
            if (buffer is null || buffer.Length < need)
            {
                Array.Resize(ref buffer, Math.Max(need, Math.Max(256, (buffer?.Length ?? 0) * 2)));
                _carry[d] = buffer;
            }

            data.CopyTo(buffer.AsSpan(carried));
            carried = need;
        }

        public void Invoke(Action<IStreamParser> call)
        {
            try
            {
                call(Parser!);
            }
            catch (Exception e) when (e is not OutputException)
            {
                Fail(e);
            }
        }

        private void Fail(Exception e)
        {
            Rejected = true;
            owner._anomaly(flow, "engine.dissector_exception",
                $"stream dissector '{entry.Id}' ({Path.GetFileName(owner._registry.Sources[entry.Protocol])}) threw {e.GetType().Name}: {e.Message}; not called again for this flow");
        }
    }

    /// <summary>
    /// The typed row a stream parser fills (<see cref="IRecordSink.BeginRow"/>): its columns are the plugin's, mapped
    /// past the host's <c>flow_uid</c>; a value that does not fit its column is remembered and the row refused at commit.
    /// One per record table and worker, reused row after row.
    /// </summary>
    private sealed class PluginRow(TableRow? row) : RecordRow
    {
        private Slot? _slot;
        private string? _problem;

        /// <summary>Begun and not committed yet.</summary>
        public bool InProgress => _slot is not null;

        public void Begin(Slot slot)
        {
            _slot = slot;
            _problem = null;
            row?.Clear();
        }

        public override RecordRow Set(int column, bool? value) => value is { } v ? Put(column, row?.TrySet(Map(column), v), "Boolean") : Null(column);

        public override RecordRow Set(int column, int? value) => value is { } v ? Put(column, row?.TrySet(Map(column), v), "Int32") : Null(column);

        public override RecordRow Set(int column, long? value) => value is { } v ? Put(column, row?.TrySet(Map(column), v), "Int64") : Null(column);

        public override RecordRow Set(int column, double? value) => value is { } v ? Put(column, row?.TrySet(Map(column), v), "Double") : Null(column);

        public override RecordRow Set(int column, string? value) => value is not null ? Put(column, row?.TrySet(Map(column), value), "String") : Null(column);

        public override RecordRow Set(int column, IReadOnlyList<string>? value) =>
            value is not null ? Put(column, row?.TrySet(Map(column), value), "List<String>") : Null(column);

        public override RecordRow SetText(int column, ReadOnlySpan<char> value) => Put(column, row?.TrySetText(Map(column), value), "String");

        public override RecordRow SetUtf8(int column, ReadOnlySpan<byte> value) => Put(column, row?.TrySetUtf8(Map(column), value), "String");

        public override void Commit()
        {
            var slot = _slot ?? throw new InvalidOperationException("Commit without BeginRow");
            _slot = null;
            slot.Commit(row, _problem);
        }

        /// <summary>The written table's index of the plugin's column, or -1 past its columns.</summary>
        private int Map(int column) =>
            row is null || (uint)column >= (uint)(row.Count - 2) ? -1 : DissectorRegistry.WrittenIndex(row.Table, column);

        private PluginRow Null(int column)
        {
            if (row is null)
                return this; // a table the dissector did not declare: reported at BeginRow
            int w = Map(column);
            if (w >= 0)
                row!.SetNull(w);
            else
                Put(column, false, "null");
            return this;
        }

        private PluginRow Put(int column, bool? ok, string given)
        {
            if (ok == false && _problem is null && row is not null)
            {
                int w = Map(column);
                _problem = w < 0
                    ? $"has {row!.Count - 2} columns, column {column} was set"
                    : $"column '{row!.Table.Columns[w].Name}' is {row.TypeOf(w)}, got {given}";
            }

            return this;
        }
    }
}

/// <summary>One reused <see cref="TableRow"/> per record table a plugin declared, made when first written.</summary>
internal sealed class RecordRows(DissectorRegistry registry)
{
    private TableRow?[] _rows = [];

    public TableRow For(int table)
    {
        if (table >= _rows.Length)
            Array.Resize(ref _rows, registry.RecordTables.Count);
        return _rows[table] ??= new TableRow(registry.RecordTables[table]);
    }
}

/// <summary>Type checks and conversions of the values a plugin writes to its record tables.</summary>
internal static class RecordValues
{
    /// <summary>
    /// The written row of a plugin's record: its values moved past the host's columns, checked and converted, and
    /// <c>capture_id</c> set (<c>flow_uid</c> is the caller's). Null, with the reason, when the values do not fit.
    /// </summary>
    public static object?[]? Row(RecordTableDescriptor written, object?[] values, string captureId, out string? problem)
    {
        if (values.Length != written.Columns.Count - 2)
        {
            problem = $"'{written.Name}' has {written.Columns.Count - 2} columns, {values.Length} values were written";
            return null;
        }

        var row = new object?[written.Columns.Count];
        for (int i = 0; i < values.Length; i++)
        {
            int w = DissectorRegistry.WrittenIndex(written, i);
            problem = Check(written.Columns[w], values[i]);
            if (problem is not null)
            {
                problem = $"'{written.Name}': {problem}";
                return null;
            }

            row[w] = Normalise(written.Columns[w].Type, values[i]);
        }

        row[written.IndexOf(DissectorRegistry.CaptureIdColumn)] = captureId;
        problem = null;
        return row;
    }

    public static string? Check(ColumnDescriptor column, object? value)
    {
        if (value is null)
            return null;
        bool ok = column.Type switch
        {
            ColumnType.Boolean => value is bool,
            ColumnType.Int32 => value is int or short or byte or ushort,
            ColumnType.Int64 or ColumnType.Timestamp => value is long or int or uint or short or ushort or byte,
            ColumnType.Double => value is double or float,
            ColumnType.String => value is string,
            ColumnType.StringList => value is IEnumerable<string>,
            _ => false,
        };
        return ok ? null : $"column '{column.Name}' is {column.Type}, got {value.GetType().Name}";
    }

    public static object? Normalise(ColumnType type, object? value) => value switch
    {
        null => null,
        // Already the column's type: the plugin's box is kept, not unboxed and boxed again.
        int when type == ColumnType.Int32 => value,
        long when type is ColumnType.Int64 or ColumnType.Timestamp => value,
        double when type == ColumnType.Double => value,
        _ when type == ColumnType.Int32 => Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture),
        _ when type is ColumnType.Int64 or ColumnType.Timestamp => Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture),
        _ when type == ColumnType.Double => Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture),
        IEnumerable<string> list when type == ColumnType.StringList => list as IReadOnlyList<string> ?? list.ToArray(),
        _ => value,
    };
}
