namespace PcapForge.Dissectors.Smtp.Tests;

/// <summary>
/// The whole engine over real captures: conformance with tshark 4.0 (<c>../shared/pcaps/expected/*.smtp-requests.txt</c>
/// and <c>*.smtp-responses.txt</c>) and the records of the project's own STARTTLS capture.
/// </summary>
public class SmtpCaptureTests
{
    /// <summary>A place where our records and tshark's differ on purpose: what each side has at that frame (null: nothing), and why.</summary>
    private sealed record Divergence(string File, long Frame, string? Tshark, string? Ours, string Reason);

    /// <summary>Requests (smtp.req.command TAB smtp.req.parameter, per frame) where we differ from tshark.</summary>
    private static readonly Divergence[] RequestDivergences =
    [
        new("smtp-auth-login-2-sessions.pcap", 12, "\t", null, "AUTH LOGIN responses are credentials, not commands: never recorded (the user name is in smtp.auth_user)"),
        new("smtp-auth-login-2-sessions.pcap", 14, "\t", null, "AUTH LOGIN responses are credentials, not commands: never recorded (this one is the password)"),
        new("smtp-submission-587-auth-plain.pcap", 9, "AUTH\tPLAIN ADEyMzQ1Njc4QGFvbC5jb20AcGFzc3dk", "AUTH\tPLAIN", "AUTH's initial response holds the password: only the mechanism is recorded"),
        new("smtp-starttls.pcap", 10, "STAR\tTLS", "STARTTLS\t", "tshark cuts every verb at four letters; STARTTLS is one verb (RFC 3207)"),
        new("smtp-data-rejected.pcap", 11, null, "RSET\t", "tshark reads the client's bytes after a pipelined DATA as message data although the server refused DATA (503); we follow the reply"),
        new("smtp-data-rejected.pcap", 14, null, "MAIL,RCPT,DATA\tFROM: <uprootedx38@gateway2c.dhl.com> ,TO:<mirjam@abrakadabra.ch>", "the same: tshark is still in its message-data state"),
        new("broken-pcap-bad-record-length-smtp.pcap", 11, null, "RSET\t", "tshark reads the client's bytes after a pipelined DATA as message data although the server refused DATA (503); we follow the reply"),
        new("broken-pcap-bad-record-length-smtp.pcap", 14, null, "MAIL,RCPT,DATA\tFROM: <uprootedx38@gateway2c.dhl.com> ,TO:<mirjam@abrakadabra.ch>", "the same: tshark is still in its message-data state"),
        new("smtp-pipelining-and-imap-starttls.pcapng", 11, null, "QUIT\t", "QUIT pipelined after the end-of-data line in the same segment: tshark does not look for a command after the terminator"),
    ];

    /// <summary>Replies (smtp.response.code TAB smtp.rsp.parameter, per frame) where we differ from tshark.</summary>
    private static readonly Divergence[] ResponseDivergences =
    [
        new("smtp-auth-login-2-sessions.pcap", 11, "334\tVXNlcm5hbWU6", null, "an AUTH row carries the exchange's final reply (235); the 334 challenges are only in smtp.reply_codes"),
        new("smtp-auth-login-2-sessions.pcap", 13, "334\tUGFzc3dvcmQ6", null, "an AUTH row carries the exchange's final reply (235); the 334 challenges are only in smtp.reply_codes"),
        new("broken-pcap-bad-record-length-smtp.pcap", 195, null, "554\t5.7.1 Message contains virus: rejected.", "tshark stops reading at the damaged record 19; the reader resynchronises and reads on"),
    ];

    private static readonly string[] FileNames =
    [
        "smtp-auth-login-2-sessions.pcap", "smtp-data-rejected.pcap", "smtp-pipelining-and-imap-starttls.pcapng", "smtp-simple-session.pcapng",
        "smtp-starttls.pcap", "smtp-submission-587-auth-plain.pcap", "broken-pcap-bad-record-length-smtp.pcap",
    ];

    public static TheoryData<string> Files() => new(FileNames);

    [SharedPcapsTheory]
    [MemberData(nameof(Files))]
    public void Commands_agree_with_tshark_value_for_value(string file)
    {
        var rows = Analyzer.Run(Path.Combine(TestData.SharedPcaps!, file))["smtp_commands"];

        // Our rows grouped as tshark shows them: one line per frame, pipelined commands and parameters joined with ','.
        var ours = rows.Where(r => r["command"] is string c && c != ".")
            .GroupBy(r => (long)r["frame"]!)
            .ToDictionary(g => g.Key, g => string.Join(",", g.Select(r => (string)r["command"]!)) + "\t"
                                           + string.Join(",", g.Select(r => r["parameter"] as string).Where(p => !string.IsNullOrEmpty(p))));
        var tshark = Expected(file, "smtp-requests", commandColumn: 6);
        Compare(file, tshark, ours, RequestDivergences);
    }

    [SharedPcapsTheory]
    [MemberData(nameof(Files))]
    public void Reply_codes_and_texts_agree_with_tshark(string file)
    {
        var rows = Analyzer.Run(Path.Combine(TestData.SharedPcaps!, file))["smtp_commands"];
        var ours = rows.Where(r => r["reply_code"] is not null)
            .GroupBy(r => (long)r["reply_frame"]!)
            .ToDictionary(g => g.Key, g => string.Join(",", g.Select(r => (int)r["reply_code"]!)) + "\t"
                                           + string.Join(",", g.Select(r => ((string)r["reply_text"]!).Replace('\n', ','))));
        var tshark = Expected(file, "smtp-responses", commandColumn: 4);
        Compare(file, tshark, ours, ResponseDivergences);
    }

    [SharedPcapsFact]
    public void Every_SMTP_capture_of_the_corpus_is_compared()
    {
        var withReference = Directory.GetFiles(Path.Combine(TestData.SharedPcaps!, "expected"), "*.smtp-requests.txt")
            .Select(f => Path.GetFileName(f)[..^".smtp-requests.txt".Length]).Order().ToArray();
        Assert.Equal(withReference, FileNames.Order().ToArray());
    }

    [SharedPcapsFact]
    public void Zeek_fields_of_the_two_authenticated_sessions()
    {
        var rows = Analyzer.Run(Path.Combine(TestData.SharedPcaps!, "smtp-auth-login-2-sessions.pcap"));
        var smtp = rows["smtp"];
        Assert.Equal(2, smtp.Count);
        Assert.All(rows["flows"].Where(f => f["flow_uid"] is string uid && smtp.Any(s => (string)s["flow_uid"]! == uid)), f => Assert.Equal("smtp", f["service"]));
        Assert.Equal(2, rows["flows"].Count(f => (string?)f["service"] == "smtp"));

        var first = smtp[0];
        Assert.Equal("GP", first["helo"]);
        Assert.Equal("gurpartap@patriots.in", first["mailfrom"]);
        Assert.Equal(["raj_deol2002in@yahoo.co.in"], (IReadOnlyList<string>)first["rcptto"]!);
        Assert.Equal("Mon, 5 Oct 2009 11:36:07 +0530", first["date"]);
        Assert.Equal("\"Gurpartap Singh\" <gurpartap@patriots.in>", first["from"]);
        Assert.Equal(["<raj_deol2002in@yahoo.co.in>"], (IReadOnlyList<string>)first["to"]!);
        Assert.Equal("<000301ca4581$ef9e57f0$cedb07d0$@in>", first["msg_id"]);
        Assert.Equal("SMTP", first["subject"]);
        Assert.Equal("250 OK id=1Mugho-0003Dg-Un", first["last_reply"]);
        Assert.Equal("Microsoft Office Outlook 12.0", first["user_agent"]);
        Assert.Equal("LOGIN", first["auth_mechanism"]);
        Assert.Equal("gurpartap@patriots.in", first["auth_user"]);
        Assert.Equal(true, first["auth_success"]);
        Assert.Equal(["SIZE 52428800", "PIPELINING", "AUTH PLAIN LOGIN", "STARTTLS", "HELP"], (IReadOnlyList<string>)first["extensions"]!);

        var second = smtp[1];
        Assert.Equal("[192.168.133.100]", second["helo"]);
        Assert.Equal(["ericlim220@yahoo.com", "felica4uu@hotmail.com", "davis_mark1@outlook.com"], (IReadOnlyList<string>)second["rcptto"]!);
        Assert.Equal(["felica4uu@hotmail.com", "davis_mark1@outlook.com"], (IReadOnlyList<string>)second["cc"]!);
        Assert.Equal("<9ACEE03C-AB98-4046-AEC1-BF4910C61E96@example.com>", second["in_reply_to"]);
        Assert.Equal("Re: Bro SMTP CC Header", second["subject"]);
        Assert.Equal("Apple Mail (2.2102)", second["user_agent"]);
        Assert.Equal("uprise ESMTP SubEthaSMTP null", second["banner"]);

        // No credential in any table.
        var everything = string.Join("\n", rows.Tables.Values.SelectMany(t => t).SelectMany(r => r.Values).Select(StreamRun.Format));
        Assert.DoesNotContain("cHVuamFiQDEyMw", everything);
        Assert.DoesNotContain("punjab@123", everything);
    }

    [SharedPcapsFact]
    public void The_rejected_spam_session_gives_a_refused_and_a_rejected_transaction()
    {
        var rows = Analyzer.Run(Path.Combine(TestData.SharedPcaps!, "smtp-data-rejected.pcap"));
        var smtp = rows["smtp"];
        Assert.Equal([1, 2], smtp.Select(r => (int)r["trans_depth"]!));
        Assert.Equal(["splotchiestzg0@gezydb01.apis.dhl.com", "uprootedx38@gateway2c.dhl.com"], smtp.Select(r => (string?)r["mailfrom"]));
        Assert.Equal([false, false], smtp.Select(r => (bool?)r["accepted"]));
        Assert.Equal("DHL Documents;BL/CI;S1800389114_H0060086", smtp[1]["subject"]);
        Assert.Equal("<dgo.billing@dhl.com> (DHL)", smtp[1]["from"]);
        Assert.Equal("554 5.7.1 Message contains virus: rejected.", smtp[1]["last_reply"]);
        Assert.StartsWith("from [65.201.218.30] (helo=COZOXORY.club)\tby 173-66-46-112", (string)smtp[1]["first_received"]!);

        // ts: the greeting's time for the session's first row, the first command's (RSET) for the next.
        var commands = rows["smtp_commands"];
        Assert.Equal(commands.Single(c => c["command"] is null)["reply_ts"], smtp[0]["ts"]);
        Assert.Equal(commands.Single(c => (string?)c["command"] == "RSET")["ts"], smtp[1]["ts"]);
        Assert.Equal([1, 1, 1, 1, 1, 2, 2, 2, 2, 2], commands.Select(c => (int)c["trans_depth"]!));
        Assert.DoesNotContain(rows["anomalies"], a => ((string)a["name"]!).StartsWith("smtp.", StringComparison.Ordinal));
    }

    [SharedPcapsFact]
    public void A_pipelined_session_beside_an_IMAP_STARTTLS_session_is_found_by_content()
    {
        var rows = Analyzer.Run(Path.Combine(TestData.SharedPcaps!, "smtp-pipelining-and-imap-starttls.pcapng"));
        Assert.Equal(1, rows["flows"].Count(f => (string?)f["service"] == "smtp"));
        var row = Assert.Single(rows["smtp"]);
        Assert.Equal("Help!", row["subject"]);
        Assert.Equal(["sanders@cyberdyne.local"], (IReadOnlyList<string>)row["rcptto"]!);
        Assert.Equal("Mozilla/5.0 (Windows NT 10.0; WOW64; rv:38.0) Gecko/20100101 Thunderbird/38.5.0", row["user_agent"]);
        Assert.Equal(732L, row["message_bytes"]);
    }

    [Fact]
    public void The_own_STARTTLS_capture_gives_the_banner_the_extensions_and_tls()
    {
        var rows = Analyzer.Run(Path.Combine(TestData.OwnCaptures, "smtp-starttls.pcap"));
        Assert.Equal("smtp", Assert.Single(rows["flows"], f => f["service"] is not null)["service"]);
        var row = Assert.Single(rows["smtp"]);
        Assert.Equal("mail.pcapforge.test ESMTP Postfix (Debian/GNU)", row["banner"]);
        Assert.Equal("client.pcapforge.test", row["helo"]);
        Assert.Equal(true, row["tls"]);
        Assert.Equal("220 2.0.0 Ready to start TLS", row["last_reply"]);
        Assert.Equal(["PIPELINING", "SIZE 10240000", "VRFY", "ETRN", "STARTTLS", "ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8", "CHUNKING"],
            (IReadOnlyList<string>)row["extensions"]!);
        Assert.Null(row["mailfrom"]);
        Assert.Equal(["220", "250", "220"], (IReadOnlyList<string>)row["reply_codes"]!);
        var commands = rows["smtp_commands"];
        Assert.Equal([null, "EHLO", "STARTTLS"], commands.Select(c => (string?)c["command"]));
        Assert.Equal([220, 250, 220], commands.Select(c => (int?)c["reply_code"]));
        Assert.DoesNotContain(rows["anomalies"], a => ((string)a["name"]!).StartsWith("smtp.", StringComparison.Ordinal));
    }

    /// <summary>tshark's lines of one reference file as frame → "fields[c] TAB fields[c+1]".</summary>
    private static Dictionary<long, string> Expected(string file, string kind, int commandColumn)
    {
        string path = Path.Combine(TestData.SharedPcaps!, "expected", $"{file}.{kind}.txt");
        return File.ReadAllLines(path).Skip(1).Where(l => l.Length > 0).Select(l => l.Split('\t'))
            .ToDictionary(f => long.Parse(f[0], System.Globalization.CultureInfo.InvariantCulture), f => f[commandColumn] + "\t" + f[commandColumn + 1]);
    }

    private static void Compare(string file, Dictionary<long, string> tshark, Dictionary<long, string> ours, Divergence[] divergences)
    {
        foreach (var d in divergences.Where(d => d.File == file))
        {
            // Each listed divergence must still be there: a list that goes stale fails too.
            Assert.True(tshark.GetValueOrDefault(d.Frame) == d.Tshark, $"{file} frame {d.Frame}: tshark has '{tshark.GetValueOrDefault(d.Frame)}', the divergence says '{d.Tshark}' ({d.Reason})");
            Assert.True(ours.GetValueOrDefault(d.Frame) == d.Ours, $"{file} frame {d.Frame}: we have '{ours.GetValueOrDefault(d.Frame)}', the divergence says '{d.Ours}' ({d.Reason})");
            tshark.Remove(d.Frame);
            ours.Remove(d.Frame);
        }

        string Render(Dictionary<long, string> m) => string.Join("\n", m.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}\t{kv.Value}"));
        Assert.Equal(Render(tshark), Render(ours));
    }
}
