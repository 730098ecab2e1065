using PcapForge.Abstractions.Dissection;
using PcapForge.Abstractions.Records;

namespace PcapForge.ToyPlugin;

/// <summary>
/// "Toy lines" over TCP, the smallest complete stream dissector: each side sends lines <c>TOY word\n</c>. It is
/// offered every TCP flow (heuristic), confirms on the first good line and rejects anything else; after a gap it
/// skips to the next line. One record per line.
/// </summary>
[StreamDissectorExport("toyline")]
public sealed class ToyLineDissector : IStreamDissector
{
    private static readonly byte[] Prefix = "TOY "u8.ToArray();
    private const int MaxLine = 200;

    private RecordTableHandle _lines;
    private AnomalyHandle _long;

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("toyline", "Toy Line Protocol", "A test stream protocol: lines 'TOY word'");
        _long = setup.Anomaly("toyline.line_too_long", "A line longer than 200 bytes");
        _lines = setup.RecordTable("toy_lines", "One row per toy line",
            new ColumnDescriptor("ts", ColumnType.Timestamp, "Time of the frame that completed the line"),
            new ColumnDescriptor("is_orig", ColumnType.Boolean, "Sent by the originator"),
            new ColumnDescriptor("word", ColumnType.String, "The word"),
            new ColumnDescriptor("frame", ColumnType.Int64, "Frame that completed the line"),
            new ColumnDescriptor("after_gap", ColumnType.Boolean, "The line follows a gap in the stream"));
        setup.AttachHeuristic("tcp");
    }

    public IStreamParser CreateParser(StreamContext context) => new Parser(this, context);

    /// <summary>Whether bytes (however few) can start a toy line: as much of "TOY " as came.</summary>
    private static bool MayStart(ReadOnlySpan<byte> data)
    {
        int n = Math.Min(Prefix.Length, data.Length);
        return data[..n].SequenceEqual(Prefix.AsSpan(0, n));
    }

    /// <summary>
    /// The heuristic's first look, before a parser is made: bytes that cannot start "TOY " are refused, so most flows
    /// (which are some other protocol) cost no parser. The parser keeps the same test for the bytes after these.
    /// Test hooks: a flow starting "TOY probe-refuses" is refused here (though the parser would take it), and one
    /// starting "TOY probe-throws" makes this throw, which the engine reports.
    /// </summary>
    public bool Probe(in StreamProbe first)
    {
        var data = first.Data;
        if (!MayStart(data))
            return false;
        if (data.StartsWith("TOY probe-throws"u8))
            throw new InvalidOperationException("probe test hook");
        return !data.StartsWith("TOY probe-refuses"u8);
    }

    private sealed class Parser(ToyLineDissector owner, StreamContext context) : IStreamParser
    {
        private bool _confirmed;
        private bool _stopped;
        private readonly bool[] _skipping = new bool[2];
        private readonly bool[] _afterGap = new bool[2];
        private bool _watching;

        public int OnData(StreamDirection direction, ReadOnlySpan<byte> data)
        {
            int d = (int)direction;
            int newline = data.IndexOf((byte)'\n');
            if (newline < 0)
            {
                // Not mine if what has come so far cannot start a toy line: the probe's test, which the parser must
                // apply too (a probe may not refuse what its parser would take), here before the length is looked at.
                if (!_confirmed && !_skipping[d] && !MayStart(data))
                {
                    context.Reject("not a toy line");
                    return 0;
                }

                if (data.Length > MaxLine)
                {
                    context.Report(owner._long, $"{data.Length} bytes without a newline");
                    _skipping[d] = true;
                    return data.Length;
                }

                return 0; // incomplete: offer again with more
            }

            var line = data[..newline];
            if (_skipping[d])
            {
                _skipping[d] = false;
            }
            else if (line.StartsWith(Prefix))
            {
                if (!_confirmed)
                {
                    _confirmed = true;
                    context.Confirm();
                }

                // One record per line, through the typed row: columns numbered as declared, the word decoded from
                // its UTF-8 bytes by the host (no string made here). Test hooks: "TOY bad-type" sets a column with
                // a value its type does not take, "TOY bad-column" a column the table does not have, "TOY bad-table"
                // writes to a table it did not declare, "TOY nested" begins a second row before committing the first.
                var word = line[Prefix.Length..];
                if (word.SequenceEqual("bad-table"u8))
                    context.Records.BeginRow(new RecordTableHandle(owner._lines.Id + 1000) { Columns = 1 }).Set(0, (int?)null).Set(0, "x").Commit();
                if (word.SequenceEqual("nested"u8))
                    context.Records.BeginRow(owner._lines).Set(2, "dropped");
                var row = context.Records.BeginRow(owner._lines)
                    .Set(0, context.CurrentTimestampNs)
                    .Set(1, direction == StreamDirection.FromOriginator)
                    .SetUtf8(2, word)
                    .Set(3, context.CurrentFrame)
                    .Set(4, _afterGap[d]);
                if (word.SequenceEqual("bad-type"u8))
                    row.Set(3, 1.5);
                if (word.SequenceEqual("bad-column"u8))
                    row.Set(5, "x");
                row.Commit();
                _afterGap[d] = false;
                // "TOY watch": parsing goes on, and OnEnd writes a last line "(end)" with the frame it was called at.
                if (line[Prefix.Length..].SequenceEqual("watch"u8))
                    _watching = true;
                if (line[Prefix.Length..].SequenceEqual("stop"u8))
                {
                    // "TOY stop": nothing more is parsed, and OnEnd writes a last line "(end)".
                    _stopped = true;
                    context.StopDelivery();
                }
            }
            else if (!_confirmed)
            {
                context.Reject("not a toy line");
            }

            return newline + 1;
        }

        public void OnGap(StreamDirection direction, long length)
        {
            _skipping[(int)direction] = true;
            _afterGap[(int)direction] = true;
        }

        public void OnEnd()
        {
            if (_stopped || _watching)
                context.Records.Write(owner._lines, [context.CurrentTimestampNs, false, "(end)", context.CurrentFrame, false]);
        }
    }
}
