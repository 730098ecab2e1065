using System.Security.Cryptography;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissectors.Http;

/// <summary>
/// The HTTP/1.x state of one TCP connection: each direction is a sequence of messages (RFC 9112 §2.1), read line by
/// line while in a head and skipped by length in a body, so a body is never held in memory. Requests open
/// transactions in order; each response closes the oldest open one (pipelining, RFC 9112 §9.3.2), a 1xx interim
/// response does not (RFC 9110 §15.2). A body's length follows RFC 9112 §6.3: none after HEAD or for 1xx, 204 and
/// 304; Transfer-Encoding chunked; Content-Length; else (responses) until the connection closes. After a 2xx to
/// CONNECT or a 101 the connection is a tunnel and nothing more is parsed.
/// <para>
/// <see cref="OnData"/> consumes nothing only when a line is incomplete (at most <see cref="HttpLimits.MaxLineLength"/>
/// bytes are left to the engine), while the first bytes are too few to tell client from server, or while a CONNECT
/// waits for its answer. Malformed input is an anomaly, and the parser resynchronises: requests at the next
/// well-formed request line, responses at the next status line, wherever it starts. A gap inside a body only
/// shortens what is left of it; a gap anywhere else is a resynchronisation.
/// </para>
/// </summary>
internal sealed class HttpConnection : IStreamParser
{
    /// <summary>As Zeek's HTTP::max_pending_requests: beyond that, matching responses to requests is guesswork.</summary>
    private const int MaxPending = 100;

    /// <summary><see cref="Step"/>: nothing can be done until more bytes come.</summary>
    private const int NeedMore = -1;

    private const int ExcerptLength = 80;

    /// <summary>Anomalies kept for a connection not yet confirmed.</summary>
    private const int MaxDeferred = 16;

    private readonly HttpDissector _owner;
    private readonly StreamContext _context;
    private readonly Side _request = new(isRequest: true);
    private readonly Side _response = new(isRequest: false);

    /// <summary>Transactions not written yet, oldest first.</summary>
    private readonly List<HttpTransaction> _open = new();

    private bool _confirmed, _rejected, _tooManyReported;

    /// <summary>The roles are known (<see cref="KnowRoles"/>); <see cref="_swapped"/>: the originator is the server.</summary>
    private bool _rolesKnown, _swapped;

    /// <summary>
    /// The client's first line starts with a registered method but is not a well-formed request line ("OPTIONS\n",
    /// "GET / HTTP/1."): parsed as HTTP, but the server's status line has to confirm it. Until then anomalies wait in
    /// <see cref="_deferred"/> and nothing is written.
    /// </summary>
    private bool _tentative;

    private List<(AnomalyHandle Anomaly, string Detail)>? _deferred;
    private int _depth;

    public HttpConnection(HttpDissector owner, StreamContext context)
    {
        _owner = owner;
        _context = context;
    }

    private enum Section
    {
        /// <summary>Expecting a request or status line (empty lines before it are skipped, RFC 9112 §2.2).</summary>
        StartLine,
        Headers,

        /// <summary>A body of known length: <see cref="Side.Remaining"/> bytes to skip.</summary>
        Body,
        ChunkSize,
        ChunkData,

        /// <summary>The CRLF after a chunk's data.</summary>
        ChunkEnd,
        Trailers,

        /// <summary>A response body delimited by the connection's end.</summary>
        UntilClose,

        /// <summary>The rest of a line longer than the limit, then back to <see cref="Side.Resume"/>.</summary>
        SkipLine,

        /// <summary>Lost framing: skipping bytes until a well-formed start line (<see cref="Resync"/>).</summary>
        Resync,

        /// <summary>Client bytes after a CONNECT, kept until the response says whether they are a tunnel.</summary>
        Hold,

        /// <summary>After a 2xx to CONNECT or a 101: not HTTP any more; bytes are consumed unread.</summary>
        Tunnel,
    }

    public int OnData(StreamDirection direction, ReadOnlySpan<byte> data)
    {
        if (_rejected)
            return data.Length;
        if (_context.IsDatagram)
        {
            Reject("HTTP/1.x runs over TCP");
            return data.Length;
        }

        if (!_rolesKnown && !KnowRoles(direction, data))
            return 0;
        var side = SideOf(direction);
        int pos = 0;
        while (pos < data.Length && !_rejected)
        {
            int used = Step(side, data[pos..]);
            if (used == NeedMore)
                break;
            pos += used;
        }

        return pos;
    }

    public void OnGap(StreamDirection direction, long length)
    {
        if (_rejected)
            return;
        if (!_confirmed)
        {
            Reject("bytes lost before the connection was recognised as HTTP");
            return;
        }

        var side = SideOf(direction);
        side.Scanned = 0;
        side.HaveStart = false;
        switch (side.Section)
        {
            case Section.Tunnel:
            case Section.Hold:
                return;
            case Section.UntilClose:
                side.BodyLength += length;
                StopHash(side);
                return;
            case Section.Body:
            case Section.ChunkData:
                StopHash(side);
                if (length <= side.Remaining)
                {
                    side.BodyLength += length;
                    side.Remaining -= length;
                    if (side.Remaining == 0)
                        BodyPartDone(side);
                    return;
                }

                long past = length - side.Remaining;
                side.BodyLength += side.Remaining;
                if (side.Section == Section.Body)
                {
                    // The body is whole (its end is known); the rest of the gap took the start of what followed.
                    EndMessage(side);
                    Report(_owner.GapInHeaders, $"{Who(side)}: a gap of {length} bytes ran {past} bytes past the end of a body");
                    StartResync(side, atLineStart: false);
                    return;
                }

                break;
            case Section.Resync:
                side.AtLineStart = false;
                return;
        }

        Report(_owner.GapInHeaders, $"{Who(side)}: a gap of {length} bytes in {Describe(side.Section)}");
        Abandon(side);
        StartResync(side, atLineStart: false);
    }

    public void OnEnd()
    {
        if (!_confirmed || _rejected)
            return;
        FinishAtClose(_request);
        FinishAtClose(_response);
        foreach (var tx in _open)
        {
            if (tx.HasRequest && !tx.FinalSeen)
                Report(_owner.MissingResponse, $"{tx.Method} {Excerpt(tx.Uri)} (trans_depth {tx.Depth}) was not answered");
            Write(tx);
        }

        _open.Clear();
    }

    private Side SideOf(StreamDirection direction) => (direction == StreamDirection.FromOriginator) != _swapped ? _request : _response;

    /// <summary>
    /// Who is the client? The flow's originator is whoever sent the first packet seen, which in a capture started
    /// mid-connection may be the server. The first bytes decide: a side that starts with <c>HTTP/</c> is the server,
    /// a responder that starts like a request (<see cref="LooksLikeRequest"/>) is the client. False while the bytes
    /// are too few to tell ("HT" may become "HTTP/" or not).
    /// </summary>
    private bool KnowRoles(StreamDirection direction, ReadOnlySpan<byte> data)
    {
        bool statusStart = HttpSyntax.MayStartStatusLine(data);
        if (statusStart && data.Length < HttpSyntax.HttpName.Length)
            return false;
        if (direction == StreamDirection.FromOriginator)
        {
            _swapped = statusStart;
        }
        else
        {
            var request = statusStart ? HttpParseResult.Malformed : LooksLikeRequest(data);
            if (request == HttpParseResult.Incomplete)
                return false;
            _swapped = request == HttpParseResult.Parsed;
        }

        _rolesKnown = true;
        return true;
    }

    /// <summary>One step of a direction's state machine: bytes consumed (0 when only the state changed) or <see cref="NeedMore"/>.</summary>
    private int Step(Side side, ReadOnlySpan<byte> data) => side.Section switch
    {
        Section.StartLine => StartLine(side, data),
        Section.Headers or Section.Trailers => HeaderLine(side, data),
        Section.Body or Section.ChunkData or Section.UntilClose => BodyBytes(side, data),
        Section.ChunkSize => ChunkSizeLine(side, data),
        Section.ChunkEnd => ChunkEnd(side, data),
        Section.SkipLine => SkipLine(side, data),
        Section.Resync => Resync(side, data),
        Section.Hold => NeedMore,
        _ => data.Length, // Tunnel
    };

    private int StartLine(Side side, ReadOnlySpan<byte> data)
    {
        if (!side.HaveStart)
        {
            side.HaveStart = true;
            side.StartTs = _context.CurrentTimestampNs;
        }

        if (!_confirmed && !(side.IsRequest && _tentative) && !LooksLikeStart(side, data))
            return NeedMore;
        var result = HttpLine.TryRead(data, ref side.Scanned, out var line, out int used);
        if (result == HttpParseResult.Incomplete)
            return NeedMore;
        if (result == HttpParseResult.Malformed)
        {
            if (!_confirmed && !(side.IsRequest && _tentative))
            {
                Reject("no end of line in the first bytes");
                return NeedMore;
            }

            Report(_owner.OversizedLine, $"{Who(side)}: a start line longer than {HttpLimits.MaxLineLength} bytes");
            StartResync(side, atLineStart: false);
            return 0;
        }

        if (line.IsEmpty)
        {
            side.HaveStart = false;
            return used;
        }

        if (side.IsRequest)
            RequestLine(side, line);
        else
            StatusLine(side, line);
        return used;
    }

    /// <summary>
    /// The heuristic's fast test on a connection not yet recognised, before a whole line is there: the client must
    /// start with a method token and a space (or with a registered method, <see cref="HttpMethods"/>), the server
    /// with <c>HTTP/</c>. Rejects, or says whether to go on.
    /// </summary>
    private bool LooksLikeStart(Side side, ReadOnlySpan<byte> data)
    {
        if (side.IsRequest)
        {
            var verdict = LooksLikeRequest(data);
            if (verdict == HttpParseResult.Malformed)
                Reject("the client's first bytes are not an HTTP method and a space");
            return verdict == HttpParseResult.Parsed;
        }

        if (!HttpSyntax.MayStartStatusLine(data))
        {
            Reject("the server's first bytes are not HTTP/");
            return false;
        }

        return data.Length >= HttpSyntax.HttpName.Length;
    }

    /// <summary>
    /// Whether a connection's first bytes, from either side, can start HTTP: a status line (<c>HTTP/</c>, or as much of
    /// it as came) or a request (<see cref="LooksLikeRequest"/>). When false, <see cref="KnowRoles"/> and
    /// <see cref="LooksLikeStart"/> reject the same bytes.
    /// </summary>
    internal static bool MayStart(ReadOnlySpan<byte> data) =>
        HttpSyntax.MayStartStatusLine(data) || LooksLikeRequest(data) != HttpParseResult.Malformed;

    /// <summary>
    /// Whether bytes can start a request: a token of at most <see cref="HttpLimits.MaxDetectedMethodLength"/>
    /// characters and a space, or a registered method (<see cref="HttpMethods"/>) whatever follows it.
    /// </summary>
    private static HttpParseResult LooksLikeRequest(ReadOnlySpan<byte> data)
    {
        int window = Math.Min(data.Length, HttpLimits.MaxDetectedMethodLength + 1);
        int token = HttpSyntax.TokenLength(data[..window]);
        if (token > 0 && token <= HttpLimits.MaxDetectedMethodLength && token < data.Length && data[token] == (byte)' ')
            return HttpParseResult.Parsed;
        var known = HttpMethods.Match(data);
        if (known == HttpParseResult.Parsed)
            return HttpParseResult.Parsed;
        bool tokenMayFollow = token == data.Length && token <= HttpLimits.MaxDetectedMethodLength;
        return tokenMayFollow || known == HttpParseResult.Incomplete ? HttpParseResult.Incomplete : HttpParseResult.Malformed;
    }

    private void RequestLine(Side side, ReadOnlySpan<byte> line)
    {
        bool parsed = HttpRequestLine.TryParse(line, out var request);
        if (!_confirmed)
        {
            if (parsed && request.IsWellFormed)
            {
                Confirm();
            }
            else if (!_tentative)
            {
                if (HttpMethods.Match(line) != HttpParseResult.Parsed)
                {
                    Reject("the client's first line is not an HTTP/1.x request line");
                    return;
                }

                _tentative = true;
            }
        }

        if (!parsed)
        {
            // Not even a method: nothing to record. The lines that follow are skipped up to a request line.
            Report(_owner.MalformedRequestLine, $"no method in '{Excerpt(line)}'");
            StartResync(side, atLineStart: true);
            return;
        }

        if (!request.IsWellFormed)
            Report(_owner.MalformedRequestLine, $"'{Excerpt(line)}'");

        if (_open.Count >= MaxPending)
            DropOldest();
        var tx = new HttpTransaction
        {
            Ts = side.StartTs,
            Depth = ++_depth,
            HasRequest = true,
            Method = HttpText.DecodeCommon(request.Method),
            Uri = request.Target.IsEmpty ? null : HttpText.Decode(request.Target),
            RequestVersion = HttpText.Version(request.Version),
            IsHead = request.Method.SequenceEqual("HEAD"u8),
            IsConnect = request.Method.SequenceEqual("CONNECT"u8),
        };
        _open.Add(tx);
        BeginHead(side, tx);
    }

    private void StatusLine(Side side, ReadOnlySpan<byte> line)
    {
        if (!HttpStatusLine.TryParse(line, out var status))
        {
            if (!_confirmed)
            {
                Reject("the server's first line is not an HTTP status line");
                return;
            }

            Report(_owner.MalformedStatusLine, $"'{Excerpt(line)}'");
            StartResync(side, atLineStart: true);
            return;
        }

        if (!_confirmed)
            Confirm();
        HttpTransaction? tx = null;
        foreach (var open in _open)
        {
            if (!open.FinalSeen)
            {
                tx = open;
                break;
            }
        }

        if (tx is null)
        {
            Report(_owner.ResponseWithoutRequest, $"'{Excerpt(line)}' answers no request");
            tx = new HttpTransaction { Ts = side.StartTs, Depth = ++_depth, RequestDone = true };
            _open.Add(tx);
        }

        int code = status.StatusCode;
        tx.Version = HttpText.Version(status.Version);
        tx.StatusCode = code;
        tx.StatusMsg = HttpText.DecodeCommon(status.Reason);
        // RFC 9110 §15.2: a 1xx is interim, the final response follows; but after 101 the connection is no longer HTTP.
        side.Interim = code is >= 100 and < 200 && code != 101;
        if (code is >= 100 and < 200)
        {
            tx.InfoCode = code;
            tx.InfoMsg = tx.StatusMsg;
        }

        if (!side.Interim)
            tx.FinalSeen = true;
        BeginHead(side, tx);
    }

    private void BeginHead(Side side, HttpTransaction tx)
    {
        side.Tx = tx;
        side.ResetMessage();
        side.HeadBytes = 0;
        side.Section = Section.Headers;
    }

    private int HeaderLine(Side side, ReadOnlySpan<byte> data)
    {
        var result = HttpLine.TryRead(data, ref side.Scanned, out var line, out int used);
        if (result == HttpParseResult.Incomplete)
            return NeedMore;
        if (result == HttpParseResult.Malformed)
        {
            Report(_owner.OversizedLine, $"{Who(side)}: a {Describe(side.Section)} line longer than {HttpLimits.MaxLineLength} bytes");
            side.Scanned = 0;
            side.Resume = side.Section;
            side.Section = Section.SkipLine;
            return 0;
        }

        side.HeadBytes += used;
        if (side.HeadBytes > HttpLimits.MaxHeadLength)
        {
            Report(_owner.OversizedHead, $"{Who(side)}: {Describe(side.Section)} longer than {HttpLimits.MaxHeadLength} bytes");
            Abandon(side);
            StartResync(side, atLineStart: true);
            return used;
        }

        if (line.IsEmpty)
        {
            if (side.Section == Section.Trailers)
                EndMessage(side);
            else
                EndHead(side);
            return used;
        }

        if (HttpHeaderLine.IsContinuation(line))
            return used; // obsolete line folding (RFC 9112 §5.2): the continued value is not one we record whole
        if (!HttpHeaderLine.TryParse(line, out var name, out var value))
        {
            if (!side.MalformedHeaderReported)
            {
                side.MalformedHeaderReported = true;
                Report(_owner.MalformedHeaderLine, $"{Who(side)}: '{Excerpt(line)}'");
            }

            return used;
        }

        if (side.Section == Section.Headers && !side.Interim)
            Header(side, side.Tx!, name, value);
        return used;
    }

    /// <summary>The header fields a row keeps (the first of each), and those that frame the body (RFC 9112 §6).</summary>
    private void Header(Side side, HttpTransaction tx, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        if (HttpSyntax.NameIs(name, "content-length"u8))
        {
            if (!HttpSyntax.TryParseContentLength(value, out long length) || (side.ContentLength >= 0 && side.ContentLength != length))
            {
                Report(_owner.BadContentLength, $"{Who(side)}: Content-Length '{Excerpt(value)}'");
                side.ContentLengthBad = true;
            }
            else
            {
                side.ContentLength = length;
            }
        }
        else if (HttpSyntax.NameIs(name, "transfer-encoding"u8))
        {
            side.HasTransferEncoding = true;
            side.Chunked = HttpSyntax.EndsWithChunked(value);
            if (!side.IsRequest)
                tx.TransferEncoding ??= HttpText.DecodeCommon(value);
        }
        else if (HttpSyntax.NameIs(name, "content-type"u8))
        {
            if (side.IsRequest)
                tx.RequestContentType ??= HttpText.DecodeCommon(value);
            else
                tx.ResponseContentType ??= HttpText.DecodeCommon(value);
        }
        else if (side.IsRequest)
        {
            if (HttpSyntax.NameIs(name, "host"u8))
                tx.Host ??= HttpText.DecodeCommon(value);
            else if (HttpSyntax.NameIs(name, "user-agent"u8))
                tx.UserAgent ??= HttpText.DecodeCommon(value);
            else if (HttpSyntax.NameIs(name, "referer"u8))
                tx.Referrer ??= HttpText.Decode(value);
            else if (HttpSyntax.NameIs(name, "origin"u8))
                tx.Origin ??= HttpText.Decode(value);
            else if (HttpSyntax.NameIs(name, "authorization"u8) || HttpSyntax.NameIs(name, "proxy-authorization"u8))
                tx.Username ??= HttpText.BasicUser(value);
        }
        else if (HttpSyntax.NameIs(name, "server"u8))
        {
            tx.Server ??= HttpText.DecodeCommon(value);
        }
        else if (HttpSyntax.NameIs(name, "location"u8))
        {
            tx.Location ??= HttpText.Decode(value);
        }
    }

    /// <summary>The empty line after the headers: how long is the body (RFC 9112 §6.3)?</summary>
    private void EndHead(Side side)
    {
        var tx = side.Tx!;
        if (side.IsRequest)
        {
            tx.RequestFrame = _context.CurrentFrame;
        }
        else if (side.Interim)
        {
            // A 1xx has no body; the final response to the same request follows.
            side.Tx = null;
            side.HaveStart = false;
            side.Section = Section.StartLine;
            return;
        }
        else
        {
            tx.ResponseFrame = _context.CurrentFrame;
            int code = tx.StatusCode!.Value;
            if (code == 101 || (tx.IsConnect && code is >= 200 and < 300))
            {
                // RFC 9110 §15.2.2 and §9.3.6: the bytes that follow on both sides belong to another protocol.
                EndMessage(side);
                StartTunnel();
                return;
            }

            if (tx.IsHead || code is 204 or 304)
            {
                EndMessage(side);
                return;
            }
        }

        if (side.HasTransferEncoding)
        {
            if (side.ContentLength >= 0 || side.ContentLengthBad)
                Report(_owner.ContentLengthAndTransferEncoding, $"{Who(side)}: Content-Length and Transfer-Encoding in one message");
            BeginBody(side, side.Chunked ? Section.ChunkSize : Section.UntilClose, -1);
        }
        else if (side.ContentLength >= 0 && !side.ContentLengthBad)
        {
            if (side.ContentLength == 0)
                EndMessage(side);
            else
                BeginBody(side, Section.Body, side.ContentLength);
        }
        else if (side.IsRequest)
        {
            EndMessage(side); // RFC 9112 §6.3 item 7: a request without either has no body
        }
        else
        {
            BeginBody(side, Section.UntilClose, -1);
        }
    }

    private void BeginBody(Side side, Section section, long length)
    {
        side.Section = section;
        side.Remaining = length;
        side.BodyLength = 0;
        side.Hashing = _owner.HashBodies && length <= HttpDissector.MaxHashedBodyLength;
        if (side.Hashing)
            side.Hash ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    }

    private int BodyBytes(Side side, ReadOnlySpan<byte> data)
    {
        int n = side.Section == Section.UntilClose ? data.Length : (int)Math.Min(side.Remaining, data.Length);
        side.BodyLength += n;
        if (side.Hashing)
        {
            if (side.BodyLength > HttpDissector.MaxHashedBodyLength)
                StopHash(side);
            else
                side.Hash!.AppendData(data[..n]);
        }

        if (side.Section != Section.UntilClose)
        {
            side.Remaining -= n;
            if (side.Remaining == 0)
                BodyPartDone(side);
        }

        return n;
    }

    /// <summary>A Content-Length body or a chunk's data has been passed.</summary>
    private void BodyPartDone(Side side)
    {
        if (side.Section == Section.Body)
            EndMessage(side);
        else
            side.Section = Section.ChunkEnd;
    }

    private int ChunkSizeLine(Side side, ReadOnlySpan<byte> data)
    {
        var result = HttpLine.TryRead(data, ref side.Scanned, out var line, out int used);
        if (result == HttpParseResult.Incomplete)
            return NeedMore;
        if (result == HttpParseResult.Malformed || !HttpChunkSize.TryParse(line, out long size))
        {
            Report(_owner.BadChunkSize, result == HttpParseResult.Malformed
                ? $"{Who(side)}: a chunk-size line longer than {HttpLimits.MaxLineLength} bytes"
                : $"{Who(side)}: chunk-size line '{Excerpt(line)}'");
            Abandon(side);
            StartResync(side, atLineStart: result == HttpParseResult.Parsed);
            return result == HttpParseResult.Parsed ? used : 0;
        }

        if (size == 0)
        {
            // The last chunk; trailer fields and the empty line follow (RFC 9112 §7.1.2).
            side.Section = Section.Trailers;
            side.HeadBytes = 0;
            side.MalformedHeaderReported = false;
        }
        else
        {
            side.Section = Section.ChunkData;
            side.Remaining = size;
            if (side.Hashing && side.BodyLength + size > HttpDissector.MaxHashedBodyLength)
                StopHash(side);
        }

        return used;
    }

    private int ChunkEnd(Side side, ReadOnlySpan<byte> data)
    {
        if (data[0] == (byte)'\n')
        {
            side.Section = Section.ChunkSize;
            return 1;
        }

        if (data[0] == (byte)'\r')
        {
            if (data.Length < 2)
                return NeedMore;
            if (data[1] == (byte)'\n')
            {
                side.Section = Section.ChunkSize;
                return 2;
            }
        }

        Report(_owner.BadChunkSize, $"{Who(side)}: chunk data not followed by CRLF (the chunk size was wrong)");
        Abandon(side);
        StartResync(side, atLineStart: false);
        return 0;
    }

    private static int SkipLine(Side side, ReadOnlySpan<byte> data)
    {
        int lf = data.IndexOf((byte)'\n');
        int used = lf < 0 ? data.Length : lf + 1;
        side.HeadBytes += used;
        if (lf >= 0)
            side.Section = side.Resume;
        return used;
    }

    /// <summary>
    /// Skips bytes until a well-formed start line of this direction, then parses from there. Requests are looked for
    /// at line starts; responses anywhere, since one often follows a binary body that does not end with a newline.
    /// </summary>
    private int Resync(Side side, ReadOnlySpan<byte> data)
    {
        if (!side.IsRequest)
            return ResyncResponse(side, data);
        if (!side.AtLineStart)
        {
            int lf = data.IndexOf((byte)'\n');
            if (lf < 0)
                return data.Length;
            side.AtLineStart = true;
            return lf + 1;
        }

        if (!side.HaveStart)
        {
            side.HaveStart = true;
            side.StartTs = _context.CurrentTimestampNs;
        }

        var result = HttpLine.TryRead(data, ref side.Scanned, out var line, out int used);
        if (result == HttpParseResult.Incomplete)
            return NeedMore;
        if (result == HttpParseResult.Malformed)
        {
            side.Scanned = 0;
            side.AtLineStart = false;
            side.HaveStart = false;
            return 0;
        }

        bool start = side.IsRequest
            ? HttpRequestLine.TryParse(line, out var request) && request.IsWellFormed
            : HttpStatusLine.TryParse(line, out _);
        if (start)
        {
            // Parse it again as a start line; HaveStart keeps the time of its first byte.
            side.Section = Section.StartLine;
            return 0;
        }

        side.HaveStart = false;
        return used;
    }

    private int ResyncResponse(Side side, ReadOnlySpan<byte> data)
    {
        var marker = "HTTP/1."u8;
        int at = data.IndexOf(marker);
        if (at < 0)
        {
            // Keep the bytes that may be the start of a marker split across segments.
            int keep = marker.Length - 1;
            return data.Length > keep ? data.Length - keep : NeedMore;
        }

        if (at > 0)
            return at;
        if (!side.HaveStart)
        {
            side.HaveStart = true;
            side.StartTs = _context.CurrentTimestampNs;
        }

        var result = HttpLine.TryRead(data, ref side.Scanned, out var line, out _);
        if (result == HttpParseResult.Incomplete)
            return NeedMore;
        side.Scanned = 0;
        if (result == HttpParseResult.Parsed && HttpStatusLine.TryParse(line, out _))
        {
            side.Section = Section.StartLine;
            return 0;
        }

        side.HaveStart = false;
        return 1; // not a status line after all: look again past this 'H'
    }

    /// <summary>A message ended normally: its body length (and hash) go to the transaction.</summary>
    private void EndMessage(Side side)
    {
        var tx = side.Tx!;
        string? sha = FinishHash(side);
        if (side.IsRequest)
        {
            tx.RequestBodyLength = side.BodyLength;
            tx.RequestBodySha256 = sha;
            tx.RequestDone = true;
            side.Section = tx.IsConnect && !tx.FinalSeen ? Section.Hold : Section.StartLine;
        }
        else
        {
            tx.ResponseBodyLength = side.BodyLength;
            tx.ResponseBodySha256 = sha;
            tx.ResponseDone = true;
            side.Section = Section.StartLine;
            // A CONNECT refused: the client's held bytes are requests again.
            if (tx.IsConnect && _request.Section == Section.Hold)
                _request.Section = Section.StartLine;
        }

        side.Tx = null;
        side.HaveStart = false;
        side.ResetMessage();
        Flush();
    }

    /// <summary>The current message cannot be followed further: keep what was read of it.</summary>
    private void Abandon(Side side)
    {
        StopHash(side);
        var tx = side.Tx;
        side.Tx = null;
        if (tx is not null && (side.IsRequest || !side.Interim))
        {
            if (side.IsRequest)
            {
                tx.RequestBodyLength = side.BodyLength;
                tx.RequestDone = true;
            }
            else
            {
                tx.ResponseBodyLength = side.BodyLength;
                tx.ResponseDone = true;
            }
        }

        side.ResetMessage();
        Flush();
    }

    private static void StartResync(Side side, bool atLineStart)
    {
        side.Section = Section.Resync;
        side.AtLineStart = atLineStart;
        side.Scanned = 0;
        side.HaveStart = false;
    }

    private void StartTunnel()
    {
        _request.Section = Section.Tunnel;
        _response.Section = Section.Tunnel;
        if (_request.Tx is { } tx && !tx.RequestDone)
        {
            tx.RequestDone = true;
            _request.Tx = null;
        }

        Flush();
    }

    /// <summary>The connection ended: a body that runs to the close is whole; anything else unfinished is cut short.</summary>
    private void FinishAtClose(Side side)
    {
        switch (side.Section)
        {
            case Section.UntilClose:
                EndMessage(side);
                break;
            case Section.Headers or Section.Body or Section.ChunkSize or Section.ChunkData or Section.ChunkEnd or Section.Trailers or Section.SkipLine:
                Report(_owner.TruncatedMessage, $"{Who(side)}: the connection ended in {Describe(side.Section)}"
                                                + (side.Section is Section.Body or Section.ChunkData ? $" with {side.Remaining} bytes to go" : ""));
                Abandon(side);
                break;
        }
    }

    /// <summary>Writes the oldest transactions whose request and response are both done, in order.</summary>
    private void Flush()
    {
        int done = 0;
        while (done < _open.Count && _open[done].RequestDone && _open[done].ResponseDone)
            Write(_open[done++]);
        if (done > 0)
            _open.RemoveRange(0, done);
    }

    /// <summary>Too many requests wait: the oldest is written as it is (unless a response is being read into it).</summary>
    private void DropOldest()
    {
        var oldest = _open[0];
        if (oldest == _response.Tx)
            return;
        if (!_tooManyReported)
        {
            _tooManyReported = true;
            Report(_owner.TooManyPending, $"{_open.Count} requests wait for a response");
        }

        _open.RemoveAt(0);
        if (_confirmed)
            Write(oldest);
    }

    private void Write(HttpTransaction tx)
    {
        var row = _context.Records.BeginRow(_owner.Table);
        tx.WriteTo(row);
        row.Commit();
    }

    private void Confirm()
    {
        _confirmed = true;
        _context.Confirm();
        if (_deferred is null)
            return;
        foreach (var (anomaly, detail) in _deferred)
            _context.Report(anomaly, detail);
        _deferred = null;
    }

    private void Reject(string reason)
    {
        _rejected = true;
        _context.Reject(reason);
    }

    /// <summary>Anomalies of a connection not yet confirmed wait for the confirmation (a rejected one has none).</summary>
    private void Report(AnomalyHandle anomaly, string detail)
    {
        if (_confirmed)
        {
            _context.Report(anomaly, detail);
            return;
        }

        _deferred ??= new();
        if (_deferred.Count < MaxDeferred)
            _deferred.Add((anomaly, detail));
    }

    private string? FinishHash(Side side)
    {
        if (!side.Hashing)
            return null;
        side.Hashing = false;
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        side.Hash!.TryGetHashAndReset(digest, out _);
        return side.BodyLength > 0 ? Convert.ToHexStringLower(digest) : null;
    }

    private static void StopHash(Side side)
    {
        if (!side.Hashing)
            return;
        side.Hashing = false;
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        side.Hash!.TryGetHashAndReset(digest, out _);
    }

    private static string Who(Side side) => side.IsRequest ? "request" : "response";

    private static string Describe(Section section) => section switch
    {
        Section.StartLine or Section.Resync => "a start line",
        Section.Headers or Section.SkipLine => "a head",
        Section.Trailers => "a trailer",
        Section.ChunkSize or Section.ChunkEnd => "chunk framing",
        _ => "a body",
    };

    private static string Excerpt(ReadOnlySpan<byte> text) =>
        text.Length <= ExcerptLength ? HttpText.Decode(text) : HttpText.Decode(text[..ExcerptLength]) + "…";

    private static string Excerpt(string? text) =>
        text is null ? "" : text.Length <= ExcerptLength ? text : text[..ExcerptLength] + "…";

    /// <summary>What one direction is in the middle of.</summary>
    private sealed class Side(bool isRequest)
    {
        public readonly bool IsRequest = isRequest;
        public Section Section;

        /// <summary>Bytes at the start of the unconsumed input already searched for LF (<see cref="HttpLine.TryRead(ReadOnlySpan{byte}, ref int, out ReadOnlySpan{byte}, out int)"/>).</summary>
        public int Scanned;

        /// <summary>The first byte of the coming start line has been seen, at <see cref="StartTs"/>.</summary>
        public bool HaveStart;
        public long StartTs;

        public bool AtLineStart;
        public Section Resume;
        public HttpTransaction? Tx;

        /// <summary>The response head being read is a 1xx interim response.</summary>
        public bool Interim;

        // The head being read.
        public int HeadBytes;
        public bool MalformedHeaderReported;
        public long ContentLength = -1;
        public bool ContentLengthBad, HasTransferEncoding, Chunked;

        // The body being skipped.
        public long Remaining, BodyLength;
        public bool Hashing;
        public IncrementalHash? Hash;

        public void ResetMessage()
        {
            MalformedHeaderReported = false;
            ContentLength = -1;
            ContentLengthBad = HasTransferEncoding = Chunked = false;
            Remaining = BodyLength = 0;
            Hashing = false;
        }
    }
}
