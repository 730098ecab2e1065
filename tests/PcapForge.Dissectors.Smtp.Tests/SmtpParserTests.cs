using PcapForge.Abstractions.Dissection;
using static PcapForge.TestSupport.StreamMessage;

namespace PcapForge.Dissectors.Smtp.Tests;

/// <summary>The SMTP parser on conversations, each checked on every split point and on one-byte segments.</summary>
public class SmtpParserTests
{
    internal static readonly StreamHarness Smtp = new(new SmtpDissector(), "smtp");

    internal const string Greeting = "220 mail.example.org ESMTP Postfix\r\n";

    internal const string EhloReply = "250-mail.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n250-AUTH PLAIN LOGIN\r\n250 CHUNKING\r\n";

    /// <summary>Greeting, EHLO and its reply: what confirms the flow.</summary>
    internal static StreamMessage[] Opening => [Server(Greeting), Client("EHLO client.example.com\r\n"), Server(EhloReply)];

    private const string Message =
        "Received: from a.example by b.example;\r\n Mon, 1 Jan 2024 00:00:00 +0000\r\n" +
        "Received: from c.example\r\n\tby d.example\r\n" +
        "From: Alice <alice@example.com>\r\n" +
        "To: Bob <bob@example.org>, \"Doe, John\" <john@example.org>\r\n" +
        "Cc: carol@example.org\r\n" +
        "Subject: Hello\r\n world\r\n" +
        "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n" +
        "Message-ID: <1@example.com>\r\n" +
        "In-Reply-To: <0@example.com>\r\n" +
        "Reply-To: alice@example.net\r\n" +
        "X-Mailer: TestMailer 1.0\r\n" +
        "X-Originating-IP: [192.0.2.7]\r\n" +
        "\r\n" +
        "Body line 1\r\n" +
        "..leading dot\r\n" +
        ".\r\n";

    private static readonly int HeaderBytes = Message.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4;

    // What the message is once the transparency dot is removed and without the terminator.
    private static readonly int MessageBytes = Message.Length - 1 - ".\r\n".Length;

    [Fact]
    public void A_session_gives_one_transaction_row_with_envelope_headers_and_sizes()
    {
        var run = Smtp.AssertSameOnEverySplit(
        [
            .. Opening,
            Client("MAIL FROM:<alice@example.com> SIZE=100\r\n"), Server("250 2.1.0 Ok\r\n"),
            Client("RCPT TO:<bob@example.org>\r\n"), Server("250 2.1.5 Ok\r\n"),
            Client("RCPT TO:<nobody@example.org>\r\n"), Server("550 5.1.1 User unknown\r\n"),
            Client("DATA\r\n"), Server("354 End data with <CR><LF>.<CR><LF>\r\n"),
            Client(Message), Server("250 2.0.0 Ok: queued as ABC\r\n"),
            Client("QUIT\r\n"), Server("221 2.0.0 Bye\r\n"),
        ]);

        Assert.True(run.Confirmed);
        Assert.Empty(run.Anomalies);
        var row = Assert.Single(run["smtp"]);
        Assert.Equal(1L, Convert.ToInt64(row["trans_depth"]));
        Assert.Equal("client.example.com", row["helo"]);
        Assert.Equal("alice@example.com", row["mailfrom"]);
        Assert.Equal(["bob@example.org", "nobody@example.org"], (IReadOnlyList<string>)row["rcptto"]!);
        Assert.Equal(["nobody@example.org"], (IReadOnlyList<string>)row["rcptto_rejected"]!);
        Assert.Equal("Alice <alice@example.com>", row["from"]);
        Assert.Equal(["Bob <bob@example.org>", "\"Doe, John\" <john@example.org>"], (IReadOnlyList<string>)row["to"]!);
        Assert.Equal(["carol@example.org"], (IReadOnlyList<string>)row["cc"]!);
        Assert.Equal("Hello world", row["subject"]);
        Assert.Equal("Mon, 1 Jan 2024 00:00:00 +0000", row["date"]);
        Assert.Equal("<1@example.com>", row["msg_id"]);
        Assert.Equal("<0@example.com>", row["in_reply_to"]);
        Assert.Equal("alice@example.net", row["reply_to"]);
        Assert.Equal("TestMailer 1.0", row["user_agent"]);
        Assert.Equal("192.0.2.7", row["x_originating_ip"]);
        Assert.Equal("from c.example\tby d.example", row["first_received"]);
        Assert.Equal("from a.example by b.example; Mon, 1 Jan 2024 00:00:00 +0000", row["second_received"]);
        Assert.Equal("250 2.0.0 Ok: queued as ABC", row["last_reply"]);
        Assert.Equal(false, row["tls"]);
        Assert.Equal(true, row["accepted"]);
        Assert.Equal("mail.example.org ESMTP Postfix", row["banner"]);
        Assert.Equal(["PIPELINING", "SIZE 10240000", "STARTTLS", "AUTH PLAIN LOGIN", "CHUNKING"], (IReadOnlyList<string>)row["extensions"]!);
        Assert.Equal((long)MessageBytes, row["message_bytes"]);
        Assert.Equal((long)(MessageBytes - HeaderBytes), row["body_bytes"]);
        Assert.Equal(["220", "250", "250", "250", "550", "354", "250"], (IReadOnlyList<string>)row["reply_codes"]!);

        var commands = run["smtp_commands"];
        Assert.Equal([null, "EHLO", "MAIL", "RCPT", "RCPT", "DATA", ".", "QUIT"], commands.Select(c => (string?)c["command"]));
        Assert.Equal([null, "client.example.com", "FROM:<alice@example.com> SIZE=100", "TO:<bob@example.org>", "TO:<nobody@example.org>", null, null, null],
            commands.Select(c => (string?)c["parameter"]));
        Assert.Equal([220, 250, 250, 250, 550, 354, 250, 221], commands.Select(c => (int?)c["reply_code"]));
        Assert.Equal([1, 1, 1, 1, 1, 1, 1, 2], commands.Select(c => (int)c["trans_depth"]!));
        Assert.Equal("mail.example.org\nPIPELINING\nSIZE 10240000\nSTARTTLS\nAUTH PLAIN LOGIN\nCHUNKING", commands[1]["reply_text"]);
    }

    [Fact]
    public void Frames_of_commands_and_replies_are_the_segments_that_completed_them()
    {
        var run = Smtp.Run([.. Opening, Client("QUIT\r\n"), Server("221 Bye\r\n")]);
        var commands = run["smtp_commands"];
        Assert.Equal([null, 2L, 4L], commands.Select(c => (long?)c["frame"]));
        Assert.Equal([1L, 3L, 5L], commands.Select(c => (long?)c["reply_frame"]));
    }

    [Fact]
    public void Pipelined_commands_are_matched_to_replies_in_order()
    {
        var run = Smtp.AssertSameOnEverySplit(
        [
            .. Opening,
            Client("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\nDATA\r\n"),
            Server("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n450 4.2.0 try later\r\n354 go ahead\r\n"),
            Client("Subject: s\r\n\r\nbody\r\n.\r\nQUIT\r\n"),
            Server("250 2.0.0 queued\r\n221 Bye\r\n"),
        ]);
        var row = Assert.Single(run["smtp"]);
        Assert.Equal(["b@example.org", "c@example.org"], (IReadOnlyList<string>)row["rcptto"]!);
        Assert.Equal(["c@example.org"], (IReadOnlyList<string>)row["rcptto_rejected"]!);
        Assert.Equal("s", row["subject"]);
        var commands = run["smtp_commands"];
        Assert.Equal([null, "EHLO", "MAIL", "RCPT", "RCPT", "DATA", ".", "QUIT"], commands.Select(c => (string?)c["command"]));
        Assert.Equal([220, 250, 250, 250, 450, 354, 250, 221], commands.Select(c => (int?)c["reply_code"]));
    }

    [Fact]
    public void A_DATA_the_server_refuses_leaves_the_client_in_command_mode()
    {
        // smtp-data-rejected.pcap: a pipelined DATA refused with 503; the client's next bytes are commands, not a message.
        var run = Smtp.AssertSameOnEverySplit(
        [
            .. Opening,
            Client("MAIL FROM: <x@bad.example> \r\nRCPT TO:<m@example.org>\r\nDATA\r\n"),
            Server("553 5.1.8 Domain of sender address does not exist\r\n503 5.0.0 Need MAIL before RCPT\r\n503 5.0.0 Need MAIL command\r\n"),
            Client("RSET\r\n"), Server("250 2.0.0 Reset state\r\n"),
            Client("MAIL FROM: <y@good.example> \r\nRCPT TO:<m@example.org>\r\nDATA\r\n"),
            Server("250 2.1.0 Sender ok\r\n250 2.1.5 Recipient ok\r\n354 Enter mail\r\n"),
            Client("Subject: virus\r\n\r\nx\r\n.\r\n"), Server("554 5.7.1 Message contains virus: rejected.\r\n"),
        ]);
        var rows = run["smtp"];
        Assert.Equal(2, rows.Count);
        Assert.Equal("x@bad.example", rows[0]["mailfrom"]);
        Assert.Equal(false, rows[0]["accepted"]);
        Assert.Equal("503 5.0.0 Need MAIL command", rows[0]["last_reply"]);
        Assert.Null(rows[0]["subject"]);
        Assert.Equal(2, rows[1]["trans_depth"]);
        Assert.Equal("y@good.example", rows[1]["mailfrom"]);
        Assert.Equal("virus", rows[1]["subject"]);
        Assert.Equal(false, rows[1]["accepted"]);
        Assert.Equal(["250", "250", "250", "354", "554"], (IReadOnlyList<string>)rows[1]["reply_codes"]!);
        Assert.Equal([null, "EHLO", "MAIL", "RCPT", "DATA", "RSET", "MAIL", "RCPT", "DATA", "."], run["smtp_commands"].Select(c => (string?)c["command"]));
    }

    [Fact]
    public void Several_transactions_in_one_session_each_get_a_row()
    {
        var run = Smtp.AssertSameOnEverySplit(
        [
            .. Opening,
            Client("MAIL FROM:<a@example.com>\r\n"), Server("250 ok\r\n"),
            Client("RCPT TO:<b@example.org>\r\n"), Server("250 ok\r\n"),
            Client("DATA\r\n"), Server("354 go\r\n"),
            Client("Subject: one\r\n\r\n.\r\n"), Server("250 queued 1\r\n"),
            Client("MAIL FROM:<>\r\n"), Server("250 ok\r\n"),
            Client("RCPT TO:<c@example.org>\r\n"), Server("250 ok\r\n"),
            Client("DATA\r\n"), Server("354 go\r\n"),
            Client("Subject: two\r\n\r\nbody\r\n.\r\n"), Server("250 queued 2\r\n"),
            Client("MAIL FROM:<d@example.com>\r\n"), Server("250 ok\r\n"),
            Client("RSET\r\n"), Server("250 reset\r\n"),
            Client("QUIT\r\n"), Server("221 bye\r\n"),
        ]);
        var rows = run["smtp"];
        Assert.Equal([1, 2, 3], rows.Select(r => (int)r["trans_depth"]!));
        Assert.Equal(["one", "two", null], rows.Select(r => (string?)r["subject"]));
        Assert.Equal(["a@example.com", "", "d@example.com"], rows.Select(r => (string?)r["mailfrom"]));
        Assert.Equal([true, true, null], rows.Select(r => (bool?)r["accepted"]));
        Assert.Equal([0L, 6L, null], rows.Select(r => (long?)r["body_bytes"]));
        Assert.All(rows, r => Assert.Equal("client.example.com", r["helo"]));
    }

    [Fact]
    public void Dot_stuffing_and_a_terminator_split_anywhere_are_handled()
    {
        var run = Smtp.AssertSameOnEverySplit(
        [
            .. Opening,
            Client("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n"),
            Server("250 ok\r\n250 ok\r\n354 go\r\n"),
            Client("Subject: dots\r\n\r\n..\r\n...x\r\n.\rnot the end\r\n. \r\n"),
            Client(".\r\n"),
            Server("250 queued\r\n"),
        ]);
        var row = Assert.Single(run["smtp"]);
        // Body after unstuffing: ".\r\n" "..x\r\n" "\rnot the end\r\n" " \r\n".
        Assert.Equal((long)(3 + 5 + 14 + 3), row["body_bytes"]);
        Assert.Equal(true, row["accepted"]);
        Assert.Empty(run.Anomalies);
    }

    [Fact]
    public void An_empty_message_ends_at_once()
    {
        var run = Smtp.AssertSameOnEverySplit([.. Opening, Client("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"), Server("250 ok\r\n250 ok\r\n354 go\r\n"), Client(".\r\n"), Server("250 ok\r\n")]);
        var row = Assert.Single(run["smtp"]);
        Assert.Equal(0L, row["message_bytes"]);
        Assert.Equal(0L, row["body_bytes"]);
    }

    [Fact]
    public void BDAT_chunks_are_skipped_by_length_and_their_headers_read()
    {
        const string part1 = "Subject: chunked\r\nFrom: a@", part2 = "example.com\r\n\r\nbody with a line\r\n.\r\nthat is not an end\r\n";
        var run = Smtp.AssertSameOnEverySplit(
        [
            .. Opening,
            Client("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\n"), Server("250 ok\r\n250 ok\r\n"),
            Client($"BDAT {part1.Length}\r\n{part1}BDAT {part2.Length} LAST\r\n{part2}"),
            Server("250 2.0.0 chunk ok\r\n250 2.0.0 queued\r\n"),
            Client("BDAT 0 LAST\r\n"), Server("503 5.5.1 no transaction\r\n"),
            Client("QUIT\r\n"), Server("221 bye\r\n"),
        ]);
        var rows = run["smtp"];
        Assert.Equal(2, rows.Count);
        Assert.Equal("chunked", rows[0]["subject"]);
        Assert.Equal("a@example.com", rows[0]["from"]);
        Assert.Equal((long)(part1.Length + part2.Length), rows[0]["message_bytes"]);
        Assert.Equal(true, rows[0]["accepted"]);
        Assert.Equal(false, rows[1]["accepted"]);
        Assert.Equal(["BDAT", "BDAT", "BDAT", "QUIT"], run["smtp_commands"].Skip(4).Select(c => (string?)c["command"]));
        Assert.Equal($"{part2.Length} LAST", run["smtp_commands"][5]["parameter"]);
    }

    [Fact]
    public void STARTTLS_marks_the_session_and_stops_parsing()
    {
        var run = Smtp.AssertSameOnEverySplit(
        [
            .. Opening,
            Client("STARTTLS\r\n"), Server("220 2.0.0 Ready to start TLS\r\n"),
            Client("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\nMAIL FROM:<hidden@x>\r\n"),
            Server("\x16\x03\x03\x00\x7a\x02\x00\x00\x76\x03\x03 more\r\n250 not a reply\r\n"),
        ]);
        Assert.Empty(run.Anomalies);
        var row = Assert.Single(run["smtp"]);
        Assert.Equal(true, row["tls"]);
        Assert.Null(row["mailfrom"]);
        Assert.Equal([null, "EHLO", "STARTTLS"], run["smtp_commands"].Select(c => (string?)c["command"]));
    }

    [Fact]
    public void A_refused_STARTTLS_goes_on_in_clear()
    {
        var run = Smtp.AssertSameOnEverySplit([.. Opening, Client("STARTTLS\r\n"), Server("454 4.7.0 TLS not available\r\n"), Client("QUIT\r\n"), Server("221 bye\r\n")]);
        var row = Assert.Single(run["smtp"]);
        Assert.Equal(false, row["tls"]);
        Assert.Equal([null, "EHLO", "STARTTLS", "QUIT"], run["smtp_commands"].Select(c => (string?)c["command"]));
    }

    [Fact]
    public void LMTP_gets_one_reply_per_accepted_recipient_after_the_final_dot()
    {
        // RFC 2033: LHLO, and after the message a reply for each recipient RCPT accepted (a, then b), in that order.
        var run = Smtp.AssertSameOnEverySplit(
        [
            Server("220 lmtp.example.org LMTP Dovecot ready\r\n"),
            Client("LHLO mx.example.org\r\n"), Server("250-lmtp.example.org\r\n250-8BITMIME\r\n250 PIPELINING\r\n"),
            Client("MAIL FROM:<sender@example.net>\r\n"), Server("250 2.1.0 OK\r\n"),
            Client("RCPT TO:<a@example.org>\r\n"), Server("250 2.1.5 OK\r\n"),
            Client("RCPT TO:<b@example.org>\r\n"), Server("250 2.1.5 OK\r\n"),
            Client("RCPT TO:<c@example.org>\r\n"), Server("550 5.1.1 <c@example.org> User doesn't exist\r\n"),
            Client("DATA\r\n"), Server("354 OK\r\n"),
            Client("Subject: quota\r\n\r\nhello\r\n.\r\n"),
            Server("250 2.0.0 <a@example.org> Saved\r\n"), Server("452 4.2.2 <b@example.org> Quota exceeded\r\n"),
            Client("QUIT\r\n"), Server("221 2.0.0 Bye\r\n"),
        ]);
        Assert.Empty(run.Anomalies);
        var row = Assert.Single(run["smtp"]);
        Assert.Equal("mx.example.org", row["helo"]);
        Assert.Equal(["a@example.org", "b@example.org", "c@example.org"], (IReadOnlyList<string>)row["rcptto"]!);
        Assert.Equal(["c@example.org", "b@example.org"], (IReadOnlyList<string>)row["rcptto_rejected"]!);
        Assert.Equal("quota", row["subject"]);
        Assert.Equal(["220", "250", "250", "250", "250", "550", "354", "250", "452"], (IReadOnlyList<string>)row["reply_codes"]!);
        Assert.Equal([null, "LHLO", "MAIL", "RCPT", "RCPT", "RCPT", "DATA", ".", "QUIT"], run["smtp_commands"].Select(c => (string?)c["command"]));
    }

    [Fact]
    public void AUTH_LOGIN_gives_the_user_and_never_records_the_password()
    {
        var run = Smtp.AssertSameOnEverySplit(
        [
            .. Opening,
            Client("AUTH LOGIN\r\n"), Server("334 VXNlcm5hbWU6\r\n"),
            Client("Z3VycGFydGFwQHBhdHJpb3RzLmlu\r\n"), Server("334 UGFzc3dvcmQ6\r\n"),
            Client("cHVuamFiQDEyMw==\r\n"), Server("235 Authentication succeeded\r\n"),
            Client("QUIT\r\n"), Server("221 bye\r\n"),
        ]);
        var row = Assert.Single(run["smtp"]);
        Assert.Equal("LOGIN", row["auth_mechanism"]);
        Assert.Equal("gurpartap@patriots.in", row["auth_user"]);
        Assert.Equal(true, row["auth_success"]);
        Assert.Equal(["220", "250", "334", "334", "235", "221"], (IReadOnlyList<string>)row["reply_codes"]!);
        var commands = run["smtp_commands"];
        Assert.Equal([null, "EHLO", "AUTH", "QUIT"], commands.Select(c => (string?)c["command"]));
        Assert.Equal("LOGIN", commands[2]["parameter"]);
        Assert.Equal(235, commands[2]["reply_code"]);
        Assert.DoesNotContain(run.Render(), "cHVuamFiQDEyMw");
        Assert.DoesNotContain(run.Render(), "punjab");
    }

    [Theory]
    [InlineData("CRAM-MD5", "alice@example.org", false)]
    [InlineData("XOAUTH2", "bob@example.org", true)]
    [InlineData("SCRAM-SHA-256", "carol,ops", false)]
    [InlineData("OAUTHBEARER", "dave@example.org", true)]
    public void Other_SASL_mechanisms_give_the_user_and_never_the_secret(string mechanism, string user, bool initialResponse)
    {
        string secret = "ya29.SECRET-TOKEN";
        string clientMessage = mechanism switch
        {
            // RFC 2195: user, space, HMAC-MD5 of the challenge in hex.
            "CRAM-MD5" => $"{user} b913a602c7eda7a495b4e6e7334d3890",
            "XOAUTH2" => $"user={user}\u0001auth=Bearer {secret}\u0001\u0001",
            // RFC 5802: GS2 header, then n= (',' written =2C) and the client nonce.
            "SCRAM-SHA-256" => $"n,,n={user.Replace(",", "=2C")},r=fyko+d2lbbFgONRv9qkxdawL",
            _ => $"n,a={user},\u0001host=mail.example.org\u0001auth=Bearer {secret}\u0001\u0001",
        };
        string response = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(clientMessage));
        StreamMessage[] auth = initialResponse
            ? [Client($"AUTH {mechanism} {response}\r\n"), Server("235 2.7.0 Accepted\r\n")]
            : [Client($"AUTH {mechanism}\r\n"), Server("334 PDQxOTI5NDIzNDEuMTI4Mjg0NzJAc291cmNlZm91ci5hbmRyZXcuY211LmVkdT4=\r\n"),
               Client($"{response}\r\n"), Server("235 2.7.0 Accepted\r\n")];
        var run = Smtp.AssertSameOnEverySplit([.. Opening, .. auth, Client("QUIT\r\n"), Server("221 bye\r\n")]);
        var row = Assert.Single(run["smtp"]);
        Assert.Equal((mechanism, user, true), ((string?)row["auth_mechanism"], (string?)row["auth_user"], row["auth_success"]));
        Assert.DoesNotContain("SECRET", run.Render());
        Assert.DoesNotContain(response, run.Render());
    }

    [Fact]
    public void AUTH_PLAIN_with_an_initial_response_gives_the_user_and_keeps_only_the_mechanism()
    {
        string response = Convert.ToBase64String("\u000012345678@aol.com\u0000passwd"u8.ToArray());
        var run = Smtp.AssertSameOnEverySplit(
        [
            .. Opening,
            Client($"AUTH PLAIN {response}\r\n"), Server("535 5.7.8 Authentication failed\r\n"),
            Client("AUTH PLAIN\r\n"), Server("334 \r\n"),
            Client($"{response}\r\n"), Server("235 2.7.0 Authentication successful\r\n"),
        ]);
        var row = Assert.Single(run["smtp"]);
        Assert.Equal("PLAIN", row["auth_mechanism"]);
        Assert.Equal("12345678@aol.com", row["auth_user"]);
        Assert.Equal(true, row["auth_success"]);
        var auth = run["smtp_commands"].Where(c => (string?)c["command"] == "AUTH").ToList();
        Assert.Equal([535, 235], auth.Select(c => (int?)c["reply_code"]));
        Assert.All(auth, c => Assert.Equal("PLAIN", c["parameter"]));
        Assert.DoesNotContain(run.Render(), response);
        Assert.DoesNotContain(run.Render(), "passwd");
    }

    [Fact]
    public void A_cancelled_AUTH_returns_to_commands()
    {
        var run = Smtp.AssertSameOnEverySplit(
        [
            .. Opening,
            Client("AUTH CRAM-MD5\r\n"), Server("334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UuZXhhbXBsZS5uZXQ+\r\n"),
            Client("*\r\n"), Server("501 5.7.0 cancelled\r\n"),
            Client("NOOP\r\n"), Server("250 ok\r\n"),
        ]);
        var row = Assert.Single(run["smtp"]);
        Assert.Equal("CRAM-MD5", row["auth_mechanism"]);
        Assert.Null(row["auth_user"]);
        Assert.Equal(false, row["auth_success"]);
        Assert.Equal([null, "EHLO", "AUTH", "NOOP"], run["smtp_commands"].Select(c => (string?)c["command"]));
    }

    [Fact]
    public void A_session_without_transaction_still_gives_a_row()
    {
        var run = Smtp.AssertSameOnEverySplit([.. Opening, Client("QUIT\r\n"), Server("221 bye\r\n")]);
        var row = Assert.Single(run["smtp"]);
        Assert.Equal("client.example.com", row["helo"]);
        Assert.Null(row["mailfrom"]);
        Assert.Null(row["accepted"]);
        Assert.Equal("221 bye", row["last_reply"]);
    }

    [Fact]
    public void A_multi_line_greeting_is_the_banner_and_HELO_confirms()
    {
        var run = Smtp.AssertSameOnEverySplit(
        [
            Server("220-mx.example.org ESMTP\r\n220-No spam\r\n220 please\r\n"),
            Client("EHLO a\r\n"), Server("502 5.5.2 EHLO not supported\r\n"),
            Client("HELO a\r\n"), Server("250 mx.example.org\r\n"),
        ]);
        Assert.True(run.Confirmed);
        var row = Assert.Single(run["smtp"]);
        Assert.Equal("mx.example.org ESMTP\nNo spam\nplease", row["banner"]);
        Assert.Null(row["extensions"]);
        Assert.Equal("a", row["helo"]);
    }

    [Fact]
    public void Message_data_split_across_segments_with_a_folded_header_spanning_them()
    {
        var run = Smtp.AssertSameOnEverySplit(
        [
            .. Opening,
            Client("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"), Server("250 ok\r\n250 ok\r\n354 go\r\n"),
            Client("User-Agent: Mozilla/5.0 (Windows NT 10.0; WOW64; rv:38.0) Gecko/20100101\r\n"),
            Client(" Thunderbird/38.5.0\r\nTo: x@y,\r\n\tz@w\r\n\r\n"),
            Client("body\r\n.\r\n"), Server("250 ok\r\n"),
        ]);
        var row = Assert.Single(run["smtp"]);
        Assert.Equal("Mozilla/5.0 (Windows NT 10.0; WOW64; rv:38.0) Gecko/20100101 Thunderbird/38.5.0", row["user_agent"]);
        Assert.Equal(["x@y", "z@w"], (IReadOnlyList<string>)row["to"]!);
    }

    [Fact]
    public void A_gap_inside_data_resynchronises_at_the_next_line()
    {
        var run = Smtp.Run(
        [
            .. Opening,
            Client("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"), Server("250 ok\r\n250 ok\r\n354 go\r\n"),
            Client("Subject: before gap\r\n\r\nsome bo"),
            Gap(StreamDirection.FromOriginator, 500),
            Client("dy\r\nmore\r\n.\r\nQUIT\r\n"), Server("250 queued\r\n221 bye\r\n"),
        ]);
        Assert.Equal(["smtp.gap"], run.AnomalyNames);
        var row = Assert.Single(run["smtp"]);
        Assert.Equal("before gap", row["subject"]);
        Assert.Equal(true, row["accepted"]);
        Assert.Equal("QUIT", run["smtp_commands"][^1]["command"]);
    }

    [Fact]
    public void A_gap_swallowing_the_terminator_is_recovered_by_the_servers_reply()
    {
        var run = Smtp.Run(
        [
            .. Opening,
            Client("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"), Server("250 ok\r\n250 ok\r\n354 go\r\n"),
            Client("Subject: s\r\n\r\nbody"),
            Gap(StreamDirection.FromOriginator, 7),
            Server("250 queued\r\n"),
            Client("QUIT\r\n"), Server("221 bye\r\n"),
        ]);
        Assert.Equal(["smtp.gap", "smtp.reply_during_data"], run.AnomalyNames);
        Assert.Equal(true, Assert.Single(run["smtp"])["accepted"]);
        Assert.Equal("QUIT", run["smtp_commands"][^1]["command"]);
        Assert.Equal(221, run["smtp_commands"][^1]["reply_code"]);
    }

    [Fact]
    public void A_gap_in_commands_skips_to_the_next_line()
    {
        var run = Smtp.Run(
        [
            .. Opening,
            Client("NOOP ab"), Gap(StreamDirection.FromOriginator, 10), Client("cd\r\nQUIT\r\n"),
            Server("250 ok\r\n221 bye\r\n"),
        ]);
        Assert.Equal(["smtp.gap", "smtp.unmatched_reply"], run.AnomalyNames);
        // The NOOP was lost with its line; its reply goes to QUIT, and the 221 is unmatched.
        Assert.Equal([null, "EHLO", "QUIT", null], run["smtp_commands"].Select(c => (string?)c["command"]));
    }

    [Fact]
    public void A_gap_of_whole_segments_keeps_the_line_after_it()
    {
        var run = Smtp.Run(
        [
            .. Opening,
            Client("NOOP\r\n"), Gap(StreamDirection.FromOriginator, 6), Client("HELP\r\n"),
            Server("250 ok\r\n"), Gap(StreamDirection.FromResponder, 12), Server("214 help\r\n"),
            Client("QUIT\r\n"), Server("221 bye\r\n"),
        ]);
        Assert.Equal(["smtp.gap", "smtp.gap"], run.AnomalyNames);
        Assert.Equal(["EHLO", "NOOP", "HELP", "QUIT"], run["smtp_commands"].Skip(1).Select(c => (string?)c["command"]));
        Assert.Equal([250, 250, 214, 221], run["smtp_commands"].Skip(1).Select(c => (int?)c["reply_code"]));
    }

    [Fact]
    public void A_gap_before_a_segment_holding_only_the_end_of_data_finds_it()
    {
        var run = Smtp.Run(
        [
            .. Opening,
            Client("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"), Server("250 ok\r\n250 ok\r\n354 go\r\n"),
            Client("Subject: s\r\n\r\nline one\r\n"), Gap(StreamDirection.FromOriginator, 1460), Client(".\r\n"),
            Server("250 queued\r\n"), Client("QUIT\r\n"), Server("221 bye\r\n"),
        ]);
        Assert.Equal(["smtp.gap"], run.AnomalyNames);
        Assert.Equal(true, Assert.Single(run["smtp"])["accepted"]);
        Assert.Equal([null, "EHLO", "MAIL", "RCPT", "DATA", ".", "QUIT"], run["smtp_commands"].Select(c => (string?)c["command"]));
    }

    [Fact]
    public void A_client_that_speaks_before_the_greeting_is_reported_and_the_greeting_still_recognised()
    {
        var run = Smtp.AssertSameOnEverySplit(
        [
            Client("EHLO early.example\r\n"), Server("220 mx ESMTP\r\n"), Server("250-mx\r\n250 PIPELINING\r\n"),
            Client("QUIT\r\n"), Server("221 bye\r\n"),
        ]);
        Assert.True(run.Confirmed);
        Assert.Equal(["smtp.command_without_greeting"], run.AnomalyNames);
        var row = Assert.Single(run["smtp"]);
        Assert.Equal("mx ESMTP", row["banner"]);
        Assert.Equal(["PIPELINING"], (IReadOnlyList<string>)row["extensions"]!);
    }

    [Fact]
    public void Unanswered_commands_are_recorded_at_the_end()
    {
        var run = Smtp.Run([.. Opening, Client("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n")]);
        var row = Assert.Single(run["smtp"]);
        Assert.Equal("a@x", row["mailfrom"]);
        Assert.Equal(["b@y"], (IReadOnlyList<string>)row["rcptto"]!);
        Assert.Null(row["accepted"]);
        Assert.Equal([null, null], run["smtp_commands"].Skip(2).Select(c => (int?)c["reply_code"]));
    }
}
