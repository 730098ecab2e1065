using System.Globalization;
using System.Text;

namespace PcapForge.Bench.Synthesis;

/// <summary>
/// An SMTP relay session (RFC 5321) with a Postfix server: 220 greeting, EHLO and its multi-line 250 reply, MAIL
/// FROM, one to three RCPT TO, DATA, a message with RFC 5322 headers and a text body (some with a base64 attachment,
/// RFC 2045), the terminating dot line, QUIT and 221; the server closes the connection.
/// </summary>
public sealed class SmtpSession : TimedSession
{
    private static readonly string[] Users = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"];
    private static readonly string[] Domains = ["example.com", "example.net", "example.org", "mail.example"];

    private static readonly string[] Subjects =
    [
        "Quarterly report", "Re: meeting notes", "Invoice 2024-0311", "Build failed on main", "Lunch on Friday?",
        "Fwd: travel itinerary", "Password expiry notice", "Re: Re: draft proposal",
    ];

    private readonly string _serverName;
    private readonly string _clientName;
    private readonly TextPool _text;

    public SmtpSession(Random random, PayloadPool payloads, PathTiming timing, FlowClock clock, string serverName, string clientName, TextPool text)
        : base(random, payloads, timing, clock)
    {
        _serverName = serverName;
        _clientName = clientName;
        _text = text;
    }

    public override ushort ServerPort => 25;

    protected override IEnumerable<SegmentPlan> Plan()
    {
        foreach (var s in TimedHandshake())
            yield return s;

        string from = Address();
        int recipients = Random.Next(1, 4);
        var to = new string[recipients];
        for (int i = 0; i < recipients; i++)
            to[i] = Address();

        foreach (var s in Reply($"220 {_serverName} ESMTP Postfix (Debian/GNU)\r\n", Between(500_000, 5_000_000)))
            yield return s;
        foreach (var s in Command($"EHLO {_clientName}\r\n"))
            yield return s;
        foreach (var s in Reply(
                     $"250-{_serverName}\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n",
                     Between(100_000, 2_000_000)))
            yield return s;
        foreach (var s in Command($"MAIL FROM:<{from}>\r\n"))
            yield return s;
        foreach (var s in Reply("250 2.1.0 Ok\r\n", Between(100_000, 1_000_000)))
            yield return s;
        foreach (string rcpt in to)
        {
            foreach (var s in Command($"RCPT TO:<{rcpt}>\r\n"))
                yield return s;
            foreach (var s in Reply("250 2.1.5 Ok\r\n", Between(200_000, 20_000_000)))
                yield return s;
        }

        foreach (var s in Command("DATA\r\n"))
            yield return s;
        foreach (var s in Reply("354 End data with <CR><LF>.<CR><LF>\r\n", Between(50_000, 500_000)))
            yield return s;
        foreach (var s in Transfer(true, MessageText(from, to), Answer(true, Between(100_000, 1_000_000)), finalAck: false))
            yield return s;
        // Content filters (spam and virus checks) run before the message is accepted.
        foreach (var s in Reply($"250 2.0.0 Ok: queued as {QueueId()}\r\n", Between(5_000_000, 400_000_000)))
            yield return s;
        foreach (var s in Command("QUIT\r\n"))
            yield return s;
        foreach (var s in Reply("221 2.0.0 Bye\r\n", Between(50_000, 300_000)))
            yield return s;
        foreach (var s in TimedClose(clientFirst: false, Between(20_000, 200_000)))
            yield return s;
    }

    private IEnumerable<SegmentPlan> Command(string line) =>
        Message(true, Encoding.ASCII.GetBytes(line), Answer(true, Between(100_000, 2_000_000)));

    private IEnumerable<SegmentPlan> Reply(string lines, long processingNs) =>
        Reply(false, [Encoding.ASCII.GetBytes(lines)], processingNs, finalAck: false);

    private string Address() => $"{Users[Random.Next(Users.Length)]}@{Domains[Random.Next(Domains.Length)]}";

    /// <summary>A Postfix long queue id: 10 characters of time, 'z', 3 of inode (base 52, no vowels in the alphabet used here).</summary>
    private string QueueId()
    {
        const string alphabet = "0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxy";
        var id = new StringBuilder(14);
        for (int i = 0; i < 14; i++)
            id.Append(i == 10 ? 'z' : alphabet[Random.Next(alphabet.Length)]);
        return id.ToString();
    }

    /// <summary>The message as DATA sends it: headers, body lines (none starts with '.'), and the terminating ".".</summary>
    private IEnumerable<ReadOnlyMemory<byte>> MessageText(string from, string[] to)
    {
        var date = DateTimeOffset.FromUnixTimeMilliseconds(Clock.NowNs / 1_000_000);
        bool attachment = Random.NextDouble() < 0.3;
        string boundary = $"=_b{Random.Next():x8}";
        var h = new StringBuilder(1024);
        h.Append("Date: ").Append(date.ToString("ddd, dd MMM yyyy HH:mm:ss +0000", CultureInfo.InvariantCulture)).Append("\r\n");
        h.Append("From: ").Append(from).Append("\r\n");
        h.Append("To: ").AppendJoin(", ", to).Append("\r\n");
        h.Append("Subject: ").Append(Subjects[Random.Next(Subjects.Length)]).Append("\r\n");
        h.Append("Message-ID: <").Append(date.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture)).Append('.')
            .Append(Random.Next().ToString("X8", CultureInfo.InvariantCulture)).Append('@').Append(_clientName).Append(">\r\n");
        h.Append("MIME-Version: 1.0\r\n");
        if (attachment)
        {
            h.Append("Content-Type: multipart/mixed; boundary=\"").Append(boundary).Append("\"\r\n\r\n");
            h.Append("--").Append(boundary).Append("\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n");
        }
        else
        {
            h.Append("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n");
        }

        yield return Encoding.ASCII.GetBytes(h.ToString());
        yield return _text.Prose(Random, Random.Next(300, 12_000));
        if (attachment)
        {
            yield return Encoding.ASCII.GetBytes(
                $"\r\n--{boundary}\r\nContent-Type: application/pdf; name=\"report-{Random.Next(1000, 9999)}.pdf\"\r\nContent-Disposition: attachment\r\nContent-Transfer-Encoding: base64\r\n\r\n");
            for (long left = Random.Next(8_000, 1_500_000); left > 0; left -= TextPool.Base64Piece)
                yield return _text.Base64(Random, (int)Math.Min(left, TextPool.Base64Piece));
            yield return Encoding.ASCII.GetBytes($"\r\n--{boundary}--\r\n");
        }

        yield return SmtpEnd;
    }

    /// <summary>The end of DATA (RFC 5321 section 4.1.1.4): a line holding only ".".</summary>
    private static readonly byte[] SmtpEnd = ".\r\n"u8.ToArray();
}

/// <summary>
/// Seeded text for message bodies, made once: prose lines of words (at most 76 characters, none starting with
/// '.') and base64 lines of 76 characters, each ending in CRLF. A slice always starts and ends on a line boundary.
/// </summary>
public sealed class TextPool
{
    /// <summary>Largest base64 slice handed out at once.</summary>
    public const int Base64Piece = 16 * 78;

    private const int Base64Line = 78; // 76 characters and CRLF (RFC 2045 section 6.8)

    private static readonly string[] Words =
    [
        "the", "report", "attached", "please", "review", "before", "meeting", "thanks", "regards", "schedule", "project",
        "update", "budget", "team", "next", "week", "deadline", "draft", "comments", "agreed", "we", "will", "send",
        "final", "version", "customer", "release", "notes", "server", "migration", "tomorrow", "morning", "and", "of",
    ];

    private readonly byte[] _prose;
    private readonly int[] _lineStarts;
    private readonly byte[] _base64;

    public TextPool(Random random, int proseBytes = 256 * 1024, int base64Lines = 8192)
    {
        var text = new StringBuilder(proseBytes + 100);
        var starts = new List<int>();
        while (text.Length < proseBytes)
        {
            starts.Add(text.Length);
            int lineStart = text.Length, width = random.Next(40, 77);
            do
                text.Append(text.Length == lineStart ? "" : " ").Append(Words[random.Next(Words.Length)]);
            while (text.Length - lineStart < width - 10);
            text.Append(random.Next(6) == 0 ? ".\r\n\r\n" : "\r\n");
        }

        _prose = Encoding.ASCII.GetBytes(text.ToString());
        _lineStarts = starts.ToArray();
        byte[] raw = new byte[57]; // 57 bytes encode to exactly 76 characters
        var lines = new StringBuilder(base64Lines * Base64Line);
        for (int i = 0; i < base64Lines; i++)
        {
            random.NextBytes(raw);
            lines.Append(Convert.ToBase64String(raw)).Append("\r\n");
        }

        _base64 = Encoding.ASCII.GetBytes(lines.ToString());
    }

    /// <summary>About <paramref name="length"/> bytes of prose: whole lines from a random line on.</summary>
    public ReadOnlyMemory<byte> Prose(Random random, int length)
    {
        int first = random.Next(_lineStarts.Length / 2);
        int start = _lineStarts[first];
        int end = Math.Min(_prose.Length, start + length);
        int last = Array.BinarySearch(_lineStarts, end);
        end = last >= 0 ? end : ~last < _lineStarts.Length ? _lineStarts[~last] : _prose.Length;
        return _prose.AsMemory(start, end - start);
    }

    /// <summary>Exactly <paramref name="length"/> bytes of prose (at most the pool's size), from a random place.</summary>
    public ReadOnlyMemory<byte> Text(Random random, int length)
    {
        length = Math.Min(length, _prose.Length);
        return _prose.AsMemory(random.Next(_prose.Length - length + 1), length);
    }

    /// <summary>Whole base64 lines, about <paramref name="length"/> bytes.</summary>
    public ReadOnlyMemory<byte> Base64(Random random, int length)
    {
        int lines = Math.Max(1, length / Base64Line);
        int first = random.Next(_base64.Length / Base64Line - lines);
        return _base64.AsMemory(first * Base64Line, lines * Base64Line);
    }
}
