using PcapForge.Abstractions.Dissection;
using static PcapForge.Dissectors.Smtp.Tests.SmtpParserTests;
using static PcapForge.TestSupport.StreamMessage;

namespace PcapForge.Dissectors.Smtp.Tests;

/// <summary>
/// Malformed and hostile inputs: each gives its named anomaly and the connection after it is still parsed (a QUIT
/// at the end gets its row and its 221). Non-SMTP peers are rejected on their first bytes, without rows or anomalies.
/// </summary>
public class SmtpMalformedTests
{
    private static readonly StreamHarness Smtp = SmtpParserTests.Smtp;

    private static readonly string[] Ignored = ["ts", "frame", "reply_frame", "reply_ts"];

    private static readonly StreamMessage[] Quit = [Client("QUIT\r\n"), Server("221 bye\r\n")];

    private static StreamMessage[] Transaction(string body) =>
    [
        Client("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n"), Server("250 ok\r\n250 ok\r\n354 go\r\n"),
        Client(body), Server("250 queued\r\n"),
    ];

    private static string Lines(int count, string line) => string.Concat(Enumerable.Repeat(line, count));

    public static TheoryData<string, string, StreamMessage[]> Cases() => new()
    {
        { "garbage line from the server", "smtp.malformed_reply", [Server("hello there\r\n"), Client("NOOP\r\n"), Server("250 ok\r\n")] },
        { "a multi-line reply that changes its code", "smtp.malformed_reply", [Client("NOOP\r\n"), Server("250-first\r\n251 second\r\n")] },
        { "a command line of 5000 bytes", "smtp.line_too_long", [Client("NOOP " + new string('x', 5000) + "\r\n"), Server("250 ok\r\n")] },
        { "a reply line of 5000 bytes", "smtp.line_too_long", [Client("NOOP\r\n"), Server("250 " + new string('x', 5000) + "\r\n")] },
        { "a message line of 5000 bytes", "smtp.line_too_long", Transaction("Subject: s\r\n\r\n" + new string('x', 5000) + "\r\n.\r\n") },
        { "an unknown verb", "smtp.unknown_command", [Client("FOO bar\r\n"), Server("500 5.5.2 unknown\r\n")] },
        { "an empty command line", "smtp.unknown_command", [Client("\r\n"), Server("500 5.5.2 empty\r\n")] },
        { "MAIL without FROM:", "smtp.malformed_command", [Client("MAIL alice@example.com\r\n"), Server("501 5.5.4 syntax\r\n")] },
        { "RCPT without TO:", "smtp.malformed_command", [Client("RCPT <bob@example.org>\r\n"), Server("501 5.5.4 syntax\r\n")] },
        { "BDAT without a size", "smtp.malformed_command", [Client("BDAT ten LAST\r\n"), Server("501 5.5.4 syntax\r\n")] },
        { "AUTH PLAIN that is not base64", "smtp.malformed_command", [Client("AUTH PLAIN ***\r\n"), Server("501 5.5.2 bad base64\r\n")] },
        { "a header field of 10 folded kilobytes", "smtp.header_too_long", Transaction("Subject: s" + Lines(10, " " + new string('y', 1000) + "\r\n") + "From: after@example.com\r\n\r\nbody\r\n.\r\n") },
        { "a header section of 70 kilobytes", "smtp.header_section_too_large", Transaction(Lines(70, "X-Filler: " + new string('z', 990) + "\r\n") + "\r\nbody\r\n.\r\n") },
        { "1001 addresses in To", "smtp.too_many_addresses", Transaction("To: " + string.Join(",", Enumerable.Range(0, 1001).Select(i => $"u{i}@x")) + "\r\n\r\n.\r\n") },
        { "an extra reply", "smtp.unmatched_reply", [Client("NOOP\r\n"), Server("250 ok\r\n250 again\r\n")] },
        { "a reply in the middle of message data", "smtp.reply_during_data",
            [Client("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"), Server("250 ok\r\n250 ok\r\n354 go\r\n"), Client("Subject: s\r\n\r\npart"), Server("552 5.3.4 too big\r\n"), Client("\r\n")] },
        { "end of data after a bare LF", "smtp.data_end_bare_lf", Transaction("Subject: s\r\n\r\nsmuggled\n.\r\n") },
        { "end of data as a bare LF line", "smtp.data_end_bare_lf", Transaction("Subject: s\r\n\r\nsmuggled\r\n.\n") },
        { "message data sent before the 354", "smtp.client_did_not_wait",
            [Client("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nSubject: early\r\n\r\n" + Lines(50, new string('w', 98) + "\r\n") + ".\r\n"), Server("250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n")] },
        { "a reply of 201 lines", "smtp.reply_too_large", [Client("HELP\r\n"), Server(Lines(200, "214-help\r\n") + "214 end\r\n")] },
        { "70 commands without replies", "smtp.too_many_pending_commands", [Client(Lines(70, "NOOP\r\n")), Server(Lines(70, "250 ok\r\n"))] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_malformed_input_gives_its_anomaly_and_the_rest_is_parsed(string what, string anomaly, StreamMessage[] middle)
    {
        StreamMessage[] messages = [.. Opening, .. middle, .. Quit];
        var run = RunEveryWay(messages);
        Assert.True(run.Confirmed, what);
        Assert.Contains(anomaly, run.AnomalyNames);
        var last = run["smtp_commands"][^1];
        Assert.Equal("QUIT", last["command"]);
        Assert.Equal(221, last["reply_code"]);
    }

    [Fact]
    public void A_gap_gives_its_anomaly_and_the_rest_is_parsed()
    {
        var run = Smtp.Run([.. Opening, Client("NOOP\r\nNO"), Gap(StreamDirection.FromOriginator, 3), Client("P\r\n"), Server("250 ok\r\n"), .. Quit]);
        Assert.Equal(["smtp.gap"], run.AnomalyNames);
        Assert.Equal(["EHLO", "NOOP", "QUIT"], run["smtp_commands"].Skip(1).Select(c => (string?)c["command"]));
        Assert.Equal(221, run["smtp_commands"][^1]["reply_code"]);
    }

    [Fact]
    public void A_gap_in_a_BDAT_chunk_keeps_counting_the_chunk()
    {
        var run = Smtp.Run(
        [
            .. Opening, Client("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nBDAT 20 LAST\r\nSubject: a"), Gap(StreamDirection.FromOriginator, 5), Client("bcd\r\n"),
            Server("250 ok\r\n250 ok\r\n250 queued\r\n"), .. Quit,
        ]);
        Assert.Equal(["smtp.gap"], run.AnomalyNames);
        Assert.Equal(true, Assert.Single(run["smtp"])["accepted"]);
        Assert.Equal("QUIT", run["smtp_commands"][^1]["command"]);
    }

    [Fact]
    public void A_connection_that_ends_inside_data_is_reported_and_its_message_kept()
    {
        var run = RunEveryWay([.. Opening, Client("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"), Server("250 ok\r\n250 ok\r\n354 go\r\n"), Client("Subject: cut\r\n\r\nhalf a bo")]);
        Assert.Equal(["smtp.unterminated_data"], run.AnomalyNames);
        var row = Assert.Single(run["smtp"]);
        Assert.Equal("cut", row["subject"]);
        Assert.Null(row["accepted"]);
        Assert.Equal(9L, row["body_bytes"]);
    }

    [Fact]
    public void Too_many_recipients_are_reported_and_the_transaction_goes_on()
    {
        // Pipelined in groups of 50, each answered before the next (the pending queue holds 64).
        var batches = Enumerable.Range(0, 21).SelectMany(b => new[]
        {
            Client(string.Concat(Enumerable.Range(b * 50, Math.Min(50, 1001 - b * 50)).Select(i => $"RCPT TO:<u{i}@example.org>\r\n"))),
            Server(Lines(Math.Min(50, 1001 - b * 50), "250 ok\r\n")),
        });
        var run = Smtp.Run([.. Opening, Client("MAIL FROM:<a@x>\r\n"), Server("250 ok\r\n"), .. batches, Client("DATA\r\n"), Server("354 go\r\n"), Client("\r\n.\r\n"), Server("250 queued\r\n")]);
        Assert.Contains("smtp.too_many_addresses", run.AnomalyNames);
        var row = Assert.Single(run["smtp"]);
        Assert.Equal(1000, ((IReadOnlyList<string>)row["rcptto"]!).Count);
        Assert.Equal(true, row["accepted"]);
    }

    [Fact]
    public void Anomalies_of_one_name_are_reported_a_bounded_number_of_times()
    {
        var run = Smtp.Run([.. Opening, Client(Lines(50, "FOO\r\n")), Server(Lines(50, "500 no\r\n"))]);
        Assert.Equal(SmtpParser.MaxAnomaliesPerName, run.AnomalyNames.Count(n => n == "smtp.unknown_command"));
        Assert.Contains("not reported", run.Anomalies[^1].Detail);
        Assert.Equal(52, run["smtp_commands"].Count);
    }

    [Fact]
    public void Message_data_held_before_the_354_is_read_once_the_reply_says_what_it_is()
    {
        var run = Smtp.AssertSameOnEverySplit(
        [
            .. Opening,
            Client("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nSubject: early\r\n\r\nbody\r\n.\r\n"),
            Server("250 ok\r\n250 ok\r\n354 go\r\n"),
            Client("QUIT\r\n"), Server("250 queued\r\n221 bye\r\n"),
        ], Ignored);
        Assert.Empty(run.Anomalies);
        Assert.Equal("early", Assert.Single(run["smtp"])["subject"]);
        Assert.Equal([null, "EHLO", "MAIL", "RCPT", "DATA", ".", "QUIT"], run["smtp_commands"].Select(c => (string?)c["command"]));
    }

    [Fact]
    public void Commands_held_after_a_refused_DATA_are_read_as_commands()
    {
        var run = Smtp.AssertSameOnEverySplit(
        [
            .. Opening,
            Client("MAIL FROM:<a@x>\r\nDATA\r\nNOOP\r\n"), Server("250 ok\r\n554 5.5.1 no valid recipients\r\n"),
            Client("QUIT\r\n"), Server("250 ok\r\n221 bye\r\n"),
        ], Ignored);
        Assert.Empty(run.Anomalies);
        Assert.Equal([null, "EHLO", "MAIL", "DATA", "NOOP", "QUIT"], run["smtp_commands"].Select(c => (string?)c["command"]));
        Assert.Equal(false, Assert.Single(run["smtp"])["accepted"]);
    }

    [Fact]
    public void A_message_without_a_header_section_is_all_body()
    {
        var run = Smtp.AssertSameOnEverySplit([.. Opening, .. Transaction("Hello\r\nworld: not a header\r\n.\r\n")], Ignored);
        var row = Assert.Single(run["smtp"]);
        Assert.Null(row["subject"]);
        Assert.Equal(28L, row["body_bytes"]);
        Assert.Equal(28L, row["message_bytes"]);
    }

    public static TheoryData<string, StreamMessage[]> NotSmtp() => new()
    {
        { "an HTTP client", [Client("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), Server("HTTP/1.1 200 OK\r\n\r\n")] },
        { "a TLS ClientHello", [Client("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03")] },
        { "an SSH server", [Server("SSH-2.0-OpenSSH_9.2\r\n"), Client("SSH-2.0-OpenSSH_9.2\r\n")] },
        { "a POP3 server", [Server("+OK POP3 ready\r\n"), Client("USER bob\r\n")] },
        { "an IMAP server", [Server("* OK IMAP4rev1 ready\r\n"), Client("a1 CAPABILITY\r\n")] },
        { "an FTP session (220 too)", [Server("220 ProFTPD Server ready\r\n"), Client("USER anonymous\r\n"), Server("331 password please\r\n")] },
        { "an FTP session that asks for TLS", [Server("220 FTP ready\r\n"), Client("AUTH TLS\r\n"), Server("234 go ahead\r\n"), Client("\x16\x03\x01\x00\xa5")] },
        { "binary from the server", [Server("\x00\x00\x00\x1c\x01\x02")] },
        { "a client that speaks first without EHLO", [Client("MAIL FROM:<a@x>\r\n")] },
    };

    [Theory]
    [MemberData(nameof(NotSmtp))]
    public void Another_protocol_is_rejected_without_rows_or_anomalies(string what, StreamMessage[] messages)
    {
        var run = Smtp.Run(messages);
        Assert.False(run.Confirmed, what);
        Assert.NotNull(run.Rejected);
        Assert.Empty(run.Records);
        Assert.Empty(run.Anomalies);
    }

    [Theory]
    [InlineData("G")]
    [InlineData("\x16")]
    [InlineData("EHLX")]
    public void A_non_SMTP_client_is_rejected_on_its_first_bytes(string first) =>
        Assert.NotNull(Smtp.Run([Client(first)]).Rejected);

    [Fact]
    public void A_greeting_alone_does_not_confirm()
    {
        var run = Smtp.Run([Server("220 ftp.example.org FTP server ready\r\n"), Client("QUIT\r\n"), Server("221 Goodbye.\r\n")]);
        Assert.False(run.Confirmed);
        Assert.Null(run.Rejected);
        Assert.Empty(run.Records);
    }

    [Fact]
    public void A_server_that_only_talks_is_rejected_before_its_replies_pile_up()
    {
        var run = Smtp.Run([Server("220 x\r\n" + Lines(100, "250 ok\r\n"))]);
        Assert.NotNull(run.Rejected);
        Assert.Empty(run.Records);
    }

    [Fact]
    public void A_gap_before_recognition_rejects()
    {
        var run = Smtp.Run([Server("220 mx ESMTP\r\n"), Gap(StreamDirection.FromOriginator, 100), Client("EHLO x\r\n")]);
        Assert.NotNull(run.Rejected);
        Assert.Empty(run.Records);
    }

    /// <summary>Every split for small conversations; whole against one-byte and 7-byte segments for large ones.</summary>
    private static StreamRun RunEveryWay(StreamMessage[] messages)
    {
        if (messages.Sum(m => m.Data.Length) <= 3000)
            return Smtp.AssertSameOnEverySplit(messages, Ignored);
        var whole = Smtp.Run(messages);
        string expected = whole.Render(Ignored);
        Assert.Equal(expected, Smtp.RunInSegments(messages, 1).Render(Ignored));
        Assert.Equal(expected, Smtp.RunInSegments(messages, 7).Render(Ignored));
        return whole;
    }
}
