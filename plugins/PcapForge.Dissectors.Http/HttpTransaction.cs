namespace PcapForge.Dissectors.Http;

/// <summary>
/// One request and its response, as they are being read: one row of the <c>http</c> table when both are done or
/// the connection ends (Zeek's HTTP::Info). Strings are made only for the values written out.
/// </summary>
internal sealed class HttpTransaction
{
    public long Ts;
    public int Depth;

    // Request (client → server).
    public bool HasRequest;
    public string? Method, Uri, RequestVersion, Host, Referrer, UserAgent, Origin, Username, RequestContentType;
    public long? RequestBodyLength, RequestFrame;
    public string? RequestBodySha256;
    public bool IsHead, IsConnect;

    // Response (server → client); the 1xx interim responses only set InfoCode/InfoMsg (and StatusCode until the final one).
    public string? Version, StatusMsg, InfoMsg, Server, Location, ResponseContentType, TransferEncoding;
    public int? StatusCode, InfoCode;
    public long? ResponseBodyLength, ResponseFrame;
    public string? ResponseBodySha256;

    /// <summary>The request (head and body) has been read, or will not be (no request, or it was abandoned).</summary>
    public bool RequestDone;

    /// <summary>A final (non-1xx, or 101) status line has been read for this request.</summary>
    public bool FinalSeen;

    /// <summary>The final response (head and body) has been read, or abandoned.</summary>
    public bool ResponseDone;

    /// <summary>The values in the order of <see cref="HttpDissector.Columns"/>.</summary>
    public object?[] ToValues() =>
    [
        Ts, Depth, Method, Host, Uri, Referrer, Version, RequestVersion, UserAgent, Origin, Username,
        RequestBodyLength, ResponseBodyLength, StatusCode, StatusMsg, InfoCode, InfoMsg, Server, Location,
        RequestContentType, ResponseContentType, TransferEncoding, RequestFrame, ResponseFrame, RequestBodySha256, ResponseBodySha256,
    ];
}
