using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace PcapForge.Dissectors.Smtp;

/// <summary>
/// The user name of a cleartext SASL exchange (RFC 4954 AUTH): PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-*, XOAUTH2 and
/// OAUTHBEARER. Only the identity is ever decoded: the password of PLAIN and the bearer tokens are skipped inside the
/// decoded bytes and never leave these methods (the buffer is cleared); LOGIN's second response is not decoded.
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

    /// <summary>
    /// The user name of a CRAM-MD5 response, RFC 2195 §2: base64 of <c>user SP digest</c>, the digest 32 hex digits
    /// (a keyed hash of the server's challenge, not the password).
    /// </summary>
    public static bool TryGetCramMd5User(ReadOnlySpan<byte> base64, out string? user)
    {
        user = null;
        Span<byte> decoded = stackalloc byte[MaxResponse];
        if (!TryDecode(base64, decoded, out int length))
            return false;
        var message = decoded[..length];
        int space = message.LastIndexOf((byte)' ');
        if (space > 0 && message.Length - space - 1 == 32 && message[(space + 1)..].IndexOfAnyExcept("0123456789abcdefABCDEF"u8) < 0)
            user = SmtpText.Decode(message[..space]);
        decoded.Clear();   // the digest: an offline guess of the password starts from it
        return user is not null;
    }

    /// <summary>
    /// The user of an XOAUTH2 response (Google's and Microsoft's SASL mechanism): base64 of
    /// <c>user=NAME ^A auth=Bearer TOKEN ^A ^A</c>. The token (a credential) never leaves the decoded bytes.
    /// </summary>
    public static bool TryGetXoauth2User(ReadOnlySpan<byte> base64, out string? user)
    {
        user = null;
        Span<byte> decoded = stackalloc byte[MaxResponse];
        if (TryDecodePrefix(base64, decoded, out int length) && decoded.StartsWith("user="u8))
        {
            var rest = decoded[5..length];
            int end = rest.IndexOf((byte)1);
            if (end > 0)
                user = SmtpText.Decode(rest[..end]);
        }

        decoded.Clear();
        return user is not null;
    }

    /// <summary>
    /// The user of a SCRAM client-first-message (SCRAM-SHA-1, SCRAM-SHA-256; RFC 5802 §7): base64 of a GS2 header
    /// (<c>n,,</c>, <c>y,,</c> or <c>p=…,</c>, with an optional <c>a=authzid</c>) then <c>n=USER,r=NONCE</c>; the
    /// name's <c>=2C</c> and <c>=3D</c> stand for ',' and '='. Or of an OAUTHBEARER response (RFC 7628 §3.1), whose
    /// GS2 header names the user as <c>a=USER</c> before the bearer token, which is never decoded to text.
    /// </summary>
    public static bool TryGetGs2User(ReadOnlySpan<byte> base64, bool scram, out string? user)
    {
        user = null;
        bool wellFormed = false;
        Span<byte> decoded = stackalloc byte[MaxResponse];
        if (TryDecodePrefix(base64, decoded, out int length))
        {
            // GS2 header: cbind-flag "," [authzid] ","
            var message = decoded[..length];
            int first = message.IndexOf((byte)',');
            int second = first < 0 ? -1 : message[(first + 1)..].IndexOf((byte)',');
            if (second >= 0)
            {
                int start = -1, end = -1;
                if (scram && message[(first + second + 2)..].StartsWith("n="u8))
                {
                    // bare message: n=USER,r=NONCE
                    start = first + second + 4;
                    int comma = message[start..].IndexOf((byte)',');
                    end = comma > 0 ? start + comma : -1;
                    wellFormed = end > start;
                }
                else if (!scram)
                {
                    // OAUTHBEARER's authzid is optional (RFC 7628 §3.1): without it the response names no user.
                    wellFormed = true;
                    if (message[(first + 1)..].StartsWith("a="u8))
                    {
                        start = first + 3;
                        end = first + 1 + second;
                    }
                }

                if (start >= 0 && end > start)
                    user = SmtpText.Decode(message[start..end]).Replace("=2C", ",", StringComparison.Ordinal).Replace("=3D", "=", StringComparison.Ordinal);
            }
        }

        decoded.Clear();
        return wellFormed;
    }

    private static bool TryDecode(ReadOnlySpan<byte> base64, Span<byte> into, out int length)
    {
        length = 0;
        var text = SmtpText.TrimWsp(base64);
        if (text.IsEmpty || text.Length > MaxResponse)
            return false;
        return Base64.DecodeFromUtf8(text, into, out int used, out length) == OperationStatus.Done && used == text.Length;
    }

    /// <summary>
    /// Decodes only the start of a response that may be long (an OAuth bearer token runs to thousands of characters):
    /// the user name comes first. The rest is checked to be base64 but not decoded.
    /// </summary>
    private static bool TryDecodePrefix(ReadOnlySpan<byte> base64, Span<byte> into, out int length)
    {
        length = 0;
        var text = SmtpText.TrimWsp(base64);
        if (text.IsEmpty || text.Length % 4 != 0 || !Base64.IsValid(text))
            return false;
        var prefix = text[..Math.Min(text.Length, MaxResponse / 4 * 3 / 4 * 4)];
        var status = Base64.DecodeFromUtf8(prefix, into, out _, out length, isFinalBlock: prefix.Length == text.Length);
        return status is OperationStatus.Done or OperationStatus.NeedMoreData;
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
