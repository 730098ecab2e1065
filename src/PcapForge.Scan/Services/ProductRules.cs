using PcapForge.Dissectors.Http;
using PcapForge.Dissectors.Smtp;
using PcapForge.Dissectors.Ssh;

namespace PcapForge.Scan.Services;

/// <summary>
/// Product and version from what the dissectors' parsers read out of a banner, in the fields and wording nmap uses
/// for the same software, so that the VERSION column of the two tools reads the same. These rules are PcapForge's own,
/// a handful for common servers; nmap's much larger nmap-service-probes database is not copied.
/// </summary>
public static class ProductRules
{
    /// <summary>Distributions whose OpenSSH package appends "Distro-revision" as the comment (RFC 4253 §4.2 comments).</summary>
    private static readonly string[] LinuxDistributions = ["Debian", "Ubuntu", "Raspbian"];

    /// <summary>
    /// From an SSH identification string, RFC 4253 §4.2 <c>SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3</c>: product
    /// OpenSSH, version 9.2p1, version detail "Debian 2+deb12u3", OS Linux, extra info "protocol 2.0".
    /// </summary>
    public static ServiceInfo FromSsh(SshIdentification id, string banner)
    {
        var (product, version) = SplitSoftware(id.Software);
        product = product switch
        {
            "dropbear" => "Dropbear sshd",
            "libssh" => "libssh",
            _ => product,
        };
        string? detail = null, os = null, extra = $"protocol {id.ProtoVersion}";
        if (id.Comments is { Length: > 0 } comments)
        {
            string? distro = LinuxDistributions.FirstOrDefault(d => comments.StartsWith(d, StringComparison.Ordinal)
                && (comments.Length == d.Length || comments[d.Length] is '-' or '_' or ' '));
            if (distro is not null)
            {
                string revision = comments[distro.Length..].TrimStart('-', '_', ' ');
                detail = revision.Length == 0 ? distro : $"{distro} {revision}";
                os = "Linux";
            }
            else
            {
                extra = $"{comments}; {extra}";
            }
        }

        return new ServiceInfo
        {
            Name = "ssh",
            Probed = true,
            Product = product,
            Version = version,
            VersionDetail = detail,
            ExtraInfo = extra,
            OsType = os,
            Banner = banner,
            SshProtoVersion = id.ProtoVersion,
        };
    }

    /// <summary>
    /// From an SMTP greeting (RFC 5321 §4.2, <c>220 mail.example ESMTP Postfix (Debian/GNU)</c>) and, when the server
    /// answered EHLO, its extensions. The greeting's domain is nmap's "Host".
    /// </summary>
    public static ServiceInfo FromSmtp(SmtpGreeting greeting, SmtpExtensions? extensions, string banner)
    {
        string text = greeting.Text;
        string? product = null, version = null, extra = null;
        string[] words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string? After(string word)
        {
            int i = Array.FindIndex(words, w => string.Equals(w, word, StringComparison.OrdinalIgnoreCase));
            return i >= 0 && i + 1 < words.Length ? words[i + 1] : null;
        }

        if (words.Any(w => w.Equals("Postfix", StringComparison.OrdinalIgnoreCase)))
        {
            product = "Postfix smtpd";
        }
        else if (words.Any(w => w.Equals("Exim", StringComparison.OrdinalIgnoreCase)))
        {
            product = "Exim smtpd";
            version = VersionLike(After("Exim"));
        }
        else if (words.Any(w => w.Equals("Sendmail", StringComparison.OrdinalIgnoreCase)))
        {
            product = "Sendmail";
            version = VersionLike(After("Sendmail")?.TrimEnd(';'));
        }
        else if (words.Any(w => w.Equals("OpenSMTPD", StringComparison.OrdinalIgnoreCase)))
        {
            product = "OpenSMTPD";
        }
        else if (text.Contains("Microsoft ESMTP MAIL Service", StringComparison.OrdinalIgnoreCase))
        {
            product = "Microsoft ESMTP";
            version = VersionLike(After("Version:")?.TrimEnd(','));
        }

        if (greeting.Code != 220)
            extra = $"refused: {greeting.Code}";
        return new ServiceInfo
        {
            Name = "smtp",
            Probed = true,
            Product = product,
            Version = version,
            ExtraInfo = extra,
            ServiceHost = LooksLikeHostName(greeting.Domain) ? greeting.Domain : null,
            Banner = banner,
            SmtpExtensions = extensions?.Lines,
        };
    }

    /// <summary>
    /// From the reply to <c>HEAD /</c>: its Server header (RFC 9110 §10.2.4, <c>product/version (comment)</c>), e.g.
    /// <c>nginx/1.22.1</c> → nginx 1.22.1, <c>Apache/2.4.57 (Debian)</c> → Apache httpd 2.4.57 ((Debian)).
    /// </summary>
    public static ServiceInfo FromHttp(HttpResponseHead head, string banner)
    {
        string? server = head.Server?.Trim();
        string? product = null, version = null, extra = null, os = null;
        if (!string.IsNullOrEmpty(server))
        {
            int space = server.IndexOf(' ');
            string first = space < 0 ? server : server[..space];
            string rest = space < 0 ? "" : server[(space + 1)..].Trim();
            int slash = first.IndexOf('/');
            product = slash < 0 ? first : first[..slash];
            version = slash < 0 ? null : NullIfEmpty(first[(slash + 1)..]);
            extra = NullIfEmpty(rest);
            switch (product)
            {
                case "Apache":
                    product = "Apache httpd";
                    break;
                case "Microsoft-IIS":
                    product = "Microsoft IIS httpd";
                    os = "Windows";
                    break;
                case "SimpleHTTP":
                    // Python's http.server: "SimpleHTTP/0.6 Python/3.11.2" (Lib/http/server.py, version_string()).
                    product = "SimpleHTTPServer";
                    extra = extra?.Replace('/', ' ');
                    break;
                case "Caddy":
                    product = "Caddy httpd";
                    break;
            }
        }

        return new ServiceInfo
        {
            Name = "http",
            Probed = true,
            Product = product,
            Version = version,
            ExtraInfo = extra,
            OsType = os,
            Banner = banner,
            HttpServer = head.Server,
            HttpStatus = head.StatusCode,
        };
    }

    /// <summary>"OpenSSH_9.2p1" → (OpenSSH, 9.2p1); "Cisco-1.25" → (Cisco, 1.25); a name without a version stays whole.</summary>
    internal static (string Product, string? Version) SplitSoftware(string software)
    {
        for (int i = 1; i < software.Length - 1; i++)
        {
            if (software[i] is '_' or '-' && char.IsAsciiDigit(software[i + 1]))
                return (software[..i], software[(i + 1)..]);
        }

        return (software, null);
    }

    private static string? VersionLike(string? word) =>
        word is { Length: > 0 } && char.IsAsciiDigit(word[0]) ? word : null;

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;

    private static bool LooksLikeHostName(string domain) =>
        domain.Length > 0 && domain.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '[' or ']' or ':');
}
