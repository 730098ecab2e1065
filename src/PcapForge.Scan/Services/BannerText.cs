using System.Globalization;
using System.Text;

namespace PcapForge.Scan.Services;

/// <summary>
/// A banner's bytes as the text of the <c>banner</c> column: line ends (CR LF or LF) become <c>\n</c>, a trailing
/// line end is dropped, valid UTF-8 stays as it is, and any other byte (a control character, invalid UTF-8) is written
/// <c>\xNN</c>, as nmap writes service fingerprints, so a binary banner stays visible without breaking a terminal.
/// </summary>
public static class BannerText
{
    /// <summary>Most characters kept: a banner is an identification, not a transcript.</summary>
    public const int MaxLength = 1024;

    public static string From(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder(Math.Min(bytes.Length, MaxLength));
        int i = 0;
        while (i < bytes.Length && sb.Length < MaxLength)
        {
            byte b = bytes[i];
            if (b == '\r' && i + 1 < bytes.Length && bytes[i + 1] == '\n')
            {
                i++;
                continue;
            }

            if (b == '\n' || b == '\t' || b is >= 0x20 and < 0x7F)
            {
                sb.Append((char)b);
                i++;
                continue;
            }

            if (b >= 0x80 && System.Text.Rune.DecodeFromUtf8(bytes[i..], out var rune, out int used) == System.Buffers.OperationStatus.Done
                && !Rune.IsControl(rune))
            {
                sb.Append(rune.ToString());
                i += used;
                continue;
            }

            sb.Append("\\x").Append(b.ToString("x2", CultureInfo.InvariantCulture));
            i++;
        }

        while (sb.Length > 0 && sb[^1] == '\n')
            sb.Length--;
        return sb.ToString();
    }
}
