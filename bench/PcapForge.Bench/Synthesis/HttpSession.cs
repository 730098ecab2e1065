using System.Globalization;
using System.Text;

namespace PcapForge.Bench.Synthesis;

/// <summary>What an HTTP connection of the realistic profile does.</summary>
public enum HttpConnectionKind
{
    /// <summary>One request with <c>Connection: close</c>; the server closes after the response.</summary>
    Single,

    /// <summary>A page and its resources on one persistent connection, with think time between requests.</summary>
    KeepAlive,

    /// <summary>One download of tens of megabytes; the client closes when it has it.</summary>
    Bulk,
}

/// <summary>A web server of the realistic profile: its name, addresses, software and the round trip to it.</summary>
public sealed record WebServer(string Name, HostAddress Ipv4, HostAddress? Ipv6, string Software, long RttNs)
{
    /// <summary>Apache closes an idle persistent connection after <c>KeepAliveTimeout</c> (5 s by default).</summary>
    public bool ClosesIdleConnections => Software.StartsWith("Apache", StringComparison.Ordinal);
}

/// <summary>
/// An HTTP/1.1 connection (RFC 9112): requests with the headers a browser, curl or apt sends, responses with
/// <c>Content-Length</c> or <c>Transfer-Encoding: chunked</c> bodies (text, JSON or opaque binary), 304s for
/// conditional requests, error pages, and the close that goes with the connection's kind.
/// </summary>
public sealed class HttpSession : TimedSession
{
    private readonly HttpConnectionKind _kind;
    private readonly WebServer _server;
    private readonly string _userAgent;
    private readonly ushort _port;
    private readonly string _host;
    private readonly TextPool _text;

    public HttpSession(Random random, PayloadPool payloads, PathTiming timing, FlowClock clock, HttpConnectionKind kind, WebServer server,
        string userAgent, ushort port, TextPool text)
        : base(random, payloads, timing, clock)
    {
        _text = text;
        _kind = kind;
        _server = server;
        _userAgent = userAgent;
        _port = port;
        _host = port == 80 ? server.Name : $"{server.Name}:{port}";
    }

    public override ushort ServerPort => _port;

    private enum Resource
    {
        Page,
        Script,
        Style,
        Image,
        Api,
        Icon,
        Download,
    }

    protected override IEnumerable<SegmentPlan> Plan()
    {
        foreach (var s in TimedHandshake())
            yield return s;

        int requests = _kind == HttpConnectionKind.KeepAlive ? 2 + (int)Math.Min(38, Exponential(3.5, 38)) : 1;
        long delay = Between(10_000, 80_000); // the request follows the handshake's last ACK at once
        for (int r = 0; r < requests; r++)
        {
            Resource resource = _kind switch
            {
                HttpConnectionKind.Bulk => Resource.Download,
                HttpConnectionKind.KeepAlive when r == 0 => Resource.Page,
                HttpConnectionKind.KeepAlive => Pick(Resource.Script, 0.2, Resource.Style, 0.1, Resource.Image, 0.55, Resource.Api, 0.12, Resource.Icon),
                _ => Pick(Resource.Image, 0.45, Resource.Api, 0.3, Resource.Script, 0.15, Resource.Page, 0.1, Resource.Icon),
            };
            bool close = _kind == HttpConnectionKind.Single;
            bool notModified = resource is Resource.Script or Resource.Style or Resource.Image or Resource.Icon && Random.NextDouble() < 0.12;
            var (request, requestBody) = Request(resource, close, notModified, r > 0);
            foreach (var s in Transfer(true, requestBody > 0 ? [request, .. Text(requestBody, 16384, 16384)] : [request], delay, finalAck: false))
                yield return s;

            long processing = resource switch
            {
                Resource.Download or Resource.Icon => Between(100_000, 2_000_000),
                Resource.Page or Resource.Api => Exponential(25_000_000, 900_000_000),
                _ => Exponential(2_000_000, 200_000_000),
            };
            foreach (var s in Reply(false, Response(resource, close, notModified), processing, finalAck: true))
                yield return s;
            // Think time: the browser parses the page, the user reads; below Apache's 5 s idle timeout.
            delay = r == 0 ? Between(2_000_000, 150_000_000) : Exponential(1_200_000_000, 4_500_000_000);
        }

        IEnumerable<SegmentPlan> ending = _kind switch
        {
            HttpConnectionKind.Single => TimedClose(clientFirst: false, Between(20_000, 400_000)),
            HttpConnectionKind.Bulk => TimedClose(clientFirst: true, Between(100_000, 3_000_000)),
            _ when _server.ClosesIdleConnections => TimedClose(clientFirst: false, 5_000_000_000 + Between(0, 2_000_000)),
            _ => TimedClose(clientFirst: true, Between(1_000_000_000, 9_000_000_000)),
        };
        foreach (var s in ending)
            yield return s;
    }

    private Resource Pick(Resource a, double pa, Resource b, double pb, Resource c, double pc, Resource d, double pd, Resource otherwise)
    {
        double u = Random.NextDouble();
        return u < pa ? a : (u -= pa) < pb ? b : (u -= pb) < pc ? c : u - pc < pd ? d : otherwise;
    }

    /// <summary>The request head, and the length of a request body (form text) that follows it, if any.</summary>
    private (byte[] Head, int BodyLength) Request(Resource resource, bool close, bool conditional, bool subresource)
    {
        bool post = resource == Resource.Api && Random.NextDouble() < 0.25;
        int body = post ? Random.Next(60, 2400) : 0;
        var h = new StringBuilder(512);
        h.Append(post ? "POST " : "GET ").Append(Path(resource)).Append(" HTTP/1.1\r\n");
        h.Append("Host: ").Append(_host).Append("\r\n");
        h.Append("User-Agent: ").Append(_userAgent).Append("\r\n");
        bool browser = _userAgent.StartsWith("Mozilla/", StringComparison.Ordinal);
        if (browser)
        {
            h.Append("Accept: ").Append(resource switch
            {
                Resource.Page => "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
                Resource.Image or Resource.Icon => "image/avif,image/webp,*/*",
                Resource.Style => "text/css,*/*;q=0.1",
                Resource.Api => "application/json, text/plain, */*",
                _ => "*/*",
            }).Append("\r\n");
            h.Append("Accept-Language: en-US,en;q=0.5\r\n");
            h.Append("Accept-Encoding: gzip, deflate\r\n");
            if (subresource)
                h.Append("Referer: http://").Append(_host).Append("/\r\n");
        }
        else
        {
            h.Append("Accept: */*\r\n");
        }

        if (post)
            h.Append("Content-Type: text/plain; charset=utf-8\r\nContent-Length: ").Append(body.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        if (conditional)
            h.Append("If-None-Match: \"").Append(ETag()).Append("\"\r\n");
        h.Append("Connection: ").Append(close ? "close" : "keep-alive").Append("\r\n\r\n");
        return (Encoding.ASCII.GetBytes(h.ToString()), body);
    }

    private string Path(Resource resource)
    {
        int n = Random.Next(1, 100_000);
        string word = HttpVocabulary.Words[Random.Next(HttpVocabulary.Words.Length)];
        return resource switch
        {
            Resource.Page => Random.Next(4) switch
            {
                0 => "/",
                1 => $"/news/2024/02/{word}-{n}.html",
                2 => $"/products/{n}",
                _ => $"/search?q={word}&page={n % 9 + 1}",
            },
            Resource.Script => $"/static/js/{word}.{Hex8()}.js",
            Resource.Style => $"/static/css/{word}.{Hex8()}.css",
            Resource.Image => Random.Next(3) switch
            {
                0 => $"/images/{word}-{n}.jpg",
                1 => $"/img/thumbs/{n}.webp",
                _ => $"/media/{word}/{n}.png",
            },
            Resource.Api => $"/api/v2/{word}/{n}",
            Resource.Icon => "/favicon.ico",
            _ => Random.Next(3) switch
            {
                0 => "/debian/pool/main/l/linux-signed-amd64/linux-image-6.1.0-18-amd64_6.1.76-1_amd64.deb",
                1 => "/cdimage/release/12.5.0/amd64/iso-cd/debian-12.5.0-amd64-netinst.iso",
                _ => $"/releases/{word}-{n % 20}.{n % 10}.tar.xz",
            },
        };
    }

    private string Hex8() => Random.Next().ToString("x8", CultureInfo.InvariantCulture);

    private string ETag() => $"{Random.Next(0x65000000, 0x66000000):x8}-{Random.Next(0x100, 0x100000):x}";

    /// <summary>
    /// The response: head, then the body's pieces. Text bodies (pages, scripts, style sheets) are plain text and API
    /// answers real JSON, sent without content coding, so that a dissector can read them; images and downloads are
    /// opaque bytes of types tshark has no dissector for (WebP, AVIF, archives), so that none reports them malformed.
    /// </summary>
    private IEnumerable<ReadOnlyMemory<byte>> Response(Resource resource, bool close, bool notModified)
    {
        string date = DateTimeOffset.FromUnixTimeMilliseconds(Clock.NowNs / 1_000_000).ToString("r", CultureInfo.InvariantCulture);
        var h = new StringBuilder(512);
        double u = Random.NextDouble();
        int status = notModified ? 304 : u < 0.02 ? 404 : resource == Resource.Page && u < 0.03 ? 301 : 200;
        h.Append(status switch { 304 => "HTTP/1.1 304 Not Modified", 404 => "HTTP/1.1 404 Not Found", 301 => "HTTP/1.1 301 Moved Permanently", _ => "HTTP/1.1 200 OK" })
            .Append("\r\n");
        h.Append("Date: ").Append(date).Append("\r\n");
        h.Append("Server: ").Append(_server.Software).Append("\r\n");

        IEnumerable<ReadOnlyMemory<byte>> body = [];
        if (status == 200)
        {
            bool dynamic = resource is Resource.Page or Resource.Api;
            bool chunked = dynamic && Random.NextDouble() < 0.5;
            // Chunked bodies go out as the application writes them: one chunk a piece.
            var (minPiece, maxPiece) = chunked ? (2048, 16384) : (16384, 16384);
            string type;
            long length;
            if (resource == Resource.Api)
            {
                (type, length, body) = Json();
            }
            else
            {
                length = BodyLength(resource);
                type = resource switch
                {
                    Resource.Page => "text/html; charset=utf-8",
                    Resource.Script => "application/javascript",
                    Resource.Style => "text/css",
                    Resource.Image => Random.Next(3) == 0 ? "image/avif" : "image/webp",
                    Resource.Icon => "image/x-icon",
                    _ => "application/octet-stream",
                };
                body = resource is Resource.Page or Resource.Script or Resource.Style ? Text(length, minPiece, maxPiece) : Opaque(length);
            }

            h.Append("Content-Type: ").Append(type).Append("\r\n");
            if (!dynamic)
            {
                h.Append("Last-Modified: Tue, 20 Feb 2024 08:13:51 GMT\r\n");
                h.Append("ETag: \"").Append(ETag()).Append("\"\r\n");
                h.Append("Cache-Control: max-age=86400\r\n");
            }

            h.Append(chunked ? "Transfer-Encoding: chunked\r\n" : $"Content-Length: {length}\r\n");
            if (chunked)
                body = Chunked(body);
        }
        else if (status == 304)
        {
            h.Append("ETag: \"").Append(ETag()).Append("\"\r\n");
        }
        else
        {
            string title = status == 404 ? "404 Not Found" : "301 Moved Permanently";
            if (status == 301)
                h.Append("Location: http://").Append(_host).Append("/index.html\r\n");
            byte[] text = Encoding.ASCII.GetBytes(
                $"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>{_server.Software}</center>\r\n</body>\r\n</html>\r\n");
            h.Append("Content-Type: text/html\r\nContent-Length: ").Append(text.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
            body = [text];
        }

        h.Append("Connection: ").Append(close ? "close" : "keep-alive").Append("\r\n");
        if (!close && _server.ClosesIdleConnections)
            h.Append("Keep-Alive: timeout=5, max=100\r\n");
        h.Append("\r\n");
        yield return Encoding.ASCII.GetBytes(h.ToString());
        foreach (var piece in body)
            yield return piece;
    }

    /// <summary>RFC 9112 section 7.1: each piece as a chunk (size in hex, CRLF, data, CRLF), then the last chunk and an empty trailer.</summary>
    private static IEnumerable<ReadOnlyMemory<byte>> Chunked(IEnumerable<ReadOnlyMemory<byte>> pieces)
    {
        foreach (var piece in pieces)
        {
            yield return Encoding.ASCII.GetBytes($"{piece.Length:x}\r\n");
            yield return piece;
            yield return HttpVocabulary.Crlf;
        }

        yield return HttpVocabulary.LastChunk;
    }

    /// <summary>Text of exactly <paramref name="length"/> bytes, in pieces of the given sizes.</summary>
    private IEnumerable<ReadOnlyMemory<byte>> Text(long length, int minPiece, int maxPiece)
    {
        for (long left = length; left > 0;)
        {
            int piece = (int)Math.Min(left, Random.Next(minPiece, maxPiece + 1));
            left -= piece;
            yield return _text.Text(Random, piece);
        }
    }

    /// <summary>A JSON answer (RFC 8259) of a few to a few hundred items.</summary>
    private (string Type, long Length, IEnumerable<ReadOnlyMemory<byte>> Body) Json()
    {
        long target = Math.Min(60_000, BodyLength(Resource.Api));
        var json = new StringBuilder((int)target + 200);
        json.Append("{\"items\":[");
        int id = Random.Next(1, 1_000_000);
        for (int i = 0; json.Length < target; i++)
        {
            string word = HttpVocabulary.Words[Random.Next(HttpVocabulary.Words.Length)];
            json.Append(i == 0 ? "" : ",").Append("{\"id\":").Append(id + i)
                .Append(",\"name\":\"").Append(word).Append(' ').Append(Random.Next(1, 500))
                .Append("\",\"price\":").Append((Random.Next(100, 100_000) / 100.0).ToString("0.00", CultureInfo.InvariantCulture))
                .Append(",\"in_stock\":").Append(Random.Next(4) == 0 ? "false" : "true").Append('}');
        }

        json.Append("],\"next\":null}");
        byte[] bytes = Encoding.ASCII.GetBytes(json.ToString());
        return ("application/json", bytes.Length, [bytes]);
    }

    private long BodyLength(Resource resource)
    {
        return resource switch
        {
            Resource.Page => LogNormal(18_000, 0.8, 1_500, 400_000),
            Resource.Script => LogNormal(25_000, 1.0, 500, 1_500_000),
            Resource.Style => LogNormal(10_000, 0.8, 300, 300_000),
            Resource.Image => LogNormal(15_000, 1.2, 200, 3_000_000),
            Resource.Api => LogNormal(1_200, 1.0, 30, 200_000),
            Resource.Icon => Random.Next(1_000, 15_000),
            _ => Random.NextInt64(10_000_000, 60_000_001),
        };
    }

    private long LogNormal(double median, double sigma, long min, long max)
    {
        // Box-Muller: a standard normal from two uniforms.
        double normal = Math.Sqrt(-2 * Math.Log(1 - Random.NextDouble())) * Math.Cos(2 * Math.PI * Random.NextDouble());
        return Math.Clamp((long)(median * Math.Exp(sigma * normal)), min, max);
    }
}

/// <summary>Strings the HTTP sessions draw from.</summary>
public static class HttpVocabulary
{
    public static readonly byte[] Crlf = "\r\n"u8.ToArray();
    public static readonly byte[] LastChunk = "0\r\n\r\n"u8.ToArray();

    /// <summary>User agents: three browsers, curl and apt, as Debian 12 and current browsers send them.</summary>
    public static readonly string[] UserAgents =
    [
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
        "curl/7.88.1",
        "Debian APT-HTTP/1.3 (2.6.1)",
    ];

    public static readonly string[] ServerSoftware = ["nginx/1.22.1", "Apache/2.4.62 (Debian)", "nginx", "Apache"];

    public static readonly string[] Words =
    [
        "alpha", "bravo", "harbor", "meadow", "falcon", "granite", "lantern", "orchid", "pepper", "quartz", "river", "summit",
        "tundra", "violet", "willow", "zephyr", "cobalt", "ember", "glacier", "juniper", "kestrel", "lotus", "maple", "nectar",
    ];
}
