using System.Text;

namespace PcapForge.TestSupport;

/// <summary>
/// First bytes of flows of many protocols, whole and cut short, for checking the stream dissectors' probes
/// (<see cref="StreamHarness.AssertProbeNoStricterThanParser"/>): each protocol's opening from either side, other
/// protocols' openings, binary and random bytes, and every prefix of each up to 24 bytes (a first segment may be short).
/// </summary>
public static class ProbeSamples
{
    /// <summary>Openings, as a client or a server sends them first.</summary>
    public static IReadOnlyList<byte[]> Openings { get; } =
    [
        Latin1("GET /index.html HTTP/1.1\r\nHost: example\r\n\r\n"),
        Latin1("POST /api HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi"),
        Latin1("get / HTTP/1.1\r\n\r\n"),
        Latin1("M-SEARCH * HTTP/1.1\r\n\r\n"),
        Latin1("PROPFIND /dav HTTP/1.1\r\n\r\n"),
        Latin1("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        Latin1("HTTP/1.0 404 Not Found\r\n\r\n"),
        Latin1("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"),
        Latin1("SSH-1.99-Cisco-1.25\r\n"),
        Latin1("SSH-1.5-old\n"),
        Latin1("Welcome to the server\r\nSSH-2.0-dropbear\r\n"),
        Latin1("220 mail.example ESMTP Postfix\r\n"),
        Latin1("220-first line\r\n220 second\r\n"),
        Latin1("421 too busy\r\n"),
        Latin1("EHLO client.example\r\n"),
        Latin1("HELO client\r\n"),
        Latin1("ehlo x\r\n"),
        Latin1("MAIL FROM:<a@b>\r\n"),
        Latin1("QUIT\r\n"),
        Latin1("TOY hello\n"),
        Latin1("+OK POP3 ready\r\n"),
        Latin1("* OK IMAP4rev1 ready\r\n"),
        Latin1("USER anonymous\r\n"),
        Latin1("\r\n"),
        Latin1(" leading space\r\n"),
        DnsQuery(tcp: false),
        DnsQuery(tcp: true),
        DnsResponse(tcp: false),
        DnsResponse(tcp: true),
        [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03], // TLS ClientHello
        [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
        [0xff, 0xfe, 0x00, 0x41, 0x0d, 0x0a],
        [0x05, 0x01, 0x00], // SOCKS5
        Latin1("\u0080\u0081 high bytes\n"),
        Latin1(new string('A', 250) + "\nTOY one\n"), // a first line longer than a parser's line limit
        Latin1("TOY " + new string('A', 250) + "\n"),
        .. Random(20),
    ];

    /// <summary>The openings and every prefix of each up to 24 bytes.</summary>
    public static IEnumerable<byte[]> WithPrefixes()
    {
        foreach (var opening in Openings)
        {
            for (int n = 1; n < Math.Min(opening.Length, 25); n++)
                yield return opening[..n];
            yield return opening;
        }
    }

    private static byte[] Latin1(string s) => Encoding.Latin1.GetBytes(s);

    /// <summary>A query for example.com A, id 0x1234, recursion desired; over TCP with its two-byte length.</summary>
    private static byte[] DnsQuery(bool tcp) => Frame(tcp,
        [0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
         7, (byte)'e', (byte)'x', (byte)'a', (byte)'m', (byte)'p', (byte)'l', (byte)'e', 3, (byte)'c', (byte)'o', (byte)'m', 0,
         0x00, 0x01, 0x00, 0x01]);

    /// <summary>Its answer, one A record 192.0.2.1 with a pointer to the question's name.</summary>
    private static byte[] DnsResponse(bool tcp) => Frame(tcp,
        [0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
         7, (byte)'e', (byte)'x', (byte)'a', (byte)'m', (byte)'p', (byte)'l', (byte)'e', 3, (byte)'c', (byte)'o', (byte)'m', 0,
         0x00, 0x01, 0x00, 0x01,
         0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x04, 192, 0, 2, 1]);

    private static byte[] Frame(bool tcp, byte[] message) =>
        tcp ? [(byte)(message.Length >> 8), (byte)message.Length, .. message] : message;

    /// <summary>Random payloads of 1 to 64 bytes, the same on every run.</summary>
    private static IEnumerable<byte[]> Random(int count)
    {
        var random = new Random(20261125);
        for (int i = 0; i < count; i++)
        {
            var data = new byte[random.Next(1, 65)];
            random.NextBytes(data);
            yield return data;
        }
    }
}
