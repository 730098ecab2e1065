using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using PcapForge.Dissectors.Http;
using PcapForge.Dissectors.Smtp;
using PcapForge.Dissectors.Ssh;
using PcapForge.Scan.Ports;
using PcapForge.Scan.Scanning;
using PcapForge.Scan.Targets;

namespace PcapForge.Scan.Services;

/// <summary>
/// Service and version detection on an open port (-sV), by banner and probe, with the dissectors' own parsers:
/// <list type="number">
/// <item>Wait up to <see cref="ScanOptions.BannerWait"/> for the server to speak first. An SSH identification string
/// (RFC 4253 §4.2, <see cref="SshIdentification"/>) is ssh. An SMTP greeting (RFC 5321 §4.2, <see cref="SmtpReply"/>,
/// <see cref="SmtpGreeting"/>) is answered with EHLO, whose reply gives the extensions (<see cref="SmtpExtensions"/>),
/// then QUIT. Any other banner is recorded as it came, under the port's usual service name.</item>
/// <item>A server that says nothing gets <c>HEAD / HTTP/1.0</c>; a response head (<see cref="HttpResponseHead"/>)
/// makes it http, its Server header the product; a second connection sends <c>GET /</c> for the page title
/// (<see cref="HtmlTitle"/>).</item>
/// <item>A server that closes the connection without a byte is <c>tcpwrapped</c>, as nmap calls it.</item>
/// <item>A server that stays silent after HEAD, closes, answers it with a TLS record, or with 400 Bad Request (an HTTPS
/// port spoken to in the clear), is tried with TLS on another connection (<see cref="SslStream"/>, any certificate
/// accepted and recorded). When the handshake succeeds the same steps run inside the session, and the service is
/// reported as nmap does, <c>ssl/http</c>, <c>ssl/smtp</c>, or <c>ssl/unknown</c>.</item>
/// </list>
/// Only the connection to the scanned port is used; nothing else is contacted.
/// </summary>
internal sealed class ServiceProber
{
    /// <summary>Largest banner or SMTP reply read.</summary>
    private const int BannerLimit = 16 * 1024;

    /// <summary>Largest HTTP response read for the page title (the title is in the head of a page).</summary>
    private const int PageLimit = 256 * 1024;

    /// <summary>After a first whole line, how long more lines of a banner may take to come.</summary>
    private static readonly TimeSpan LineGrace = TimeSpan.FromMilliseconds(300);

    private readonly ScanOptions _options;

    public ServiceProber(ScanOptions options) => _options = options;

    /// <summary>The product and version behind an open port.</summary>
    /// <param name="socket">The scan's connection to the port (closed by the caller).</param>
    /// <param name="target">The target, for the HTTP Host header.</param>
    /// <param name="port">The port.</param>
    /// <param name="reconnect">Opens another connection to the same port, under the scan's rate and timeout; null when it fails.</param>
    /// <param name="cancel">The scan's deadline or Ctrl-C.</param>
    public async Task<ServiceInfo> DetectAsync(Socket socket, ScanTarget target, int port, Func<CancellationToken, Task<Socket?>> reconnect, CancellationToken cancel)
    {
        async Task<ProbeConnection?> Plain(int limit, CancellationToken c) =>
            await reconnect(c).ConfigureAwait(false) is { } s ? new ProbeConnection(s, limit) : null;

        var (info, tryTls) = await ProbeAsync(new ProbeConnection(socket, BannerLimit), target, port, Plain, cancel).ConfigureAwait(false);
        if (!tryTls)
            return info;

        // The first connection is closed by now: a probe never holds more than one of the scan's connections.
        if (await OpenTlsAsync(target, reconnect, BannerLimit, cancel).ConfigureAwait(false) is not { } tls)
            return info;
        async Task<ProbeConnection?> OverTls(int limit, CancellationToken c) =>
            await OpenTlsAsync(target, reconnect, limit, c).ConfigureAwait(false) is { } again ? again.Connection : null;
        var (inside, _) = await ProbeAsync(tls.Connection, target, port, OverTls, cancel).ConfigureAwait(false);
        // Inside TLS a service the probes do not know is still TLS: nmap's "ssl/unknown".
        return (inside.Probed ? inside : inside with { Name = "unknown", Probed = true }) with { Tunnel = "ssl", Tls = tls.Session };
    }

    /// <summary>
    /// Banner, then HEAD / when the server is silent, on <paramref name="conn"/> (disposed here). Also says whether the
    /// port may speak TLS instead: the server stayed silent after HEAD, closed, answered with a TLS record (an alert), or
    /// answered a well-formed HEAD with 400 (nginx and others on an HTTPS port: "plain HTTP request was sent to HTTPS
    /// port").
    /// </summary>
    private async Task<(ServiceInfo Info, bool TryTls)> ProbeAsync(ProbeConnection conn, ScanTarget target, int port,
        Func<int, CancellationToken, Task<ProbeConnection?>> open, CancellationToken cancel)
    {
        ServiceInfo info;
        using (conn)
        {
            await conn.ReadAsync(BannerComplete, _options.BannerWait, LineGrace, cancel).ConfigureAwait(false);
            if (conn.Length == 0 && conn.Closed)
                return (new ServiceInfo { Name = "tcpwrapped", Probed = true }, false);
            if (conn.Length > 0)
                return (await FromBannerAsync(conn, port, cancel).ConfigureAwait(false), false);

            // RFC 9112 §3.2: HTTP/1.0 needs no Host, but a server with virtual hosts picks the site by it.
            if (!await conn.SendAsync(Request("HEAD", target, port), _options.Timeout, cancel).ConfigureAwait(false))
                return (TableGuess(port, null), true);
            await conn.ReadAsync(HttpHeadComplete, _options.Timeout, null, cancel).ConfigureAwait(false);
            if (HttpResponseHead.TryParse(conn.Data, out var response) != HttpParseResult.Parsed || response is null)
            {
                // Not HTTP: perhaps a server that spoke first, but later than the banner wait, or a TLS server.
                if (conn.Length > 0 && !IsTlsRecord(conn.Data))
                    return (await FromBannerAsync(conn, port, cancel).ConfigureAwait(false), false);
                return (TableGuess(port, conn.Length > 0 ? BannerText.From(conn.Data) : null), true);
            }

            info = ProductRules.FromHttp(response, BannerText.From(conn.Data[..response.Length]));
        }

        // The first connection is closed before the second opens: a probe never holds more than one of the scan's
        // concurrent connections.
        string? title = await TitleAsync(target, port, open, cancel).ConfigureAwait(false);
        return (info with { HttpTitle = title }, info.HttpStatus == 400);
    }

    /// <summary>A TLS record header (RFC 8446 §5.1): content type alert (21) or handshake (22), then version 3.x.</summary>
    internal static bool IsTlsRecord(ReadOnlySpan<byte> data) => data.Length >= 3 && data[0] is 21 or 22 && data[1] == 3 && data[2] <= 4;

    /// <summary>
    /// Another connection to the port with a TLS handshake over it; null when the connection or the handshake fails
    /// within the timeout. Any certificate is accepted: the probe identifies the service and records the certificate,
    /// it does not trust it.
    /// </summary>
    private async Task<(ProbeConnection Connection, TlsSession Session)?> OpenTlsAsync(ScanTarget target,
        Func<CancellationToken, Task<Socket?>> reconnect, int limit, CancellationToken cancel)
    {
        var socket = await reconnect(cancel).ConfigureAwait(false);
        if (socket is null)
            return null;
        var tls = new SslStream(ProbeConnection.Wrap(socket), leaveInnerStreamOpen: false);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(_options.Timeout);
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                // A name is sent (SNI) for a host name only; for an address the server picks its default certificate.
                TargetHost = target.HostName ?? target.AddressText,
                RemoteCertificateValidationCallback = static (_, _, _, _) => true,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            }, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AuthenticationException or IOException or SocketException
                                      || (e is OperationCanceledException && !cancel.IsCancellationRequested))
        {
            new ProbeConnection(socket, tls, limit).Dispose();
            return null;
        }
        catch
        {
            new ProbeConnection(socket, tls, limit).Dispose();
            throw;
        }

        // The caller owns the certificate SslStream hands out: it is released once its fields are read.
        using var certificate = tls.RemoteCertificate as X509Certificate2;
        var session = new TlsSession(
            tls.SslProtocol switch
            {
                SslProtocols.Tls13 => "TLSv1.3",
                SslProtocols.Tls12 => "TLSv1.2",
                var other => other.ToString(),
            },
            tls.NegotiatedCipherSuite.ToString(),
            certificate?.Subject,
            certificate?.Issuer,
            certificate is null ? null : new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero),
            certificate is null ? null : Convert.ToHexStringLower(certificate.GetCertHash(HashAlgorithmName.SHA256)));
        return (new ProbeConnection(socket, tls, limit), session);
    }

    private async Task<ServiceInfo> FromBannerAsync(ProbeConnection conn, int port, CancellationToken cancel)
    {
        string banner = BannerText.From(conn.Data);
        if (FindSshIdentification(conn.Data) is { } ssh)
            return ProductRules.FromSsh(ssh.Identification, ssh.Line);

        if (SmtpReply.TryParse(conn.Data, out var reply, out _) == SmtpParseStatus.Done && reply is not null
            && SmtpGreeting.TryParse(reply, out var greeting) && greeting is not null)
        {
            SmtpExtensions? extensions = null;
            if (greeting.Code == 220 && !conn.Closed)
            {
                // RFC 5321 §4.1.1.1: EHLO with the client's own address as an address literal (§4.1.3), which is
                // what it is; then QUIT (§4.1.1.10) so the server ends the session cleanly.
                conn.Clear();
                if (await conn.SendAsync(Encoding.ASCII.GetBytes($"EHLO {AddressLiteral(conn.LocalEndPoint)}\r\n"), _options.Timeout, cancel).ConfigureAwait(false))
                {
                    await conn.ReadAsync(SmtpReplyComplete, _options.Timeout, null, cancel).ConfigureAwait(false);
                    if (SmtpReply.TryParse(conn.Data, out var ehlo, out _) == SmtpParseStatus.Done && ehlo is not null)
                        SmtpExtensions.TryParse(ehlo, out extensions);
                    conn.Clear();
                    if (await conn.SendAsync("QUIT\r\n"u8.ToArray(), _options.Timeout, cancel).ConfigureAwait(false))
                        await conn.ReadAsync(SmtpReplyComplete, _options.Timeout, null, cancel).ConfigureAwait(false);
                }
            }

            // FTP greets with 220 too (RFC 959 §4.2): only a server that says SMTP or accepts EHLO is SMTP.
            if (extensions is not null || greeting.Text.Contains("SMTP", StringComparison.OrdinalIgnoreCase))
                return ProductRules.FromSmtp(greeting, extensions, banner);
        }

        return TableGuess(port, banner);
    }

    /// <summary>The port's nmap-services name, not confirmed by any probe (nmap prints it with a "?").</summary>
    private static ServiceInfo TableGuess(int port, string? banner) =>
        new() { Name = NmapServices.NameOf(port), Probed = false, Banner = banner };

    private async Task<string?> TitleAsync(ScanTarget target, int port, Func<int, CancellationToken, Task<ProbeConnection?>> open, CancellationToken cancel)
    {
        using var conn = await open(PageLimit, cancel).ConfigureAwait(false);
        if (conn is null)
            return null;
        if (!await conn.SendAsync(Request("GET", target, port), _options.Timeout, cancel).ConfigureAwait(false))
            return null;
        await conn.ReadAsync(PageComplete, _options.Timeout, null, cancel).ConfigureAwait(false);
        if (HttpResponseHead.TryParse(conn.Data, out var head) != HttpParseResult.Parsed || head is null)
            return null;
        return HtmlTitle.TryFind(conn.Data[head.Length..], out string title) ? title : null;
    }

    private byte[] Request(string method, ScanTarget target, int port)
    {
        string host = target.HostName ?? (target.Address.AddressFamily == AddressFamily.InterNetworkV6
            ? $"[{new IPAddress(target.Address.GetAddressBytes())}]"
            : target.Address.ToString());
        if (port != 80)
            host += $":{port}";
        return Encoding.ASCII.GetBytes($"{method} / HTTP/1.0\r\nHost: {host}\r\nUser-Agent: {_options.UserAgent}\r\nAccept: */*\r\nConnection: close\r\n\r\n");
    }

    /// <summary>RFC 5321 §4.1.3 address literal: <c>[192.0.2.1]</c>, <c>[IPv6:2001:db8::1]</c>.</summary>
    internal static string AddressLiteral(IPEndPoint? local)
    {
        if (local is null)
            return "[127.0.0.1]";
        var address = local.Address.IsIPv4MappedToIPv6 ? local.Address.MapToIPv4() : local.Address;
        return address.AddressFamily == AddressFamily.InterNetworkV6
            ? $"[IPv6:{new IPAddress(address.GetAddressBytes())}]"
            : $"[{address}]";
    }

    /// <summary>
    /// The first line that is an identification string: RFC 4253 §4.2 lets a server send other lines before it. Lines
    /// are framed with <see cref="SshIdentification.TryReadLine"/>.
    /// </summary>
    internal static (SshIdentification Identification, string Line)? FindSshIdentification(ReadOnlySpan<byte> data)
    {
        int pos = 0;
        while (pos < data.Length)
        {
            var status = SshIdentification.TryReadLine(data[pos..], out int lineLength, out int consumed);
            if (status != SshLineStatus.Line)
                return null;
            var line = data.Slice(pos, lineLength);
            if (line.StartsWith(SshIdentification.Prefix))
                return SshIdentification.TryParse(line, out var id) ? (id, id.Text) : null;
            pos += consumed;
        }

        return null;
    }

    /// <summary>A banner is whole once it holds an SSH identification line or a whole SMTP reply; any other, after a line and the grace.</summary>
    private static bool BannerComplete(ReadOnlyMemory<byte> memory)
    {
        var data = memory.Span;
        if (data.IsEmpty)
            return false;
        if (SmtpReplyLine.StartsLikeReply(data[..Math.Min(data.Length, 4)]))
            return SmtpReply.TryParse(data, out _, out _) != SmtpParseStatus.Incomplete;
        if (FindSshIdentification(data) is not null)
            return true;
        return SshIdentification.TryReadLine(data, out _, out _) == SshLineStatus.TooLong && !data.StartsWith(SshIdentification.Prefix);
    }

    private static bool SmtpReplyComplete(ReadOnlyMemory<byte> data) =>
        SmtpReply.TryParse(data.Span, out _, out _) != SmtpParseStatus.Incomplete;

    private static bool HttpHeadComplete(ReadOnlyMemory<byte> data) =>
        HttpResponseHead.TryParse(data.Span, out _) != HttpParseResult.Incomplete;

    /// <summary>A page is read far enough once the title is found or the body announced by Content-Length has come.</summary>
    private static bool PageComplete(ReadOnlyMemory<byte> memory)
    {
        var data = memory.Span;
        var result = HttpResponseHead.TryParse(data, out var head);
        if (result == HttpParseResult.Malformed)
            return true;
        if (result == HttpParseResult.Incomplete || head is null)
            return false;
        var body = data[head.Length..];
        return HtmlTitle.TryFind(body, out _) || (head.ContentLength is { } length && body.Length >= length);
    }
}
