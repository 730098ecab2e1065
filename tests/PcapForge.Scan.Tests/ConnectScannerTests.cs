using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PcapForge.Scan.Scanning;
using PcapForge.Scan.Targets;

namespace PcapForge.Scan.Tests;

/// <summary>The connect scan and -sV against servers the test runs on the loopback address.</summary>
public sealed class ConnectScannerTests
{
    private static readonly ScanTarget Local = new(IPAddress.Loopback, null, "127.0.0.1");

    private static async Task<ScanRun> Scan(IEnumerable<int> ports, bool versions = true, ScanTarget? target = null, Func<ScanOptions, ScanOptions>? adjust = null,
        CancellationToken cancel = default)
    {
        var options = new ScanOptions
        {
            Ports = ports.ToArray(),
            ServiceDetection = versions,
            BannerWait = TimeSpan.FromMilliseconds(500),
            Timeout = TimeSpan.FromMilliseconds(1000),
        };
        return await new ConnectScanner(adjust?.Invoke(options) ?? options).RunAsync([target ?? Local], cancel);
    }

    private static PortResult Only(ScanRun run) => Assert.Single(run.Results);

    [Fact]
    public async Task ConnectedIsOpenAndRefusedIsClosed()
    {
        using var server = new LoopbackServer(LoopbackServer.Silent());
        int closed = LoopbackServer.ClosedPort();
        var run = await Scan([closed, server.Port], versions: false);

        Assert.Equal([Math.Min(closed, server.Port), Math.Max(closed, server.Port)], run.Results.Select(r => r.Port));
        var open = run.Results.Single(r => r.Port == server.Port);
        Assert.Equal((PortState.Open, "syn-ack", "open"), (open.State, open.Reason, open.StateName));
        Assert.NotNull(open.ConnectTime);
        // The kernel's handshake RTT on loopback is microseconds, and never more than the wall-clock connect time.
        Assert.NotNull(open.Rtt);
        Assert.InRange(open.Rtt!.Value, TimeSpan.FromTicks(1), open.ConnectTime!.Value + TimeSpan.FromMilliseconds(1));
        Assert.Null(open.Service);
        var refused = run.Results.Single(r => r.Port == closed);
        Assert.Equal((PortState.Closed, "conn-refused", "closed"), (refused.State, refused.Reason, refused.StateName));
        Assert.NotNull(refused.ConnectTime);
        Assert.Null(refused.Rtt);
        Assert.Equal(0, run.NotScanned);
        Assert.False(run.DeadlineReached);
    }

    [Fact]
    public async Task Ipv6LoopbackIsScannedToo()
    {
        using var server = new LoopbackServer(LoopbackServer.Banner("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"), IPAddress.IPv6Loopback);
        var r = Only(await Scan([server.Port], target: new ScanTarget(IPAddress.IPv6Loopback, null, "::1")));
        Assert.Equal(PortState.Open, r.State);
        Assert.Equal("OpenSSH 9.2p1 Debian 2+deb12u3 (protocol 2.0)", r.Service!.VersionText);
    }

    [Fact]
    public async Task AnSshServerIsKnownByItsIdentificationString()
    {
        // RFC 4253 §4.2: a server may send other lines before its identification string.
        using var server = new LoopbackServer(LoopbackServer.Banner("Welcome to the test host\r\nSSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"));
        var s = Only(await Scan([server.Port])).Service!;
        Assert.Equal(("ssh", true, "OpenSSH", "9.2p1", "Debian 2+deb12u3", "protocol 2.0", "Linux", "2.0"),
            (s.Name, s.Probed, s.Product, s.Version, s.VersionDetail, s.ExtraInfo, s.OsType, s.SshProtoVersion));
        Assert.Equal("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3", s.Banner);
    }

    [Fact]
    public async Task AnSmtpServerIsGreetedWithEhloAndLeftWithQuit()
    {
        using var server = new LoopbackServer(LoopbackServer.Smtp("220-mail.example.org ESMTP Postfix (Debian/GNU)\r\n220 welcome\r\n",
            line => line.StartsWith("EHLO", StringComparison.Ordinal) ? "250-mail.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 STARTTLS\r\n" : "221 2.0.0 Bye\r\n"));
        var s = Only(await Scan([server.Port])).Service!;
        Assert.Equal(("smtp", true, "Postfix smtpd", "mail.example.org"), (s.Name, s.Probed, s.Product, s.ServiceHost));
        Assert.Equal(["PIPELINING", "SIZE 10240000", "STARTTLS"], s.SmtpExtensions);
        Assert.Equal("220-mail.example.org ESMTP Postfix (Debian/GNU)\n220 welcome", s.Banner);
        await WaitFor(() => server.Received.Count >= 2);
        // RFC 5321 §4.1.3: the client names itself by its address literal.
        Assert.Equal(["EHLO [127.0.0.1]", "QUIT"], server.Received);
    }

    [Fact]
    public async Task AnFtpGreetingIsNotTakenForSmtp()
    {
        // RFC 959 greets with 220 too; such a server refuses EHLO.
        using var server = new LoopbackServer(LoopbackServer.Smtp("220 ProFTPD Server ready.\r\n", _ => "500 EHLO not understood\r\n"));
        var s = Only(await Scan([server.Port])).Service!;
        Assert.False(s.Probed);
        Assert.Equal(Ports.NmapServices.NameOf(server.Port), s.Name);
        Assert.Equal("220 ProFTPD Server ready.", s.Banner);
        Assert.Null(s.Product);
    }

    [Fact]
    public async Task ASilentServerGetsHeadThenGetForItsTitle()
    {
        using var server = new LoopbackServer(LoopbackServer.Http(request => request.StartsWith("HEAD", StringComparison.Ordinal)
            ? "HTTP/1.1 200 OK\r\nServer: TestServer/1.2 (Ubuntu)\r\nContent-Type: text/html\r\n\r\n"
            : "HTTP/1.1 200 OK\r\nServer: TestServer/1.2 (Ubuntu)\r\nContent-Type: text/html\r\n\r\n<html><head><title>\n  Lab &amp; Test </title></head><body>x</body></html>"));
        var s = Only(await Scan([server.Port])).Service!;
        Assert.Equal(("http", true, "TestServer", "1.2", "(Ubuntu)", 200, "TestServer/1.2 (Ubuntu)"), (s.Name, s.Probed, s.Product, s.Version, s.ExtraInfo, s.HttpStatus, s.HttpServer));
        Assert.Equal("Lab & Test", s.HttpTitle);
        Assert.Equal("HTTP/1.1 200 OK\nServer: TestServer/1.2 (Ubuntu)\nContent-Type: text/html", s.Banner);
        var requests = server.Received.ToArray();
        Assert.Equal(2, requests.Length);
        Assert.StartsWith($"HEAD / HTTP/1.0|Host: 127.0.0.1:{server.Port}|User-Agent: PcapForge/", requests[0]);
        Assert.StartsWith($"GET / HTTP/1.0|Host: 127.0.0.1:{server.Port}|", requests[1]);
    }

    [Fact]
    public async Task ABannerLaterThanTheWaitIsStillRead()
    {
        // The server speaks after the banner wait, so it gets the HTTP probe first; its reply is then read as a banner.
        using var server = new LoopbackServer(async (s, _, c) =>
        {
            await Task.Delay(300, c);
            await s.SendAsync("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"u8.ToArray(), c);
            await Task.Delay(2000, c);
        });
        // The reply to the probe is waited for up to Timeout; 3 s rather than the class's 1 s, so that a loaded machine
        // (CI runs the test projects side by side) still delivers the line sent at 300 ms within it.
        var s = Only(await Scan([server.Port], adjust: o => o with { BannerWait = TimeSpan.FromMilliseconds(100), Timeout = TimeSpan.FromSeconds(3) })).Service!;
        Assert.Equal(("ssh", "OpenSSH"), (s.Name, s.Product));
    }

    [Fact]
    public async Task AServerThatClosesAtOnceIsTcpwrapped()
    {
        using var server = new LoopbackServer(LoopbackServer.CloseAtOnce());
        var s = Only(await Scan([server.Port])).Service!;
        Assert.Equal(("tcpwrapped", true), (s.Name, s.Probed));
    }

    [Fact]
    public async Task AnUnknownBannerIsKeptUnderThePortsUsualName()
    {
        using var server = new LoopbackServer(LoopbackServer.Bytes([0x00, 0x01, (byte)'h', (byte)'i', (byte)'\r', (byte)'\n']));
        var s = Only(await Scan([server.Port])).Service!;
        Assert.Equal((false, "\\x00\\x01hi"), (s.Probed, s.Banner));
    }

    [Fact]
    public async Task AServerSilentToTheHttpProbeStaysUnidentified()
    {
        using var server = new LoopbackServer(LoopbackServer.Silent());
        var r = Only(await Scan([server.Port], adjust: o => o with { BannerWait = TimeSpan.FromMilliseconds(200), Timeout = TimeSpan.FromMilliseconds(300) }));
        Assert.Equal(PortState.Open, r.State);
        Assert.Equal((false, null, null), (r.Service!.Probed, r.Service.Banner, r.Service.Product));
    }

    /// <summary>
    /// An SMTP server inside TLS from the first byte (SMTPS, RFC 8314): silent in the clear, it drops a connection
    /// whose first bytes are not a TLS handshake. The probe then tries TLS and greets it inside.
    /// </summary>
    [Fact]
    public async Task ASilentServerThatSpeaksTlsIsProbedInsideTheSession()
    {
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=mail.example.org", rsa,
            System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        // A certificate whose key lives in memory only: export and load it again so that SslStream can use the key.
        using var serverCertificate = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12(certificate.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pfx), null);
        using var server = new LoopbackServer(async (socket, srv, cancel) =>
        {
            await using var tls = new System.Net.Security.SslStream(new NetworkStream(socket, ownsSocket: false));
            await tls.AuthenticateAsServerAsync(new System.Net.Security.SslServerAuthenticationOptions { ServerCertificate = serverCertificate }, cancel);
            await tls.WriteAsync("220 mail.example.org ESMTP Postfix\r\n"u8.ToArray(), cancel);
            var buffer = new byte[1024];
            while (await tls.ReadAsync(buffer, cancel) is > 0 and var n)
            {
                string line = System.Text.Encoding.ASCII.GetString(buffer, 0, n);
                srv.Received.Enqueue(line.TrimEnd());
                await tls.WriteAsync(System.Text.Encoding.ASCII.GetBytes(line.StartsWith("EHLO", StringComparison.Ordinal)
                    ? "250-mail.example.org\r\n250-PIPELINING\r\n250 8BITMIME\r\n" : "221 2.0.0 Bye\r\n"), cancel);
            }
        });

        var s = Only(await Scan([server.Port], adjust: o => o with { BannerWait = TimeSpan.FromMilliseconds(300), Timeout = TimeSpan.FromSeconds(3) })).Service!;
        Assert.Equal(("smtp", "ssl", "Postfix smtpd", true), (s.Name, s.Tunnel, s.Product, s.Probed));
        Assert.Equal("ssl/smtp", s.DisplayName);
        Assert.Contains("PIPELINING", s.SmtpExtensions!);
        Assert.Equal("CN=mail.example.org", s.Tls!.Subject);
        Assert.Equal(Convert.ToHexStringLower(certificate.GetCertHash(System.Security.Cryptography.HashAlgorithmName.SHA256)), s.Tls.Sha256);
        Assert.Contains(server.Received, l => l.StartsWith("EHLO [127.0.0.1]", StringComparison.Ordinal));
    }

    [Fact]
    public void ATlsRecordIsToldFromText()
    {
        Assert.True(PcapForge.Scan.Services.ServiceProber.IsTlsRecord([21, 3, 3, 0, 2, 2, 70]));   // alert: handshake_failure
        Assert.True(PcapForge.Scan.Services.ServiceProber.IsTlsRecord([22, 3, 1, 0, 5]));
        Assert.False(PcapForge.Scan.Services.ServiceProber.IsTlsRecord("HTTP/1.1 400"u8));
        Assert.False(PcapForge.Scan.Services.ServiceProber.IsTlsRecord([21, 3]));
    }

    [Fact]
    public async Task TheRateSpacesConnectionAttempts()
    {
        var ports = Enumerable.Range(0, 11).Select(_ => LoopbackServer.ClosedPort()).Distinct().ToArray();
        var clock = Stopwatch.StartNew();
        var run = await Scan(ports, versions: false, adjust: o => o with { Rate = 20, Concurrency = 50 });
        clock.Stop();
        Assert.Equal(ports.Length, run.Results.Count);
        // n attempts at 20/s take at least (n - 1) / 20 s, whatever the concurrency allows.
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds((ports.Length - 1) / 20.0 - 0.02), $"{ports.Length} attempts in {clock.Elapsed}");
    }

    [Fact]
    public async Task NoMoreConnectionsAreOpenThanTheConcurrencyAllows()
    {
        // Silent servers hold each connection for the banner wait and the HTTP probe, so the scan's connections overlap.
        var gauge = new LoopbackServer.Gauge();
        var servers = Enumerable.Range(0, 8).Select(_ => new LoopbackServer(LoopbackServer.Silent(), gauge: gauge)).ToList();
        try
        {
            var run = await Scan(servers.Select(s => s.Port), adjust: o => o with
            {
                Concurrency = 3, BannerWait = TimeSpan.FromMilliseconds(300), Timeout = TimeSpan.FromMilliseconds(200),
            });
            Assert.All(run.Results, r => Assert.Equal(PortState.Open, r.State));
            // The scan's connection, then (silent after HEAD: it may speak TLS) one for a TLS handshake, never both at once.
            Assert.All(servers, s => Assert.Equal(2, s.Accepted));
            // At most 3 on the scanner's side; the servers may count one more for an instant, as a handler sees the
            // scanner's close on a thread-pool hop that can come after the next connection was accepted. Without a
            // bound all 8 would be open at once.
            Assert.InRange(gauge.Max, 2, 4);
        }
        finally
        {
            servers.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task TheDeadlineStopsTheScanWithWhatItHas()
    {
        var servers = Enumerable.Range(0, 6).Select(_ => new LoopbackServer(LoopbackServer.Silent())).ToList();
        try
        {
            var clock = Stopwatch.StartNew();
            var run = await Scan(servers.Select(s => s.Port), adjust: o => o with
            {
                Concurrency = 1, BannerWait = TimeSpan.FromSeconds(5), MaxTime = TimeSpan.FromMilliseconds(400),
            });
            clock.Stop();
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.Elapsed}");
            Assert.True(run.DeadlineReached);
            Assert.Equal(6 - run.Results.Count, run.NotScanned);
            Assert.True(run.NotScanned >= 5);
        }
        finally
        {
            servers.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task CancellingEndsTheScanWithoutAResult()
    {
        using var server = new LoopbackServer(LoopbackServer.Silent());
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Scan([server.Port], adjust: o => o with { BannerWait = TimeSpan.FromSeconds(10) }, cancel: cancel.Token));
    }

    [Fact]
    public async Task TooManyProbesAreRefusedBeforeAnyIsSent()
    {
        var targets = Enumerable.Range(1, 65).Select(i => new ScanTarget(IPAddress.Parse($"127.0.0.{i}"), null, "x")).ToList();
        var scanner = new ConnectScanner(new ScanOptions { Ports = Enumerable.Range(1, 65535).ToArray() });
        var e = await Assert.ThrowsAsync<ScanUsageException>(() => scanner.RunAsync(targets, CancellationToken.None));
        Assert.Contains("at most 4,194,304", e.Message);
    }

    [Fact]
    public void AConnectionToItselfIsRecognised()
    {
        // Bound to the port it connects to, a socket meets itself (TCP simultaneous open), with nothing listening.
        int port = LoopbackServer.ClosedPort();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
        socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
        Assert.True(ConnectScanner.IsSelfConnection(socket));

        using var server = new LoopbackServer(LoopbackServer.Silent());
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(new IPEndPoint(IPAddress.Loopback, server.Port));
        Assert.False(ConnectScanner.IsSelfConnection(client));
    }

    [Theory]
    [InlineData(SocketError.ConnectionRefused, PortState.Closed, "conn-refused")]
    [InlineData(SocketError.TimedOut, PortState.Filtered, "no-response")]
    [InlineData(SocketError.HostUnreachable, PortState.Filtered, "host-unreach")]
    [InlineData(SocketError.NetworkUnreachable, PortState.Filtered, "net-unreach")]
    [InlineData(SocketError.AccessDenied, PortState.Filtered, "admin-prohibited")]
    public void ConnectErrorsMapToNmapStates(SocketError error, PortState state, string reason) =>
        Assert.Equal((state, reason), ConnectScanner.Classify(error));

    private static async Task WaitFor(Func<bool> condition)
    {
        for (int i = 0; i < 100 && !condition(); i++)
            await Task.Delay(20);
    }
}
