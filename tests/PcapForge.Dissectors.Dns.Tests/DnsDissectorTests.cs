using PcapForge.Abstractions.Dissection;
using static PcapForge.TestSupport.StreamMessage;

namespace PcapForge.Dissectors.Dns.Tests;

/// <summary>The stream dissector over UDP datagrams and TCP streams, driven by <see cref="StreamHarness"/>.</summary>
public sealed class DnsDissectorTests
{
    /// <summary>Flows on port 53: never rejected, damage reported.</summary>
    private static readonly StreamHarness Harness = new(new DnsDissector(), "dns") { OfferedByPort = true };

    /// <summary>Flows on other ports, offered by the heuristic lists.</summary>
    private static readonly StreamHarness Heuristic = new(new DnsDissector(), "dns");

    /// <summary>rtt depends on which segment completed each message, so the every-split comparison leaves it out.</summary>
    private const string Rtt = "rtt";

    private static List<Dictionary<string, object?>> Rows(StreamRun run) => run["dns"];

    [Fact]
    public void Udp_query_and_response_make_one_row()
    {
        var run = Harness.Run([Client(DnsWire.Query(0x1234, "www.example.com")), Server(DnsWire.AResponse(0x1234, "www.example.com", "192.0.2.1", "192.0.2.2"))], datagram: true);
        Assert.True(run.Confirmed);
        Assert.Empty(run.Anomalies);
        var row = Assert.Single(Rows(run));
        Assert.Equal(0x1234, row["trans_id"]);
        Assert.Equal("www.example.com", row["query"]);
        Assert.Equal((1, "A", 1, "C_INTERNET"), (row["qtype"], row["qtype_name"], row["qclass"], row["qclass_name"]));
        Assert.Equal((0, "NOERROR"), (row["rcode"], row["rcode_name"]));
        Assert.Equal(["192.0.2.1", "192.0.2.2"], (IReadOnlyList<string>)row["answers"]!);
        Assert.Equal(["300", "300"], (IReadOnlyList<string>)row["ttls"]!);
        Assert.Equal(["A", "A"], (IReadOnlyList<string>)row["answer_types"]!);
        Assert.Equal(0.001, (double)row["rtt"]!, 9); // the harness spaces frames 1 ms apart
        Assert.Equal((1L, 2L), (row["query_frame"], row["response_frame"]));
        Assert.Equal(1_700_000_000_001_000_000L, row["ts"]); // the query's frame
        Assert.Equal("udp", row["proto"]);
        Assert.Equal((false, false, true, true, 0), (row["aa"], row["tc"], row["rd"], row["ra"], row["z"]));
        Assert.Equal((2, 0, 0, false), (row["answer_count"], row["authority_count"], row["additional_count"], row["rejected"]));
        Assert.Equal(0, row["opcode"]);
        Assert.Null(row["edns_udp_size"]);
    }

    [Fact]
    public void Tcp_messages_are_framed_on_every_split_and_matched_out_of_order()
    {
        // Two pipelined queries in one write; RFC 7766 §7 lets the server answer them out of order.
        byte[] queries = [.. DnsWire.Framed(DnsWire.Query(1, "a.example")), .. DnsWire.Framed(DnsWire.Query(2, "b.example", 28))];
        var aaaa = new DnsWire().Header(2, DnsWire.ResponseFlags, 1, 1).Question("b.example", 28)
            .Answer(28, 60, Convert.FromHexString("20010db8000000000000000000000002")).Tcp();
        var run = Harness.AssertSameOnEverySplit([Client(queries), Server(aaaa), Server(DnsWire.Framed(DnsWire.AResponse(1, "a.example", "10.1.2.3")))], Rtt);
        Assert.True(run.Confirmed);
        Assert.Empty(run.Anomalies);
        var rows = Rows(run);
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal("tcp", r["proto"]));
        var b = rows.Single(r => (int)r["trans_id"]! == 2);
        Assert.Equal(("b.example", "AAAA"), (b["query"], b["qtype_name"]));
        Assert.Equal(["2001:db8::2"], (IReadOnlyList<string>)b["answers"]!);
        var a = rows.Single(r => (int)r["trans_id"]! == 1);
        Assert.Equal(["10.1.2.3"], (IReadOnlyList<string>)a["answers"]!);
    }

    [Fact]
    public void Unanswered_query_and_unsolicited_response_each_give_a_row()
    {
        var run = Harness.Run([Client(DnsWire.Query(7, "lost.example")), Server(DnsWire.AResponse(8, "stray.example", "10.0.0.8"))], datagram: true);
        var rows = Rows(run);
        Assert.Equal(2, rows.Count);
        var stray = rows.Single(r => (string?)r["query"] == "stray.example");
        Assert.Equal((8, 0), (stray["trans_id"], stray["rcode"]));
        Assert.Null(stray["query_frame"]);
        Assert.Null(stray["rtt"]);
        Assert.Equal(2L, stray["response_frame"]);
        var lost = rows.Single(r => (string?)r["query"] == "lost.example");
        Assert.Null(lost["rcode"]);
        Assert.Null(lost["response_frame"]);
        Assert.Null(lost["aa"]);
        Assert.Null(lost["answers"]);
        Assert.Equal(false, lost["rejected"]);
    }

    [Fact]
    public void A_retransmitted_query_takes_the_response_first_and_stays_unanswered_second()
    {
        // As Zeek's queue of pending queries per id: the response answers the oldest.
        var q = DnsWire.Query(5, "again.example");
        var run = Harness.Run([Client(q), Client(q), Server(DnsWire.AResponse(5, "again.example", "10.0.0.5"))], datagram: true);
        var rows = Rows(run);
        Assert.Equal(2, rows.Count);
        Assert.Equal((1L, 3L), (rows[0]["query_frame"], rows[0]["response_frame"]));
        Assert.Equal((2L, (object?)null), (rows[1]["query_frame"], rows[1]["response_frame"]));
    }

    [Fact]
    public void A_response_to_another_question_is_not_matched_by_id_alone()
    {
        var run = Harness.Run([Client(DnsWire.Query(9, "one.example")), Server(DnsWire.AResponse(9, "two.example", "10.0.0.2"))], datagram: true);
        Assert.Equal(2, Rows(run).Count);
        Assert.All(Rows(run), r => Assert.Null(r["rtt"]));
    }

    [Fact]
    public void The_question_matches_case_insensitively_and_the_query_keeps_its_case()
    {
        // DNS 0x20 (mixed case in the query, echoed by the server): RFC 4343 makes names case-insensitive.
        var run = Harness.Run([Client(DnsWire.Query(3, "WwW.ExAmPlE.org")), Server(DnsWire.AResponse(3, "www.example.org", "10.0.0.3"))], datagram: true);
        var row = Assert.Single(Rows(run));
        Assert.Equal("WwW.ExAmPlE.org", row["query"]);
    }

    [Fact]
    public void A_response_without_a_question_matches_on_the_id()
    {
        var formerr = new DnsWire().Header(4, 0x8001, 0).ToArray(); // QR, rcode 1 FORMERR, no question
        var run = Harness.Run([Client(DnsWire.Query(4, "odd.example")), Server(formerr)], datagram: true);
        var row = Assert.Single(Rows(run));
        Assert.Equal(("odd.example", 1, "FORMERR", true), (row["query"], row["rcode"], row["rcode_name"], row["rejected"]));
    }

    [Fact]
    public void Nxdomain_with_an_soa_is_not_rejected_and_a_bare_refusal_is()
    {
        var nx = new DnsWire().Header(10, 0x8183, 1, 0, 1).Question("nope.example", 1)
            .Pointer(12).U16(6).U16(1).U32(900).U16(2 + 2 + 20).Pointer(12).Pointer(12).Bytes(new byte[20]).ToArray();
        var refused = new DnsWire().Header(11, 0x8185, 1).Question("nope.example", 1).ToArray();
        var run = Harness.Run([Client(DnsWire.Query(10, "nope.example")), Server(nx), Client(DnsWire.Query(11, "nope.example")), Server(refused)], datagram: true);
        Assert.Empty(run.Anomalies);
        var rows = Rows(run);
        Assert.Equal(("NXDOMAIN", false, 1, (object?)null), (rows[0]["rcode_name"], rows[0]["rejected"], rows[0]["authority_count"], rows[0]["answers"]));
        Assert.Equal(("REFUSED", true), (rows[1]["rcode_name"], rows[1]["rejected"]));
    }

    [Fact]
    public void Edns_payload_size_of_the_query_and_the_answer_kinds()
    {
        var query = new DnsWire().Header(12, DnsWire.QueryFlags, 1, 0, 0, 1).Question("mix.example", 255).Opt(1232).ToArray();
        var response = new DnsWire().Header(12, DnsWire.ResponseFlags | 0x0400, 1, 4, 0, 1).Question("mix.example", 255)
            .Answer(5, 10, DnsWire.NameBytes("cname.example"))
            .Answer(15, 20, [0, 5, 0xc0, 12])
            .Answer(16, 30, [2, (byte)'h', (byte)'i'])
            .Answer(33, 40, [0, 0, 0, 1, 0, 53, 0xc0, 12])
            .Opt(4096).ToArray();
        var row = Assert.Single(Rows(Harness.Run([Client(query), Server(response)], datagram: true)));
        Assert.Equal(("*", 1232, true), (row["qtype_name"], row["edns_udp_size"], row["aa"]));
        Assert.Equal(["cname.example", "5 mix.example", "TXT 2 hi", "0 1 53 mix.example"], (IReadOnlyList<string>)row["answers"]!);
        Assert.Equal(["10", "20", "30", "40"], (IReadOnlyList<string>)row["ttls"]!);
        Assert.Equal(["CNAME", "MX", "TXT", "SRV"], (IReadOnlyList<string>)row["answer_types"]!);
        Assert.Equal(1, row["additional_count"]);
    }

    [Fact]
    public void Truncation_declared_by_tc_is_not_an_anomaly()
    {
        // TC set and the answers cut (RFC 2181 §9): the client retries over TCP; nothing is wrong with the capture.
        var tc = new DnsWire().Header(13, DnsWire.ResponseFlags | 0x0200, 1, 5).Question("big.example", 16).Answer(16, 1, [1, (byte)'x']).ToArray();
        var run = Harness.Run([Client(DnsWire.Query(13, "big.example", 16)), Server(tc)], datagram: true);
        Assert.Empty(run.Anomalies);
        var row = Assert.Single(Rows(run));
        Assert.Equal((true, 5), (row["tc"], row["answer_count"]));
        Assert.Equal(["TXT 1 x"], (IReadOnlyList<string>)row["answers"]!);
    }

    /// <summary>A broken message, the anomaly it must give, and the row fields it should still yield (query name, or null for no row).</summary>
    public static TheoryData<string, byte[], string, string?> Malformed => new()
    {
        { "shorter than a header", [0, 1, 2, 3, 4], "dns.message_too_short", null },
        { "question name points to itself", new DnsWire().Header(0x51, DnsWire.QueryFlags, 1).Pointer(12).U16(1).U16(1).ToArray(), "dns.name_compression_loop", null },
        { "question name points past the end", new DnsWire().Header(0x52, DnsWire.QueryFlags, 1).Pointer(300).U16(1).U16(1).ToArray(), "dns.pointer_out_of_range", null },
        { "label length 0x50", new DnsWire().Header(0x53, DnsWire.QueryFlags, 1).Bytes([0x50, 0]).U16(1).U16(1).ToArray(), "dns.label_too_long", null },
        { "name of 320 octets", LongName(), "dns.name_too_long", null },
        { "counts claim an answer that is not there", new DnsWire().Header(0x55, DnsWire.ResponseFlags, 1, 1).Question("cut.example", 1).ToArray(), "dns.message_truncated", "cut.example" },
        { "question cut inside its type", new DnsWire().Header(0x56, DnsWire.QueryFlags, 1).Name("short.example").Bytes([0]).ToArray(), "dns.message_truncated", null },
        { "A record of 5 bytes", new DnsWire().Header(0x57, DnsWire.ResponseFlags, 1, 1).Question("five.example", 1).Answer(1, 1, [1, 2, 3, 4, 5]).ToArray(), "dns.rdata_malformed", "five.example" },
        { "bytes after the last record", [.. DnsWire.Query(0x58, "pad.example"), 0xde, 0xad], "dns.trailing_bytes", "pad.example" },
        { "answer owner pointer loops", new DnsWire().Header(0x59, DnsWire.ResponseFlags, 1, 1).Question("own.example", 1).Pointer(29).U16(1).U16(1).U32(1).U16(4).Bytes([1, 1, 1, 1]).ToArray(), "dns.name_compression_loop", "own.example" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_messages_over_tcp_give_a_named_anomaly_and_the_connection_goes_on(string what, byte[] bad, string anomaly, string? query)
    {
        var run = Harness.AssertSameOnEverySplit(
        [
            Client(DnsWire.Framed(DnsWire.Query(1, "before.example"))), Server(DnsWire.Framed(DnsWire.AResponse(1, "before.example", "10.0.0.1"))),
            Client(DnsWire.Framed(bad)),
            Client(DnsWire.Framed(DnsWire.Query(2, "after.example"))), Server(DnsWire.Framed(DnsWire.AResponse(2, "after.example", "10.0.0.2"))),
        ], Rtt);
        Assert.True(run.AnomalyNames.SequenceEqual([anomaly]), $"{what}: {string.Join(", ", run.Anomalies)}");
        CheckRows(what, run, query);
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_datagrams_give_a_named_anomaly_and_the_flow_goes_on(string what, byte[] bad, string anomaly, string? query)
    {
        var run = Harness.Run(
        [
            Client(DnsWire.Query(1, "before.example")), Server(DnsWire.AResponse(1, "before.example", "10.0.0.1")),
            Client(bad),
            Client(DnsWire.Query(2, "after.example")), Server(DnsWire.AResponse(2, "after.example", "10.0.0.2")),
        ], datagram: true);
        Assert.True(run.AnomalyNames.SequenceEqual([anomaly]), $"{what}: {string.Join(", ", run.Anomalies)}");
        CheckRows(what, run, query);
    }

    private static void CheckRows(string what, StreamRun run, string? query)
    {
        var rows = Rows(run);
        Assert.True(rows.Count(r => r["rcode"] is 0 && r["query_frame"] is not null && r["response_frame"] is not null) == 2, $"{what}: the good pairs around it are matched");
        var broken = rows.Where(r => (string?)r["query"] is not ("before.example" or "after.example")).ToList();
        if (what == "shorter than a header")
            Assert.Empty(broken);
        else
            Assert.True(broken.Count == 1 && (string?)broken[0]["query"] == query, $"{what}: {string.Join("; ", broken.Select(b => b["query"] ?? "-"))}");
    }

    [Fact]
    public void A_gap_inside_a_tcp_message_skips_the_rest_of_it()
    {
        // The capture lost 10 bytes in the middle of the second query: its rest is skipped by its length, and the
        // third query is framed as usual.
        var q2 = DnsWire.Framed(DnsWire.Query(2, "gap.example"));
        var run = Harness.Run(
        [
            Client(DnsWire.Framed(DnsWire.Query(1, "one.example"))),
            Client(q2[..8]), Gap(StreamDirection.FromOriginator, 10), Client(q2[18..]),
            Client(DnsWire.Framed(DnsWire.Query(3, "three.example"))),
        ]);
        Assert.Empty(run.Anomalies);
        Assert.Equal(["one.example", "three.example"], Rows(run).Select(r => (string)r["query"]!));
    }

    [Fact]
    public void A_gap_over_a_message_boundary_resynchronises_on_the_next_header()
    {
        var q1 = DnsWire.Framed(DnsWire.Query(1, "one.example"));
        var q2 = DnsWire.Framed(DnsWire.Query(2, "two.example"));
        var run = Harness.Run(
        [
            Client(q1[..5]), Gap(StreamDirection.FromOriginator, q1.Length - 5 + 4), Client(q2[4..]),
            Client([.. DnsWire.Framed(DnsWire.Query(3, "three.example")), .. DnsWire.Framed(DnsWire.Query(4, "four.example"))]),
            Server(DnsWire.Framed(DnsWire.AResponse(4, "four.example", "10.4.4.4"))),
        ]);
        Assert.Equal(["dns.tcp_resync"], run.AnomalyNames);
        Assert.Equal(["four.example", "three.example"], Rows(run).Select(r => (string)r["query"]!).Order());
        Assert.Equal(["10.4.4.4"], (IReadOnlyList<string>)Rows(run).Single(r => (string?)r["query"] == "four.example")["answers"]!);
    }

    [Fact]
    public void Pending_queries_are_bounded()
    {
        var messages = Enumerable.Range(0, DnsDissector.MaxPendingQueries + 1).Select(i => Client(DnsWire.Query((ushort)i, "many.example"))).ToList();
        messages.Add(Server(DnsWire.AResponse(0, "many.example", "10.0.0.1")));
        messages.Add(Server(DnsWire.AResponse(1, "many.example", "10.0.0.1")));
        var rows = Rows(Harness.Run(messages, datagram: true));
        Assert.Equal(DnsDissector.MaxPendingQueries + 2, rows.Count);
        // Query 0 was written unanswered to make room, so its response stands alone; query 1 was still pending.
        Assert.Equal(new[] { (0, true, false), (0, false, true) }, rows.Where(r => (int)r["trans_id"]! == 0).Select(r => (0, r["query_frame"] is not null, r["response_frame"] is not null)));
        Assert.NotNull(rows.Single(r => (int)r["trans_id"]! == 1)["rtt"]);
    }

    [Fact]
    public void Answers_past_the_limit_are_counted_not_kept()
    {
        var w = new DnsWire().Header(14, DnsWire.ResponseFlags, 1, DnsDissector.MaxAnswersPerRow + 5).Question("zone.example", 1);
        for (int i = 0; i < DnsDissector.MaxAnswersPerRow + 5; i++)
            w.Answer(1, 1, [10, 0, (byte)(i >> 8), (byte)i]);
        var run = Harness.Run([Server(w.ToArray())], datagram: true);
        Assert.Equal(["dns.too_many_answers"], run.AnomalyNames);
        var row = Assert.Single(Rows(run));
        Assert.Equal(DnsDissector.MaxAnswersPerRow, ((IReadOnlyList<string>)row["answers"]!).Count);
        Assert.Equal(DnsDissector.MaxAnswersPerRow + 5, row["answer_count"]);
    }

    [Fact]
    public void Columns_have_descriptions_and_zeek_names()
    {
        var table = Assert.Single(Harness.Tables);
        Assert.Equal("dns", table.Name);
        string[] zeek = ["ts", "trans_id", "rtt", "query", "qclass", "qclass_name", "qtype", "qtype_name", "rcode", "rcode_name", "aa", "tc", "rd", "ra", "z", "answers", "ttls", "rejected", "proto"];
        Assert.Equal(zeek, table.Columns.Take(zeek.Length).Select(c => c.Name));
        Assert.All(table.Columns, c => Assert.False(string.IsNullOrWhiteSpace(c.Description)));
    }

    [Fact]
    public void The_heuristic_finds_dns_on_other_ports_over_udp_and_tcp()
    {
        var udp = Heuristic.Run([Client(DnsWire.Query(21, "odd-port.example")), Server(DnsWire.AResponse(21, "odd-port.example", "10.0.0.21"))], datagram: true);
        Assert.True(udp.Confirmed);
        Assert.Single(Rows(udp));
        // A capture that starts with the response: a plausible response is DNS too.
        Assert.True(Heuristic.Run([Server(DnsWire.AResponse(22, "late.example", "10.0.0.22"))], datagram: true).Confirmed);
        var tcp = Heuristic.AssertSameOnEverySplit([Client(DnsWire.Framed(DnsWire.Query(23, "tcp.example"))), Server(DnsWire.Framed(DnsWire.AResponse(23, "tcp.example", "10.0.0.23")))], Rtt);
        Assert.True(tcp.Confirmed);
        Assert.Null(tcp.Rejected);
        Assert.Single(Rows(tcp));
    }

    public static TheoryData<string, byte[]> NotDns => new()
    {
        { "HTTP request", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray() },
        { "NTP client packet", [0x23, .. new byte[47]] },
        { "TLS ClientHello start", [0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03, .. new byte[40]] },
        { "a query with bytes after it", [.. DnsWire.Query(1, "pad.example"), 0] },
        { "a query whose counts claim an answer", new DnsWire().Header(1, DnsWire.QueryFlags, 1, 1).Question("q.example", 1).ToArray() },
        { "two questions", new DnsWire().Header(1, DnsWire.QueryFlags, 2).Question("a.example", 1).Question("b.example", 1).ToArray() },
        { "opcode UPDATE", new DnsWire().Header(1, 0x2800, 1).Question("zone.example", 6).ToArray() },
        { "class 7", new DnsWire().Header(1, DnsWire.QueryFlags, 1).Question("c.example", 1, 7).ToArray() },
        { "shorter than a header", [0, 1, 1, 0, 0, 1] },
        { "NetBIOS name query (RFC 1002)", new DnsWire().Header(1, 0x0110, 1).Question("FHEPFCELEHFCEPFFFACACACACACACABN", 32).ToArray() },
    };

    [Theory]
    [MemberData(nameof(NotDns))]
    public void The_heuristic_rejects_what_is_not_a_dns_message(string what, byte[] payload)
    {
        var udp = Heuristic.Run([Client(payload), Server(DnsWire.AResponse(1, "x.example", "10.0.0.1"))], datagram: true);
        Assert.True(udp.Rejected is not null && !udp.Confirmed && udp.Records.Count == 0 && udp.Anomalies.Count == 0, $"UDP {what}");
        var tcp = Heuristic.Run([Client(DnsWire.Framed(payload)), Server(DnsWire.Framed(DnsWire.AResponse(1, "x.example", "10.0.0.1")))]);
        Assert.True(tcp.Rejected is not null && !tcp.Confirmed && tcp.Records.Count == 0, $"TCP framed {what}");
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\n")]
    [InlineData("SSH-2.0-OpenSSH_9.6\r\n")]
    [InlineData("220 mail.example ESMTP\r\n")]
    public void The_tcp_heuristic_rejects_text_protocols_on_their_first_two_bytes(string text)
    {
        // Two bytes of text read as a length are over the heuristic's 4096-byte bound.
        var run = Heuristic.Run([Server(text[..2])]);
        Assert.NotNull(run.Rejected);
    }

    [Fact]
    public void The_tcp_heuristic_gives_up_at_a_gap_before_the_first_message()
    {
        var q = DnsWire.Framed(DnsWire.Query(1, "gap.example"));
        var run = Heuristic.Run([Client(q[..4]), Gap(StreamDirection.FromOriginator, 10), Client(DnsWire.Framed(DnsWire.Query(2, "next.example")))]);
        Assert.NotNull(run.Rejected);
        Assert.Empty(run.Records);
    }

    [Fact]
    public void On_its_own_port_a_non_dns_payload_is_reported_not_rejected()
    {
        var run = Harness.Run([Client("GET / HTTP/1.1\r\n\r\n"), Client(DnsWire.Query(3, "after.example"))], datagram: true);
        Assert.Null(run.Rejected);
        Assert.NotEmpty(run.Anomalies);
        Assert.Contains(Rows(run), r => (string?)r["query"] == "after.example");
    }

    private static byte[] LongName()
    {
        var w = new DnsWire().Header(0x54, DnsWire.QueryFlags, 1);
        for (int i = 0; i < 5; i++)
            w.Label(new string('n', 63));
        return w.Bytes([0]).U16(1).U16(1).ToArray();
    }
}
