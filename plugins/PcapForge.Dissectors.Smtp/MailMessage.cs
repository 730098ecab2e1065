using System.Net;
using System.Text;

namespace PcapForge.Dissectors.Smtp;

/// <summary>What the smtp row shows of one message: its top-level header fields (RFC 5322 §3.6) and its sizes.</summary>
internal sealed class MailMessage
{
    public string? Date, From, ReplyTo, MsgId, InReplyTo, Subject, XOriginatingIp, FirstReceived, SecondReceived, UserAgent;
    public List<string>? To, Cc;

    /// <summary>Bytes of the message as delivered (dot-stuffing removed, terminator excluded; BDAT: the chunks).</summary>
    public long MessageBytes;

    /// <summary>Bytes of the header section (up to and including its blank line), once it has ended.</summary>
    public long HeaderBytes;

    public bool HeadersEnded;

    /// <summary>Bytes after the header section.</summary>
    public long BodyBytes => HeadersEnded ? MessageBytes - HeaderBytes : 0;
}

/// <summary>Problems the message reader reports through its owner.</summary>
internal enum MessageProblem
{
    HeaderTooLong,
    HeaderSectionTooLarge,
    TooManyAddresses,
}

/// <summary>
/// Reads a message's bytes as they come (from DATA after dot-unstuffing, or BDAT chunks) and keeps the header fields
/// the smtp row shows. Header fields are unfolded (RFC 5322 §2.2.3) in a buffer of <see cref="MaxField"/> bytes:
/// the only bytes copied, so a field split across segments or chunks costs one copy and nothing is ever re-offered;
/// the body is counted, never stored. The header section ends at the first empty line, or at a line that is not
/// a header field (no <c>name:</c>; such a line counts as body), or after <see cref="MaxHeaderSection"/> bytes.
/// </summary>
internal sealed class MessageReader(Action<MessageProblem, string> report)
{
    /// <summary>Longest header field kept, folded lines included (RFC 5322 §2.1.1 limits a line to 998 bytes; a field may fold over several).</summary>
    public const int MaxField = 8192;

    /// <summary>Longest header section parsed; past it the rest of the message is counted as body.</summary>
    public const int MaxHeaderSection = 65536;

    /// <summary>Most addresses kept in <c>to</c> and in <c>cc</c> (Zeek's max_to_addresses is 1000).</summary>
    public const int MaxAddresses = 1000;

    // Allocated with the first message: a parser is created for every TCP flow the heuristic is offered.
    private byte[] _field = [], _unfolded = [];
    private MailMessage? _message;
    private int _stored;
    private long _fieldBytes;
    private long _lineLength;
    private bool _lineIsContinuation;
    private long _headerBytes;
    private bool _longReported;

    /// <summary>The message being read, or null.</summary>
    public MailMessage? Message => _message;

    public void Start(MailMessage message)
    {
        if (_field.Length == 0)
        {
            _field = new byte[MaxField];
            _unfolded = new byte[MaxField];
        }

        _message = message;
        _stored = 0;
        _fieldBytes = 0;
        _lineLength = 0;
        _lineIsContinuation = false;
        _headerBytes = 0;
        _longReported = false;
    }

    /// <summary>More bytes of the message, in order.</summary>
    public void Feed(ReadOnlySpan<byte> data)
    {
        var m = _message;
        if (m is null)
            return;
        while (!data.IsEmpty)
        {
            if (m.HeadersEnded)
            {
                m.MessageBytes += data.Length;
                return;
            }

            int lf = data.IndexOf((byte)'\n');
            var piece = lf < 0 ? data : data[..(lf + 1)];
            if (_headerBytes + piece.Length > MaxHeaderSection)
            {
                // The section ends exactly at the limit, wherever the segments were cut; the field in progress is lost.
                report(MessageProblem.HeaderSectionTooLarge, $"header section passed {MaxHeaderSection} bytes; the rest of the message is counted as body");
                EndHeaders(MaxHeaderSection);
                m.MessageBytes += data.Length;
                return;
            }

            data = data[piece.Length..];
            m.MessageBytes += piece.Length;
            _headerBytes += piece.Length;
            if (_lineLength == 0)
                BeginLine(piece[0]);
            _lineLength += piece.Length;
            Store(piece);
            if (lf >= 0)
                EndLine();
        }
    }

    /// <summary>Bytes of the message were lost: header parsing stops there (what follows is counted as body).</summary>
    public void Gap()
    {
        if (_message is { HeadersEnded: false })
        {
            _stored = 0;
            _fieldBytes = 0;
            EndHeaders(_headerBytes);
        }
    }

    /// <summary>The message ended (end of data, last chunk, or the connection).</summary>
    public MailMessage? Finish()
    {
        var m = _message;
        if (m is { HeadersEnded: false })
        {
            // A message of headers only (no empty line before the end): its last field is complete now.
            ProcessField();
            _stored = 0;
            _fieldBytes = 0;
        }

        _message = null;
        return m;
    }

    /// <summary>A physical line starts with <paramref name="first"/>: unless it folds the current field, that field is complete.</summary>
    private void BeginLine(byte first)
    {
        _lineIsContinuation = first is (byte)' ' or (byte)'\t';
        if (_lineIsContinuation)
            return;
        ProcessField();
        _stored = 0;
        _fieldBytes = 0;
    }

    private void EndLine()
    {
        long length = _lineLength;
        _lineLength = 0;
        // BeginLine emptied the buffer for a line that does not fold, so the line is at its start.
        bool blank = !_lineIsContinuation && (length == 1 || (length == 2 && _field[0] == (byte)'\r'));
        if (blank)
        {
            // RFC 5322 §2.1: the empty line ends the header section and belongs to it.
            _stored = 0;
            _fieldBytes = 0;
            EndHeaders(_headerBytes);
            return;
        }

        bool field = _lineIsContinuation ? _fieldBytes > length : IsFieldStart(_field.AsSpan(0, _stored));
        if (!field)
        {
            // Not a header field (or a folded line with nothing to fold into): the header section is over and this line is body.
            _stored = 0;
            _fieldBytes = 0;
            EndHeaders(_headerBytes - length);
        }
    }

    private void Store(ReadOnlySpan<byte> piece)
    {
        _fieldBytes += piece.Length;
        int room = _field.Length - _stored;
        if (piece.Length > room && !_longReported)
        {
            _longReported = true;
            report(MessageProblem.HeaderTooLong, $"a header field passed {MaxField} bytes; its value is kept truncated");
        }

        int n = Math.Min(room, piece.Length);
        piece[..n].CopyTo(_field.AsSpan(_stored));
        _stored += n;
    }

    private void EndHeaders(long headerBytes)
    {
        var m = _message!;
        m.HeadersEnded = true;
        m.HeaderBytes = headerBytes;
    }

    /// <summary>RFC 5322 §3.6.8: <c>field-name = 1*ftext ":"</c>, ftext being printable ASCII but the colon (obsolete syntax allows spaces before the colon).</summary>
    private static bool IsFieldStart(ReadOnlySpan<byte> line)
    {
        int colon = line.IndexOf((byte)':');
        if (colon <= 0)
            return false;
        var name = SmtpText.TrimWsp(line[..colon]);
        return !name.IsEmpty && name.IndexOfAnyExceptInRange((byte)33, (byte)126) < 0;
    }

    private void ProcessField()
    {
        if (_stored == 0 || _message is not { } m)
            return;
        var field = _field.AsSpan(0, _stored);
        int colon = field.IndexOf((byte)':');
        if (colon <= 0)
            return;
        var name = SmtpText.TrimWsp(field[..colon]);

        // Unfolding (RFC 5322 §2.2.3) removes each CRLF that precedes the folding white space; the trailing one goes too.
        var raw = field[(colon + 1)..];
        int n = 0;
        foreach (byte b in raw)
        {
            if (b is not ((byte)'\r' or (byte)'\n'))
                _unfolded[n++] = b;
        }

        var value = SmtpText.TrimWsp(_unfolded.AsSpan(0, n));
        if (Is(name, "Subject"u8))
            m.Subject = SmtpText.Decode(value);
        else if (Is(name, "From"u8))
            m.From = SmtpText.Decode(value);
        else if (Is(name, "To"u8))
            m.To = AddAddresses(m.To, value);
        else if (Is(name, "Cc"u8))
            m.Cc = AddAddresses(m.Cc, value);
        else if (Is(name, "Date"u8))
            m.Date = SmtpText.Decode(value);
        else if (Is(name, "Message-ID"u8))
            m.MsgId = SmtpText.Decode(value);
        else if (Is(name, "Reply-To"u8))
            m.ReplyTo = SmtpText.Decode(value);
        else if (Is(name, "In-Reply-To"u8))
            m.InReplyTo = SmtpText.Decode(value);
        else if (Is(name, "X-Mailer"u8) || Is(name, "User-Agent"u8) || Is(name, "X-User-Agent"u8))
            m.UserAgent = SmtpText.Decode(value);
        else if (Is(name, "Received"u8))
        {
            // Zeek's order: each Received moves the previous one to second_received, so first_received ends as the
            // last Received of the section (the oldest hop) and second_received as the one above it.
            m.SecondReceived = m.FirstReceived;
            m.FirstReceived = SmtpText.Decode(value);
        }
        else if (Is(name, "X-Originating-IP"u8))
            m.XOriginatingIp = FirstAddress(value) ?? m.XOriginatingIp;
    }

    private static bool Is(ReadOnlySpan<byte> name, ReadOnlySpan<byte> wanted) => Ascii.EqualsIgnoreCase(name, wanted);

    /// <summary>
    /// The addresses of a To or Cc field (RFC 5322 §3.4 address-list), each as written (display name included, as
    /// Zeek's split_mime_email_addresses keeps it), split at commas outside quotes, angle brackets and comments.
    /// </summary>
    private List<string>? AddAddresses(List<string>? list, ReadOnlySpan<byte> value)
    {
        int start = 0, angle = 0, paren = 0;
        bool quoted = false;
        for (int i = 0; i <= value.Length; i++)
        {
            if (i < value.Length)
            {
                byte b = value[i];
                if (quoted)
                {
                    if (b == (byte)'\\')
                        i++;
                    else if (b == (byte)'"')
                        quoted = false;
                    continue;
                }

                switch (b)
                {
                    case (byte)'"': quoted = true; continue;
                    case (byte)'<': angle++; continue;
                    case (byte)'>': angle = Math.Max(0, angle - 1); continue;
                    case (byte)'(': paren++; continue;
                    case (byte)')': paren = Math.Max(0, paren - 1); continue;
                    case (byte)',' when angle == 0 && paren == 0: break;
                    default: continue;
                }
            }

            var part = SmtpText.TrimWsp(value[start..Math.Min(i, value.Length)]);
            start = i + 1;
            if (part.IsEmpty)
                continue;
            list ??= new List<string>();
            string address = SmtpText.Decode(part);
            if (list.Contains(address))
                continue;
            if (list.Count >= MaxAddresses)
            {
                report(MessageProblem.TooManyAddresses, $"more than {MaxAddresses} addresses in To or Cc; the rest are not kept");
                break;
            }

            list.Add(address);
        }

        return list;
    }

    /// <summary>The first IPv4 or IPv6 address in the value (<c>[192.0.2.1]</c>, <c>192.0.2.1 (via proxy)</c>), as Zeek's extract_ip_addresses.</summary>
    private static string? FirstAddress(ReadOnlySpan<byte> value)
    {
        int i = 0;
        while (i < value.Length)
        {
            int start = i;
            while (i < value.Length && (char.IsAsciiHexDigit((char)value[i]) || value[i] is (byte)'.' or (byte)':'))
                i++;
            var token = value[start..i];
            if (token.Length >= 2 && (token.Contains((byte)'.') || token.Contains((byte)':'))
                && IPAddress.TryParse(Encoding.ASCII.GetString(token), out var address))
                return address.ToString();
            i = Math.Max(i, start + 1);
        }

        return null;
    }
}
