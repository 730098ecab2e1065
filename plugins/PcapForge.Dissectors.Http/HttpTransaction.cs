using PcapForge.Abstractions.Records;

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

    /// <summary>Sets the row's columns, numbered as <see cref="HttpDissector.Columns"/> declares them.</summary>
    public void WriteTo(RecordRow row)
    {
        row.Set(0, Ts).Set(1, Depth).Set(2, Method).Set(3, Host).Set(4, Uri).Set(5, Referrer).Set(6, Version).Set(7, RequestVersion)
            .Set(8, UserAgent).Set(9, Origin).Set(10, Username).Set(11, RequestBodyLength).Set(12, ResponseBodyLength)
            .Set(13, StatusCode).Set(14, StatusMsg).Set(15, InfoCode).Set(16, InfoMsg).Set(17, Server).Set(18, Location)
            .Set(19, RequestContentType).Set(20, ResponseContentType).Set(21, TransferEncoding).Set(22, RequestFrame)
            .Set(23, ResponseFrame).Set(24, RequestBodySha256).Set(25, ResponseBodySha256);
    }
}
