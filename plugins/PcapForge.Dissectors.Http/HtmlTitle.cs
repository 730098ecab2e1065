using System.Text;

namespace PcapForge.Dissectors.Http;

/// <summary>
/// Finds the <c>&lt;title&gt;</c> of an HTML page (HTML Living Standard §4.2.2) in the bytes of a body, as a service
/// scanner shows it (nmap's http-title). Not an HTML parser: the first <c>&lt;title</c> element, tag names matched
/// without regard to case, the text up to <c>&lt;/title</c>.
/// </summary>
public static class HtmlTitle
{
    /// <summary>Longest title returned, in characters; a longer one is cut there.</summary>
    public const int MaxLength = 1024;

    private static ReadOnlySpan<byte> OpenTag => "<title"u8;

    private static ReadOnlySpan<byte> CloseTag => "</title"u8;

    /// <summary>
    /// The title with character references decoded (<c>&amp;amp;</c>) and runs of whitespace made one space, trimmed.
    /// False when there is no title element, or it is not closed within <paramref name="html"/>. Bytes that are
    /// not UTF-8 are shown as <c>\xNN</c> (<see cref="HttpText.Decode"/>).
    /// </summary>
    public static bool TryFind(ReadOnlySpan<byte> html, out string title)
    {
        title = "";
        int open = IndexOfIgnoreCase(html, OpenTag);
        // "<title>" or "<title lang=en>", not "<titles>".
        while (open >= 0 && open + OpenTag.Length < html.Length && html[open + OpenTag.Length] is not ((byte)'>' or (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
        {
            int next = IndexOfIgnoreCase(html[(open + 1)..], OpenTag);
            open = next < 0 ? -1 : open + 1 + next;
        }

        if (open < 0)
            return false;
        int tagEnd = html[open..].IndexOf((byte)'>');
        if (tagEnd < 0)
            return false;
        int start = open + tagEnd + 1;
        int close = IndexOfIgnoreCase(html[start..], CloseTag);
        if (close < 0)
            return false;
        string text = System.Net.WebUtility.HtmlDecode(HttpText.Decode(html.Slice(start, close)));
        var sb = new StringBuilder(Math.Min(text.Length, MaxLength));
        bool space = false;
        foreach (char c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                space = sb.Length > 0;
                continue;
            }

            if (space)
                sb.Append(' ');
            space = false;
            sb.Append(c);
            if (sb.Length >= MaxLength)
                break;
        }

        title = sb.ToString();
        return true;
    }

    private static int IndexOfIgnoreCase(ReadOnlySpan<byte> data, ReadOnlySpan<byte> lowercase)
    {
        int from = 0;
        while (true)
        {
            int lt = data[from..].IndexOf((byte)'<');
            if (lt < 0)
                return -1;
            int at = from + lt;
            if (at + lowercase.Length <= data.Length && System.Text.Ascii.EqualsIgnoreCase(data.Slice(at, lowercase.Length), lowercase))
                return at;
            from = at + 1;
        }
    }
}
