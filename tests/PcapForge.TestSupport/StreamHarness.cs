using System.Globalization;
using System.Text;
using PcapForge.Abstractions.Dissection;
using PcapForge.Abstractions.Records;
using PcapForge.Dissection;
using Xunit;

namespace PcapForge.TestSupport;

/// <summary>One message of a conversation: the bytes one side sent (a TCP write or a UDP datagram).</summary>
public readonly record struct StreamMessage(StreamDirection Direction, byte[] Data)
{
    public static StreamMessage Client(string text) => new(StreamDirection.FromOriginator, Encoding.Latin1.GetBytes(text));

    public static StreamMessage Server(string text) => new(StreamDirection.FromResponder, Encoding.Latin1.GetBytes(text));

    public static StreamMessage Client(byte[] data) => new(StreamDirection.FromOriginator, data);

    public static StreamMessage Server(byte[] data) => new(StreamDirection.FromResponder, data);

    /// <summary>The capture lost <paramref name="length"/> bytes of this direction here.</summary>
    public static StreamMessage Gap(StreamDirection direction, int length) => new(direction, new byte[length]) { IsGap = true };

    public bool IsGap { get; init; }
}

/// <summary>What a parser did over one delivery of a conversation.</summary>
public sealed class StreamRun
{
    public List<(string Table, Dictionary<string, object?> Row)> Records { get; } = new();
    public List<(string Name, string Detail)> Anomalies { get; } = new();
    public bool Confirmed { get; internal set; }
    public string? Rejected { get; internal set; }

    /// <summary>The parser called <see cref="StreamContext.StopDelivery"/>: it got no more bytes, and still its OnEnd.</summary>
    public bool Stopped { get; internal set; }

    /// <summary>Rows of one table.</summary>
    public List<Dictionary<string, object?>> this[string table] => Records.Where(r => r.Table == table).Select(r => r.Row).ToList();

    public IEnumerable<string> AnomalyNames => Anomalies.Select(a => a.Name);

    /// <summary>
    /// Everything the parser produced as text (records with every column, anomalies by name, confirm/reject), for
    /// comparing deliveries. Frame numbers and times are left out: they depend on where the bytes were split.
    /// </summary>
    public string Render(params string[] ignoreColumns)
    {
        var sb = new StringBuilder();
        sb.Append("confirmed=").Append(Confirmed).Append(" rejected=").Append(Rejected ?? "-").Append('\n');
        foreach (var (table, row) in Records)
        {
            sb.Append(table).Append(':');
            foreach (var (k, v) in row)
            {
                if (ignoreColumns.Contains(k))
                    continue;
                sb.Append(' ').Append(k).Append('=').Append(Format(v));
            }

            sb.Append('\n');
        }

        foreach (var (name, _) in Anomalies)
            sb.Append("anomaly: ").Append(name).Append('\n');
        return sb.ToString();
    }

    public static string Format(object? v) => v switch
    {
        null => "-",
        string s => s,
        bool b => b ? "T" : "F",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IEnumerable<string> list => "[" + string.Join(",", list) + "]",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };
}

/// <summary>
/// Drives a stream dissector's parser the way the flow engine does — bytes a parser leaves unconsumed are offered
/// again with the next bytes of that direction, a gap drops them — over any segmentation of a conversation, so a
/// test can check that every split point and one-byte segments give the same records (STYLE.md, Tests). Each
/// record is checked against the columns the dissector declared. Frame numbers count delivered segments from 1 and
/// the time is 1 ms per segment, so a record's frame column is the segment that completed it.
/// </summary>
public sealed class StreamHarness
{
    private readonly IStreamDissector _dissector;
    private readonly ProtocolDescriptor _protocol;
    private readonly DissectorRegistry _registry;

    /// <param name="dissector">The dissector under test; its Declare runs here.</param>
    /// <param name="id">The protocol id it declares.</param>
    /// <param name="preferences">Preference values as given with <c>-o name:value</c> (the dissector's defaults otherwise).</param>
    public StreamHarness(IStreamDissector dissector, string id, IReadOnlyDictionary<string, bool>? preferences = null)
    {
        _dissector = dissector;
        var problems = new List<PluginProblem>();
        _registry = DissectorRegistry.Build([new LoadedDissector(dissector, id, 0, dissector.GetType().Assembly.Location)], problems, preferences);
        Assert.Empty(problems);
        _protocol = _registry.Protocols.Single(p => p.Id == id);
    }

    /// <summary>The tables the dissector declared (without the host's columns).</summary>
    public IReadOnlyList<RecordTableDescriptor> Tables => _protocol.RecordTables;

    /// <summary>Delivers the messages as they are (one segment each) and ends the flow.</summary>
    public StreamRun Run(IEnumerable<StreamMessage> messages, bool datagram = false) => Deliver(messages, datagram);

    /// <summary>What <see cref="StreamContext.OfferedByPort"/> says to the parsers (default: offered by the heuristic).</summary>
    public bool OfferedByPort { get; init; }

    /// <summary>Delivers the conversation with every message cut into segments of at most <paramref name="size"/> bytes.</summary>
    public StreamRun RunInSegments(IReadOnlyList<StreamMessage> messages, int size) =>
        Deliver(messages.SelectMany(m => m.IsGap ? [m] : Chunks(m, size)), false);

    /// <summary>
    /// Asserts that the conversation gives the same records when delivered whole, in one-byte segments, and split
    /// at every point of every message (each message cut in two). Returns the whole delivery's run.
    /// </summary>
    public StreamRun AssertSameOnEverySplit(IReadOnlyList<StreamMessage> messages, params string[] ignoreColumns)
    {
        string[] ignore = ["ts", "frame", .. ignoreColumns, .. Tables.SelectMany(t => t.Columns).Where(c => c.Type == ColumnType.Timestamp || c.Name.EndsWith("_frame", StringComparison.Ordinal)).Select(c => c.Name)];
        var whole = Deliver(messages, false);
        string expected = whole.Render(ignore);
        string bytes = RunInSegments(messages, 1).Render(ignore);
        Assert.True(expected == bytes, $"one-byte segments differ from whole messages:\n--- whole\n{expected}--- one-byte\n{bytes}");
        for (int m = 0; m < messages.Count; m++)
        {
            if (messages[m].IsGap)
                continue;
            var data = messages[m].Data;
            for (int cut = 1; cut < data.Length; cut++)
            {
                var split = new List<StreamMessage>(messages.Count + 1);
                split.AddRange(messages.Take(m));
                split.Add(messages[m] with { Data = data[..cut] });
                split.Add(messages[m] with { Data = data[cut..] });
                split.AddRange(messages.Skip(m + 1));
                string got = Deliver(split, false).Render(ignore);
                Assert.True(expected == got, $"message {m} cut at byte {cut} differs:\n--- whole\n{expected}--- split\n{got}");
            }
        }

        return whole;
    }

    /// <summary>What the dissector's <see cref="IStreamDissector.Probe"/> says of these first bytes.</summary>
    public bool Probe(StreamDirection direction, byte[] first, bool datagram = false) =>
        _dissector.Probe(new StreamProbe(direction, first, datagram, OfferedByPort));

    /// <summary>What the probe says of these first bytes, given as Latin-1 text.</summary>
    public bool Probe(StreamDirection direction, string first, bool datagram = false) =>
        Probe(direction, Encoding.Latin1.GetBytes(first), datagram);

    /// <summary>
    /// Asserts that the dissector's <see cref="IStreamDissector.Probe"/> is never stricter than its parser: whenever it
    /// refuses a flow's first bytes (sent by either side), the parser handed the same bytes rejects the flow too, so
    /// the engine, which asks the probe before making a parser, loses no flow of this protocol. Returns how many
    /// (bytes, side) pairs the probe refused, for the caller to check that it refuses what it should.
    /// </summary>
    public int AssertProbeNoStricterThanParser(IEnumerable<byte[]> firsts, bool datagram = false)
    {
        int refused = 0;
        foreach (var first in firsts)
        {
            foreach (var direction in (StreamDirection[])[StreamDirection.FromOriginator, StreamDirection.FromResponder])
            {
                if (Probe(direction, first, datagram))
                    continue;
                refused++;
                var run = Deliver([new StreamMessage(direction, first)], datagram);
                Assert.True(run.Rejected is not null,
                    $"the probe refused {direction} first bytes the parser accepts: '{Encoding.Latin1.GetString(first).ReplaceLineEndings("\\n")}'");
            }
        }

        return refused;
    }

    private static IEnumerable<StreamMessage> Chunks(StreamMessage m, int size)
    {
        for (int i = 0; i < m.Data.Length; i += size)
            yield return m with { Data = m.Data[i..Math.Min(m.Data.Length, i + size)] };
    }

    private StreamRun Deliver(IEnumerable<StreamMessage> messages, bool datagram)
    {
        var run = new StreamRun();
        var context = new Context(this, run, datagram);
        var parser = _dissector.CreateParser(context);
        var carry = new[] { new List<byte>(), new List<byte>() };
        foreach (var message in messages)
        {
            if (run.Rejected is not null || run.Stopped)
                break;
            context.Frame++;
            int d = (int)message.Direction;
            if (message.IsGap)
            {
                Assert.False(datagram, "UDP has no gaps");
                int dropped = carry[d].Count;
                carry[d].Clear();
                parser.OnGap(message.Direction, message.Data.Length + dropped);
                continue;
            }

            if (datagram)
            {
                parser.OnData(message.Direction, message.Data);
                continue;
            }

            carry[d].AddRange(message.Data);
            var pending = carry[d].ToArray();
            int total = 0;
            while (total < pending.Length && run.Rejected is null && !run.Stopped)
            {
                int used = parser.OnData(message.Direction, pending.AsSpan(total));
                Assert.True(used <= pending.Length - total, $"OnData consumed {used} of {pending.Length - total} bytes");
                if (used <= 0)
                    break;
                total += used;
            }

            carry[d].RemoveRange(0, total);
        }

        if (run.Rejected is null)
            parser.OnEnd();
        return run;
    }

    private void Check(RecordTableHandle handle, object?[] values, StreamRun run)
    {
        var tables = _registry.RecordTables;
        Assert.True((uint)handle.Id < (uint)tables.Count, $"record for undeclared table handle {handle.Id}");
        var written = tables[handle.Id];
        var declared = _protocol.RecordTables.Single(t => t.Name == written.Name);
        Assert.True(values.Length == declared.Columns.Count, $"'{declared.Name}' has {declared.Columns.Count} columns, {values.Length} values were written");
        var row = new Dictionary<string, object?>();
        for (int i = 0; i < values.Length; i++)
        {
            var column = declared.Columns[i];
            object? v = values[i];
            bool ok = v is null || column.Type switch
            {
                ColumnType.Boolean => v is bool,
                ColumnType.Int32 => v is int,
                ColumnType.Int64 or ColumnType.Timestamp => v is long or int,
                ColumnType.Double => v is double,
                ColumnType.String => v is string,
                ColumnType.StringList => v is IReadOnlyList<string>,
                _ => false,
            };
            if (!ok)
                Assert.Fail($"'{declared.Name}.{column.Name}' is {column.Type}, got {v!.GetType().Name}");
            row[column.Name] = v is int n && column.Type is ColumnType.Int64 or ColumnType.Timestamp ? (long)n : v;
        }

        run.Records.Add((declared.Name, row));
    }

    private sealed class Context(StreamHarness owner, StreamRun run, bool datagram) : StreamContext, IRecordSink
    {
        public long Frame;

        public override bool IsDatagram => datagram;
        public override bool OfferedByPort => owner.OfferedByPort;
        public override string FlowUid => "CHarnessFlow000001";
        public override long CurrentFrame => Frame;
        public override long CurrentTimestampNs => 1_700_000_000_000_000_000 + Frame * 1_000_000;
        public override IRecordSink Records => this;

        public override void Report(AnomalyHandle anomaly, string detail)
        {
            var names = owner._registry.Anomalies;
            Assert.True((uint)anomaly.Id < (uint)names.Count, $"undeclared anomaly handle {anomaly.Id}");
            run.Anomalies.Add((names[anomaly.Id].Name, detail));
        }

        public override void Confirm() => run.Confirmed = true;

        public override void Reject(string reason) => run.Rejected = reason;

        public override void StopDelivery() => run.Stopped = true;

        public void Write(RecordTableHandle table, object?[] values) => owner.Check(table, values, run);
    }
}
