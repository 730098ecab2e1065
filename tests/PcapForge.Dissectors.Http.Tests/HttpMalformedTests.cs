using PcapForge.Abstractions.Dissection;
using static PcapForge.Dissectors.Http.Tests.HttpParserTests;
using static PcapForge.TestSupport.StreamMessage;

namespace PcapForge.Dissectors.Http.Tests;

/// <summary>
/// Malformed input on a connection already recognised as HTTP: each case gives its named anomaly, and a well-formed
/// transaction after it is still read (the parser resynchronised). Then the heuristic: what it rejects at once and
/// what it confirms.
/// </summary>
public class HttpMalformedTests
{
    private const string Request = "GET /first HTTP/1.1\r\nHost: h\r\n\r\n";
    private const string Response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    private const string LastRequest = "GET /last HTTP/1.1\r\nHost: h\r\n\r\n";
    private const string LastResponse = "HTTP/1.1 204 No Content\r\n\r\n";

    public static TheoryData<string, string, string, string> Cases => new()
    {
        // name, anomaly, client bytes, server bytes (between the first and the last transaction)
        { "request line without version", "http.malformed_request_line", "GET /HTTP/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" },
        { "request line with two spaces", "http.malformed_request_line", "OPTIONS  HTTP/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" },
        { "request line without a method", "http.malformed_request_line", "\x01\x02 binary\r\nmore junk\r\n", "" },
        { "status line with letters for the code", "http.malformed_status_line", "GET /x HTTP/1.1\r\n\r\n",
            "HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" },
        { "status line that is not one", "http.malformed_status_line", "GET /x HTTP/1.1\r\n\r\n",
            "<html>oops</html>\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" },
        { "space before the colon", "http.malformed_header_line", "GET /x HTTP/1.1\r\nHost : evil\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" },
        { "header without a colon", "http.malformed_header_line", "GET /x HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\nno colon\r\nContent-Length: 0\r\n\r\n" },
        { "header line over 8 KiB", "http.oversized_line", $"GET /x HTTP/1.1\r\nX-Big: {new string('a', 9000)}\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" },
        { "request line over 8 KiB", "http.oversized_line", $"GET /{new string('a', 9000)} HTTP/1.1\r\n\r\n", "" },
        { "chunk size not hexadecimal", "http.bad_chunk_size", "GET /x HTTP/1.1\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n" },
        { "chunk longer than its size", "http.bad_chunk_size", "GET /x HTTP/1.1\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n" },
        { "chunk size over 60 bits", "http.bad_chunk_size", "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n",
            "HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\n\r\n" },
        { "content length not a number", "http.bad_content_length", "POST /x HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" },
        { "two content lengths", "http.bad_content_length", "POST /x HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" },
        { "content length and chunked", "http.content_length_and_transfer_encoding", "POST /x HTTP/1.1\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" },
        { "response with no request", "http.response_without_request", "", "HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_malformed_input_is_a_named_anomaly_and_the_connection_goes_on(string name, string anomaly, string client, string server)
    {
        List<StreamMessage> conversation = [Client(Request), Server(Response)];
        if (client.Length > 0)
            conversation.Add(Client(client));
        if (server.Length > 0)
            conversation.Add(Server(server));
        conversation.Add(Client(LastRequest));
        conversation.Add(Server(LastResponse));
        var run = client.Length + server.Length > 4096 ? AssertSameInSegments(conversation) : Harness.AssertSameOnEverySplit(conversation);
        Assert.True(run.Anomalies.Any(a => a.Name == anomaly), $"{name}: expected {anomaly}, got [{string.Join(", ", run.AnomalyNames)}]");
        Assert.All(run.Anomalies, a => Assert.False(string.IsNullOrEmpty(a.Detail)));
        Assert.DoesNotContain("http.missing_response", run.AnomalyNames);
        var rows = Rows(run);
        Assert.Equal("/first", rows[0]["uri"]);
        Assert.Equal(200, rows[0]["status_code"]);
        var last = rows[^1];
        Assert.Equal("/last", last["uri"]);
        Assert.Equal(204, last["status_code"]);
        Assert.Equal(rows.Count, last["trans_depth"]);
    }

    [Fact]
    public void A_broken_request_line_still_gives_what_could_be_read()
    {
        var run = Harness.AssertSameOnEverySplit([
            Client(Request), Server(Response), Client("GET /HTTP/1.1\r\nHost: www.google.com\r\n\r\n"), Server(Response),
        ]);
        Assert.Equal(["http.malformed_request_line"], run.AnomalyNames);
        var row = Rows(run)[1];
        Assert.Equal("GET", row["method"]);
        Assert.Equal("/HTTP/1.1", row["uri"]);
        Assert.Null(row["request_version"]);
        Assert.Equal("www.google.com", row["host"]);
        Assert.Equal(200, row["status_code"]);
    }

    [Fact]
    public void A_header_line_too_long_is_skipped_and_the_others_kept()
    {
        var run = AssertSameInSegments([Client($"GET /x HTTP/1.1\r\nX-Big: {new string('a', 9000)}\r\nHost: after\r\n\r\n"), Server(Response)]);
        Assert.Equal(["http.oversized_line"], run.AnomalyNames);
        Assert.Equal("after", Assert.Single(Rows(run))["host"]);
    }

    [Fact]
    public void A_head_over_64_KiB_is_abandoned_and_the_next_message_read()
    {
        string filler = string.Concat(Enumerable.Repeat("X-Filler: " + new string('x', 1000) + "\r\n", 70));
        var run = AssertSameInSegments([
            Client($"GET /huge HTTP/1.1\r\nHost: h\r\n{filler}\r\n{LastRequest}"),
            Server(Response + LastResponse),
        ]);
        Assert.Equal(["http.oversized_head"], run.AnomalyNames);
        var rows = Rows(run);
        Assert.Equal(["/huge", "/last"], rows.Select(r => (string)r["uri"]!));
        Assert.Equal("h", rows[0]["host"]);
        Assert.Equal([200, 204], rows.Select(r => (int)r["status_code"]!));
    }

    [Fact]
    public void A_connection_that_ends_inside_a_body_is_a_truncated_message()
    {
        var run = Harness.AssertSameOnEverySplit([Client(Request), Server("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort")]);
        Assert.Equal(["http.truncated_message"], run.AnomalyNames);
        var row = Assert.Single(Rows(run));
        Assert.Equal(5L, row["response_body_len"]);
    }

    [Fact]
    public void More_than_100_waiting_requests_are_written_without_a_response()
    {
        var requests = string.Concat(Enumerable.Range(1, 105).Select(i => $"GET /{i} HTTP/1.1\r\n\r\n"));
        var run = Harness.Run([Client(requests)]);
        Assert.Equal(1, run.AnomalyNames.Count(n => n == "http.too_many_pending"));
        Assert.Equal(100, run.AnomalyNames.Count(n => n == "http.missing_response"));
        Assert.Equal(Enumerable.Range(1, 105).Select(i => $"/{i}"), Rows(run).Select(r => (string)r["uri"]!));
    }

    [Theory]
    // The heuristic rejects at the first byte that cannot start HTTP: TLS, SSH, SMTP, binary, HTTP/2's preface...
    [InlineData("client", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")]
    [InlineData("client", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")]
    [InlineData("server", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")]
    [InlineData("server", "220 mail.example.com ESMTP Postfix\r\n")]
    [InlineData("client", "EHLO client.example.com\r\n")]
    [InlineData("client", "get cache-key\r\n")]
    [InlineData("client", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")]
    [InlineData("client", "ABCDEFGHIJKLMNOPQRSTUVWXYZ / HTTP/1.1\r\n\r\n")]
    [InlineData("client", "\r\nGET / HTTP/1.1\r\n\r\n")]
    [InlineData("server", "HTTP/1.1 OK\r\n\r\n")]
    [InlineData("server", "http/1.1 200 OK\r\n\r\n")]
    public void Not_http_is_rejected_and_nothing_recorded(string side, string bytes)
    {
        var message = side == "client" ? Client(bytes) : Server(bytes);
        var run = Harness.AssertSameOnEverySplit([message, Client(Request), Server(Response)]);
        Assert.NotNull(run.Rejected);
        Assert.False(run.Confirmed);
        Assert.Empty(Rows(run));
        Assert.Empty(run.Anomalies);
    }

    [Fact]
    public void A_broken_first_request_with_a_registered_method_waits_for_the_server()
    {
        // Zeek's methods.pcap: "GET/ HTTP/1.1" has no method token, but GET is there and the server answers in HTTP.
        var run = Harness.AssertSameOnEverySplit([
            Client("GET/ HTTP/1.1\nHost: www.google.com\n\n"),
            Server("HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n"),
        ]);
        Assert.True(run.Confirmed);
        Assert.Equal(["http.malformed_request_line", "http.response_without_request"], run.AnomalyNames);
        var row = Assert.Single(Rows(run));
        Assert.Null(row["method"]);
        Assert.Equal(400, row["status_code"]);

        run = Harness.AssertSameOnEverySplit([Client("OPTIONS\nHost: www.google.com\n\n"), Server("HTTP/1.0 400 Bad Request\r\n\r\n")]);
        Assert.True(run.Confirmed);
        Assert.Equal(["http.malformed_request_line"], run.AnomalyNames);
        row = Assert.Single(Rows(run));
        Assert.Equal("OPTIONS", row["method"]);
        Assert.Null(row["uri"]);
        Assert.Equal("www.google.com", row["host"]);
        Assert.Equal(400, row["status_code"]);
    }

    [Fact]
    public void A_broken_first_request_is_dropped_when_the_server_is_not_http()
    {
        var run = Harness.AssertSameOnEverySplit([Client("GET session-key\r\n"), Server("$-1\r\n"), Client("GET / HTTP/1.1\r\n\r\n")]);
        Assert.NotNull(run.Rejected);
        Assert.False(run.Confirmed);
        Assert.Empty(run.Anomalies);
        Assert.Empty(Rows(run));
        // No answer at all: nothing either.
        run = Harness.AssertSameOnEverySplit([Client("GET session-key\r\nPUT other\r\n")]);
        Assert.False(run.Confirmed);
        Assert.Empty(run.Anomalies);
        Assert.Empty(Rows(run));
    }

    [Fact]
    public void A_capture_that_starts_with_the_server_finds_the_roles_by_content()
    {
        // The flow's originator is whoever sent the first packet seen: here the server, mid-connection.
        var run = Harness.AssertSameOnEverySplit([
            Client("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
            Server("GET /next HTTP/1.1\r\nHost: h\r\n\r\n"),
            Client("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
        ]);
        Assert.True(run.Confirmed);
        Assert.Equal(["http.response_without_request"], run.AnomalyNames);
        var rows = Rows(run);
        Assert.Equal([200, 404], rows.Select(r => (int)r["status_code"]!));
        Assert.Equal("/next", rows[1]["uri"]);

        run = Harness.AssertSameOnEverySplit([Server("HEAD / HTTP/1.1\r\n\r\n"), Client("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n")]);
        Assert.Empty(run.Anomalies);
        var head = Assert.Single(Rows(run));
        Assert.Equal("HEAD", head["method"]);
        Assert.Equal(0L, head["response_body_len"]);
    }

    [Fact]
    public void The_heuristic_decides_on_the_first_bad_byte()
    {
        Assert.NotNull(Harness.Run([Client("\x16")]).Rejected);
        Assert.NotNull(Harness.Run([Server("\x00")]).Rejected);
        Assert.NotNull(Harness.Run([Server("SSH-2.0-OpenSSH_9.2\r")]).Rejected);
        Assert.NotNull(Harness.Run([Client("GE\x00")]).Rejected);
        // Bytes that may still become HTTP: no decision yet.
        Assert.Null(Harness.Run([Client("GET")]).Rejected);
        Assert.Null(Harness.Run([Server("HTTP")]).Rejected);
        Assert.Null(Harness.Run([Client("GET /index.html HTTP/1.")]).Rejected);
    }

    [Fact]
    public void A_first_line_without_an_end_within_8_KiB_is_rejected()
    {
        var run = Harness.RunInSegments([Client("GET /" + new string('a', HttpLimits.MaxLineLength))], 1000);
        Assert.NotNull(run.Rejected);
        Assert.False(run.Confirmed);
    }

    [Fact]
    public void Bytes_lost_before_recognition_reject()
    {
        var run = Harness.Run([Gap(StreamDirection.FromOriginator, 100), Client(Request), Server(Response)]);
        Assert.NotNull(run.Rejected);
        Assert.Empty(Rows(run));
    }

    [Theory]
    [InlineData("client", "GET / HTTP/1.1\r\n")]
    [InlineData("client", "PROPFIND /dav/ HTTP/1.1\n")]
    [InlineData("server", "HTTP/1.0 200 OK\r\n")]
    [InlineData("server", "HTTP/1.1 404\r\n")]
    public void A_complete_well_formed_start_line_confirms(string side, string bytes)
    {
        var run = Harness.Run([side == "client" ? Client(bytes) : Server(bytes)]);
        Assert.True(run.Confirmed);
        Assert.Null(run.Rejected);
    }

    [Fact]
    public void Datagrams_are_rejected()
    {
        var run = Harness.Run([Client(Request)], datagram: true);
        Assert.NotNull(run.Rejected);
    }

    /// <summary>For inputs too large to cut at every point: whole, one-byte and a few segment sizes.</summary>
    private static StreamRun AssertSameInSegments(List<StreamMessage> conversation)
    {
        var whole = Harness.Run(conversation);
        string[] ignore = ["ts", "request_frame", "response_frame"];
        string expected = whole.Render(ignore);
        foreach (int size in new[] { 1, 2, 7, 100, 1000, 4096 })
            Assert.Equal(expected, Harness.RunInSegments(conversation, size).Render(ignore));
        return whole;
    }
}
