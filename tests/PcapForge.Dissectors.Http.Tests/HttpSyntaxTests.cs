using System.Text;
using PcapForge.Dissectors.Http;

namespace PcapForge.Dissectors.Http.Tests;

/// <summary>The public span parsers, which the service scanner (issue 6) reuses on the replies it reads.</summary>
public class HttpSyntaxTests
{
    private static byte[] B(string s) => Encoding.Latin1.GetBytes(s);

    private static string S(ReadOnlySpan<byte> b) => Encoding.Latin1.GetString(b);

    [Theory]
    // line, method, target, version, well-formed
    [InlineData("GET / HTTP/1.1", "GET", "/", "HTTP/1.1", true)]
    [InlineData("CONNECT example.com:443 HTTP/1.1", "CONNECT", "example.com:443", "HTTP/1.1", true)]
    [InlineData("OPTIONS * HTTP/1.0", "OPTIONS", "*", "HTTP/1.0", true)]
    [InlineData("CCM_POST /x?a=1&b=%20 HTTP/1.1", "CCM_POST", "/x?a=1&b=%20", "HTTP/1.1", true)]
    // The broken lines of Zeek's methods.pcap, read as tshark reads them.
    [InlineData("OPTIONS  HTTP/1.1", "OPTIONS", "HTTP/1.1", "", false)]
    [InlineData("OPTIONS", "OPTIONS", "", "", false)]
    [InlineData("GET / HTTP/1.", "GET", "/", "HTTP/1.", false)]
    [InlineData("GET /HTTP/1.1", "GET", "/HTTP/1.1", "", false)]
    [InlineData("GET /a b HTTP/1.1", "GET", "/a b", "HTTP/1.1", false)]
    [InlineData("GET / HTTP/1.1 ", "GET", "/", "HTTP/1.1", false)]
    [InlineData("PRI * HTTP/2.0", "PRI", "*", "HTTP/2.0", false)]
    [InlineData("GET /\x01 HTTP/1.1", "GET", "/\x01", "HTTP/1.1", false)]
    public void Request_lines_are_split_as_tshark_does_and_judged_by_RFC_9112(string line, string method, string target, string version, bool wellFormed)
    {
        Assert.True(HttpRequestLine.TryParse(B(line), out var r));
        Assert.Equal(method, S(r.Method));
        Assert.Equal(target, S(r.Target));
        Assert.Equal(version, S(r.Version));
        Assert.Equal(wellFormed, r.IsWellFormed);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" GET / HTTP/1.1")]
    [InlineData("GET/ HTTP/1.1")]
    [InlineData("\x16\x03\x01\x02\x00")]
    [InlineData("HTTP/1.1 200 OK")]
    public void Lines_without_a_method_are_not_request_lines(string line) =>
        Assert.False(HttpRequestLine.TryParse(B(line), out _));

    [Theory]
    [InlineData("HTTP/1.1 200 OK", "HTTP/1.1", 200, "OK")]
    [InlineData("HTTP/1.0 404 Not Found", "HTTP/1.0", 404, "Not Found")]
    [InlineData("HTTP/1.1 204", "HTTP/1.1", 204, "")]
    [InlineData("HTTP/1.1 200 ", "HTTP/1.1", 200, "")]
    [InlineData("HTTP/1.1  302  Found", "HTTP/1.1", 302, "Found")]
    [InlineData("HTTP/1.1 100 Continue", "HTTP/1.1", 100, "Continue")]
    public void Status_lines(string line, string version, int code, string reason)
    {
        Assert.True(HttpStatusLine.TryParse(B(line), out var s));
        Assert.Equal(version, S(s.Version));
        Assert.Equal(code, s.StatusCode);
        Assert.Equal(reason, S(s.Reason));
    }

    [Theory]
    [InlineData("HTTP/1.1 2000 OK")]
    [InlineData("HTTP/1.1 20 OK")]
    [InlineData("HTTP/1.1 099 Low")]
    [InlineData("HTTP/1.1 OK 200")]
    [InlineData("HTTP/11 200 OK")]
    [InlineData("HTTP/1.1200 OK")]
    [InlineData("SSH-2.0-OpenSSH_9.2")]
    [InlineData("http/1.1 200 OK")]
    public void Not_status_lines(string line) => Assert.False(HttpStatusLine.TryParse(B(line), out _));

    [Theory]
    [InlineData("Host: example.com", "Host", "example.com")]
    [InlineData("Content-Length:12", "Content-Length", "12")]
    [InlineData("X-Empty:", "X-Empty", "")]
    [InlineData("User-Agent: \t curl/8.0 \t", "User-Agent", "curl/8.0")]
    [InlineData("Set-Cookie: a=b: c", "Set-Cookie", "a=b: c")]
    public void Header_lines(string line, string name, string value)
    {
        Assert.True(HttpHeaderLine.TryParse(B(line), out var n, out var v));
        Assert.Equal(name, S(n));
        Assert.Equal(value, S(v));
    }

    [Theory]
    [InlineData("Host : example.com")] // RFC 9112 §5.1: no whitespace before the colon
    [InlineData("no colon here")]
    [InlineData(": value")]
    [InlineData("Bad(Name): x")]
    public void Not_header_lines(string line) => Assert.False(HttpHeaderLine.TryParse(B(line), out _, out _));

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("1a", 26L)]
    [InlineData("FFFF", 65535L)]
    [InlineData("10;name=value", 16L)]
    [InlineData("10 ; ext", 16L)]
    [InlineData("0000000000000f", 15L)]
    public void Chunk_sizes(string line, long size)
    {
        Assert.True(HttpChunkSize.TryParse(B(line), out long n));
        Assert.Equal(size, n);
    }

    [Theory]
    [InlineData("")]
    [InlineData("g")]
    [InlineData("-1")]
    [InlineData("10 x")]
    [InlineData("1000000000000000")] // 16 digits: past 60 bits
    public void Not_chunk_sizes(string line) => Assert.False(HttpChunkSize.TryParse(B(line), out _));

    [Fact]
    public void Lines_end_at_LF_with_or_without_CR_and_are_bounded()
    {
        Assert.Equal(HttpParseResult.Parsed, HttpLine.TryRead(B("abc\r\ndef"), out var line, out int used));
        Assert.Equal("abc", S(line));
        Assert.Equal(5, used);
        Assert.Equal(HttpParseResult.Parsed, HttpLine.TryRead(B("abc\ndef"), out line, out used));
        Assert.Equal("abc", S(line));
        Assert.Equal(4, used);
        Assert.Equal(HttpParseResult.Incomplete, HttpLine.TryRead(B("abc\r"), out _, out used));
        Assert.Equal(0, used);
        Assert.Equal(HttpParseResult.Incomplete, HttpLine.TryRead(new byte[HttpLimits.MaxLineLength - 1], out _, out _));
        Assert.Equal(HttpParseResult.Malformed, HttpLine.TryRead(new byte[HttpLimits.MaxLineLength], out _, out _));
        var exact = new byte[HttpLimits.MaxLineLength];
        exact[^1] = (byte)'\n';
        Assert.Equal(HttpParseResult.Parsed, HttpLine.TryRead(exact, out line, out used));
        Assert.Equal(HttpLimits.MaxLineLength, used);
    }

    [Fact]
    public void Resumed_line_search_finds_the_same_end()
    {
        var data = B("a long header line\r\nnext");
        int scanned = 0;
        Assert.Equal(HttpParseResult.Incomplete, HttpLine.TryRead(data.AsSpan(0, 10), ref scanned, out _, out _));
        Assert.Equal(10, scanned);
        Assert.Equal(HttpParseResult.Parsed, HttpLine.TryRead(data, ref scanned, out var line, out int used));
        Assert.Equal("a long header line", S(line));
        Assert.Equal(20, used);
        Assert.Equal(0, scanned);
    }

    [Fact]
    public void Response_head_for_the_scanner()
    {
        var reply = B("\r\nHTTP/1.1 301 Moved Permanently\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\ncontent-length: 169\r\n"
                      + "Location: https://example.com/\r\nbroken line\r\nX-Folded: a\r\n b\r\n\r\n<html><head><title>301</title>");
        Assert.Equal(HttpParseResult.Parsed, HttpResponseHead.TryParse(reply, out var head));
        Assert.NotNull(head);
        Assert.Equal("1.1", head.Version);
        Assert.Equal(301, head.StatusCode);
        Assert.Equal("Moved Permanently", head.Reason);
        Assert.Equal("nginx/1.22.1", head.Server);
        Assert.Equal("text/html", head.ContentType);
        Assert.Equal("https://example.com/", head.Location);
        Assert.Equal(169, head.ContentLength);
        Assert.False(head.IsChunked);
        Assert.Equal(1, head.MalformedHeaderLines);
        Assert.Equal(5, head.Headers.Count); // the broken line and the folded continuation are not fields
        Assert.Equal("<html>", Encoding.ASCII.GetString(reply, head.Length, 6));
    }

    [Fact]
    public void Response_head_incomplete_and_malformed()
    {
        var whole = B("HTTP/1.0 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
        for (int cut = 0; cut < whole.Length; cut++)
            Assert.Equal(HttpParseResult.Incomplete, HttpResponseHead.TryParse(whole.AsSpan(0, cut), out _));
        Assert.Equal(HttpParseResult.Parsed, HttpResponseHead.TryParse(whole, out var head));
        Assert.True(head!.IsChunked);
        Assert.Null(head.ContentLength);
        Assert.Equal(HttpParseResult.Malformed, HttpResponseHead.TryParse(B("SSH-2.0-OpenSSH_9.2\r\n"), out _));
        Assert.Equal(HttpParseResult.Malformed, HttpResponseHead.TryParse(B("220 smtp.example.com ESMTP\r\n"), out _));
        var huge = B("HTTP/1.1 200 OK\r\n" + string.Concat(Enumerable.Repeat("X-Filler: " + new string('x', 1000) + "\r\n", 70)));
        Assert.Equal(HttpParseResult.Malformed, HttpResponseHead.TryParse(huge, out _));
    }

    [Theory]
    [InlineData("<html><head><title>Welcome to nginx!</title></head>", "Welcome to nginx!")]
    [InlineData("<HTML><TITLE lang=en>\n  Two\n\tlines  </TITLE>", "Two lines")]
    [InlineData("<titles>no</titles><title>yes</title>", "yes")]
    [InlineData("<title>Fish &amp; Chips &#8211; &lt;best&gt;</title>", "Fish & Chips \u2013 <best>")]
    [InlineData("<title></title>", "")]
    [InlineData("<title>caf\u00e9</title>", "caf\u00e9")]
    public void Html_titles(string html, string title)
    {
        Assert.True(HtmlTitle.TryFind(Encoding.UTF8.GetBytes(html), out string found));
        Assert.Equal(title, found);
    }

    [Theory]
    [InlineData("<html><body>no title</body></html>")]
    [InlineData("<title>never closed")]
    [InlineData("")]
    public void No_html_title(string html) => Assert.False(HtmlTitle.TryFind(Encoding.UTF8.GetBytes(html), out _));

    /// <summary>Repeated values (methods, Host, Server…) are decoded once per thread and the string is given again.</summary>
    [Fact]
    public void Common_values_give_the_same_string_again_and_decode_like_the_rest()
    {
        string host = HttpText.DecodeCommon("www.example.com"u8);
        Assert.Equal("www.example.com", host);
        Assert.Same(host, HttpText.DecodeCommon("www.example.com"u8.ToArray()));
        Assert.Equal("www.example.org", HttpText.DecodeCommon("www.example.org"u8));
        Assert.Equal("GET", HttpText.DecodeCommon("GET"u8));
        Assert.Equal("", HttpText.DecodeCommon([]));
        // Not ASCII: decoded as Decode does, never matched to a cached ASCII string.
        byte[] latin = [(byte)'c', (byte)'a', (byte)'f', 0xE9];
        Assert.Equal("caf\\xe9", HttpText.DecodeCommon(latin));
        Assert.Equal("caf\\xe9", HttpText.DecodeCommon(latin));
        Assert.Equal("café", HttpText.DecodeCommon(Encoding.UTF8.GetBytes("café")));
        // Long values are decoded each time, whole.
        string longUa = new('u', HttpText.MaxCommonLength + 1);
        Assert.Equal(longUa, HttpText.DecodeCommon(Encoding.ASCII.GetBytes(longUa)));
        // A thousand distinct values through the small cache: each still comes back as itself.
        for (int i = 0; i < 1000; i++)
            Assert.Equal($"value-{i}", HttpText.DecodeCommon(Encoding.ASCII.GetBytes($"value-{i}")));
    }

    [Fact]
    public void Text_that_is_not_utf8_keeps_its_bytes_visible()
    {
        Assert.Equal("caf\\xe9", HttpText.Decode([(byte)'c', (byte)'a', (byte)'f', 0xE9]));
        Assert.Equal("café", HttpText.Decode(Encoding.UTF8.GetBytes("café")));
    }

    [Theory]
    [InlineData("Basic dXNlcjpwYXNz", "user")] // user:pass
    [InlineData("basic   YWxpY2U6", "alice")] // alice:
    [InlineData("Bearer abc.def", null)]
    [InlineData("Basic !!!", null)]
    [InlineData("Basic bm9jb2xvbg==", null)] // nocolon
    public void Basic_user_names(string authorization, string? user) => Assert.Equal(user, HttpText.BasicUser(B(authorization)));
}
