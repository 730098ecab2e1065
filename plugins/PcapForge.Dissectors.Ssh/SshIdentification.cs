using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace PcapForge.Dissectors.Ssh;

/// <summary>What <see cref="SshIdentification.TryReadLine"/> found at the start of the bytes.</summary>
public enum SshLineStatus
{
    /// <summary>A whole line, ended by LF within <see cref="SshIdentification.MaxLineLength"/> bytes.</summary>
    Line,

    /// <summary>No LF yet, and fewer than <see cref="SshIdentification.MaxLineLength"/> bytes: wait for more.</summary>
    Incomplete,

    /// <summary><see cref="SshIdentification.MaxLineLength"/> bytes without an LF: the line is too long for RFC 4253 §4.2.</summary>
    TooLong,
}

/// <summary>
/// An SSH identification string, RFC 4253 §4.2: <c>SSH-protoversion-softwareversion SP comments CR LF</c>, e.g.
/// <c>SSH-2.0-OpenSSH_7.4p1 Debian-10+deb9u3</c> (protoversion <c>2.0</c>, software <c>OpenSSH_7.4p1</c>,
/// comments <c>Debian-10+deb9u3</c>). Parsing is pure (no state), for the dissector and for a scanner that reads a
/// server's first bytes: frame lines with <see cref="TryReadLine"/>, skip lines that do not start with
/// <c>SSH-</c> (a server may send them first), and give the first one that does to <see cref="TryParse(ReadOnlySpan{byte}, out SshIdentification?)"/>.
/// </summary>
public sealed record SshIdentification
{
    /// <summary>
    /// Longest identification line, CR LF included (RFC 4253 §4.2: "The maximum length of the string is 255
    /// characters, including the Carriage Return and Line Feed"). The dissector applies the same bound to the other
    /// lines a server may send first, which the RFC leaves unbounded.
    /// </summary>
    public const int MaxLineLength = 255;

    /// <summary>The four bytes every identification string starts with.</summary>
    public static ReadOnlySpan<byte> Prefix => "SSH-"u8;

    /// <summary>Whether bytes (however few have come) can start an identification string: as much of <see cref="Prefix"/> as came.</summary>
    public static bool MayStart(ReadOnlySpan<byte> data)
    {
        int n = Math.Min(Prefix.Length, data.Length);
        return data[..n].SequenceEqual(Prefix[..n]);
    }

    private SshIdentification(string text, string protoVersion, string software, string? comments)
    {
        Text = text;
        ProtoVersion = protoVersion;
        Software = software;
        Comments = comments;
    }

    /// <summary>The whole line without its CR LF (Zeek's ssh.log <c>client</c>/<c>server</c>, Wireshark's <c>ssh.protocol</c>).</summary>
    public string Text { get; }

    /// <summary>The protocol version: <c>2.0</c>, <c>1.99</c> (speaks both, RFC 4253 §5.1), <c>1.5</c>…</summary>
    public string ProtoVersion { get; }

    /// <summary>The software version, e.g. <c>OpenSSH_9.2p1</c>.</summary>
    public string Software { get; }

    /// <summary>The comments after the first space, or null when there are none.</summary>
    public string? Comments { get; }

    /// <summary>Protocol 2.0 or the compatibility version 1.99 (RFC 4253 §5.1): the peer can speak SSH-2.</summary>
    public bool SupportsSsh2 => ProtoVersion == "2.0" || IsCompatibility;

    /// <summary>Protocol version 1.99: a server that accepts both SSH-1 and SSH-2 clients (RFC 4253 §5.1).</summary>
    public bool IsCompatibility => ProtoVersion == "1.99";

    /// <summary>An SSH-1 protocol version (1.x other than 1.99).</summary>
    public bool IsSsh1Only => ProtoVersion.StartsWith("1.", StringComparison.Ordinal) && !IsCompatibility;

    /// <summary>
    /// Finds the first line of <paramref name="data"/>. <paramref name="lineLength"/> is its length without CR LF (a
    /// lone LF is accepted, as RFC 4253 §4.2 asks of servers for old clients), <paramref name="consumed"/> its length
    /// with them. Never reads past <see cref="MaxLineLength"/> bytes.
    /// </summary>
    public static SshLineStatus TryReadLine(ReadOnlySpan<byte> data, out int lineLength, out int consumed)
    {
        var window = data[..Math.Min(data.Length, MaxLineLength)];
        int lf = window.IndexOf((byte)'\n');
        if (lf < 0)
        {
            lineLength = 0;
            consumed = 0;
            return data.Length >= MaxLineLength ? SshLineStatus.TooLong : SshLineStatus.Incomplete;
        }

        consumed = lf + 1;
        lineLength = lf > 0 && window[lf - 1] == (byte)'\r' ? lf - 1 : lf;
        return SshLineStatus.Line;
    }

    /// <summary>
    /// Parses one identification line (its CR LF may be there or not). False when it does not start with
    /// <c>SSH-</c>, has no <c>-</c> after the protocol version, has an empty protocol or software version, or has
    /// control characters (RFC 4253 §4.2: printable US-ASCII without whitespace or minus in the versions). A minus
    /// inside the software version is accepted, as real servers send it (<c>SSH-2.0-Cisco-1.25</c>).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> line, [NotNullWhen(true)] out SshIdentification? identification)
    {
        identification = null;
        if (line.Length > 0 && line[^1] == (byte)'\n')
            line = line[..^1];
        if (line.Length > 0 && line[^1] == (byte)'\r')
            line = line[..^1];
        if (!line.StartsWith(Prefix))
            return false;

        var rest = line[Prefix.Length..];
        int dash = rest.IndexOf((byte)'-');
        if (dash <= 0)
            return false;
        var proto = rest[..dash];
        var afterProto = rest[(dash + 1)..];
        int space = afterProto.IndexOf((byte)' ');
        var software = space < 0 ? afterProto : afterProto[..space];
        if (software.Length == 0 || !IsVersionText(proto) || !IsVersionText(software))
            return false;
        ReadOnlySpan<byte> comments = space < 0 ? default : afterProto[(space + 1)..];
        foreach (byte b in comments)
        {
            // Comments may be any text (UTF-8 in practice), but not control characters.
            if (b < 0x20 && b != (byte)'\t' || b == 0x7F)
                return false;
        }

        identification = new SshIdentification(Decode(line), Encoding.ASCII.GetString(proto), Encoding.ASCII.GetString(software),
            space < 0 ? null : Decode(comments));
        return true;
    }

    /// <summary>Parses a line given as text (see <see cref="TryParse(ReadOnlySpan{byte}, out SshIdentification?)"/>).</summary>
    public static bool TryParse(string line, [NotNullWhen(true)] out SshIdentification? identification) =>
        TryParse(Encoding.UTF8.GetBytes(line), out identification);

    /// <summary>Text of a line as it is written out: UTF-8, invalid bytes replaced (RFC 4253 §4.2 other lines "SHOULD be encoded in ISO-10646 UTF-8").</summary>
    public static string Decode(ReadOnlySpan<byte> line) => Encoding.UTF8.GetString(line);

    /// <summary>Printable US-ASCII without space (RFC 4253 §4.2); the minus is the caller's business.</summary>
    private static bool IsVersionText(ReadOnlySpan<byte> text)
    {
        foreach (byte b in text)
        {
            if (b <= 0x20 || b >= 0x7F)
                return false;
        }

        return true;
    }
}
