using System.Text;
using System.Text.Unicode;

namespace PcapForge.Dissectors.Http;

/// <summary>
/// Turns protocol bytes into the strings written to records. Header values are octets (RFC 9110 §5.5): valid UTF-8
/// (ASCII included) is decoded as such; anything else keeps every byte visible, each non-ASCII byte written as
/// <c>\xNN</c> as Zeek does, so nothing is silently replaced.
/// </summary>
public static class HttpText
{
    public static string Decode(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
            return "";
        if (Utf8.IsValid(value))
            return Encoding.UTF8.GetString(value);
        var sb = new StringBuilder(value.Length + 16);
        foreach (byte b in value)
        {
            if (b < 0x80)
                sb.Append((char)b);
            else
                sb.Append("\\x").Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }

    /// <summary>The version number of an <c>HTTP/1.1</c> word (<c>1.1</c>, as Zeek logs it); null when empty.</summary>
    public static string? Version(ReadOnlySpan<byte> version) =>
        version.IsEmpty ? null : DecodeCommon(version.StartsWith(HttpSyntax.HttpName) ? version[HttpSyntax.HttpName.Length..] : version);

    /// <summary>Values longer than this are not looked up in the <see cref="DecodeCommon"/> cache.</summary>
    public const int MaxCommonLength = 128;

    private const int CommonCacheSize = 512;

    /// <summary>Strings of recent repeated values, per thread (the analysis' workers each have theirs).</summary>
    [ThreadStatic]
    private static string?[]? t_common;

    /// <summary>
    /// <see cref="Decode"/> for a value that repeats from one transaction to the next (method, version, reason
    /// phrase, Host, User-Agent, Server, content types): the same ASCII bytes as a value decoded recently on this
    /// thread give that string again instead of a new one. A small direct-mapped cache: a collision only costs the
    /// allocation it would have saved.
    /// </summary>
    public static string DecodeCommon(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty || value.Length > MaxCommonLength)
            return Decode(value);
        var cache = t_common ??= new string?[CommonCacheSize];
        var hash = new HashCode();
        hash.AddBytes(value);
        int slot = hash.ToHashCode() & (CommonCacheSize - 1);
        if (cache[slot] is { } known && Ascii.Equals(value, known))
            return known;
        return cache[slot] = Decode(value);
    }

    /// <summary>
    /// The user name of an <c>Authorization: Basic</c> value (RFC 7617 §2: base64 of <c>user-id ":" password</c>),
    /// or null when the value is not Basic or does not decode. The password is never returned.
    /// </summary>
    public static string? BasicUser(ReadOnlySpan<byte> authorization)
    {
        const int schemeLength = 5;
        if (authorization.Length <= schemeLength + 1 || !HttpSyntax.NameIs(authorization[..schemeLength], "basic"u8)
            || authorization[schemeLength] is not ((byte)' ' or (byte)'\t'))
            return null;
        var encoded = HttpSyntax.TrimWhitespace(authorization[schemeLength..]);
        Span<byte> decoded = stackalloc byte[HttpLimits.MaxLineLength];
        if (System.Buffers.Text.Base64.DecodeFromUtf8(encoded, decoded, out _, out int written) != System.Buffers.OperationStatus.Done)
            return null;
        var pair = decoded[..written];
        int colon = pair.IndexOf((byte)':');
        return colon < 0 ? null : Decode(pair[..colon]);
    }
}
