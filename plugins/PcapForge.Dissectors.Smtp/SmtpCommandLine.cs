using System.Buffers.Text;
using System.Text;

namespace PcapForge.Dissectors.Smtp;

/// <summary>The commands the dissector acts on; everything else is <see cref="Other"/> (known) or <see cref="Unknown"/>.</summary>
public enum SmtpVerb
{
    /// <summary>Not an SMTP command.</summary>
    Unknown,

    /// <summary>A known command the state machine does not act on (NOOP, VRFY, HELP, X… extensions).</summary>
    Other,
    Helo,
    Ehlo,
    Mail,
    Rcpt,
    Data,

    /// <summary>RFC 3030 CHUNKING.</summary>
    Bdat,
    Rset,
    Quit,

    /// <summary>RFC 3207.</summary>
    StartTls,

    /// <summary>RFC 4954.</summary>
    Auth,
}

/// <summary>
/// A command line, RFC 5321 §4.1.1: <c>verb [SP parameter] CRLF</c>. <see cref="Parameter"/> is everything after the
/// first space, as Wireshark's <c>smtp.req.parameter</c> shows it (trailing spaces kept). A view over the caller's
/// bytes.
/// </summary>
public readonly ref struct SmtpCommandLine
{
    private SmtpCommandLine(ReadOnlySpan<byte> verb, ReadOnlySpan<byte> parameter)
    {
        Verb = verb;
        Parameter = parameter;
    }

    /// <summary>The command word as sent (any case).</summary>
    public ReadOnlySpan<byte> Verb { get; }

    /// <summary>The bytes after the first space (empty when there are none).</summary>
    public ReadOnlySpan<byte> Parameter { get; }

    /// <summary>Splits a command line given without its line ending; false for an empty line or one that starts with a space.</summary>
    public static bool TryParse(ReadOnlySpan<byte> line, out SmtpCommandLine command)
    {
        command = default;
        int space = line.IndexOf((byte)' ');
        var verb = space < 0 ? line : line[..space];
        if (verb.IsEmpty)
            return false;
        command = new SmtpCommandLine(verb, space < 0 ? default : line[(space + 1)..]);
        return true;
    }

    /// <summary>
    /// Which command a verb is (case-insensitive). Known: RFC 5321 §4.1 and its obsolete siblings (SEND, SOML, SAML,
    /// TURN), ETRN (RFC 1985), ATRN (RFC 2645), BDAT, STARTTLS, AUTH, and any verb starting with X (local extensions,
    /// §4.1.5, such as Postfix's XCLIENT).
    /// </summary>
    public static SmtpVerb Classify(ReadOnlySpan<byte> verb)
    {
        if (verb.Length == 4)
        {
            Span<byte> up = stackalloc byte[4];
            if (Ascii.ToUpper(verb, up, out _) != System.Buffers.OperationStatus.Done)
                return SmtpVerb.Unknown;
            return up switch
            {
                _ when up.SequenceEqual("HELO"u8) => SmtpVerb.Helo,
                // RFC 2033 (LMTP): LHLO is EHLO for local delivery; the parser tells them apart by the command's text.
                _ when up.SequenceEqual("EHLO"u8) || up.SequenceEqual("LHLO"u8) => SmtpVerb.Ehlo,
                _ when up.SequenceEqual("MAIL"u8) => SmtpVerb.Mail,
                _ when up.SequenceEqual("RCPT"u8) => SmtpVerb.Rcpt,
                _ when up.SequenceEqual("DATA"u8) => SmtpVerb.Data,
                _ when up.SequenceEqual("BDAT"u8) => SmtpVerb.Bdat,
                _ when up.SequenceEqual("RSET"u8) => SmtpVerb.Rset,
                _ when up.SequenceEqual("QUIT"u8) => SmtpVerb.Quit,
                _ when up.SequenceEqual("AUTH"u8) => SmtpVerb.Auth,
                _ when up.SequenceEqual("NOOP"u8) || up.SequenceEqual("VRFY"u8) || up.SequenceEqual("EXPN"u8) || up.SequenceEqual("HELP"u8)
                       || up.SequenceEqual("TURN"u8) || up.SequenceEqual("ETRN"u8) || up.SequenceEqual("ATRN"u8) || up.SequenceEqual("SEND"u8)
                       || up.SequenceEqual("SOML"u8) || up.SequenceEqual("SAML"u8) || up.SequenceEqual("VERB"u8) || up.SequenceEqual("ONEX"u8) => SmtpVerb.Other,
                _ when up[0] == (byte)'X' && IsWord(verb) => SmtpVerb.Other,
                _ => SmtpVerb.Unknown,
            };
        }

        if (Ascii.EqualsIgnoreCase(verb, "STARTTLS"u8))
            return SmtpVerb.StartTls;
        return verb.Length is > 1 and <= 20 && (verb[0] | 0x20) == 'x' && IsWord(verb) ? SmtpVerb.Other : SmtpVerb.Unknown;
    }

    /// <summary>
    /// The mailbox of a <c>MAIL FROM:</c> or <c>RCPT TO:</c> parameter (RFC 5321 §4.1.2 Path): the address inside the
    /// angle brackets, without a source route (<c>@a,@b:</c>); <c>""</c> for the null reverse-path <c>&lt;&gt;</c>;
    /// lenient with a space after the colon and with a missing pair of brackets. False when the parameter does not
    /// start with <paramref name="keyword"/> (<c>FROM:</c> or <c>TO:</c>, any case).
    /// </summary>
    public static bool TryParsePath(ReadOnlySpan<byte> parameter, ReadOnlySpan<byte> keyword, out ReadOnlySpan<byte> mailbox)
    {
        mailbox = default;
        if (parameter.Length < keyword.Length || !Ascii.EqualsIgnoreCase(parameter[..keyword.Length], keyword))
            return false;
        var rest = SmtpText.TrimWsp(parameter[keyword.Length..]);
        if (rest.Length > 0 && rest[0] == (byte)'<')
        {
            int close = rest.IndexOf((byte)'>');
            if (close < 0)
                return false;
            var path = rest[1..close];
            int colon = path.IndexOf((byte)':');
            if (path.Length > 0 && path[0] == (byte)'@' && colon >= 0)
                path = path[(colon + 1)..];
            mailbox = path;
            return true;
        }

        int space = rest.IndexOf((byte)' ');
        mailbox = space < 0 ? rest : rest[..space];
        return !mailbox.IsEmpty;
    }

    /// <summary>
    /// The parameter of <c>BDAT chunk-size [SP "LAST"]</c> (RFC 3030 §3): the chunk's size in bytes and whether it is
    /// the last one. False for a missing or non-decimal size (the chunk's end then cannot be known).
    /// </summary>
    public static bool TryParseBdat(ReadOnlySpan<byte> parameter, out long size, out bool last)
    {
        last = false;
        var p = SmtpText.TrimWsp(parameter);
        int space = p.IndexOf((byte)' ');
        var digits = space < 0 ? p : p[..space];
        if (digits.IsEmpty || digits.Length > 18 || digits.IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0
            || !Utf8Parser.TryParse(digits, out size, out int used) || used != digits.Length)
        {
            size = 0;
            return false;
        }

        if (space >= 0)
        {
            var flag = SmtpText.TrimWsp(p[(space + 1)..]);
            if (!Ascii.EqualsIgnoreCase(flag, "LAST"u8))
                return false;
            last = true;
        }

        return true;
    }

    private static bool IsWord(ReadOnlySpan<byte> verb)
    {
        foreach (byte b in verb)
        {
            if (!(char.IsAsciiLetterOrDigit((char)b) || b == (byte)'-' || b == (byte)'_'))
                return false;
        }

        return true;
    }
}
