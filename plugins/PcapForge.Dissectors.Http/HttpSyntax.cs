using System.Buffers;

namespace PcapForge.Dissectors.Http;

/// <summary>
/// The bounds every HTTP parser here keeps to. A peer may send anything; these keep the bytes held for one
/// incomplete line, and the work spent on one head, bounded. Servers use similar limits (nginx: 8 KiB lines,
/// Kestrel: 8 KiB request line, 32 KiB of headers).
/// </summary>
public static class HttpLimits
{
    /// <summary>Longest line, its CRLF included (request line, status line, header, chunk-size line, trailer).</summary>
    public const int MaxLineLength = 8 * 1024;

    /// <summary>Longest head: start line and header lines with their CRLFs and the empty line that ends them.</summary>
    public const int MaxHeadLength = 64 * 1024;

    /// <summary>
    /// Longest method token of the first request on a connection that is not yet known to be HTTP (the heuristic's
    /// bound; the longest registered method, "UPDATEREDIRECTREF", has 17 characters).
    /// </summary>
    public const int MaxDetectedMethodLength = 24;
}

/// <summary>The three outcomes of a parse over bytes that may end too early (STYLE.md, Parsing).</summary>
public enum HttpParseResult
{
    /// <summary>The item was read whole.</summary>
    Parsed,

    /// <summary>The bytes end before the item does: call again with more; nothing was consumed.</summary>
    Incomplete,

    /// <summary>The bytes are not that item (or exceed <see cref="HttpLimits"/>).</summary>
    Malformed,
}

/// <summary>Byte classes of RFC 9110 §5.6 and RFC 9112, and small helpers over spans.</summary>
public static class HttpSyntax
{
    /// <summary>tchar of RFC 9110 §5.6.2: the characters of a token (a method, a header name).</summary>
    public static readonly SearchValues<byte> TokenChars =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);

    private static readonly SearchValues<byte> Whitespace = SearchValues.Create(" \t"u8);

    /// <summary>The version prefix of RFC 9112 §2.3: <c>HTTP-version = HTTP-name "/" DIGIT "." DIGIT</c>.</summary>
    public static ReadOnlySpan<byte> HttpName => "HTTP/"u8;

    /// <summary>Whether bytes (however few have come) can start a status line: as much of <see cref="HttpName"/> as came.</summary>
    public static bool MayStartStatusLine(ReadOnlySpan<byte> data)
    {
        int n = Math.Min(data.Length, HttpName.Length);
        return data[..n].SequenceEqual(HttpName[..n]);
    }

    public static bool IsToken(ReadOnlySpan<byte> value) => value.Length > 0 && value.IndexOfAnyExcept(TokenChars) < 0;

    /// <summary>Length of the token at the start of <paramref name="data"/> (0 when it starts with a non-token byte).</summary>
    public static int TokenLength(ReadOnlySpan<byte> data)
    {
        int end = data.IndexOfAnyExcept(TokenChars);
        return end < 0 ? data.Length : end;
    }

    /// <summary>Strips optional whitespace (OWS: SP and HTAB, RFC 9110 §5.6.3) from both ends.</summary>
    public static ReadOnlySpan<byte> TrimWhitespace(ReadOnlySpan<byte> value)
    {
        int start = value.IndexOfAnyExcept(Whitespace);
        if (start < 0)
            return default;
        int end = value.LastIndexOfAnyExcept(Whitespace);
        return value[start..(end + 1)];
    }

    /// <summary>True for <c>HTTP/DIGIT.DIGIT</c> exactly (RFC 9112 §2.3).</summary>
    public static bool IsVersion(ReadOnlySpan<byte> version) =>
        version.Length == 8 && version.StartsWith(HttpName) && char.IsAsciiDigit((char)version[5]) && version[6] == (byte)'.' &&
        char.IsAsciiDigit((char)version[7]);

    /// <summary>True when <paramref name="value"/> holds no control character (CTL of RFC 5234: 0x00-0x1F, 0x7F) and no space.</summary>
    public static bool IsVisible(ReadOnlySpan<byte> value)
    {
        foreach (byte b in value)
        {
            if (b <= 0x20 || b == 0x7F)
                return false;
        }

        return true;
    }

    /// <summary>Case-insensitive ASCII comparison of a header name with a lowercase literal.</summary>
    public static bool NameIs(ReadOnlySpan<byte> name, ReadOnlySpan<byte> lowercase) =>
        name.Length == lowercase.Length && System.Text.Ascii.EqualsIgnoreCase(name, lowercase);

    /// <summary>
    /// Whether the last transfer coding of a Transfer-Encoding value is <c>chunked</c> (RFC 9112 §6.3: only then is
    /// the body's end found by the chunked framing).
    /// </summary>
    public static bool EndsWithChunked(ReadOnlySpan<byte> transferEncoding)
    {
        int comma = transferEncoding.LastIndexOf((byte)',');
        var last = TrimWhitespace(comma < 0 ? transferEncoding : transferEncoding[(comma + 1)..]);
        return NameIs(last, "chunked"u8);
    }

    /// <summary>Parses a Content-Length value: 1*DIGIT (RFC 9110 §8.6), at most 18 digits so it fits a long.</summary>
    public static bool TryParseContentLength(ReadOnlySpan<byte> value, out long length)
    {
        length = 0;
        value = TrimWhitespace(value);
        if (value.Length is 0 or > 18)
            return false;
        foreach (byte b in value)
        {
            if (!char.IsAsciiDigit((char)b))
                return false;
            length = length * 10 + (b - '0');
        }

        return true;
    }
}

/// <summary>Lines of an HTTP head (RFC 9112 §2.2): ended by LF, a CR before it dropped; a bare LF is accepted.</summary>
public static class HttpLine
{
    /// <summary>
    /// Reads the line at the start of <paramref name="data"/>. <see cref="HttpParseResult.Incomplete"/> when no LF
    /// has come yet within <see cref="HttpLimits.MaxLineLength"/> bytes, <see cref="HttpParseResult.Malformed"/>
    /// when the first <see cref="HttpLimits.MaxLineLength"/> bytes hold no LF (the line is too long).
    /// <paramref name="consumed"/> counts the line and its terminator.
    /// </summary>
    public static HttpParseResult TryRead(ReadOnlySpan<byte> data, out ReadOnlySpan<byte> line, out int consumed)
    {
        int scanned = 0;
        return TryRead(data, ref scanned, out line, out consumed);
    }

    /// <summary>
    /// As <see cref="TryRead(ReadOnlySpan{byte}, out ReadOnlySpan{byte}, out int)"/>, resuming the search for LF at
    /// <paramref name="scanned"/>: a stream parser that was offered the same first bytes before (and returned
    /// "incomplete") passes what it scanned then, so a long line arriving in small segments is scanned once.
    /// </summary>
    public static HttpParseResult TryRead(ReadOnlySpan<byte> data, scoped ref int scanned, out ReadOnlySpan<byte> line, out int consumed)
    {
        int limit = Math.Min(data.Length, HttpLimits.MaxLineLength);
        int from = Math.Min(scanned, limit);
        int lf = data[from..limit].IndexOf((byte)'\n');
        if (lf < 0)
        {
            line = default;
            consumed = 0;
            if (data.Length >= HttpLimits.MaxLineLength)
                return HttpParseResult.Malformed;
            scanned = data.Length;
            return HttpParseResult.Incomplete;
        }

        lf += from;
        line = data[..(lf > 0 && data[lf - 1] == (byte)'\r' ? lf - 1 : lf)];
        consumed = lf + 1;
        scanned = 0;
        return HttpParseResult.Parsed;
    }
}

/// <summary>
/// A request line (RFC 9112 §3): <c>method SP request-target SP HTTP-version</c>, as slices of the line. Parsed
/// leniently as tshark does, so broken lines still give a method and a URI: the method is the leading token, the
/// version the last space-separated word when it starts with <c>HTTP/</c>, the target what lies between.
/// <see cref="IsWellFormed"/> says whether the line follows the grammar exactly.
/// </summary>
public readonly ref struct HttpRequestLine
{
    private HttpRequestLine(ReadOnlySpan<byte> method, ReadOnlySpan<byte> target, ReadOnlySpan<byte> version, bool wellFormed)
    {
        Method = method;
        Target = target;
        Version = version;
        IsWellFormed = wellFormed;
    }

    /// <summary>The method token (<c>GET</c>).</summary>
    public ReadOnlySpan<byte> Method { get; }

    /// <summary>The request-target as sent (<c>/index.html?q=1</c>, <c>*</c>, <c>host:443</c>); empty when absent.</summary>
    public ReadOnlySpan<byte> Target { get; }

    /// <summary>The version word (<c>HTTP/1.1</c>); empty when absent.</summary>
    public ReadOnlySpan<byte> Version { get; }

    /// <summary>
    /// True when the line is exactly <c>token SP visible-target SP HTTP/DIGIT.DIGIT</c> with major version 1 (the
    /// only versions with this text syntax; HTTP/2's <c>PRI * HTTP/2.0</c> preface is not one).
    /// </summary>
    public bool IsWellFormed { get; }

    /// <summary>
    /// False when the line does not even start with a method token followed by a space or the end of the line.
    /// <paramref name="line"/> is without its CRLF.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> line, out HttpRequestLine requestLine)
    {
        requestLine = default;
        int methodLength = HttpSyntax.TokenLength(line);
        if (methodLength == 0 || (methodLength < line.Length && line[methodLength] != (byte)' '))
            return false;
        var method = line[..methodLength];
        var rest = line[methodLength..].TrimStart((byte)' ').TrimEnd((byte)' ');
        // A lone word is the target even when it looks like a version ("OPTIONS  HTTP/1.1"), as in tshark.
        ReadOnlySpan<byte> target = rest, version = default;
        int lastSpace = rest.LastIndexOf((byte)' ');
        if (lastSpace >= 0 && rest[(lastSpace + 1)..].StartsWith(HttpSyntax.HttpName))
        {
            version = rest[(lastSpace + 1)..];
            target = rest[..lastSpace].TrimEnd((byte)' ');
        }

        bool wellFormed = HttpSyntax.IsVersion(version) && version[5] == (byte)'1'
                          && target.Length > 0 && HttpSyntax.IsVisible(target)
                          && line.Length == methodLength + 1 + target.Length + 1 + version.Length;
        requestLine = new HttpRequestLine(method, target, version, wellFormed);
        return true;
    }
}

/// <summary>
/// A status line (RFC 9112 §4): <c>HTTP-version SP status-code SP [reason-phrase]</c>, as slices of the line. The
/// space before an empty reason, which many servers leave out, may be missing; more spaces between the words are
/// accepted.
/// </summary>
public readonly ref struct HttpStatusLine
{
    private HttpStatusLine(ReadOnlySpan<byte> version, int statusCode, ReadOnlySpan<byte> reason)
    {
        Version = version;
        StatusCode = statusCode;
        Reason = reason;
    }

    /// <summary>The version word (<c>HTTP/1.1</c>).</summary>
    public ReadOnlySpan<byte> Version { get; }

    /// <summary>The three-digit status code (RFC 9110 §15), 100 to 999.</summary>
    public int StatusCode { get; }

    /// <summary>The reason phrase (<c>Not Found</c>); empty when absent.</summary>
    public ReadOnlySpan<byte> Reason { get; }

    /// <summary>
    /// False unless the line starts with <c>HTTP/DIGIT.DIGIT</c>, spaces and three digits that end the line or are
    /// followed by a space or tab. <paramref name="line"/> is without its CRLF.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> line, out HttpStatusLine statusLine)
    {
        statusLine = default;
        const int versionLength = 8, codeLength = 3;
        if (line.Length < versionLength + 1 + codeLength || !HttpSyntax.IsVersion(line[..versionLength]) || line[versionLength] != (byte)' ')
            return false;
        var rest = line[versionLength..].TrimStart((byte)' ');
        if (rest.Length < codeLength || (rest.Length > codeLength && rest[codeLength] is not ((byte)' ' or (byte)'\t')))
            return false;
        int code = 0;
        for (int i = 0; i < codeLength; i++)
        {
            if (!char.IsAsciiDigit((char)rest[i]))
                return false;
            code = code * 10 + (rest[i] - '0');
        }

        if (code < 100)
            return false;
        statusLine = new HttpStatusLine(line[..versionLength], code, HttpSyntax.TrimWhitespace(rest[codeLength..]));
        return true;
    }
}

/// <summary>A header (or trailer) field line (RFC 9112 §5): <c>field-name ":" OWS field-value OWS</c>.</summary>
public static class HttpHeaderLine
{
    /// <summary>
    /// Splits a field line into name and value (whitespace trimmed). False when the name is not a token or is
    /// followed by anything but the colon (RFC 9112 §5.1 forbids whitespace before it: a request-smuggling vector).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        int nameLength = HttpSyntax.TokenLength(line);
        if (nameLength == 0 || nameLength == line.Length || line[nameLength] != (byte)':')
        {
            name = value = default;
            return false;
        }

        name = line[..nameLength];
        value = HttpSyntax.TrimWhitespace(line[(nameLength + 1)..]);
        return true;
    }

    /// <summary>True for an obsolete line folding continuation (RFC 9112 §5.2): a line starting with SP or HTAB.</summary>
    public static bool IsContinuation(ReadOnlySpan<byte> line) => line.Length > 0 && line[0] is (byte)' ' or (byte)'\t';
}

/// <summary>The chunk-size line of the chunked transfer coding (RFC 9112 §7.1): <c>1*HEXDIG [chunk-ext]</c>.</summary>
public static class HttpChunkSize
{
    /// <summary>At most 15 hexadecimal digits (60 bits), so the size fits a long.</summary>
    private const int MaxDigits = 15;

    /// <summary>
    /// Reads the size, ignoring chunk extensions (<c>;name=value</c>) and whitespace before them. False for a line
    /// that does not start with a hexadecimal number, or has anything but an extension after it.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> line, out long size)
    {
        size = 0;
        int i = 0;
        for (; i < line.Length && char.IsAsciiHexDigit((char)line[i]); i++)
        {
            if (i == MaxDigits)
                return false;
            size = (size << 4) | (long)HexValue(line[i]);
        }

        if (i == 0)
            return false;
        var rest = HttpSyntax.TrimWhitespace(line[i..]);
        return rest.IsEmpty || rest[0] == (byte)';';
    }

    private static int HexValue(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;
}

/// <summary>
/// Request methods registered for HTTP (IANA "HTTP Method Registry": RFC 9110 §9, PATCH of RFC 5789, WebDAV of
/// RFC 4918, SEARCH of RFC 5323, REPORT of RFC 3253), the UPnP ones (SUBSCRIBE, UNSUBSCRIBE, NOTIFY, M-SEARCH), and
/// those Zeek's HTTP::http_methods and Wireshark also know (POLL, BMOVE, CCM_POST). A client whose first bytes start
/// with one is worth waiting for the server's answer even when its request line is broken.
/// </summary>
public static class HttpMethods
{
    private static readonly byte[][] Registered =
    [
        .. new[]
        {
            "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
            "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "SEARCH", "REPORT",
            "SUBSCRIBE", "UNSUBSCRIBE", "NOTIFY", "M-SEARCH", "POLL", "BMOVE", "CCM_POST",
        }.Select(m => System.Text.Encoding.ASCII.GetBytes(m)),
    ];

    /// <summary>
    /// <see cref="HttpParseResult.Parsed"/> when <paramref name="data"/> starts with a registered method (whatever
    /// follows it), <see cref="HttpParseResult.Incomplete"/> when it is shorter than one and could still become it,
    /// <see cref="HttpParseResult.Malformed"/> otherwise. Case-sensitive (RFC 9110 §9.1).
    /// </summary>
    public static HttpParseResult Match(ReadOnlySpan<byte> data)
    {
        var result = HttpParseResult.Malformed;
        foreach (var method in Registered)
        {
            if (data.StartsWith(method))
                return HttpParseResult.Parsed;
            if (data.Length < method.Length && method.AsSpan().StartsWith(data))
                result = HttpParseResult.Incomplete;
        }

        return result;
    }
}
