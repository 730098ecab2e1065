using System.Text;
using System.Text.Unicode;

namespace PcapForge.Dissectors.Smtp;

/// <summary>What a <c>TryParse</c> over bytes that may still be arriving found (Kestrel's three outcomes).</summary>
public enum SmtpParseStatus
{
    /// <summary>A whole item was parsed; the number of bytes it took is returned beside it.</summary>
    Done,

    /// <summary>The bytes so far are a valid beginning: read more and call again. Nothing was consumed.</summary>
    Incomplete,

    /// <summary>The bytes are not what was asked for (or exceed the documented limits).</summary>
    Malformed,
}

/// <summary>
/// One line of an SMTP reply, RFC 5321 §4.2: <c>Reply-code [ ("-" / SP) textstring ] CRLF</c>. The code is three
/// digits whose first is 2–5 (§4.2.1); a hyphen after the code says more lines of the same reply follow, a space
/// (or nothing) marks the last line. A view over the caller's bytes: nothing is copied.
/// </summary>
public readonly ref struct SmtpReplyLine
{
    /// <summary>Offset of the separator after the three digits of the code.</summary>
    private const int SeparatorOffset = 3;

    private SmtpReplyLine(int code, bool isLast, ReadOnlySpan<byte> text)
    {
        Code = code;
        IsLast = isLast;
        Text = text;
    }

    /// <summary>The reply code (e.g. 250).</summary>
    public int Code { get; }

    /// <summary>True for the last line of a reply (code followed by a space or by nothing).</summary>
    public bool IsLast { get; }

    /// <summary>The text after the code and its separator (may be empty).</summary>
    public ReadOnlySpan<byte> Text { get; }

    /// <summary>
    /// Parses one reply line given without its line ending (CRLF, or a bare LF that a lenient reader accepted).
    /// False when the line does not start with a valid code and separator.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> line, out SmtpReplyLine reply)
    {
        reply = default;
        if (!StartsLikeReply(line) || line.Length < SeparatorOffset)
            return false;
        int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
        if (line.Length == SeparatorOffset)
        {
            reply = new SmtpReplyLine(code, true, default);
            return true;
        }

        byte separator = line[SeparatorOffset];
        if (separator is not ((byte)' ' or (byte)'-'))
            return false;
        reply = new SmtpReplyLine(code, separator == ' ', line[(SeparatorOffset + 1)..]);
        return true;
    }

    /// <summary>
    /// Whether the first bytes of a line (however few have arrived) can begin a reply line: a digit 2–5, two digits,
    /// then a space, a hyphen or the line's end. Used to reject a non-SMTP peer on its first bytes.
    /// </summary>
    public static bool StartsLikeReply(ReadOnlySpan<byte> prefix)
    {
        for (int i = 0; i < prefix.Length && i <= SeparatorOffset; i++)
        {
            byte b = prefix[i];
            bool ok = i switch
            {
                0 => b is >= (byte)'2' and <= (byte)'5',
                SeparatorOffset => b is (byte)' ' or (byte)'-' or (byte)'\r' or (byte)'\n',
                _ => b is >= (byte)'0' and <= (byte)'9',
            };
            if (!ok)
                return false;
        }

        return true;
    }
}

/// <summary>
/// A whole SMTP reply (RFC 5321 §4.2), single- or multi-line, with its text decoded: what the service scanner reads
/// after connecting (the greeting) and after sending EHLO (the extensions, <see cref="SmtpExtensions"/>).
/// </summary>
public sealed class SmtpReply
{
    /// <summary>Longest reply line accepted, CRLF included. RFC 5321 §4.5.3.1.5 says 512; real servers exceed it.</summary>
    public const int MaxLineLength = 4096;

    /// <summary>Most lines in one reply (an EHLO reply has one per extension, rarely more than 20).</summary>
    public const int MaxLines = 200;

    /// <summary>Creates a reply from its code and the text of each line.</summary>
    public SmtpReply(int code, IReadOnlyList<string> lines)
    {
        Code = code;
        Lines = lines;
    }

    /// <summary>The reply code (the same on every line of a well-formed reply).</summary>
    public int Code { get; }

    /// <summary>The text of each line after the code and separator, in order; at least one (maybe empty) entry.</summary>
    public IReadOnlyList<string> Lines { get; }

    /// <summary>The lines' text joined with <c>\n</c>.</summary>
    public string Text => string.Join('\n', Lines);

    /// <summary>Code and text of the last line, as Zeek's <c>last_reply</c>: <c>250 2.0.0 Ok: queued as 1234</c>.</summary>
    public string LastLine => Lines.Count == 0 || Lines[^1].Length == 0 ? Code.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{Code} {Lines[^1]}";

    /// <summary>
    /// Parses one reply at the start of <paramref name="data"/>: <see cref="SmtpParseStatus.Done"/> with the bytes it
    /// took in <paramref name="consumed"/>, <see cref="SmtpParseStatus.Incomplete"/> when the last line has not
    /// arrived, <see cref="SmtpParseStatus.Malformed"/> when a line is not a reply line, lines disagree on the code,
    /// or a limit (<see cref="MaxLineLength"/>, <see cref="MaxLines"/>) is passed. Lines end with CRLF or a bare LF.
    /// </summary>
    public static SmtpParseStatus TryParse(ReadOnlySpan<byte> data, out SmtpReply? reply, out int consumed)
    {
        reply = null;
        consumed = 0;
        var lines = new List<string>();
        int code = -1;
        int pos = 0;
        while (true)
        {
            var rest = data[pos..];
            int lf = rest.IndexOf((byte)'\n');
            if (lf < 0)
            {
                bool canGrow = rest.Length < MaxLineLength && SmtpReplyLine.StartsLikeReply(rest);
                return canGrow ? SmtpParseStatus.Incomplete : SmtpParseStatus.Malformed;
            }

            if (lf + 1 > MaxLineLength || !SmtpReplyLine.TryParse(SmtpText.TrimCr(rest[..lf]), out var line) || (code >= 0 && line.Code != code))
                return SmtpParseStatus.Malformed;
            code = line.Code;
            lines.Add(SmtpText.Decode(line.Text));
            if (lines.Count > MaxLines)
                return SmtpParseStatus.Malformed;
            pos += lf + 1;
            if (line.IsLast)
            {
                reply = new SmtpReply(code, lines);
                consumed = pos;
                return SmtpParseStatus.Done;
            }
        }
    }
}

/// <summary>Text helpers shared by the parsers.</summary>
internal static class SmtpText
{
    /// <summary>
    /// Bytes as a string: UTF-8 when they are valid UTF-8 (RFC 6531/6532 allow it), else Latin-1 so that 8-bit text
    /// in a legacy charset keeps one character per byte instead of becoming replacement characters.
    /// </summary>
    public static string Decode(ReadOnlySpan<byte> bytes) =>
        bytes.IsEmpty ? "" : Utf8.IsValid(bytes) ? Encoding.UTF8.GetString(bytes) : Encoding.Latin1.GetString(bytes);

    /// <summary>The line without one trailing CR (the CR of its CRLF).</summary>
    public static ReadOnlySpan<byte> TrimCr(ReadOnlySpan<byte> line) =>
        line.Length > 0 && line[^1] == (byte)'\r' ? line[..^1] : line;

    /// <summary>Without leading and trailing spaces and tabs (RFC 5234 WSP).</summary>
    public static ReadOnlySpan<byte> TrimWsp(ReadOnlySpan<byte> s)
    {
        int start = 0, end = s.Length;
        while (start < end && s[start] is (byte)' ' or (byte)'\t')
            start++;
        while (end > start && s[end - 1] is (byte)' ' or (byte)'\t')
            end--;
        return s[start..end];
    }
}
