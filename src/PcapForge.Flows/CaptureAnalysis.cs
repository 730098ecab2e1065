using System.Buffers.Binary;
using System.IO.Hashing;
using System.Security.Cryptography;
using PcapForge.Abstractions;
using PcapForge.Abstractions.Dissection;
using PcapForge.Capture;
using PcapForge.Dissection;
using PcapForge.Dissection.Filters;
using PcapForge.Output;

namespace PcapForge.Flows;

/// <summary>Options of an analysis run.</summary>
public sealed record AnalysisOptions
{
    /// <summary>Also write one <c>packets</c> row per frame.</summary>
    public bool Packets { get; init; }

    /// <summary>Only frames matching this display filter enter the flow engine.</summary>
    public DisplayFilter? Filter { get; init; }

    public FlowTimeouts Timeouts { get; init; } = new();

    /// <summary>Limits and overlap policy of TCP reassembly for stream dissectors.</summary>
    public TcpReassemblyOptions Reassembly { get; init; } = new();

    /// <summary>Compute the SHA-256 of each input for the captures table (on another core, while frames are read).</summary>
    public bool HashInput { get; init; } = true;

    /// <summary>Command-line options of the run, recorded in the captures table.</summary>
    public string CommandLine { get; init; } = "";

    /// <summary>
    /// Threads that share the work of one (uncompressed) capture: each reads every frame but decodes only those of
    /// its share of host pairs, so flows, fragments and tunnels stay whole within one thread. Default: one per core.
    /// </summary>
    public int Workers { get; init; } = Math.Clamp(Environment.ProcessorCount, 1, 8);

    /// <summary>Called every few thousand frames with the bytes and frames done (progress display).</summary>
    public Action<long, long>? Progress { get; init; }
}

/// <summary>
/// A capture read from a stream as it is written, with what its captures row says: <paramref name="CaptureId"/> (a
/// stream has no final bytes to fingerprint when its flows get their uids, so the producer names it),
/// <paramref name="Source"/> (<c>capture</c> for a live capture) and <paramref name="Path"/> (the interfaces).
/// </summary>
public sealed record CaptureStream(Stream Stream, string CaptureId, string Source, string Path);

/// <summary>What one input gave.</summary>
public sealed record CaptureResult(string CaptureId, string Path, long Frames, long Bytes, long Flows, long Anomalies, bool StoppedEarly);

/// <summary>
/// The main job for one capture: frames from the reader, decoded by the dissectors, accounted to flows, written as
/// rows (flows, anomalies, optionally packets, plugin records, and the captures row). Memory is bounded by the live
/// flows. With several <see cref="AnalysisOptions.Workers"/>, each thread reads the whole (memory-mapped) file and
/// decodes the frames of its share of host pairs (<see cref="HostPairPartition"/>).
/// </summary>
public sealed class CaptureAnalysis
{
    private readonly DissectionEngine _engine;
    private readonly IRowSink _output;
    private readonly AnalysisOptions _options;

    public CaptureAnalysis(DissectionEngine engine, IRowSink output, AnalysisOptions? options = null)
    {
        _engine = engine;
        _output = output;
        _options = options ?? new AnalysisOptions();
    }

    /// <summary>Analyses one capture file. Throws <see cref="CaptureFormatException"/> when it is not a capture at all.</summary>
    public CaptureResult Run(string path, CancellationToken cancel = default)
    {
        long runStart = UnixNowNs();
        string captureId = Fingerprint(path);
        var readerAnomalies = new ReaderAnomalies();
        var first = CaptureReader.Open(path, new CaptureReaderOptions { Anomalies = readerAnomalies });
        Task<string>? sha = _options.HashInput ? Task.Run(() => Sha256(path, cancel), cancel) : null;
        // A compressed capture is decompressed as it is read: one reader, one thread.
        int count = first.Compression == CaptureCompression.None ? Math.Max(1, _options.Workers) : 1;
        // Each worker writes its rows through a writer of its own when the output allows it, else under one lock.
        var concurrent = count > 1 ? _output as IConcurrentRowSink : null;
        IRowSink shared = count > 1 && concurrent is null ? new LockedRows(_output) : _output;
        var writers = new List<IRowSink>();
        var workers = new Worker[count];
        try
        {
            for (int i = 0; i < count; i++)
            {
                var reader = i == 0 ? first : CaptureReader.Open(path);
                var engine = i == 0 ? _engine : new DissectionEngine(_engine.Registry);
                var sink = shared;
                if (concurrent is not null)
                    writers.Add(sink = concurrent.CreateWriter());
                workers[i] = new Worker(engine, sink, _options, captureId, reader, i, count);
            }

            readerAnomalies.Target = workers[0].Anomalies;
            var failures = new Exception?[count];
            var threads = new Thread[count];
            for (int i = 1; i < count; i++)
            {
                int index = i;
                threads[i] = new Thread(() =>
                {
                    try
                    {
                        workers[index].Run(cancel, null);
                    }
                    catch (Exception e)
                    {
                        failures[index] = e;
                    }
                })
                { IsBackground = true, Name = $"pcapforge analyze {i}" };
                threads[i].Start();
            }

            try
            {
                workers[0].Run(cancel, _options.Progress);
            }
            catch (Exception e)
            {
                failures[0] = e;
            }

            for (int i = 1; i < count; i++)
                threads[i].Join();
            if (failures.FirstOrDefault(f => f is not null) is { } failure)
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();

            string? hash = null;
            if (sha is not null)
            {
                try
                {
                    hash = sha.GetAwaiter().GetResult();
                }
                catch (IOException)
                {
                    hash = null;
                }
            }

            var w0 = workers[0];
            long flows = workers.Sum(w => w.FlowsWritten);
            long anomalies = workers.Sum(w => w.Anomalies.Written);
            WriteCaptureRow(captureId, "file", path, first.FileSize, hash, first, w0, flows, anomalies, runStart);
            return new CaptureResult(captureId, path, w0.Frames, w0.Bytes, flows, anomalies, first.StoppedEarly);
        }
        finally
        {
            // The workers' writers are done (the threads have ended): what they buffer waits for the next capture's.
            foreach (var writer in writers)
                (writer as IDisposable)?.Dispose();

            // Worker 0 reads with the first reader; the others opened their own.
            foreach (var w in workers.Skip(1))
                w?.Reader.Dispose();
            first.Dispose();
        }
    }

    /// <summary>
    /// Analyses a capture that arrives as a byte stream while it is written (a live capture's pcapng, see
    /// <see cref="CaptureStream"/>) until the stream ends; frames, flows and records are written as they come, flows
    /// when they time out or at the end. One worker: a stream is read once and in order, and the host-pair split of
    /// <see cref="AnalysisOptions.Workers"/> needs every worker to read the whole input. The captures row gets the
    /// stream's source, name, size and SHA-256 (of every byte of the stream, as a file written from it would hash).
    /// Throws <see cref="CaptureFormatException"/> when the stream does not start like a capture.
    /// </summary>
    public CaptureResult Run(CaptureStream input, CancellationToken cancel = default)
    {
        long runStart = UnixNowNs();
        var counted = new CountingStream(input.Stream, _options.HashInput);
        var readerAnomalies = new ReaderAnomalies();
        using var reader = CaptureReader.Open(counted, input.Path, new CaptureReaderOptions { Anomalies = readerAnomalies });
        var worker = new Worker(_engine, _output, _options, input.CaptureId, reader, 0, 1);
        readerAnomalies.Target = worker.Anomalies;
        worker.Run(cancel, _options.Progress);
        // Blocks after the last frame (interface statistics) and any bytes the reader stopped before belong to the
        // stream's size and hash too.
        counted.ReadToEnd();
        long anomalies = worker.Anomalies.Written;
        WriteCaptureRow(input.CaptureId, input.Source, input.Path, counted.Length, counted.Sha256(), reader, worker, worker.FlowsWritten,
            anomalies, runStart);
        return new CaptureResult(input.CaptureId, input.Path, worker.Frames, worker.Bytes, worker.FlowsWritten, anomalies, reader.StoppedEarly);
    }

    private void WriteCaptureRow(string captureId, string source, string path, long size, string? hash, CaptureReader reader, Worker w0,
        long flows, long anomalies, long runStart)
    {
        var capture = new RowBuilder(HostTables.Captures);
        capture.Set("capture_id", captureId)
            .Set("source", source)
            .Set("path", path)
            .Set("size", size)
            .Set("sha256", hash)
            .Set("format", FormatName(reader))
            .Set("interfaces", reader.Interfaces.Select(i => $"{i.Name ?? $"#{i.Index}"} ({i.LinkTypeName})").ToArray())
            .Set("frames", w0.Frames)
            .Set("bytes", w0.Bytes)
            .Set("first_ts", w0.Frames > 0 ? w0.FirstTs : null)
            .Set("last_ts", w0.Frames > 0 ? w0.LastTs : null)
            .Set("flows", flows)
            .Set("anomalies", anomalies)
            .Set("host", Environment.MachineName)
            .Set("tool_version", ToolVersion)
            .Set("plugins", _engine.Registry.Protocols.Select((p, i) => $"{p.Id} ({Path.GetFileName(_engine.Registry.Sources[i])})").ToArray())
            .Set("options", _options.CommandLine)
            .Set("run_start", runStart)
            .Set("run_end", UnixNowNs());
        _output.Write(capture.Row);
    }

    /// <summary>Counts (and hashes) the bytes a reader takes from a stream.</summary>
    private sealed class CountingStream(Stream inner, bool hash) : Stream
    {
        private readonly IncrementalHash? _sha = hash ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => Position;
        public override long Position { get; set; }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int n = inner.Read(buffer);
            _sha?.AppendData(buffer[..n]);
            Position += n;
            return n;
        }

        public void ReadToEnd()
        {
            byte[] rest = new byte[64 * 1024];
            while (Read(rest) > 0)
            {
            }
        }

        public string? Sha256() => _sha is null ? null : Convert.ToHexStringLower(_sha.GetHashAndReset());

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _sha?.Dispose();
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>Reader anomalies go to the first worker's writer once it exists.</summary>
    private sealed class ReaderAnomalies : IAnomalySink
    {
        private readonly List<Anomaly> _early = new();

        public AnomalyWriter? Target
        {
            get;
            set
            {
                field = value;
                foreach (var a in _early)
                    value?.Report(a);
                _early.Clear();
            }
        }

        public void Report(Anomaly anomaly)
        {
            if (Target is { } t)
                t.Report(anomaly);
            else
                _early.Add(anomaly);
        }
    }

    /// <summary>Serialises the workers' rows into the one output.</summary>
    private sealed class LockedRows(IRowSink inner) : IRowSink
    {
        private readonly Lock _lock = new();

        public void Write(TableRow row)
        {
            lock (_lock)
                inner.Write(row);
        }
    }

    /// <summary>One thread's share of a capture: its reader, engine, flow table and row builders.</summary>
    private sealed class Worker
    {
        private readonly DissectionEngine _engine;
        private readonly IRowSink _output;
        private readonly AnalysisOptions _options;
        private readonly string _captureId;
        private readonly int _index, _count;
        private readonly PacketFacts _facts;
        private readonly PacketContext _context = new();
        private readonly RowBuilder _packet = new(HostTables.Packets);
        private readonly FlowRows _flowRows = new();
        private readonly string[] _protocolIds;
        private char[] _protocolPath = new char[64];
        private readonly StreamDispatcher _streams;
        private readonly FrameRecords _records;
        private const int UdpProtocol = 17;
        private readonly FlowTable _table;

        public Worker(DissectionEngine engine, IRowSink output, AnalysisOptions options, string captureId, CaptureReader reader, int index, int count)
        {
            _engine = engine;
            _output = output;
            _options = options;
            _captureId = captureId;
            Reader = reader;
            _index = index;
            _count = count;
            _facts = new PacketFacts(engine.Registry);
            _protocolIds = engine.Registry.Protocols.Select(p => p.Id).ToArray();
            Anomalies = new AnomalyWriter(engine.Registry, output, captureId);
            _streams = new StreamDispatcher(engine.Registry, options.Reassembly, output, (flow, name, detail) => Anomalies.Stream(flow, name, detail));
            _records = new FrameRecords(engine.Registry, output, captureId, Anomalies);
            _table = new FlowTable(new FlowWriter(this), captureId, options.Timeouts);
        }

        public CaptureReader Reader { get; }
        public AnomalyWriter Anomalies { get; }
        public long Frames { get; private set; }
        public long Bytes { get; private set; }
        public long FirstTs { get; private set; } = long.MaxValue;
        public long LastTs { get; private set; } = long.MinValue;
        public long FlowsWritten { get; private set; }

        public void Run(CancellationToken cancel, Action<long, long>? progress)
        {
            var reader = Reader;
            var context = _context;
            context.Records = _engine.Registry.RecordTables.Count > 0 ? _records : null;
            var filter = _options.Filter;
            var streams = _streams;
            long frames = 0, bytes = 0, firstTs = long.MaxValue, lastTs = long.MinValue;
            while (reader.TryReadNext(out Frame frame))
            {
                frames++;
                bytes += frame.Info.CapturedLength;
                long ts = frame.Info.TimestampNs;
                if (ts < firstTs)
                    firstTs = ts;
                if (ts > lastTs)
                    lastTs = ts;
                if ((frames & 0xFFFF) == 0)
                {
                    cancel.ThrowIfCancellationRequested();
                    progress?.Invoke(reader.BytesConsumed, frames);
                }

                if (_count > 1 && HostPairPartition.Owner(frame.Data, frame.Info.LinkType, _count) != _index)
                    continue;
                Anomalies.CurrentFrame(ts, frame.Info.Number);
                streams.Frame = frame.Info.Number;
                streams.TimestampNs = ts;
                _engine.Dissect(frame, context, false, Anomalies, recordFrameFields: filter is not null);
                if (filter is not null && !filter.Matches(context, frame.Data))
                    continue;
                _facts.Read(context, frame.Data);
                var meta = new PacketMeta(ts, frame.Info.Number, frame.Info.OriginalLength, _facts.EthSource, _facts.EthDestination, _facts.Vlan, _facts.InnerVlan);
                Flow? flow = null;
                bool isOrig = true;
                string? parent = null;
                for (int i = 0; i < _facts.LevelCount; i++)
                {
                    ref IpLevel level = ref _facts.Level(i);
                    if (level.IsFragment && !level.Reassembled)
                    {
                        // A fragment that completes nothing (or a first fragment, decoded partly): the datagram is
                        // accounted once, when its last fragment arrives, as Zeek and tshark do with reassembly on.
                        flow = null;
                        break;
                    }

                    // Only the outer packet has the frame's MAC addresses.
                    var levelMeta = i == 0 ? meta : meta with { EthSource = 0, EthDestination = 0 };
                    flow = _table.Process(ref level, levelMeta, parent, out isOrig);
                    parent = flow?.Uid;
                    if (flow is not null && level.HasTcp && streams.Any)
                        streams.Segment(flow, isOrig, ref level, Payload(ref level, frame.Data));
                    else if (flow is not null && level.Protocol == UdpProtocol && level.HasPorts && streams.AnyUdp)
                    {
                        streams.Datagram(flow, isOrig, Payload(ref level, frame.Data));
                        if (flow.SessionTimeoutNs > 0)
                            _table.Relist(flow);
                    }
                }

                if (_records.Pending > 0)
                    _records.Flush(flow);
                if (context.Anomalies.Count > 0)
                    Anomalies.FrameAnomalies(context, frame.Info, flow?.Uid);
                if (_options.Packets)
                    WritePacket(frame.Info, flow, isOrig);
            }

            Frames = frames;
            Bytes = bytes;
            FirstTs = firstTs;
            LastTs = lastTs;
            _engine.Finish(Anomalies);
            _table.Flush();
            progress?.Invoke(reader.BytesConsumed, frames);
        }

        /// <summary>The captured bytes of a level's transport payload (fewer than declared when the snaplen cut them).</summary>
        private ReadOnlySpan<byte> Payload(ref IpLevel level, ReadOnlySpan<byte> frame)
        {
            ReadOnlySpan<byte> data = level.Reassembled ? _context.Reassembled.Span : frame;
            int offset = level.PayloadOffset;
            if (offset < 0 || offset > data.Length || level.PayloadLength <= 0)
                return ReadOnlySpan<byte>.Empty;
            return data.Slice(offset, Math.Min(level.PayloadLength, data.Length - offset));
        }

        private void WritePacket(in FrameInfo info, Flow? flow, bool isOrig)
        {
            // No string per frame: addresses and the protocol path are formatted into buffers and copied into the row.
            var r = _packet;
            Span<char> ethSrc = stackalloc char[FlowRows.MacLength], ethDst = stackalloc char[FlowRows.MacLength];
            Span<char> src = stackalloc char[IpAddress128.MaxTextLength], dst = stackalloc char[IpAddress128.MaxTextLength];
            r.Clear();
            r.Set("ts", info.TimestampNs)
                .Set("frame", info.Number)
                .Set("flow_uid", flow?.Uid)
                .Set("is_orig", flow is null ? null : isOrig)
                .Set("interface_id", info.InterfaceIndex)
                .Set("len", (int)Math.Min(int.MaxValue, info.OriginalLength))
                .Set("caplen", info.CapturedLength)
                .SetText("protocols", Protocols())
                .SetMac("eth_src", _facts.EthSource, ethSrc)
                .SetMac("eth_dst", _facts.EthDestination, ethDst)
                .Set("vlan", _facts.Vlan >= 0 ? _facts.Vlan : null)
                .Set("capture_id", _captureId);
            if (_facts.LevelCount > 0)
            {
                ref IpLevel l = ref _facts.Level(_facts.LevelCount - 1);
                bool v4 = l.Version == 4;
                r.Set("ip_version", l.Version)
                    .SetText("src_h", src[..l.Source.Format(src, v4)])
                    .SetText("dst_h", dst[..l.Destination.Format(dst, v4)])
                    .Set("ip_proto", l.Protocol)
                    .Set("ttl", l.Ttl)
                    .Set("ip_len", l.TotalLength);
                if (l.HasPorts)
                    r.Set("src_p", l.SourcePort).Set("dst_p", l.DestinationPort);
                if (l.HasTcp)
                    r.Set("tcp_flags", l.TcpFlags).Set("tcp_seq", (long)l.Seq).Set("tcp_ack", (long)l.Ack).Set("tcp_window", l.Window);
                if (l.PayloadLength >= 0)
                    r.Set("payload_len", l.PayloadLength);
                if (l.HasIcmp)
                    r.Set("icmp_type", l.IcmpType).Set("icmp_code", l.IcmpCode);
            }

            _output.Write(r.Row);
        }

        /// <summary>The frame's protocol path ("eth:ip:tcp"), in a buffer kept for the next frame.</summary>
        private ReadOnlySpan<char> Protocols()
        {
            var layers = _context.Layers;
            int n = 0;
            for (int i = 0; i < layers.Length; i++)
            {
                string id = _protocolIds[layers[i].Protocol];
                int need = n + id.Length + 1;
                if (need > _protocolPath.Length)
                    Array.Resize(ref _protocolPath, Math.Max(need, _protocolPath.Length * 2));
                if (i > 0)
                    _protocolPath[n++] = ':';
                id.CopyTo(_protocolPath.AsSpan(n));
                n += id.Length;
            }

            return _protocolPath.AsSpan(0, n);
        }

        public void WriteFlow(Flow flow)
        {
            // The stream parsers finish first: they may still confirm the service or write records.
            _streams.End(flow);
            _output.Write(_flowRows.Build(flow));
            FlowsWritten++;
        }
    }

    public static string ToolVersion { get; } =
        typeof(CaptureAnalysis).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    private static long UnixNowNs() => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;

    private static string FormatName(CaptureReader reader)
    {
        string format = reader.Format is CaptureFormat.PcapNg ? "pcapng" : "pcap";
        return reader.Compression switch
        {
            CaptureCompression.Gzip => format + "+gzip",
            CaptureCompression.Zstd => format + "+zstd",
            _ => format,
        };
    }

    /// <summary>
    /// The capture id: 16 hex digits of an xxHash128 over the file's size and its first and last 64 KiB. The same
    /// file gives the same id (and so the same flow uids) on every run, without reading the whole file first.
    /// </summary>
    public static string Fingerprint(string path)
    {
        const int Edge = 64 * 1024;
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        long size = RandomAccess.GetLength(file);
        var hash = new XxHash128();
        Span<byte> sizeBytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(sizeBytes, size);
        hash.Append(sizeBytes);
        byte[] buffer = new byte[Edge];
        int n = RandomAccess.Read(file, buffer, 0);
        hash.Append(buffer.AsSpan(0, n));
        if (size > Edge)
        {
            n = RandomAccess.Read(file, buffer, Math.Max(Edge, size - Edge));
            hash.Append(buffer.AsSpan(0, n));
        }

        return Convert.ToHexStringLower(hash.GetCurrentHash())[..16];
    }

    private static string Sha256(string path, CancellationToken cancel)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 20, FileOptions.SequentialScan);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[1 << 20];
        int n;
        while ((n = stream.Read(buffer)) > 0)
        {
            cancel.ThrowIfCancellationRequested();
            sha.AppendData(buffer, 0, n);
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>Writes each ended flow.</summary>
    private sealed class FlowWriter(Worker owner) : IFlowSink
    {
        public void OnFlowEnd(Flow flow) => owner.WriteFlow(flow);
    }

    /// <summary>
    /// Records per-packet dissectors write during a frame: held until the frame's flow is known, then written with
    /// its uid.
    /// </summary>
    private sealed class FrameRecords(DissectorRegistry registry, IRowSink output, string captureId, AnomalyWriter anomalies)
        : Abstractions.Records.IRecordSink
    {
        private readonly List<(int Table, object?[] Row)> _pending = new();
        private readonly RecordRows _rows = new(registry);

        public int Pending => _pending.Count;

        public void Write(Abstractions.Records.RecordTableHandle table, object?[] values)
        {
            var tables = registry.RecordTables;
            if ((uint)table.Id >= (uint)tables.Count)
            {
                anomalies.Frame("engine.record_invalid", $"a record for table handle {table.Id}, which no dissector declared");
                return;
            }

            var row = RecordValues.Row(tables[table.Id], values, captureId, out string? problem);
            if (row is null)
            {
                anomalies.Frame("engine.record_invalid", problem!);
                return;
            }

            _pending.Add((table.Id, row));
        }

        public void Flush(Flow? flow)
        {
            var tables = registry.RecordTables;
            foreach (var (table, values) in _pending)
            {
                values[tables[table].IndexOf(DissectorRegistry.FlowUidColumn)] = flow?.Uid;
                var row = _rows.For(table);
                if (row.TrySetValues(values, out string? problem))
                    output.Write(row);
                else
                    anomalies.Frame("engine.record_invalid", problem);
            }

            _pending.Clear();
        }
    }

    /// <summary>Writes anomalies from the reader, the engine and the dissectors.</summary>
    private sealed class AnomalyWriter(DissectorRegistry registry, IRowSink output, string captureId) : IAnomalySink
    {
        private readonly RowBuilder _row = new(HostTables.Anomalies);
        private long _ts, _frame;
        private bool _hasTs;

        public long Written { get; private set; }

        public void CurrentFrame(long ts, long frame)
        {
            _ts = ts;
            _frame = frame;
            _hasTs = true;
        }

        /// <summary>An anomaly of the frame being decoded that no layer raised (a per-packet record that does not fit its table).</summary>
        public void Frame(string name, string detail) =>
            Write(_hasTs ? _ts : null, _hasTs ? _frame : null, null, "frame", name, detail, 0);

        /// <summary>An anomaly of a flow's byte stream (reassembly, a stream dissector), at the current frame.</summary>
        public void Stream(Flow? flow, string name, string detail) =>
            Write(_hasTs ? _ts : null, _hasTs ? _frame : null, flow?.Uid, "stream", name, detail, 0);

        // The time is known only for the frame being decoded (engine anomalies); the reader's are about file positions.
        public void Report(Anomaly anomaly) => Write(_hasTs && anomaly.Frame == _frame ? _ts : null, anomaly.Frame, null, anomaly.Scope, anomaly.Name,
            anomaly.Detail, anomaly.FileOffset);

        public void FrameAnomalies(PacketContext context, in FrameInfo frame, string? flowUid)
        {
            var names = registry.Anomalies;
            foreach (var a in context.Anomalies)
                Write(frame.TimestampNs, frame.Number, flowUid, "frame", names[a.Anomaly].Name, a.Detail, frame.DataOffset + a.Offset);
        }

        private void Write(long? ts, long? frame, string? flowUid, string scope, string name, string detail, long offset)
        {
            var r = _row;
            r.Clear();
            r.Set("ts", ts).Set("frame", frame).Set("flow_uid", flowUid).Set("scope", scope).Set("name", name).Set("detail", detail)
                .Set("file_offset", offset).Set("capture_id", captureId);
            output.Write(r.Row);
            Written++;
        }
    }
}
