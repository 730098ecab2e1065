using PcapForge.Abstractions.Dissection;
using PcapForge.Abstractions.Records;

namespace PcapForge.Dissectors.Smtp;

/// <summary>The anomalies the SMTP parser reports (declared in <see cref="SmtpDissector.AnomalyDeclarations"/>, in this order).</summary>
internal enum SmtpAnomaly
{
    MalformedReply,
    LineTooLong,
    CommandWithoutGreeting,
    UnknownCommand,
    MalformedCommand,
    HeaderTooLong,
    HeaderSectionTooLarge,
    TooManyAddresses,
    Gap,
    UnmatchedReply,
    ReplyDuringData,
    DataEndBareLf,
    UnterminatedData,
    ClientDidNotWait,
    ReplyTooLarge,
    TooManyPendingCommands,
}

/// <summary>
/// SMTP (RFC 5321) over TCP, with message headers (RFC 5322), CHUNKING/BDAT (RFC 3030), AUTH (RFC 4954), STARTTLS
/// (RFC 3207) and PIPELINING (RFC 2920). It writes one <c>smtp</c> row per mail transaction, as Zeek's smtp.log,
/// and one <c>smtp_commands</c> row per command with the reply it got. Offered flows on ports 25 and 587 and, by
/// content, every TCP flow (heuristic): it rejects a flow on its first bytes unless the responder's first line is
/// a reply (<c>220 …</c>) or the originator starts with EHLO/HELO, and confirms only when the server accepts
/// EHLO, HELO, MAIL, RCPT or STARTTLS — FTP greets with 220 too, so a greeting alone proves nothing.
/// </summary>
[StreamDissectorExport("smtp")]
public sealed class SmtpDissector : IStreamDissector
{
    /// <summary>Anomaly names and meanings, indexed by <see cref="SmtpAnomaly"/>.</summary>
    internal static readonly (string Name, string Description)[] AnomalyDeclarations =
    [
        ("smtp.malformed_reply", "A server line that is not a reply line ('ddd text', 'ddd-text', RFC 5321 §4.2), or a multi-line reply whose lines disagree on the code; the line is skipped"),
        ("smtp.line_too_long", $"A command or reply line longer than {SmtpParser.MaxLine} bytes with its CRLF (RFC 5321 §4.5.3.1.4-5 say 512; longer lines are accepted up to this limit): read truncated, its rest skipped; or a message line longer than that (RFC 5321 §4.5.3.1.6 says 1000), reported once per message"),
        ("smtp.command_without_greeting", "The client sent a command before the server's greeting (a client that does not wait, RFC 5321 §3.1, or a capture that missed the greeting)"),
        ("smtp.unknown_command", "A client line whose verb is not an SMTP command (RFC 5321 §4.1, extensions, X-commands), or an empty line"),
        ("smtp.malformed_command", "MAIL without FROM:<path>, RCPT without TO:<path> (RFC 5321 §4.1.2), BDAT without a decimal size (RFC 3030 §3), or a PLAIN/LOGIN response that is not base64 of a user name (RFC 4616): recorded, but its address, chunk or user is unknown"),
        ("smtp.header_too_long", $"A message header field longer than {MessageReader.MaxField} bytes with its folded lines; its value is kept truncated"),
        ("smtp.header_section_too_large", $"A message header section longer than {MessageReader.MaxHeaderSection} bytes; header parsing stops and the rest is counted as body"),
        ("smtp.too_many_addresses", $"More than {SmtpParser.MaxRecipients} RCPT TO recipients in a transaction, or {MessageReader.MaxAddresses} addresses in To or Cc; the rest are not kept"),
        ("smtp.gap", "The capture lost bytes of the connection (commands, replies, message data or a BDAT chunk); parsing goes on with the bytes after it if they start a line (a reply code, a verb, message data), else at the next line"),
        ("smtp.unmatched_reply", "A server reply when no command was waiting for one (other than the greeting and an unsolicited 421, RFC 5321 §3.8)"),
        ("smtp.reply_during_data", "The server replied while the client was sending message data; the message is taken as ended there and the client's next line is read as a command"),
        ("smtp.data_end_bare_lf", "The end-of-data line '.' was delimited by a bare LF instead of CRLF (RFC 5321 §4.1.1.4); servers disagree on such endings, which is how SMTP smuggling works"),
        ("smtp.unterminated_data", "The connection ended inside message data (no end-of-data line) or inside a BDAT chunk"),
        ("smtp.client_did_not_wait", $"The client sent {SmtpParser.HoldLimit} bytes after DATA, AUTH or STARTTLS before the server's reply (or the capture lacks the reply); they are read as if the server had accepted"),
        ("smtp.reply_too_large", $"A reply of more than {SmtpReply.MaxLines} lines; the further lines are not kept"),
        ("smtp.too_many_pending_commands", $"More than {SmtpParser.MaxPending} commands waiting for replies (a capture of one direction, or a server that stopped answering); the oldest are recorded without a reply"),
    ];

    internal AnomalyHandle[] Anomalies { get; } = new AnomalyHandle[AnomalyDeclarations.Length];

    internal RecordTableHandle Transactions { get; private set; }

    internal RecordTableHandle Commands { get; private set; }

    /// <summary>Columns of the <c>smtp</c> table, in the order <see cref="SmtpParser"/> writes them.</summary>
    internal static readonly ColumnDescriptor[] TransactionColumns =
    [
        new("ts", ColumnType.Timestamp, "Time of the transaction's first line: the greeting for a session's first row, else its first command (Zeek: when the message was first seen)"),
        new("trans_depth", ColumnType.Int32, "Ordinal of this row within the connection, from 1 (Zeek counts only completed messages)"),
        new("helo", ColumnType.String, "Argument of the last HELO or EHLO before this row"),
        new("mailfrom", ColumnType.String, "Mailbox of MAIL FROM (RFC 5321 reverse-path, without angle brackets; empty for the null path <>)"),
        new("rcptto", ColumnType.StringList, "Mailboxes of every RCPT TO of the transaction, accepted or not, in order without repeats"),
        new("date", ColumnType.String, "Date header of the message"),
        new("from", ColumnType.String, "From header of the message"),
        new("to", ColumnType.StringList, "Addresses of the To headers (each as written, display name included)"),
        new("cc", ColumnType.StringList, "Addresses of the Cc headers (each as written, display name included)"),
        new("reply_to", ColumnType.String, "Reply-To header of the message"),
        new("msg_id", ColumnType.String, "Message-ID header of the message"),
        new("in_reply_to", ColumnType.String, "In-Reply-To header of the message"),
        new("subject", ColumnType.String, "Subject header of the message (RFC 2047 encoded words are not decoded)"),
        new("x_originating_ip", ColumnType.String, "The address in the X-Originating-IP header"),
        new("first_received", ColumnType.String, "The last Received header of the message (Zeek's first_received: the oldest hop)"),
        new("second_received", ColumnType.String, "The Received header above first_received"),
        new("last_reply", ColumnType.String, "Code and text of the last line of the last reply in this transaction"),
        new("user_agent", ColumnType.String, "X-Mailer, User-Agent or X-User-Agent header of the message"),
        new("tls", ColumnType.Boolean, "The server accepted STARTTLS: what follows is encrypted and not parsed"),
        new("banner", ColumnType.String, "Text of the server's greeting, its lines joined with \\n (without the code)"),
        new("extensions", ColumnType.StringList, "Extensions advertised in the EHLO reply (e.g. PIPELINING, SIZE 10240000, STARTTLS, AUTH PLAIN LOGIN)"),
        new("auth_mechanism", ColumnType.String, "SASL mechanism of the last AUTH command (RFC 4954), upper-cased"),
        new("auth_user", ColumnType.String, "User name of a cleartext PLAIN, LOGIN, CRAM-MD5, SCRAM-*, XOAUTH2 or OAUTHBEARER exchange, decoded from base64 (the password, digest or token is never recorded)"),
        new("auth_success", ColumnType.Boolean, "The last AUTH exchange ended with a 2xx reply (235); false for 4xx/5xx"),
        new("rcptto_rejected", ColumnType.StringList, "Mailboxes of the RCPT TO commands the server refused (4xx/5xx)"),
        new("accepted", ColumnType.Boolean, "The server accepted the message (2xx after the end of data or BDAT LAST); false when it refused the message or MAIL, DATA, BDAT or every RCPT; null when no answer decides"),
        new("message_bytes", ColumnType.Int64, "Size of the message sent (headers and body, dot-stuffing removed, terminator excluded; BDAT: the chunks)"),
        new("body_bytes", ColumnType.Int64, "Size of the message after its header section"),
        new("reply_codes", ColumnType.StringList, "Code of every reply while this row was open, in order (greeting, EHLO, MAIL, RCPT, DATA, end of data…)"),
    ];

    /// <summary>Columns of the <c>smtp_commands</c> table.</summary>
    internal static readonly ColumnDescriptor[] CommandColumns =
    [
        new("ts", ColumnType.Timestamp, "Time of the frame that completed the command line (the reply's, for a row without a command)"),
        new("trans_depth", ColumnType.Int32, "The smtp row (same flow_uid and trans_depth) this command belongs to"),
        new("frame", ColumnType.Int64, "Frame that completed the command line (Wireshark's frame of smtp.req)"),
        new("command", ColumnType.String, "Command verb as sent (smtp.req.command); '.' for the end of message data; null for the greeting and for a reply no command waited for"),
        new("parameter", ColumnType.String, "Everything after the verb and one space (smtp.req.parameter); for AUTH the mechanism only, never the credentials"),
        new("reply_code", ColumnType.Int32, "Code of the reply (smtp.response.code); for AUTH the exchange's final reply; null when none was captured"),
        new("reply_text", ColumnType.String, "Text of the reply's lines joined with \\n (smtp.rsp.parameter)"),
        new("reply_frame", ColumnType.Int64, "Frame that completed the reply"),
        new("reply_ts", ColumnType.Timestamp, "Time of the frame that completed the reply"),
    ];

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("smtp", "Simple Mail Transfer Protocol", "Mail transfer and submission (RFC 5321) with message headers, STARTTLS, AUTH, PIPELINING and CHUNKING");
        for (int i = 0; i < AnomalyDeclarations.Length; i++)
            Anomalies[i] = setup.Anomaly(AnomalyDeclarations[i].Name, AnomalyDeclarations[i].Description);
        Transactions = setup.RecordTable("smtp", "One row per mail transaction (MAIL FROM to end of data, as Zeek's smtp.log); a session without one gives a row for its greeting, EHLO and STARTTLS", TransactionColumns);
        Commands = setup.RecordTable("smtp_commands", "One row per SMTP command with the reply it got, in order; joins smtp on flow_uid and trans_depth", CommandColumns);

        // Submission (587, RFC 6409) and relay (25). Port 465 is implicit TLS (RFC 8314): there is nothing to parse.
        setup.AttachTo("tcp.port", 25);
        setup.AttachTo("tcp.port", 587);
        setup.AttachHeuristic("tcp");
    }

    public IStreamParser CreateParser(StreamContext context) => new SmtpParser(this, context);

    /// <summary>
    /// The parser's own first test: a server starts with a reply code (<see cref="SmtpReplyLine.StartsLikeReply"/>),
    /// a client that speaks first with EHLO or HELO (<see cref="SmtpParser.FirstClientBytesPlausible"/>).
    /// </summary>
    public bool Probe(in StreamProbe first) => first.Direction == StreamDirection.FromResponder
        ? SmtpReplyLine.StartsLikeReply(first.Data)
        : SmtpParser.FirstClientBytesPlausible(first.Data);
}
