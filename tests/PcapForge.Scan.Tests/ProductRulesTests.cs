using System.Text;
using PcapForge.Dissectors.Http;
using PcapForge.Dissectors.Smtp;
using PcapForge.Dissectors.Ssh;
using PcapForge.Scan.Services;

namespace PcapForge.Scan.Tests;

/// <summary>
/// Product and version from banners, read by the dissectors' parsers. The expected VERSION texts are what nmap 7.93
/// prints for the same banners (OpenSSH and nginx as seen in ScanAgainstNmapTests; the others from nmap-service-probes'
/// templates for those products).
/// </summary>
public sealed class ProductRulesTests
{
    private static ServiceInfo Ssh(string line)
    {
        Assert.True(SshIdentification.TryParse(line, out var id));
        return ProductRules.FromSsh(id, line);
    }

    [Theory]
    [InlineData("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3", "OpenSSH", "9.2p1", "Debian 2+deb12u3", "protocol 2.0", "Linux", "OpenSSH 9.2p1 Debian 2+deb12u3 (protocol 2.0)")]
    [InlineData("SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10", "OpenSSH", "8.9p1", "Ubuntu 3ubuntu0.10", "protocol 2.0", "Linux", "OpenSSH 8.9p1 Ubuntu 3ubuntu0.10 (protocol 2.0)")]
    [InlineData("SSH-2.0-OpenSSH_9.6", "OpenSSH", "9.6", null, "protocol 2.0", null, "OpenSSH 9.6 (protocol 2.0)")]
    [InlineData("SSH-2.0-OpenSSH_9.6 FreeBSD-20240104", "OpenSSH", "9.6", null, "FreeBSD-20240104; protocol 2.0", null, "OpenSSH 9.6 (FreeBSD-20240104; protocol 2.0)")]
    [InlineData("SSH-2.0-dropbear_2022.83", "Dropbear sshd", "2022.83", null, "protocol 2.0", null, "Dropbear sshd 2022.83 (protocol 2.0)")]
    [InlineData("SSH-1.99-Cisco-1.25", "Cisco", "1.25", null, "protocol 1.99", null, "Cisco 1.25 (protocol 1.99)")]
    [InlineData("SSH-2.0-Go", "Go", null, null, "protocol 2.0", null, "Go (protocol 2.0)")]
    public void SshIdentificationStrings(string line, string product, string? version, string? detail, string extra, string? os, string text)
    {
        var s = Ssh(line);
        Assert.Equal(("ssh", true, product, version, detail, extra, os), (s.Name, s.Probed, s.Product, s.Version, s.VersionDetail, s.ExtraInfo, s.OsType));
        Assert.Equal(text, s.VersionText);
        Assert.Equal(line, s.Banner);
    }

    private static ServiceInfo Smtp(string greeting, string? ehlo = null)
    {
        Assert.Equal(SmtpParseStatus.Done, SmtpReply.TryParse(Encoding.ASCII.GetBytes(greeting), out var reply, out _));
        Assert.True(SmtpGreeting.TryParse(reply!, out var g));
        SmtpExtensions? extensions = null;
        if (ehlo is not null)
        {
            Assert.Equal(SmtpParseStatus.Done, SmtpReply.TryParse(Encoding.ASCII.GetBytes(ehlo), out var r, out _));
            Assert.True(SmtpExtensions.TryParse(r!, out extensions));
        }

        return ProductRules.FromSmtp(g!, extensions, greeting.TrimEnd());
    }

    [Theory]
    [InlineData("220 mail.example.org ESMTP Postfix (Debian/GNU)\r\n", "Postfix smtpd", null, "mail.example.org", "Postfix smtpd")]
    [InlineData("220 mx.example.com ESMTP Exim 4.96 Mon, 24 Nov 2026 20:00:00 +0000\r\n", "Exim smtpd", "4.96", "mx.example.com", "Exim smtpd 4.96")]
    [InlineData("220 h.example.net ESMTP Sendmail 8.17.1/8.17.1; Mon, 24 Nov 2026 20:00:00 GMT\r\n", "Sendmail", "8.17.1/8.17.1", "h.example.net", "Sendmail 8.17.1/8.17.1")]
    [InlineData("220 smtp.example ESMTP OpenSMTPD\r\n", "OpenSMTPD", null, "smtp.example", "OpenSMTPD")]
    [InlineData("220-relay.example ESMTP\r\n220 no UCE\r\n", null, null, "relay.example", "")]
    public void SmtpGreetings(string greeting, string? product, string? version, string host, string text)
    {
        var s = Smtp(greeting, "250-relay\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 STARTTLS\r\n");
        Assert.Equal(("smtp", true, product, version, host), (s.Name, s.Probed, s.Product, s.Version, s.ServiceHost));
        Assert.Equal(text, s.VersionText);
        Assert.Equal(["PIPELINING", "SIZE 10240000", "STARTTLS"], s.SmtpExtensions);
    }

    [Fact]
    public void ARefusingGreetingSaysSo()
    {
        var s = Smtp("554 mail.example.org ESMTP not accepting connections\r\n");
        Assert.Equal("refused: 554", s.ExtraInfo);
        Assert.Null(s.SmtpExtensions);
    }

    private static ServiceInfo Http(string head)
    {
        Assert.Equal(HttpParseResult.Parsed, HttpResponseHead.TryParse(Encoding.ASCII.GetBytes(head), out var h));
        return ProductRules.FromHttp(h!, head);
    }

    [Theory]
    [InlineData("nginx/1.22.1", "nginx", "1.22.1", null, "nginx 1.22.1")]
    [InlineData("nginx", "nginx", null, null, "nginx")]
    [InlineData("Apache/2.4.57 (Debian)", "Apache httpd", "2.4.57", "(Debian)", "Apache httpd 2.4.57 ((Debian))")]
    [InlineData("SimpleHTTP/0.6 Python/3.11.2", "SimpleHTTPServer", "0.6", "Python 3.11.2", "SimpleHTTPServer 0.6 (Python 3.11.2)")]
    [InlineData("lighttpd/1.4.69", "lighttpd", "1.4.69", null, "lighttpd 1.4.69")]
    [InlineData("Microsoft-IIS/10.0", "Microsoft IIS httpd", "10.0", null, "Microsoft IIS httpd 10.0")]
    public void HttpServerHeaders(string server, string product, string? version, string? extra, string text)
    {
        var s = Http($"HTTP/1.1 200 OK\r\nServer: {server}\r\nContent-Length: 0\r\n\r\n");
        Assert.Equal(("http", true, product, version, extra), (s.Name, s.Probed, s.Product, s.Version, s.ExtraInfo));
        Assert.Equal(text, s.VersionText);
        Assert.Equal(server, s.HttpServer);
        Assert.Equal(200, s.HttpStatus);
    }

    [Fact]
    public void AnHttpReplyWithoutServerIsHttpWithoutProduct()
    {
        var s = Http("HTTP/1.0 404 Not Found\r\n\r\n");
        Assert.Equal(("http", null, 404), (s.Name, s.Product, s.HttpStatus));
        Assert.Equal("", s.VersionText);
    }

    [Fact]
    public void BannersKeepTextAndShowOtherBytes()
    {
        Assert.Equal("220 hi\nsecond", BannerText.From("220 hi\r\nsecond\r\n"u8));
        Assert.Equal("\\x00\\x01hi \\xff", BannerText.From([0, 1, (byte)'h', (byte)'i', (byte)' ', 0xFF]));
        Assert.Equal("grüße", BannerText.From("grüße"u8));
        Assert.Equal(BannerText.MaxLength, BannerText.From(new byte[5000].Select(_ => (byte)'a').ToArray()).Length);
    }
}
