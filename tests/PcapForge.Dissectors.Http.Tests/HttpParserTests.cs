using System.Security.Cryptography;
using System.Text;
using PcapForge.Abstractions.Dissection;
using PcapForge.Dissectors.Http;
using static PcapForge.TestSupport.StreamMessage;

namespace PcapForge.Dissectors.Http.Tests;

/// <summary>
/// The HTTP stream parser over conversations written out byte for byte, each delivered whole, in one-byte segments
/// and cut at every point of every message (STYLE.md, Tests): the same rows and anomalies every time.
/// </summary>
public class HttpParserTests
{
    internal static readonly StreamHarness Harness = new(new HttpDissector(), "http");

    internal static readonly StreamHarness Hashing = new(new HttpDissector(), "http",
        new Dictionary<string, bool> { [HttpDissector.BodySha256Preference] = true });

    internal static List<Dictionary<string, object?>> Rows(StreamRun run) => run["http"];

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.Latin1.GetBytes(text)));

    [Fact]
    public void The_table_has_the_declared_zeek_columns()
    {
        var columns = Harness.Tables.Single(t => t.Name == "http").Columns.Select(c => c.Name).ToList();
        Assert.Equal(
            ["ts", "trans_depth", "method", "host", "uri", "referrer", "version", "request_version", "user_agent", "origin", "username",
             "request_body_len", "response_body_len", "status_code", "status_msg", "info_code", "info_msg", "server", "location",
             "request_content_type", "response_content_type", "transfer_encoding", "request_frame", "response_frame",
             "request_body_sha256", "response_body_sha256"], columns);
        Assert.All(Harness.Tables.Single().Columns, c => Assert.False(string.IsNullOrWhiteSpace(c.Description)));
    }

    [Fact]
    public void Keep_alive_transactions_count_up_and_carry_their_headers()
    {
        var run = Harness.AssertSameOnEverySplit([
            Client("GET /index.html?q=1 HTTP/1.1\r\nHost: www.example.com:8080\r\nUser-Agent: curl/8.5.0\r\nReferer: http://ref.example/\r\n"
                   + "Origin: http://origin.example\r\nAccept: */*\r\n\r\n"),
            Server("HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello"),
            Client("POST /api/submit HTTP/1.1\r\nHost: www.example.com:8080\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}"),
            Server("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
        ]);
        Assert.True(run.Confirmed);
        Assert.Empty(run.Anomalies);
        var rows = Rows(run);
        Assert.Equal(2, rows.Count);
        var get = rows[0];
        Assert.Equal(1, get["trans_depth"]);
        Assert.Equal("GET", get["method"]);
        Assert.Equal("/index.html?q=1", get["uri"]);
        Assert.Equal("www.example.com:8080", get["host"]);
        Assert.Equal("curl/8.5.0", get["user_agent"]);
        Assert.Equal("http://ref.example/", get["referrer"]);
        Assert.Equal("http://origin.example", get["origin"]);
        Assert.Equal("1.1", get["version"]);
        Assert.Equal("1.1", get["request_version"]);
        Assert.Equal(0L, get["request_body_len"]);
        Assert.Equal(5L, get["response_body_len"]);
        Assert.Equal(200, get["status_code"]);
        Assert.Equal("OK", get["status_msg"]);
        Assert.Null(get["info_code"]);
        Assert.Equal("nginx/1.22.1", get["server"]);
        Assert.Equal("text/html", get["response_content_type"]);
        Assert.Null(get["request_body_sha256"]);
        Assert.Null(get["response_body_sha256"]);
        var post = rows[1];
        Assert.Equal(2, post["trans_depth"]);
        Assert.Equal("POST", post["method"]);
        Assert.Equal("application/json", post["request_content_type"]);
        Assert.Equal(7L, post["request_body_len"]);
        Assert.Equal(404, post["status_code"]);
        Assert.Equal("Not Found", post["status_msg"]);
        Assert.Equal(0L, post["response_body_len"]);
    }

    [Fact]
    public void Frames_and_times_are_those_of_the_request_start_and_of_the_completed_heads()
    {
        // One segment per message: segment n is frame n, at 1 ms per frame (StreamHarness).
        var run = Harness.Run([
            Client("GET / HTTP/1.1\r\n"),
            Client("Host: h\r\n\r\n"),
            Server("HTTP/1.1 200 OK\r\n"),
            Server("Content-Length: 2\r\n\r\n"),
            Server("ok"),
        ]);
        var row = Assert.Single(Rows(run));
        Assert.Equal(1_700_000_000_000_000_000 + 1_000_000, row["ts"]);
        Assert.Equal(2L, row["request_frame"]);
        Assert.Equal(4L, row["response_frame"]);
    }

    [Fact]
    public void Pipelined_requests_are_answered_in_order_and_bodiless_responses_have_no_body()
    {
        var run = Harness.AssertSameOnEverySplit([
            Client("GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\nHEAD /c HTTP/1.1\r\nHost: h\r\n\r\n"),
            Server("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\naaHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nbbb"
                   + "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Client("GET /d HTTP/1.1\r\n\r\nGET /e HTTP/1.1\r\n\r\n"),
            Server("HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"),
            Client("GET /f HTTP/1.1\r\n\r\n"),
            Server("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nf"),
        ]);
        Assert.Empty(run.Anomalies);
        var rows = Rows(run);
        Assert.Equal(["/a", "/b", "/c", "/d", "/e", "/f"], rows.Select(r => (string)r["uri"]!));
        Assert.Equal([1, 2, 3, 4, 5, 6], rows.Select(r => (int)r["trans_depth"]!));
        Assert.Equal([200, 200, 200, 304, 204, 200], rows.Select(r => (int)r["status_code"]!));
        Assert.Equal([2L, 3L, 0L, 0L, 0L, 1L], rows.Select(r => (long)r["response_body_len"]!));
        Assert.Equal("chunked", rows[2]["transfer_encoding"]);
    }

    [Fact]
    public void A_100_continue_is_the_info_code_not_the_final_response()
    {
        var run = Harness.AssertSameOnEverySplit([
            Client("POST /upload HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"),
            Server("HTTP/1.1 100 Continue\r\n\r\n"),
            Client("data"),
            Server("HTTP/1.1 201 Created\r\nLocation: /upload/1\r\nContent-Length: 0\r\n\r\n"),
            Client("GET /upload/1 HTTP/1.1\r\n\r\n"),
            Server("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndata"),
        ]);
        Assert.Empty(run.Anomalies);
        var rows = Rows(run);
        Assert.Equal(2, rows.Count);
        Assert.Equal(201, rows[0]["status_code"]);
        Assert.Equal("Created", rows[0]["status_msg"]);
        Assert.Equal(100, rows[0]["info_code"]);
        Assert.Equal("Continue", rows[0]["info_msg"]);
        Assert.Equal("/upload/1", rows[0]["location"]);
        Assert.Equal(4L, rows[0]["request_body_len"]);
        Assert.Equal(200, rows[1]["status_code"]);
        Assert.Null(rows[1]["info_code"]);
    }

    [Fact]
    public void Chunked_bodies_with_extensions_and_trailers_in_both_directions()
    {
        var run = Harness.AssertSameOnEverySplit([
            Client("POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
            Server("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\nX-Other: u\r\n\r\n"),
            Client("GET /next HTTP/1.1\r\n\r\n"),
            Server("HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, CHUNKED\r\n\r\na\nabcdefghij\n0\n\n"),
        ]);
        Assert.Empty(run.Anomalies);
        var rows = Rows(run);
        Assert.Equal(2, rows.Count);
        Assert.Equal(3L, rows[0]["request_body_len"]);
        Assert.Equal(11L, rows[0]["response_body_len"]);
        Assert.Equal("chunked", rows[0]["transfer_encoding"]);
        Assert.Equal(10L, rows[1]["response_body_len"]);
        Assert.Equal("gzip, CHUNKED", rows[1]["transfer_encoding"]);
    }

    [Fact]
    public void A_response_without_length_runs_to_the_close()
    {
        const string more = "<title>x</title></html>HTTP/1.1 200 looks like a response but is body\r\n";
        var run = Harness.AssertSameOnEverySplit([
            Client("GET / HTTP/1.0\r\nUser-Agent: Wget/1.21\r\n\r\n"),
            Server("HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6 Python/3.11.2\r\n\r\n<html>"),
            Server(more),
        ]);
        Assert.Empty(run.Anomalies);
        var row = Assert.Single(Rows(run));
        Assert.Equal("1.0", row["version"]);
        Assert.Equal("SimpleHTTP/0.6 Python/3.11.2", row["server"]);
        Assert.Equal(6L + more.Length, row["response_body_len"]);
    }

    [Fact]
    public void After_a_2xx_to_CONNECT_the_tunnel_is_not_parsed()
    {
        var run = Harness.AssertSameOnEverySplit([
            Client("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nProxy-Authorization: Basic dXNlcjpwYXNz\r\n\r\n"),
            Server("HTTP/1.1 200 Connection established\r\n\r\n"),
            Client("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03GET / HTTP/1.1\r\n\r\n"),
            Server("\x16\x03\x03\x00\x7a\x02\x00\x00\x76HTTP/1.1 200 OK\r\n"),
        ]);
        Assert.Empty(run.Anomalies);
        var row = Assert.Single(Rows(run));
        Assert.Equal("CONNECT", row["method"]);
        Assert.Equal("example.com:443", row["uri"]);
        Assert.Equal("user", row["username"]);
        Assert.Equal(200, row["status_code"]);
        Assert.Equal(0L, row["response_body_len"]);
    }

    [Fact]
    public void Client_bytes_sent_before_the_CONNECT_answer_wait_for_it()
    {
        // Optimistic tunnel data in the same segment as the CONNECT: neither a request nor an anomaly.
        var run = Harness.AssertSameOnEverySplit([
            Client("CONNECT example.com:443 HTTP/1.1\r\n\r\n\x16\x03\x01\x00\x05hello"),
            Server("HTTP/1.1 200 OK\r\n\r\n"),
            Client("\x17\x03\x03\x00\x01x"),
        ]);
        Assert.Empty(run.Anomalies);
        Assert.Single(Rows(run));
    }

    [Fact]
    public void A_refused_CONNECT_leaves_the_connection_HTTP()
    {
        var run = Harness.AssertSameOnEverySplit([
            Client("CONNECT example.com:443 HTTP/1.1\r\n\r\n"),
            Server("HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 3\r\n\r\nno!"),
            Client("GET http://example.com/ HTTP/1.1\r\n\r\n"),
            Server("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        ]);
        Assert.Empty(run.Anomalies);
        var rows = Rows(run);
        Assert.Equal([407, 200], rows.Select(r => (int)r["status_code"]!));
        Assert.Equal(3L, rows[0]["response_body_len"]);
        Assert.Equal("http://example.com/", rows[1]["uri"]);
    }

    [Fact]
    public void After_101_switching_protocols_nothing_more_is_parsed()
    {
        var run = Harness.AssertSameOnEverySplit([
            Client("GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"),
            Server("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello"),
            Client("\x81\x85\x01\x02\x03\x04iggmn"),
        ]);
        Assert.Empty(run.Anomalies);
        var row = Assert.Single(Rows(run));
        Assert.Equal(101, row["status_code"]);
        Assert.Equal(101, row["info_code"]);
        Assert.Equal(0L, row["response_body_len"]);
    }

    [Fact]
    public void A_response_before_any_request_is_its_own_transaction()
    {
        var run = Harness.AssertSameOnEverySplit([
            Server("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
            Client("GET / HTTP/1.1\r\n\r\n"),
        ]);
        Assert.True(run.Confirmed);
        Assert.Equal(["http.response_without_request", "http.missing_response"], run.AnomalyNames);
        var rows = Rows(run);
        Assert.Equal(2, rows.Count);
        Assert.Null(rows[0]["method"]);
        Assert.Null(rows[0]["request_body_len"]);
        Assert.Equal(200, rows[0]["status_code"]);
        Assert.Equal(1, rows[0]["trans_depth"]);
        Assert.Equal("GET", rows[1]["method"]);
        Assert.Null(rows[1]["status_code"]);
        Assert.Null(rows[1]["response_body_len"]);
        Assert.Equal(2, rows[1]["trans_depth"]);
    }

    [Fact]
    public void Requests_never_answered_are_written_at_the_end()
    {
        var run = Harness.AssertSameOnEverySplit([
            Client("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\nGET /c HTTP/1.1\r\n\r\n"),
            Server("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        ]);
        Assert.Equal(["http.missing_response", "http.missing_response"], run.AnomalyNames);
        var rows = Rows(run);
        Assert.Equal(["/a", "/b", "/c"], rows.Select(r => (string)r["uri"]!));
        Assert.Equal(200, rows[0]["status_code"]);
        Assert.Null(rows[1]["status_code"]);
        Assert.Null(rows[2]["status_code"]);
    }

    [Fact]
    public void Bodies_are_hashed_only_when_the_preference_is_on()
    {
        StreamMessage[] conversation =
        [
            Client("POST /p HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"),
            Server("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
            Client("GET /q HTTP/1.0\r\n\r\n"),
            Server("HTTP/1.0 200 OK\r\n\r\nuntil the close"),
        ];
        var rows = Rows(Hashing.AssertSameOnEverySplit(conversation));
        Assert.Equal(Sha256("abc"), rows[0]["request_body_sha256"]);
        Assert.Equal(Sha256("hello world"), rows[0]["response_body_sha256"]);
        Assert.Null(rows[1]["request_body_sha256"]); // no body: no hash
        Assert.Equal(Sha256("until the close"), rows[1]["response_body_sha256"]);
        Assert.All(Rows(Harness.Run(conversation)), r =>
        {
            Assert.Null(r["request_body_sha256"]);
            Assert.Null(r["response_body_sha256"]);
        });
    }

    [Fact]
    public void Bodies_past_the_hash_limit_or_with_a_gap_get_no_hash()
    {
        long big = HttpDissector.MaxHashedBodyLength + 1;
        var run = Hashing.Run([
            Client("GET /big HTTP/1.1\r\n\r\n"),
            Server($"HTTP/1.1 200 OK\r\nContent-Length: {big}\r\n\r\n"),
            Server(new byte[big]),
            Client("GET /chunked-big HTTP/1.1\r\n\r\n"),
            Server($"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{big:x}\r\n"),
            Server(new byte[big]),
            Server("\r\n0\r\n\r\n"),
            Client("GET /limit HTTP/1.1\r\n\r\n"),
            Server($"HTTP/1.1 200 OK\r\nContent-Length: {big - 1}\r\n\r\n"),
            Server(new byte[big - 1]),
            Client("GET /gap HTTP/1.1\r\n\r\n"),
            Server("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab"),
            Gap(StreamDirection.FromResponder, 3),
            Server("cdefg"),
        ]);
        Assert.Empty(run.Anomalies);
        var rows = Rows(run);
        Assert.Equal([big, big, big - 1, 10L], rows.Select(r => (long)r["response_body_len"]!));
        Assert.Null(rows[0]["response_body_sha256"]);
        Assert.Null(rows[1]["response_body_sha256"]);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(new byte[big - 1])), rows[2]["response_body_sha256"]);
        Assert.Null(rows[3]["response_body_sha256"]);
    }

    [Fact]
    public void A_gap_inside_a_body_shortens_it_and_keeps_the_parser_in_step()
    {
        var run = Harness.AssertSameOnEverySplit([
            Client("GET /a HTTP/1.1\r\n\r\n"),
            Server("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab"),
            Gap(StreamDirection.FromResponder, 5),
            Server("hij"),
            Client("POST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n8\r\nab"),
            Gap(StreamDirection.FromOriginator, 4),
            Client("gh\r\n0\r\n\r\n"),
            Server("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
            Client("GET /c HTTP/1.0\r\n\r\n"),
            Server("HTTP/1.0 200 OK\r\n\r\nsome"),
            Gap(StreamDirection.FromResponder, 1000),
            Server("more"),
        ]);
        Assert.Empty(run.Anomalies);
        var rows = Rows(run);
        Assert.Equal(["/a", "/b", "/c"], rows.Select(r => (string)r["uri"]!));
        Assert.Equal(10L, rows[0]["response_body_len"]);
        Assert.Equal(8L, rows[1]["request_body_len"]);
        Assert.Equal(2L, rows[1]["response_body_len"]);
        Assert.Equal(1008L, rows[2]["response_body_len"]);
    }

    [Fact]
    public void A_gap_in_a_head_is_reported_and_the_next_message_found()
    {
        var run = Harness.AssertSameOnEverySplit([
            Client("GET /a HTTP/1.1\r\n\r\n"),
            Server("HTTP/1.1 200 OK\r\nServ"),
            Gap(StreamDirection.FromResponder, 10),
            Server("ength: 4\r\n\r\nabc\n"), // a text body ending in a newline: the next status line starts a line
            Client("GET /b HTTP/1.1\r\nHo"),
            Gap(StreamDirection.FromOriginator, 3),
            Client(" h\r\n\r\nGET /c HTTP/1.1\r\n\r\n"),
            Server("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        ]);
        Assert.Equal(["http.gap_in_headers", "http.gap_in_headers", "http.missing_response"], run.AnomalyNames);
        var rows = Rows(run);
        // /a keeps its status; /b's head was cut, so the next response found answers /b; /c is left unanswered.
        Assert.Equal(["/a", "/b", "/c"], rows.Select(r => (string)r["uri"]!));
        Assert.Equal(200, rows[0]["status_code"]);
        Assert.Equal(200, rows[1]["status_code"]);
        Assert.Null(rows[1]["host"]);
        Assert.Null(rows[2]["status_code"]);
    }

    [Fact]
    public void A_gap_running_past_the_end_of_a_body_resynchronises()
    {
        var run = Harness.AssertSameOnEverySplit([
            Client("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\nGET /c HTTP/1.1\r\n\r\n"),
            Server("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab"),
            Gap(StreamDirection.FromResponder, 20),
            Server("th: 0\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
        ]);
        Assert.Equal(["http.gap_in_headers", "http.missing_response"], run.AnomalyNames);
        var rows = Rows(run);
        Assert.Equal(4L, rows[0]["response_body_len"]);
        // The response to /b was lost in the gap; the 404 is taken as /b's, in order (as Zeek would).
        Assert.Equal(404, rows[1]["status_code"]);
        Assert.Null(rows[2]["status_code"]);
    }
}
