namespace PcapForge.Dissectors.Http;

/// <summary>
/// A whole response head (RFC 9112 §2.1: status line, header lines, empty line) read from bytes that start with it,
/// for callers that hold a reply in memory, such as a service scanner after sending <c>HEAD / HTTP/1.0</c>. Not used
/// on the packet path (it allocates the strings of every header); the stream dissector parses line by line instead.
/// </summary>
public sealed class HttpResponseHead
{
    private HttpResponseHead(string version, int statusCode, string reason, IReadOnlyList<KeyValuePair<string, string>> headers, int length)
    {
        Version = version;
        StatusCode = statusCode;
        Reason = reason;
        Headers = headers;
        Length = length;
    }

    /// <summary>The version number (<c>1.1</c>).</summary>
    public string Version { get; }

    public int StatusCode { get; }

    /// <summary>The reason phrase; empty when absent.</summary>
    public string Reason { get; }

    /// <summary>Every header field in order, names as sent.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    /// <summary>Bytes of the head, its empty line included: the body (if any) starts there.</summary>
    public int Length { get; }

    /// <summary>Header lines that were not <c>name: value</c> and were skipped.</summary>
    public int MalformedHeaderLines { get; private init; }

    public string? Server => Header("Server");

    public string? ContentType => Header("Content-Type");

    public string? Location => Header("Location");

    /// <summary>The Content-Length value when it is a valid number (RFC 9110 §8.6).</summary>
    public long? ContentLength =>
        Header("Content-Length") is { } v && HttpSyntax.TryParseContentLength(System.Text.Encoding.ASCII.GetBytes(v), out long n) ? n : null;

    /// <summary>The body is chunked (RFC 9112 §6.3: chunked is the last transfer coding).</summary>
    public bool IsChunked => Header("Transfer-Encoding") is { } v && HttpSyntax.EndsWithChunked(System.Text.Encoding.ASCII.GetBytes(v));

    /// <summary>The first value of a header, by case-insensitive name; null when absent.</summary>
    public string? Header(string name)
    {
        foreach (var (k, v) in Headers)
        {
            if (string.Equals(k, name, StringComparison.OrdinalIgnoreCase))
                return v;
        }

        return null;
    }

    /// <summary>
    /// Reads the head at the start of <paramref name="data"/>. <see cref="HttpParseResult.Incomplete"/> when the
    /// empty line ending the head has not come yet; <see cref="HttpParseResult.Malformed"/> when the first line is
    /// not a status line or a limit of <see cref="HttpLimits"/> is passed. Blank lines before the status line are
    /// skipped (RFC 9112 §2.2).
    /// </summary>
    public static HttpParseResult TryParse(ReadOnlySpan<byte> data, out HttpResponseHead? head)
    {
        head = null;
        int pos = 0;
        ReadOnlySpan<byte> line;
        int used;
        while (true)
        {
            var r = HttpLine.TryRead(data[pos..], out line, out used);
            if (r != HttpParseResult.Parsed)
                return r;
            pos += used;
            if (!line.IsEmpty)
                break;
        }

        if (!HttpStatusLine.TryParse(line, out var status))
            return HttpParseResult.Malformed;
        var headers = new List<KeyValuePair<string, string>>();
        int malformed = 0;
        while (true)
        {
            if (pos > HttpLimits.MaxHeadLength)
                return HttpParseResult.Malformed;
            var r = HttpLine.TryRead(data[pos..], out line, out used);
            if (r != HttpParseResult.Parsed)
                return data.Length >= HttpLimits.MaxHeadLength ? HttpParseResult.Malformed : r;
            pos += used;
            if (line.IsEmpty)
                break;
            if (HttpHeaderLine.IsContinuation(line))
                continue;
            if (HttpHeaderLine.TryParse(line, out var name, out var value))
                headers.Add(new(HttpText.Decode(name), HttpText.Decode(value)));
            else
                malformed++;
        }

        if (pos > HttpLimits.MaxHeadLength)
            return HttpParseResult.Malformed;
        head = new HttpResponseHead(HttpText.Version(status.Version)!, status.StatusCode, HttpText.Decode(status.Reason), headers, pos)
        {
            MalformedHeaderLines = malformed,
        };
        return HttpParseResult.Parsed;
    }
}
