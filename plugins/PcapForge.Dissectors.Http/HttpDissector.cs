using PcapForge.Abstractions.Dissection;
using PcapForge.Abstractions.Records;

namespace PcapForge.Dissectors.Http;

/// <summary>
/// HTTP/1.0 and HTTP/1.1 (RFC 9110 semantics, RFC 9112 message syntax) over TCP: one row of the <c>http</c> table per
/// request/response transaction, with Zeek's http.log column names. Offered every TCP flow (and declared on the
/// usual HTTP ports for <c>dissectors list</c>); it rejects a flow at once when the client's first bytes are neither
/// a method token and a space nor a registered method (<see cref="HttpMethods"/>), or the server's are not
/// <c>HTTP/</c>, and confirms on a complete, well-formed request or status line. See <see cref="HttpConnection"/>
/// for how messages, bodies, pipelining and gaps are followed, and docs/http.md for the table.
/// </summary>
[StreamDissectorExport("http")]
public sealed class HttpDissector : IStreamDissector
{
    /// <summary>
    /// Ports HTTP is registered or commonly run on (Zeek's HTTP::ports and Wireshark's 8008); detection does not
    /// depend on them, since the heuristic sees every TCP flow.
    /// </summary>
    private static readonly int[] Ports = [80, 81, 3128, 8000, 8008, 8080, 8888];

    private const string TcpPortTable = "tcp.port";

    /// <summary>Name of the boolean preference that turns on the SHA-256 of bodies.</summary>
    public const string BodySha256Preference = "http.body_sha256";

    /// <summary>Bodies longer than this get no SHA-256 (a hash of a prefix would look like a file's and be wrong).</summary>
    public const long MaxHashedBodyLength = 16L * 1024 * 1024;

    /// <summary>Columns of the <c>http</c> table, numbered from 0 as <see cref="HttpTransaction.WriteTo"/> sets them.</summary>
    internal static readonly ColumnDescriptor[] Columns =
    [
        new("ts", ColumnType.Timestamp, "Time of the first frame of the request (of the response when no request was seen)"),
        new("trans_depth", ColumnType.Int32, "Position of this transaction on its connection, from 1 (pipelined or keep-alive requests count up)"),
        new("method", ColumnType.String, "Request method (GET, POST, HEAD…)"),
        new("host", ColumnType.String, "Value of the Host header, port included when sent"),
        new("uri", ColumnType.String, "Request-target as sent (not percent-decoded)"),
        new("referrer", ColumnType.String, "Value of the Referer header"),
        new("version", ColumnType.String, "HTTP version of the final response (1.0, 1.1), as Zeek's version"),
        new("request_version", ColumnType.String, "HTTP version of the request line"),
        new("user_agent", ColumnType.String, "Value of the User-Agent header"),
        new("origin", ColumnType.String, "Value of the Origin header"),
        new("username", ColumnType.String, "User name of an Authorization or Proxy-Authorization Basic credential (the password is never kept)"),
        new("request_body_len", ColumnType.Int64, "Bytes of the request body as transferred (chunk framing removed, content coding kept, lost bytes counted)"),
        new("response_body_len", ColumnType.Int64, "Bytes of the final response body as transferred (chunk framing removed, content coding kept, lost bytes counted)"),
        new("status_code", ColumnType.Int32, "Status code of the last response read: the final one, or a 1xx when no final one came"),
        new("status_msg", ColumnType.String, "Reason phrase of that response"),
        new("info_code", ColumnType.Int32, "Code of the last 1xx informational response (100 Continue)"),
        new("info_msg", ColumnType.String, "Reason phrase of the last 1xx informational response"),
        new("server", ColumnType.String, "Value of the response's Server header"),
        new("location", ColumnType.String, "Value of the response's Location header"),
        new("request_content_type", ColumnType.String, "Value of the request's Content-Type header"),
        new("response_content_type", ColumnType.String, "Value of the response's Content-Type header"),
        new("transfer_encoding", ColumnType.String, "Value of the response's Transfer-Encoding header"),
        new("request_frame", ColumnType.Int64, "Frame in which the request head (its empty line) was completed"),
        new("response_frame", ColumnType.Int64, "Frame in which the final response head was completed"),
        new("request_body_sha256", ColumnType.String, "SHA-256 (hex) of the request body, with -o http.body_sha256:TRUE, for whole bodies of 1 byte to 16 MiB"),
        new("response_body_sha256", ColumnType.String, "SHA-256 (hex) of the response body, with -o http.body_sha256:TRUE, for whole bodies of 1 byte to 16 MiB"),
    ];

    internal RecordTableHandle Table { get; private set; }

    internal bool HashBodies { get; private set; }

    internal AnomalyHandle MalformedRequestLine { get; private set; }
    internal AnomalyHandle MalformedStatusLine { get; private set; }
    internal AnomalyHandle MalformedHeaderLine { get; private set; }
    internal AnomalyHandle OversizedLine { get; private set; }
    internal AnomalyHandle OversizedHead { get; private set; }
    internal AnomalyHandle MissingResponse { get; private set; }
    internal AnomalyHandle ResponseWithoutRequest { get; private set; }
    internal AnomalyHandle BadChunkSize { get; private set; }
    internal AnomalyHandle BadContentLength { get; private set; }
    internal AnomalyHandle ContentLengthAndTransferEncoding { get; private set; }
    internal AnomalyHandle GapInHeaders { get; private set; }
    internal AnomalyHandle TruncatedMessage { get; private set; }
    internal AnomalyHandle TooManyPending { get; private set; }

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("http", "Hypertext Transfer Protocol", "HTTP/1.0 and HTTP/1.1 requests and responses (RFC 9110, RFC 9112), one record per transaction");
        MalformedRequestLine = setup.Anomaly("http.malformed_request_line",
            "A request line that is not 'method SP request-target SP HTTP/1.x' (RFC 9112 §3); what could be read is recorded, or the line is skipped when it has no method");
        MalformedStatusLine = setup.Anomaly("http.malformed_status_line",
            "A line where a status line 'HTTP/x.y SP 3DIGIT SP reason' was expected (RFC 9112 §4); the parser resynchronises at the next status line");
        MalformedHeaderLine = setup.Anomaly("http.malformed_header_line",
            "A header or trailer line that is not 'token \":\" value' (RFC 9112 §5, whitespace before the colon included); skipped, reported once per head");
        OversizedLine = setup.Anomaly("http.oversized_line",
            $"A start, header, trailer or chunk-size line longer than {HttpLimits.MaxLineLength} bytes; a header line is skipped, a start line makes the parser resynchronise");
        OversizedHead = setup.Anomaly("http.oversized_head",
            $"A head (start line and headers) longer than {HttpLimits.MaxHeadLength} bytes; the message is abandoned and the parser resynchronises at the next start line");
        MissingResponse = setup.Anomaly("http.missing_response",
            "The connection ended with a request never answered (one-sided capture, a server that did not reply, or a reply lost)");
        ResponseWithoutRequest = setup.Anomaly("http.response_without_request",
            "A response with no request waiting for it: a response before any request (capture started mid-connection) or more responses than requests");
        BadChunkSize = setup.Anomaly("http.bad_chunk_size",
            "A chunk-size line that is not hexadecimal (RFC 9112 §7.1), or chunk data not followed by CRLF; the body is abandoned and the parser resynchronises");
        BadContentLength = setup.Anomaly("http.bad_content_length",
            "A Content-Length that is not a decimal number, or several that differ (RFC 9112 §6.3): a request is taken to have no body, a response to run to the connection's end");
        ContentLengthAndTransferEncoding = setup.Anomaly("http.content_length_and_transfer_encoding",
            "A message with a body framed by both Content-Length and Transfer-Encoding (RFC 9112 §6.1: the length is ignored; a sign of request smuggling)");
        GapInHeaders = setup.Anomaly("http.gap_in_headers",
            "The capture lost bytes of a head, a chunk-size line or trailer (not only body bytes); the message is abandoned and the parser resynchronises at the next start line");
        TruncatedMessage = setup.Anomaly("http.truncated_message",
            "The connection ended inside a head, or inside a body whose length was known (Content-Length or chunked)");
        TooManyPending = setup.Anomaly("http.too_many_pending",
            "More than 100 requests waited for a response on one connection; the oldest are written without one (as Zeek's HTTP_excessive_pipelining)");
        HashBodies = setup.Preference(BodySha256Preference, false,
            $"Compute the SHA-256 of each request and response body of at most {MaxHashedBodyLength / (1024 * 1024)} MiB (http.request_body_sha256, http.response_body_sha256)");
        Table = setup.RecordTable("http", "One row per HTTP/1.x request/response transaction (Zeek's http.log)", Columns);
        foreach (int port in Ports)
            setup.AttachTo(TcpPortTable, port);
        setup.AttachHeuristic("tcp");
    }

    public IStreamParser CreateParser(StreamContext context) => new HttpConnection(this, context);

    /// <summary>
    /// The parser's own first test (<see cref="HttpConnection.MayStart"/>): whichever side speaks first starts with
    /// <c>HTTP/</c> or with a method and a space; HTTP/1.x never runs over UDP.
    /// </summary>
    public bool Probe(in StreamProbe first) => !first.IsDatagram && HttpConnection.MayStart(first.Data);
}
