using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace PcapForge.Dissectors.Smtp;

/// <summary>
/// The user name of a cleartext SASL exchange (RFC 4954 AUTH). Only the identity is ever decoded: the password of
/// PLAIN is skipped inside the decoded bytes and never leaves this method; LOGIN's second response is not decoded.
/// </summary>
public static class SmtpAuth
{
    /// <summary>Longest base64 response decoded (a user name needs far less).</summary>
    private const int MaxResponse = 1024;

    /// <summary>
    /// The authentication identity (authcid) of a PLAIN response, RFC 4616 §2: base64 of
    /// <c>[authzid] NUL authcid NUL passwd</c>. False when the text is not base64 of that shape.
    /// </summary>
    public static bool TryGetPlainUser(ReadOnlySpan<byte> base64, out string? user)
    {
        user = null;
        Span<byte> decoded = stackalloc byte[MaxResponse];
        if (TryDecode(base64, decoded, out int length))
        {
            var message = decoded[..length];
            int first = message.IndexOf((byte)0);
            int second = first < 0 ? -1 : message[(first + 1)..].IndexOf((byte)0);
            if (second > 0)
                user = SmtpText.Decode(message.Slice(first + 1, second));
        }

        // The decoded bytes hold the password: do not leave it on the stack.
        decoded.Clear();
        return user is not null;
    }

    /// <summary>The user name of LOGIN's first response (base64 of the name; a draft mechanism, never an RFC).</summary>
    public static bool TryGetLoginUser(ReadOnlySpan<byte> base64, out string? user)
    {
        user = null;
        Span<byte> decoded = stackalloc byte[MaxResponse];
        if (!TryDecode(base64, decoded, out int length) || length == 0 || decoded[..length].IndexOf((byte)0) >= 0)
            return false;
        user = SmtpText.Decode(decoded[..length]);
        return true;
    }

    private static bool TryDecode(ReadOnlySpan<byte> base64, Span<byte> into, out int length)
    {
        length = 0;
        var text = SmtpText.TrimWsp(base64);
        if (text.IsEmpty || text.Length > MaxResponse)
            return false;
        return Base64.DecodeFromUtf8(text, into, out int used, out length) == OperationStatus.Done && used == text.Length;
    }

    /// <summary>The mechanism name of an AUTH parameter (<c>PLAIN dGVzdA==</c> → <c>PLAIN</c>), upper-cased.</summary>
    internal static string Mechanism(ReadOnlySpan<byte> parameter, out ReadOnlySpan<byte> initialResponse)
    {
        var p = SmtpText.TrimWsp(parameter);
        int space = p.IndexOf((byte)' ');
        initialResponse = space < 0 ? default : SmtpText.TrimWsp(p[(space + 1)..]);
        var name = space < 0 ? p : p[..space];
        return Encoding.ASCII.GetString(name).ToUpperInvariant();
    }
}
