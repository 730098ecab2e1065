namespace PcapForge.Scan.Services;

/// <summary>
/// What service detection learned about an open port, in nmap's fields (nmap(1), "Service and Version Detection"):
/// the VERSION column is <see cref="Product"/>, <see cref="Version"/>, <see cref="VersionDetail"/> and
/// <see cref="ExtraInfo"/> in parentheses, e.g. <c>OpenSSH 9.2p1 Debian 2+deb12u3 (protocol 2.0)</c>.
/// </summary>
public sealed record ServiceInfo
{
    /// <summary>The service: ssh, smtp, http (found by probing), tcpwrapped, or the port's nmap-services name.</summary>
    public required string Name { get; init; }

    /// <summary>True when a probe identified the service; false when the name is only the port's usual service (nmap's method="table").</summary>
    public bool Probed { get; init; }

    /// <summary>The software (OpenSSH, nginx, Postfix smtpd).</summary>
    public string? Product { get; init; }

    /// <summary>Its version number alone (9.2p1, 1.22.1), so that it compares and sorts.</summary>
    public string? Version { get; init; }

    /// <summary>A distribution's package revision after the version (Debian 2+deb12u3), which nmap prints as part of the version.</summary>
    public string? VersionDetail { get; init; }

    /// <summary>nmap's extrainfo, printed in parentheses (protocol 2.0, Python 3.11.2).</summary>
    public string? ExtraInfo { get; init; }

    /// <summary>The name the service gives itself (an SMTP greeting's domain): nmap's "Service Info: Host".</summary>
    public string? ServiceHost { get; init; }

    /// <summary>The operating system the banner reveals (Linux for a Debian OpenSSH): nmap's "Service Info: OS".</summary>
    public string? OsType { get; init; }

    /// <summary>The first bytes the service sent (or its reply to the first probe), as text; see <see cref="BannerText"/>.</summary>
    public string? Banner { get; init; }

    /// <summary>The HTML title of <c>GET /</c>.</summary>
    public string? HttpTitle { get; init; }

    /// <summary>The Server header of the reply to <c>HEAD /</c>.</summary>
    public string? HttpServer { get; init; }

    /// <summary>The status code of the reply to <c>HEAD /</c>.</summary>
    public int? HttpStatus { get; init; }

    /// <summary>The SSH protocol version of the identification string (2.0, 1.99).</summary>
    public string? SshProtoVersion { get; init; }

    /// <summary>The extensions of the EHLO reply, one per line (PIPELINING, SIZE 10240000, STARTTLS).</summary>
    public IReadOnlyList<string>? SmtpExtensions { get; init; }

    /// <summary>
    /// "ssl" when the service was found inside TLS (an HTTPS server, say): nmap's tunnel, which it prints before the
    /// name (<c>ssl/http</c>). Null for a service spoken in the clear.
    /// </summary>
    public string? Tunnel { get; init; }

    /// <summary>The TLS session the probe negotiated, and the server's certificate; null without a tunnel.</summary>
    public TlsSession? Tls { get; init; }

    /// <summary>The service as nmap's SERVICE column shows it: the tunnel, a slash and the name (<c>ssl/http</c>).</summary>
    public string DisplayName => Tunnel is null ? Name : $"{Tunnel}/{Name}";

    /// <summary>nmap's VERSION column: product, version and version detail, then extra info in parentheses.</summary>
    public string VersionText
    {
        get
        {
            var parts = new List<string>(4);
            foreach (var p in new[] { Product, Version, VersionDetail })
            {
                if (!string.IsNullOrEmpty(p))
                    parts.Add(p);
            }

            if (!string.IsNullOrEmpty(ExtraInfo))
                parts.Add($"({ExtraInfo})");
            return string.Join(' ', parts);
        }
    }
}

/// <summary>
/// A TLS session a probe negotiated: the protocol version and cipher suite, and the certificate the server showed
/// (accepted whatever it is: the probe identifies the service, it does not trust it).
/// </summary>
/// <param name="Protocol">TLSv1.3, TLSv1.2 (OpenSSL's names).</param>
/// <param name="Cipher">The IANA name of the cipher suite (TLS_AES_256_GCM_SHA384).</param>
/// <param name="Subject">The certificate's subject distinguished name (CN=example.org).</param>
/// <param name="Issuer">Its issuer's distinguished name.</param>
/// <param name="NotAfter">When it expires.</param>
/// <param name="Sha256">SHA-256 of the certificate (DER), lower-case hex, as <c>openssl x509 -fingerprint -sha256</c> without colons.</param>
public sealed record TlsSession(string Protocol, string Cipher, string? Subject, string? Issuer, DateTimeOffset? NotAfter, string? Sha256);
