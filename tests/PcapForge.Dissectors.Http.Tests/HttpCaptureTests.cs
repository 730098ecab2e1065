using System.Security.Cryptography;
using System.Text;
using PcapForge.Dissectors.Http;

namespace PcapForge.Dissectors.Http.Tests;

/// <summary>
/// The whole engine over the project's own captures (testdata/README.md): nginx keep-alive with POST, 404 and chunked
/// bodies over IPv4; nginx and python's http.server (HTTP/1.0, HEAD, port 8080) over IPv6. Body sizes are checked
/// against the Content-Length tshark read, and body hashes against the files record.sh served, rebuilt here.
/// </summary>
public class HttpCaptureTests
{
    private static string Own(string name) => Path.Combine(TestData.OwnCaptures, name);

    private static List<Dictionary<string, object?>> HttpRows(MemoryRows rows) =>
        rows["http"].OrderBy(r => (long)r["ts"]!).ToList();

    [Theory]
    [InlineData("http-keepalive-veth.pcap")]
    [InlineData("http-keepalive-veth.pcap.gz")]
    public void Keep_alive_connection_to_nginx(string capture)
    {
        var rows = Analyzer.Run(Own(capture));
        var flow = Assert.Single(rows["flows"], f => (string)f["proto"]! == "tcp");
        Assert.Equal("http", flow["service"]);
        var http = HttpRows(rows);
        Assert.All(http, r => Assert.Equal(flow["flow_uid"], r["flow_uid"]));
        Assert.Equal(Enumerable.Range(1, 8), http.Select(r => (int)r["trans_depth"]!));
        Assert.Equal(["GET", "GET", "GET", "GET", "GET", "POST", "GET", "GET"], http.Select(r => (string)r["method"]!));
        Assert.Equal(["/", "/style.css", "/data/lorem.txt", "/data/blob.bin", "/missing.html", "/api/submit", "/chunked.shtml", "/data/lorem.txt"],
            http.Select(r => (string)r["uri"]!));
        Assert.Equal([200, 200, 200, 200, 404, 201, 200, 200], http.Select(r => (int)r["status_code"]!));
        Assert.All(http, r =>
        {
            Assert.Equal("10.203.0.2", r["host"]);
            Assert.Equal("pcapforge-recorder/1.0", r["user_agent"]);
            Assert.Equal("nginx", r["server"]);
            Assert.Equal("1.1", r["version"]);
            Assert.True((long)r["request_frame"]! < (long)r["response_frame"]!);
        });
        Assert.Equal(47L, http[5]["request_body_len"]); // {"name":"pcapforge","kind":"golden-test","n":1}
        Assert.Equal("application/json", http[5]["request_content_type"]);
        Assert.Equal([null, null, null, null, null, null, "chunked", "chunked"], http.Select(r => (string?)r["transfer_encoding"]));
        Assert.Equal(ContentLengths("http-keepalive-veth.pcap"), http.Where(r => r["transfer_encoding"] is null).Select(r => (long)r["response_body_len"]!));
        Assert.True((long)http[7]["response_body_len"]! is > 0 and < 20100, "the second lorem.txt is gzip-compressed, and counted as transferred");
        Assert.DoesNotContain(rows["anomalies"], a => ((string)a["name"]!).StartsWith("http.", StringComparison.Ordinal)
                                                     || ((string)a["name"]!).StartsWith("engine.", StringComparison.Ordinal));
    }

    [Fact]
    public void Body_hashes_match_the_files_served()
    {
        var on = new Dictionary<string, bool> { [HttpDissector.BodySha256Preference] = true };
        var http = HttpRows(Analyzer.Run(Own("http-keepalive-veth.pcap"), on));
        var site = WebRoot();
        Assert.Equal(Sha256(site["index.html"]), http[0]["response_body_sha256"]);
        Assert.Equal(Sha256(site["style.css"]), http[1]["response_body_sha256"]);
        Assert.Equal(Sha256(site["data/lorem.txt"]), http[2]["response_body_sha256"]);
        Assert.Equal(Sha256(site["data/blob.bin"]), http[3]["response_body_sha256"]);
        Assert.Equal(Sha256("{\"name\":\"pcapforge\",\"kind\":\"golden-test\",\"n\":1}"u8.ToArray()), http[5]["request_body_sha256"]);
        Assert.NotNull(http[6]["response_body_sha256"]); // chunked: hashed after removing the chunk framing
        Assert.All(http.Where(r => (long)r["request_body_len"]! == 0), r => Assert.Null(r["request_body_sha256"]));
        Assert.All(HttpRows(Analyzer.Run(Own("http-keepalive-veth.pcap"))), r => Assert.Null(r["response_body_sha256"]));
    }

    [Fact]
    public void Ipv6_nginx_and_python_on_8080_with_HEAD()
    {
        var rows = Analyzer.Run(Own("http-ipv6-nsec.pcap"));
        var http = HttpRows(rows);
        Assert.Equal(7, http.Count);
        var flows = rows["flows"].Where(f => (string?)f["service"] == "http").ToList();
        Assert.Equal(5, flows.Count);
        Assert.Equal([80, 8080, 8080, 8080, 8080], flows.OrderBy(f => (long)f["first_frame"]!).Select(f => (int)f["resp_p"]!));

        var nginx = http.Take(3).ToList();
        Assert.Equal([1, 2, 3], nginx.Select(r => (int)r["trans_depth"]!));
        Assert.Equal(["/", "/data/blob.bin", "/nothing-here"], nginx.Select(r => (string)r["uri"]!));
        Assert.Equal([200, 200, 404], nginx.Select(r => (int)r["status_code"]!));
        Assert.All(nginx, r => Assert.Equal("[fd00:203::2]", r["host"]));

        var python = http.Skip(3).ToList();
        Assert.All(python, r =>
        {
            Assert.Equal(1, r["trans_depth"]); // HTTP/1.0: one connection per request
            Assert.Equal("1.0", r["version"]);
            Assert.Equal("1.1", r["request_version"]);
            Assert.Equal("[fd00:203::2]:8080", r["host"]);
            Assert.StartsWith("SimpleHTTP/0.6 Python/", (string)r["server"]!);
        });
        Assert.Equal(["GET", "GET", "GET", "HEAD"], python.Select(r => (string)r["method"]!));
        Assert.Equal([200, 200, 404, 200], python.Select(r => (int)r["status_code"]!));
        Assert.Equal("File not found", python[2]["status_msg"]);
        var head = python[3];
        Assert.Equal("/index.html", head["uri"]);
        Assert.Equal(0L, head["response_body_len"]); // the Content-Length of a HEAD response announces no body
        Assert.Equal(ContentLengths("http-ipv6-nsec.pcap").SkipLast(1), http.SkipLast(1).Select(r => (long)r["response_body_len"]!));
        Assert.DoesNotContain(rows["anomalies"], a => ((string)a["name"]!).StartsWith("http.", StringComparison.Ordinal));
    }

    /// <summary>tshark's http.content_length_header of each response of an own capture, in order (Conformance/testdata).</summary>
    private static List<long> ContentLengths(string capture)
    {
        var path = Path.Combine(TestData.RepositoryRoot, "tests", "PcapForge.Dissectors.Http.Tests", "Conformance", "testdata", capture + ".http-responses.txt");
        var lines = File.ReadLines(path).Where(l => !l.StartsWith('#')).ToList();
        int column = Array.IndexOf(lines[0].Split('\t'), "http.content_length_header");
        return lines.Skip(1).Select(l => l.Split('\t')[column]).Where(v => v.Length > 0).Select(long.Parse).ToList();
    }

    private static string Sha256(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    /// <summary>The files testdata/record.sh writes to nginx's web root (its Python block, rewritten).</summary>
    private static Dictionary<string, byte[]> WebRoot()
    {
        var index = """
            <!DOCTYPE html>
            <html>
            <head><meta charset="utf-8"><title>PcapForge test site</title><link rel="stylesheet" href="/style.css"></head>
            <body>
            <h1>PcapForge test site</h1>
            <p>This page is served by a real web server inside a network namespace for PcapForge's golden captures.</p>
            <ul><li><a href="/data/lorem.txt">lorem.txt</a></li><li><a href="/data/blob.bin">blob.bin</a></li></ul>
            </body>
            </html>

            """.Replace("\r\n", "\n");
        var lorem = new StringBuilder();
        for (int i = 1; i <= 300; i++)
            lorem.Append($"line {i:D4}: The quick brown fox jumps over the lazy dog. 0123456789\n");
        var blob = Enumerable.Range(0, 512).SelectMany(i => SHA256.HashData(Encoding.ASCII.GetBytes($"pcapforge-{i}"))).ToArray();
        return new Dictionary<string, byte[]>
        {
            ["index.html"] = Encoding.UTF8.GetBytes(index),
            ["style.css"] = Encoding.ASCII.GetBytes("body { font-family: sans-serif; margin: 2em; }\nh1 { color: #235; }\n"),
            ["data/lorem.txt"] = Encoding.ASCII.GetBytes(lorem.ToString()),
            ["data/blob.bin"] = blob,
        };
    }

    [Fact]
    public void The_page_title_of_the_rebuilt_index_is_found() =>
        Assert.True(HtmlTitle.TryFind(WebRoot()["index.html"], out string title) && title == "PcapForge test site");
}
