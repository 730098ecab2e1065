using System.Globalization;

namespace PcapForge.Dissectors.Smtp;

/// <summary>
/// The server greeting (RFC 5321 §4.2, §3.1): <c>220 domain text</c>, possibly over several lines. 220 offers
/// service; 554 (and 421) refuse it. A view over a parsed <see cref="SmtpReply"/>, for the scanner's banner.
/// </summary>
public sealed class SmtpGreeting
{
    private SmtpGreeting(int code, string domain, string text, string banner)
    {
        Code = code;
        Domain = domain;
        Text = text;
        Banner = banner;
    }

    /// <summary>The greeting's code: 220 ready, 554 no service, 421 not available.</summary>
    public int Code { get; }

    /// <summary>The first word of the first line: the server's name for itself (RFC 5321 §4.3.1).</summary>
    public string Domain { get; }

    /// <summary>The rest of the first line (e.g. <c>ESMTP Postfix (Ubuntu)</c>).</summary>
    public string Text { get; }

    /// <summary>Every line's text joined with <c>\n</c>, as the <c>banner</c> column holds it.</summary>
    public string Banner { get; }

    /// <summary>The first line names ESMTP (RFC 1869's convention, which every common server follows).</summary>
    public bool IsEsmtp => HasWord(Text, "ESMTP");

    /// <summary>
    /// Reads a greeting from a reply: true for codes 220, 421 and 554, the ones RFC 5321 §3.1 and §4.3.2 allow as an
    /// opening reply. (FTP also greets with 220: a greeting alone does not prove SMTP.)
    /// </summary>
    public static bool TryParse(SmtpReply reply, out SmtpGreeting? greeting)
    {
        greeting = null;
        if (reply.Code is not (220 or 421 or 554))
            return false;
        string first = reply.Lines.Count > 0 ? reply.Lines[0] : "";
        int space = first.IndexOf(' ');
        greeting = new SmtpGreeting(reply.Code, space < 0 ? first : first[..space], space < 0 ? "" : first[(space + 1)..], reply.Text);
        return true;
    }

    private static bool HasWord(string text, string word)
    {
        foreach (var part in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (string.Equals(part, word, StringComparison.OrdinalIgnoreCase))
                return true;
        }

        return false;
    }
}

/// <summary>
/// The service extensions a server advertises in its EHLO reply (RFC 5321 §4.1.1.1): the first line is
/// <c>domain [greeting]</c>, each further line <c>ehlo-keyword *(SP ehlo-param)</c>, e.g. <c>PIPELINING</c>
/// (RFC 2920), <c>SIZE 10240000</c> (RFC 1870), <c>STARTTLS</c> (RFC 3207), <c>AUTH PLAIN LOGIN</c> (RFC 4954),
/// <c>CHUNKING</c> (RFC 3030). Keywords are case-insensitive.
/// </summary>
public sealed class SmtpExtensions
{
    private SmtpExtensions(string domain, string greeting, IReadOnlyList<string> lines)
    {
        Domain = domain;
        Greeting = greeting;
        Lines = lines;
    }

    /// <summary>The server's domain (first word of the first line).</summary>
    public string Domain { get; }

    /// <summary>The rest of the first line (often empty, or "Hello client [addr]").</summary>
    public string Greeting { get; }

    /// <summary>Each extension line as advertised (keyword and parameters, trimmed), in order.</summary>
    public IReadOnlyList<string> Lines { get; }

    /// <summary>
    /// Reads the extensions from an EHLO reply; false unless the reply is a 250 (a HELO reply, or a refused EHLO,
    /// advertises nothing).
    /// </summary>
    public static bool TryParse(SmtpReply reply, out SmtpExtensions? extensions)
    {
        extensions = null;
        if (reply.Code != 250 || reply.Lines.Count == 0)
            return false;
        extensions = FromLines(reply.Lines);
        return true;
    }

    /// <summary>From the text of the reply's lines (the first being the domain line).</summary>
    public static SmtpExtensions FromLines(IReadOnlyList<string> lines)
    {
        string first = lines.Count > 0 ? lines[0].Trim() : "";
        int space = first.IndexOf(' ');
        var rest = new List<string>(Math.Max(0, lines.Count - 1));
        for (int i = 1; i < lines.Count; i++)
        {
            string line = lines[i].Trim();
            if (line.Length > 0)
                rest.Add(line);
        }

        return new SmtpExtensions(space < 0 ? first : first[..space], space < 0 ? "" : first[(space + 1)..].Trim(), rest);
    }

    /// <summary>Whether the keyword is advertised (case-insensitive): <c>Has("STARTTLS")</c>.</summary>
    public bool Has(string keyword) => Parameters(keyword) is not null;

    /// <summary>
    /// The parameters after an advertised keyword (<c>"10240000"</c> for SIZE, <c>""</c> for PIPELINING), or null
    /// when it is not advertised. <c>AUTH=PLAIN LOGIN</c>, an old Microsoft spelling, counts as AUTH.
    /// </summary>
    public string? Parameters(string keyword)
    {
        foreach (string line in Lines)
        {
            int end = line.IndexOfAny([' ', '=']);
            string word = end < 0 ? line : line[..end];
            if (string.Equals(word, keyword, StringComparison.OrdinalIgnoreCase))
                return end < 0 ? "" : line[(end + 1)..].Trim();
        }

        return null;
    }

    /// <summary>The SASL mechanisms of the AUTH extension (RFC 4954 §3), upper-cased, in order, without repeats.</summary>
    public IReadOnlyList<string> AuthMechanisms
    {
        get
        {
            var mechanisms = new List<string>();
            foreach (string line in Lines)
            {
                int end = line.IndexOfAny([' ', '=']);
                if (end < 0 || !string.Equals(line[..end], "AUTH", StringComparison.OrdinalIgnoreCase))
                    continue;
                foreach (string m in line[(end + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    string upper = m.ToUpperInvariant();
                    if (!mechanisms.Contains(upper))
                        mechanisms.Add(upper);
                }
            }

            return mechanisms;
        }
    }

    /// <summary>The SIZE limit in bytes (RFC 1870; 0 means no limit), or null when SIZE is absent or has no number.</summary>
    public long? MaxSize =>
        Parameters("SIZE") is { } p && long.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out long size) ? size : null;
}
