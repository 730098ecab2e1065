using static PcapForge.TestSupport.Frames;

namespace PcapForge.Flows.Tests;

/// <summary>The flow engine feeding a stream dissector (the toy line protocol of the ToyPlugin) and writing its records.</summary>
public class StreamDissectorTests
{
    private static Conversation Handshake(uint clientIsn = 1000, int port = 7777)
    {
        var c = new Conversation(serverPort: port, clientIsn: clientIsn);
        return c.C(Syn).S(Syn | Ack).C(Ack);
    }

    [Fact]
    public void Lines_become_records_joined_to_the_flow_and_confirm_the_service()
    {
        var c = Handshake();
        c.C(Ack | Psh, "TOY hel").C(Ack | Psh, "lo\nTOY world\n").S(Ack | Psh, "TOY back\n").C(Fin | Ack).S(Fin | Ack).C(Ack);
        var rows = Analyzer.Run(c.Frames);
        var flow = Assert.Single(rows["flows"]);
        Assert.Equal("toyline", flow["service"]);
        var lines = rows["toy_lines"];
        Assert.Equal(["hello", "world", "back"], lines.Select(l => (string)l["word"]!));
        Assert.All(lines, l => Assert.Equal(flow["flow_uid"], l["flow_uid"]));
        Assert.All(lines, l => Assert.Equal(flow["capture_id"], l["capture_id"]));
        Assert.Equal([true, true, false], lines.Select(l => (bool)l["is_orig"]!));
        Assert.Equal(5L, lines[0]["frame"]);
    }

    /// <summary>
    /// The typed record path (IRecordSink.BeginRow) the toy line parser writes through: a value its column does not take,
    /// or a column past the table's, refuses that row with engine.record_invalid naming it; the rows around it, written
    /// through the same reused row, are whole.
    /// </summary>
    [Fact]
    public void A_typed_row_with_a_value_its_column_does_not_take_is_refused_and_the_next_rows_are_whole()
    {
        var c = Handshake();
        c.C(Ack | Psh, "TOY cafe\nTOY bad-type\nTOY next\nTOY bad-column\nTOY last\n").C(Fin | Ack).S(Fin | Ack).C(Ack);
        var rows = Analyzer.Run(c.Frames);
        var lines = rows["toy_lines"];
        Assert.Equal(["cafe", "next", "last"], lines.Select(l => (string)l["word"]!));
        Assert.Equal([4L, 4L, 4L], lines.Select(l => (long)l["frame"]!));
        Assert.All(lines, l => Assert.Equal(false, l["after_gap"]));
        Assert.All(lines, l => Assert.Equal(rows["flows"][0]["flow_uid"], l["flow_uid"]));
        var invalid = rows["anomalies"].Where(a => (string)a["name"]! == "engine.record_invalid").Select(a => (string)a["detail"]!).ToList();
        Assert.Equal(
        [
            "stream dissector 'toyline': 'toy_lines': column 'frame' is Int64, got Double",
            "stream dissector 'toyline': 'toy_lines': has 5 columns, column 5 was set",
        ], invalid);
    }

    /// <summary>
    /// A row for a table the dissector did not declare (nulls and values alike), and a row begun before the one in
    /// progress was committed: each is an engine.record_invalid anomaly, never an exception that stops the parser,
    /// and the lines after them are still written.
    /// </summary>
    [Fact]
    public void Rows_of_an_undeclared_table_or_begun_twice_are_anomalies_and_parsing_goes_on()
    {
        var c = Handshake();
        c.C(Ack | Psh, "TOY first\nTOY bad-table\nTOY nested\nTOY last\n").C(Fin | Ack).S(Fin | Ack).C(Ack);
        var rows = Analyzer.Run(c.Frames);
        Assert.Equal(["first", "bad-table", "nested", "last"], rows["toy_lines"].Select(l => (string)l["word"]!));
        Assert.DoesNotContain(rows["anomalies"], a => (string)a["name"]! == "engine.dissector_exception");
        Assert.Equal(
        [
            "stream dissector 'toyline' wrote to a table it did not declare",
            "stream dissector 'toyline' began a row of 'toy_lines' before committing the one it was filling; that one is dropped",
        ], rows["anomalies"].Where(a => (string)a["name"]! == "engine.record_invalid").Select(a => (string)a["detail"]!));
    }

    [Fact]
    public void Other_protocols_are_rejected_and_leave_no_service()
    {
        var c = Handshake(port: 80);
        c.C(Ack | Psh, "GET / HTTP/1.1\r\n\r\n").S(Ack | Psh, "HTTP/1.1 200 OK\r\n\r\n");
        var rows = Analyzer.Run(c.Frames);
        // The HTTP plugin confirms this one; the toy parser rejected it.
        Assert.Equal("http", Assert.Single(rows["flows"])["service"]);
        Assert.Empty(rows["toy_lines"]);
    }

    [Fact]
    public void Reordered_segments_across_the_sequence_wrap_are_delivered_in_order()
    {
        var c = Handshake(clientIsn: 0xFFFF_FFF8);
        uint s = c.ClientSeq;
        c.C(Ack, "B\nTOY C\n", seq: s + 10).C(Ack, "TOY A\nTOY ", seq: s);
        var rows = Analyzer.Run(c.Frames);
        Assert.Equal(["A", "B", "C"], rows["toy_lines"].Select(l => (string)l["word"]!));
        Assert.Equal(1L, Assert.Single(rows["flows"])["orig_ooo_pkts"]);
    }

    [Fact]
    public void A_gap_is_declared_and_parsing_resumes_at_the_next_line()
    {
        var c = Handshake();
        uint s = c.ClientSeq;
        c.C(Ack, "TOY one\n", seq: s).C(Ack, "TOY three\nTOY four\n", seq: s + 8 + 10);
        c.C(Fin | Ack).S(Fin | Ack).C(Ack);
        var rows = Analyzer.Run(c.Frames);
        var lines = rows["toy_lines"];
        // "TOY two\n" plus two bytes were never captured: the parser skips to the end of the line it lands in.
        Assert.Equal(["one", "four"], lines.Select(l => (string)l["word"]!));
        Assert.Equal(true, lines[1]["after_gap"]);
        Assert.Equal(10L, Assert.Single(rows["flows"])["missed_bytes"]);
    }

    [Fact]
    public void Records_of_per_packet_dissectors_carry_the_frame_flow()
    {
        byte[] toy = [0x70, 0xF0, 3, 0, 0, 0, 42];
        var frames = new List<(long, byte[])> { (5_000, Udp("10.0.0.1", 5000, "10.0.0.2", ToyPlugin.ToyDissector.Port, toy)) };
        var rows = Analyzer.Run(frames);
        var record = Assert.Single(rows["toy_messages"]);
        Assert.Equal(Assert.Single(rows["flows"])["flow_uid"], record["flow_uid"]);
        Assert.Equal(3, record["opcode"]);
        Assert.Equal(42L, record["counter"]);
        Assert.Equal(5_000L, record["ts"]);
    }

    /// <summary>
    /// The parsers are made at a flow's first bytes, by the dissectors whose probe does not refuse them. The toy
    /// probe refuses "TOY probe-refuses" though its parser would take the line: no parser, no rows, no service. The
    /// same line later in a flow reaches the parser, which the first bytes made.
    /// </summary>
    [Fact]
    public void A_dissector_whose_probe_refuses_the_first_bytes_never_sees_the_flow()
    {
        var refused = Handshake();
        refused.C(Ack | Psh, "TOY probe-refuses\nTOY one\n").S(Ack | Psh, "TOY two\n").C(Fin | Ack).S(Fin | Ack).C(Ack);
        var rows = Analyzer.Run(refused.Frames);
        Assert.Empty(rows["toy_lines"]);
        Assert.Null(Assert.Single(rows["flows"])["service"]);

        var taken = Handshake();
        taken.C(Ack | Psh, "TOY one\nTOY probe-refuses\n").C(Fin | Ack).S(Fin | Ack).C(Ack);
        rows = Analyzer.Run(taken.Frames);
        Assert.Equal(["one", "probe-refuses"], rows["toy_lines"].Select(l => (string)l["word"]!));
    }

    /// <summary>
    /// A flow whose only bytes lie past a hole and are still held when the input ends: the end declares the hole a gap,
    /// which makes the parsers (without a probe), and delivers the held bytes to them.
    /// </summary>
    [Fact]
    public void Bytes_held_past_a_hole_until_the_end_still_reach_a_parser()
    {
        var c = Handshake();
        uint s = c.ClientSeq;
        c.C(Ack, "ab\nTOY one\n", seq: s + 5);
        var rows = Analyzer.Run(c.Frames);
        Assert.Equal(["one"], rows["toy_lines"].Select(l => (string)l["word"]!));
        Assert.Equal(true, rows["toy_lines"][0]["after_gap"]);
    }

    /// <summary>The toy probe, like every plugin's (their own tests), refuses only bytes its parser rejects too.</summary>
    [Fact]
    public void The_toy_probe_refuses_only_what_its_parser_rejects()
    {
        var harness = new StreamHarness(new PcapForge.ToyPlugin.ToyLineDissector(), "toyline");
        Assert.True(harness.AssertProbeNoStricterThanParser(ProbeSamples.WithPrefixes()) > 100);
        Assert.True(harness.Probe(Abstractions.Dissection.StreamDirection.FromResponder, "TOY hello\n"));
    }

    [Fact]
    public void The_probe_sees_the_first_bytes_whichever_side_sends_them()
    {
        var c = Handshake();
        c.S(Ack | Psh, "TOY hello\n").C(Ack | Psh, "TOY back\n").C(Fin | Ack).S(Fin | Ack).C(Ack);
        var rows = Analyzer.Run(c.Frames);
        Assert.Equal("toyline", Assert.Single(rows["flows"])["service"]);
        Assert.Equal([false, true], rows["toy_lines"].Select(l => (bool)l["is_orig"]!));
    }

    [Fact]
    public void A_probe_that_throws_is_an_anomaly_naming_it_and_the_flow_is_still_recorded()
    {
        var c = Handshake(port: 80);
        c.C(Ack | Psh, "TOY probe-throws\n").C(Fin | Ack).S(Fin | Ack).C(Ack);
        var rows = Analyzer.Run(c.Frames);
        var thrown = Assert.Single(rows["anomalies"], a => (string)a["name"]! == "engine.dissector_exception");
        Assert.Equal("stream dissector 'toyline' threw InvalidOperationException in Probe: probe test hook", thrown["detail"]);
        Assert.Empty(rows["toy_lines"]);
        Assert.Single(rows["flows"]);
    }

    /// <summary>
    /// A flow whose first bytes were never captured starts with a gap: the parsers are made without a probe (there are
    /// no first bytes to show it) and told of the gap; the toy parser skips the rest of the line it lands in and takes
    /// the lines after it, "probe-refuses" too.
    /// </summary>
    [Fact]
    public void A_flow_that_starts_with_a_gap_makes_its_parsers_without_a_probe()
    {
        var c = Handshake();
        uint s = c.ClientSeq;
        // Five bytes never captured, then the end of their line: bytes the probe would refuse, had it been asked.
        c.C(Ack, "ab\nTOY probe-refuses\nTOY two\n", seq: s + 5);
        c.C(Fin | Ack).S(Fin | Ack).C(Ack);
        var rows = Analyzer.Run(c.Frames);
        Assert.Equal(5L, Assert.Single(rows["flows"])["missed_bytes"]);
        Assert.Equal(["probe-refuses", "two"], rows["toy_lines"].Select(l => (string)l["word"]!));
    }
}

/// <summary>The one check and conversion of plugin records, for per-packet and stream dissectors alike.</summary>
public class RecordValuesTests
{
    private static readonly Abstractions.Records.RecordTableDescriptor Written = new("t", "",
    [
        new("ts", Abstractions.Records.ColumnType.Timestamp, ""), new("flow_uid", Abstractions.Records.ColumnType.String, ""),
        new("n", Abstractions.Records.ColumnType.Int32, ""), new("capture_id", Abstractions.Records.ColumnType.String, ""),
    ]);

    [Fact]
    public void Values_move_past_flow_uid_and_capture_id_is_set()
    {
        var row = RecordValues.Row(Written, [5L, (short)3], "cap", out string? problem);
        Assert.Null(problem);
        Assert.Equal(new object?[] { 5L, null, 3, "cap" }, row);
    }

    [Fact]
    public void A_wrong_type_or_count_names_the_problem()
    {
        Assert.Null(RecordValues.Row(Written, [5L, "three"], "cap", out string? problem));
        Assert.Equal("'t': column 'n' is Int32, got String", problem);
        Assert.Null(RecordValues.Row(Written, [5L], "cap", out problem));
        Assert.Equal("'t' has 2 columns, 1 values were written", problem);
    }
}

/// <summary>UDP flows handed to a datagram dissector (the toy datagram protocol of the ToyPlugin).</summary>
public class DatagramDissectorTests
{
    [Fact]
    public void Each_datagram_reaches_the_flows_parser_whole_and_in_order()
    {
        var frames = new List<(long, byte[])>
        {
            (1_000, Udp("10.0.0.1", 5000, "10.0.0.2", 9999, "TOY ping"u8.ToArray())),
            (2_000, Udp("10.0.0.2", 9999, "10.0.0.1", 5000, "TOY pong"u8.ToArray())),
            (3_000, Udp("10.0.0.1", 5000, "10.0.0.2", 9999, "TOY again"u8.ToArray())),
        };
        var rows = Analyzer.Run(frames);
        var flow = Assert.Single(rows["flows"]);
        Assert.Equal("toydgram", flow["service"]);
        var d = rows["toy_datagrams"];
        Assert.Equal(["ping", "pong", "again"], d.Select(r => (string)r["word"]!));
        Assert.Equal([true, false, true], d.Select(r => (bool)r["is_orig"]!));
        Assert.All(d, r => Assert.Equal(true, r["datagram"]));
        Assert.All(d, r => Assert.Equal(true, r["by_port"]));
        Assert.All(d, r => Assert.Equal(flow["flow_uid"], r["flow_uid"]));
    }

    [Fact]
    public void Other_ports_and_rejected_flows_get_no_records()
    {
        var frames = new List<(long, byte[])>
        {
            (1_000, Udp("10.0.0.1", 5000, "10.0.0.2", 9998, "TOY elsewhere"u8.ToArray())),
            (2_000, Udp("10.0.0.1", 5001, "10.0.0.2", 9999, "hello"u8.ToArray())),
            (3_000, Udp("10.0.0.1", 5001, "10.0.0.2", 9999, "TOY late"u8.ToArray())),
        };
        var rows = Analyzer.Run(frames);
        Assert.Equal(2, rows["flows"].Count);
        Assert.All(rows["flows"], f => Assert.Null(f["service"]));
        Assert.Empty(rows["toy_datagrams"]);
    }
}

/// <summary>A parser that stops listening (StreamContext.StopDelivery) keeps its flow's service and is told of the end.</summary>
public class StopDeliveryTests
{
    [Fact]
    public void No_bytes_after_stop_and_OnEnd_still_called()
    {
        var c = new Conversation(serverPort: 7777);
        c.C(Syn).S(Syn | Ack).C(Ack);
        c.C(Ack | Psh, "TOY one\nTOY stop\nTOY hidden\n").S(Ack | Psh, "TOY alsohidden\n").C(Ack | Psh, "TOY more\n");
        c.C(Fin | Ack).S(Fin | Ack).C(Ack);
        var rows = Analyzer.Run(c.Frames);
        Assert.Equal("toyline", Assert.Single(rows["flows"])["service"]);
        Assert.Equal(["one", "stop", "(end)"], rows["toy_lines"].Select(l => (string)l["word"]!));
    }

    [Fact]
    public void The_harness_stops_delivering_too()
    {
        var toy = new StreamHarness(new ToyPlugin.ToyLineDissector(), "toyline");
        var run = toy.Run([StreamMessage.Client("TOY stop\nTOY hidden\n"), StreamMessage.Server("TOY x\n")]);
        Assert.True(run.Stopped);
        Assert.Equal(["stop", "(end)"], run["toy_lines"].Select(l => (string)l["word"]!));
    }
}

/// <summary>
/// A closed connection (both FINs, or a RST) whose streams are complete has its parsers finished at once, not when its
/// record is written after the close delay; with a hole still open they wait for the retransmission.
/// </summary>
public class ClosedConnectionTests
{
    [Fact]
    public void Parsers_end_at_the_second_FIN_not_when_the_closed_flow_expires()
    {
        var c = new Conversation(serverPort: 7777);
        c.C(Syn).S(Syn | Ack).C(Ack);
        c.C(Ack | Psh, "TOY watch\n");   // frame 4
        c.C(Fin | Ack).S(Fin | Ack);     // frames 5, 6: closed
        c.C(Ack);
        c.Wait(TimeSpan.FromSeconds(30)).C(Ack);   // after the close delay: the closed flow expires here
        var rows = Analyzer.Run(c.Frames);
        var lines = rows["toy_lines"];
        Assert.Equal(["watch", "(end)"], lines.Select(l => (string)l["word"]!));
        Assert.Equal(2L, (long)lines[1]["frame"]! - (long)lines[0]["frame"]!);
    }

    [Fact]
    public void A_keep_alive_probe_before_any_data_does_not_reach_the_parser()
    {
        // The probe's byte lies one before the stream's first byte; delivered, it would start the stream with garbage
        // and the toy parser (like HTTP's) would reject the connection.
        var c = new Conversation(serverPort: 7777);
        c.C(Syn).S(Syn | Ack).C(Ack);
        c.Wait(TimeSpan.FromSeconds(30)).C(Ack, "X", seq: c.ClientSeq - 1).S(Ack);
        c.C(Ack | Psh, "TOY one\n").S(Ack);
        var rows = Analyzer.Run(c.Frames);
        Assert.Equal("toyline", Assert.Single(rows["flows"])["service"]);
        Assert.Equal(["one"], rows["toy_lines"].Select(l => (string)l["word"]!));
    }

    [Fact]
    public void A_hole_open_at_the_close_waits_for_its_retransmission()
    {
        var c = new Conversation(serverPort: 7777);
        c.C(Syn).S(Syn | Ack).C(Ack);
        c.C(Ack | Psh, "TOY watch\n");
        uint s0 = c.ServerSeq;
        c.S(Ack | Psh, "TOY b\n", seq: s0 + 6);   // "TOY a\n" is missing
        c.S(Fin | Ack);
        c.C(Fin);                                   // closed; the client has not acknowledged the hole
        c.S(Ack | Psh, "TOY a\n", seq: s0);        // the retransmission after both FINs
        c.C(Ack);
        var rows = Analyzer.Run(c.Frames);
        Assert.Equal(["watch", "a", "b", "(end)"], rows["toy_lines"].Select(l => (string)l["word"]!));
        Assert.Equal(0L, (long)Assert.Single(rows["flows"])["missed_bytes"]!);
    }
}

/// <summary>A dissector's UDP session timeout shortens the UDP timeout, never lengthens it.</summary>
public class UdpSessionTimeoutTests
{
    [Fact]
    public void A_session_timeout_longer_than_the_udp_one_is_not_applied()
    {
        // The toy datagram dissector asks for two hours; the flow still ends after the minute of UDP.
        const long second = 1_000_000_000;
        var frames = new List<(long, byte[])>
        {
            (1 * second, Udp("10.0.0.1", 5000, "10.0.0.2", 9999, "TOY ping"u8.ToArray())),
            (62 * second, Udp("10.0.0.1", 5000, "10.0.0.2", 9999, "TOY again"u8.ToArray())),
        };
        var rows = Analyzer.Run(frames);
        Assert.Equal(2, rows["flows"].Count(f => (int)f["resp_p"]! == 9999));
        Assert.All(rows["flows"], f => Assert.Equal("toydgram", f["service"]));
    }
}
