using System.Text;
using PcapForge.Dissectors.Smtp;

namespace PcapForge.Dissectors.Smtp.Tests;

/// <summary>The public parsers the service scanner (issue 6) calls on the banners and EHLO replies it reads.</summary>
public class SmtpParsingApiTests
{
    private static byte[] B(string s) => Encoding.Latin1.GetBytes(s);

    [Theory]
    [InlineData("220 mx.example.org ESMTP", 220, true, "mx.example.org ESMTP")]
    [InlineData("250-PIPELINING", 250, false, "PIPELINING")]
    [InlineData("250", 250, true, "")]
    [InlineData("554 ", 554, true, "")]
    public void A_reply_line_gives_code_separator_and_text(string line, int code, bool last, string text)
    {
        Assert.True(SmtpReplyLine.TryParse(B(line), out var reply));
        Assert.Equal(code, reply.Code);
        Assert.Equal(last, reply.IsLast);
        Assert.Equal(text, Encoding.ASCII.GetString(reply.Text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("25")]
    [InlineData("2500 x")]
    [InlineData("650 x")]
    [InlineData("+OK POP3 ready")]
    [InlineData("SSH-2.0-OpenSSH")]
    [InlineData("250\tx")]
    public void Not_a_reply_line(string line) => Assert.False(SmtpReplyLine.TryParse(B(line), out _));

    [Theory]
    [InlineData("2", true)]
    [InlineData("22", true)]
    [InlineData("220", true)]
    [InlineData("220-", true)]
    [InlineData("220\r", true)]
    [InlineData("* OK", false)]
    [InlineData("HTTP/1.1", false)]
    [InlineData("2x", false)]
    [InlineData("220x", false)]
    public void The_first_bytes_decide_whether_a_line_can_be_a_reply(string prefix, bool plausible) =>
        Assert.Equal(plausible, SmtpReplyLine.StartsLikeReply(B(prefix)));

    [Fact]
    public void A_multi_line_reply_is_parsed_whole_and_says_how_much_it_took()
    {
        var data = B("250-mail.example.org Hello\r\n250-SIZE 1000\r\n250 STARTTLS\r\nNEXT");
        Assert.Equal(SmtpParseStatus.Done, SmtpReply.TryParse(data, out var reply, out int consumed));
        Assert.Equal(data.Length - 4, consumed);
        Assert.Equal(250, reply!.Code);
        Assert.Equal(["mail.example.org Hello", "SIZE 1000", "STARTTLS"], reply.Lines);
        Assert.Equal("250 STARTTLS", reply.LastLine);
        Assert.Equal("mail.example.org Hello\nSIZE 1000\nSTARTTLS", reply.Text);
    }

    [Fact]
    public void Every_prefix_of_a_reply_is_incomplete()
    {
        var data = B("220-first\r\n220 second\r\n");
        for (int i = 0; i < data.Length; i++)
            Assert.Equal(SmtpParseStatus.Incomplete, SmtpReply.TryParse(data.AsSpan(0, i), out _, out _));
        Assert.Equal(SmtpParseStatus.Done, SmtpReply.TryParse(data, out _, out _));
    }

    [Theory]
    [InlineData("220-first\r\n250 second\r\n")]
    [InlineData("SSH-2.0-x\r\n")]
    [InlineData("220-first\r\nnot a reply\r\n")]
    [InlineData("* OK IMAP")]
    public void A_reply_that_is_not_one_is_malformed(string text) =>
        Assert.Equal(SmtpParseStatus.Malformed, SmtpReply.TryParse(B(text), out _, out _));

    [Fact]
    public void A_line_past_the_limit_is_malformed_not_incomplete()
    {
        var data = B("220 " + new string('x', SmtpReply.MaxLineLength));
        Assert.Equal(SmtpParseStatus.Malformed, SmtpReply.TryParse(data, out _, out _));
    }

    [Fact]
    public void The_greeting_gives_domain_text_and_banner()
    {
        SmtpReply.TryParse(B("220-mx.aol.com ESMTP MUA/Third Party\r\n220 no spam\r\n"), out var reply, out _);
        Assert.True(SmtpGreeting.TryParse(reply!, out var greeting));
        Assert.Equal(220, greeting!.Code);
        Assert.Equal("mx.aol.com", greeting.Domain);
        Assert.Equal("ESMTP MUA/Third Party", greeting.Text);
        Assert.Equal("mx.aol.com ESMTP MUA/Third Party\nno spam", greeting.Banner);
        Assert.True(greeting.IsEsmtp);

        SmtpReply.TryParse(B("220 ProFTPD Server ready\r\n"), out var ftp, out _);
        Assert.True(SmtpGreeting.TryParse(ftp!, out var ftpGreeting));
        Assert.False(ftpGreeting!.IsEsmtp);

        SmtpReply.TryParse(B("250 ok\r\n"), out var notGreeting, out _);
        Assert.False(SmtpGreeting.TryParse(notGreeting!, out _));
    }

    [Fact]
    public void The_EHLO_reply_gives_the_extensions()
    {
        SmtpReply.TryParse(B("250-mail02 Hello client [10.0.0.1]\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n250-AUTH PLAIN LOGIN\r\n250-AUTH=PLAIN XAOL\r\n250 CHUNKING\r\n"), out var reply, out _);
        Assert.True(SmtpExtensions.TryParse(reply!, out var ext));
        Assert.Equal("mail02", ext!.Domain);
        Assert.Equal("Hello client [10.0.0.1]", ext.Greeting);
        Assert.Equal(["PIPELINING", "SIZE 10240000", "STARTTLS", "AUTH PLAIN LOGIN", "AUTH=PLAIN XAOL", "CHUNKING"], ext.Lines);
        Assert.True(ext.Has("starttls"));
        Assert.True(ext.Has("CHUNKING"));
        Assert.False(ext.Has("SMTPUTF8"));
        Assert.Equal(10240000, ext.MaxSize);
        Assert.Equal(["PLAIN", "LOGIN", "XAOL"], ext.AuthMechanisms);
        Assert.Equal("", ext.Parameters("PIPELINING"));

        SmtpReply.TryParse(B("502 5.5.2 Error: command not recognized\r\n"), out var refused, out _);
        Assert.False(SmtpExtensions.TryParse(refused!, out _));
    }

    [Theory]
    [InlineData("FROM:<alice@example.com> SIZE=100", "FROM:", "alice@example.com")]
    [InlineData("FROM: <alice@example.com> ", "FROM:", "alice@example.com")]
    [InlineData("from:<>", "FROM:", "")]
    [InlineData("TO:<@relay.example,@b.example:bob@example.org>", "TO:", "bob@example.org")]
    [InlineData("TO:bob@example.org NOTIFY=NEVER", "TO:", "bob@example.org")]
    [InlineData("TO:<sanders@cyberdyne.local> ORCPT=rfc822;sanders@cyberdyne.local", "TO:", "sanders@cyberdyne.local")]
    public void A_path_gives_its_mailbox(string parameter, string keyword, string mailbox)
    {
        Assert.True(SmtpCommandLine.TryParsePath(B(parameter), B(keyword), out var box));
        Assert.Equal(mailbox, Encoding.ASCII.GetString(box));
    }

    [Theory]
    [InlineData("alice@example.com", "FROM:")]
    [InlineData("FROM:<alice@example.com", "FROM:")]
    [InlineData("TO:", "TO:")]
    public void A_path_without_its_keyword_or_bracket_is_refused(string parameter, string keyword) =>
        Assert.False(SmtpCommandLine.TryParsePath(B(parameter), B(keyword), out _));

    [Theory]
    [InlineData("100", true, 100, false)]
    [InlineData("0 LAST", true, 0, true)]
    [InlineData("  2048 last ", true, 2048, true)]
    [InlineData("-5", false, 0, false)]
    [InlineData("+5", false, 0, false)]
    [InlineData("12 FIRST", false, 12, false)]
    [InlineData("", false, 0, false)]
    public void A_BDAT_parameter_gives_size_and_last(string parameter, bool ok, long size, bool last)
    {
        Assert.Equal(ok, SmtpCommandLine.TryParseBdat(B(parameter), out long s, out bool l));
        if (ok)
        {
            Assert.Equal(size, s);
            Assert.Equal(last, l);
        }
    }

    [Theory]
    [InlineData("EHLO", SmtpVerb.Ehlo)]
    [InlineData("ehlo", SmtpVerb.Ehlo)]
    [InlineData("StartTLS", SmtpVerb.StartTls)]
    [InlineData("BDAT", SmtpVerb.Bdat)]
    [InlineData("NOOP", SmtpVerb.Other)]
    [InlineData("XCLIENT", SmtpVerb.Other)]
    [InlineData("X-EXPS", SmtpVerb.Other)]
    [InlineData("USER", SmtpVerb.Unknown)]
    [InlineData("GET", SmtpVerb.Unknown)]
    [InlineData("STAR", SmtpVerb.Unknown)]
    public void Verbs_are_classified(string verb, SmtpVerb expected) => Assert.Equal(expected, SmtpCommandLine.Classify(B(verb)));

    [Fact]
    public void PLAIN_gives_the_authentication_identity_never_the_password()
    {
        // base64("\0user@example.com\0secret") and with an authorization identity first.
        Assert.True(SmtpAuth.TryGetPlainUser(B(Convert.ToBase64String(B("\0user@example.com\0secret"))), out var user));
        Assert.Equal("user@example.com", user);
        Assert.True(SmtpAuth.TryGetPlainUser(B(Convert.ToBase64String(B("admin\0user\0secret"))), out user));
        Assert.Equal("user", user);
        Assert.False(SmtpAuth.TryGetPlainUser(B("not base64!"), out _));
        Assert.False(SmtpAuth.TryGetPlainUser(B(Convert.ToBase64String(B("no separators"))), out _));
    }

    [Fact]
    public void Malformed_responses_of_the_other_mechanisms_give_no_user()
    {
        static byte[] B64(string s) => B(Convert.ToBase64String(B(s)));
        Assert.False(SmtpAuth.TryGetCramMd5User(B64("alice notahexdigest"), out _));
        Assert.False(SmtpAuth.TryGetCramMd5User(B64("b913a602c7eda7a495b4e6e7334d3890"), out _));   // no user
        Assert.False(SmtpAuth.TryGetXoauth2User(B64("auth=Bearer x\u0001\u0001"), out _));
        Assert.False(SmtpAuth.TryGetGs2User(B64("n,,r=nonce"), scram: true, out _));               // no n=
        Assert.True(SmtpAuth.TryGetGs2User(B64("n,,n=a=3Db,r=x"), scram: true, out var user));
        Assert.Equal("a=b", user);
    }

    [Fact]
    public void An_OAuth_response_with_a_long_token_or_no_authzid_is_well_formed()
    {
        static byte[] B64(string s) => B(Convert.ToBase64String(B(s)));
        string token = new('x', 3000);   // Microsoft 365 JWTs run to a few thousand characters
        Assert.True(SmtpAuth.TryGetXoauth2User(B64($"user=erin@example.org\u0001auth=Bearer {token}\u0001\u0001"), out var user));
        Assert.Equal("erin@example.org", user);
        Assert.True(SmtpAuth.TryGetGs2User(B64($"n,a=erin@example.org,\u0001auth=Bearer {token}\u0001\u0001"), scram: false, out user));
        Assert.Equal("erin@example.org", user);
        // RFC 7628: the authzid is optional; then the response is fine and names no user.
        Assert.True(SmtpAuth.TryGetGs2User(B64("n,,\u0001host=mail.example.org\u0001auth=Bearer x\u0001\u0001"), scram: false, out user));
        Assert.Null(user);
    }

    [Fact]
    public void LOGIN_gives_the_decoded_user_name()
    {
        Assert.True(SmtpAuth.TryGetLoginUser(B("Z3VycGFydGFwQHBhdHJpb3RzLmlu"), out var user));
        Assert.Equal("gurpartap@patriots.in", user);
        Assert.False(SmtpAuth.TryGetLoginUser(B("***"), out _));
    }
}
