using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace PcapForge.Dissectors.Ssh;

/// <summary>
/// A server host key as the key exchange carries it (K_S, RFC 4253 §8: "string K_S, server public host key and
/// certificates"), with the fingerprints people compare it by: OpenSSH's <c>SHA256:</c> base64 form (what
/// <c>ssh-keygen -l</c> prints) and the MD5 colon form that Zeek logs as ssh.log <c>host_key</c>.
/// </summary>
public sealed record SshHostKey
{
    /// <summary>Longest algorithm name (RFC 4251 §6: "names MUST NOT be longer than 64 characters").</summary>
    public const int MaxTypeLength = 64;

    /// <summary>Name OpenSSH gave SSH-1 RSA host keys (<c>ssh-keygen -t rsa1</c>).</summary>
    public const string Ssh1RsaType = "rsa1";

    private SshHostKey(string type, string md5Fingerprint, string sha256Fingerprint)
    {
        Type = type;
        Md5Fingerprint = md5Fingerprint;
        Sha256Fingerprint = sha256Fingerprint;
    }

    /// <summary>The key's format, the first string of the blob: <c>ssh-ed25519</c>, <c>ssh-rsa</c>, <c>ecdsa-sha2-nistp256</c>… (Wireshark's <c>ssh.host_key.type</c>).</summary>
    public string Type { get; }

    /// <summary>MD5 of the blob, lowercase hex bytes joined by colons (Zeek's ssh.log <c>host_key</c>, the old OpenSSH format).</summary>
    public string Md5Fingerprint { get; }

    /// <summary>SHA-256 of the blob as OpenSSH prints it: <c>SHA256:</c> and the base64 of the digest without padding.</summary>
    public string Sha256Fingerprint { get; }

    /// <summary>
    /// Reads an SSH-2 public key blob (RFC 4253 §6.6: "string format identifier", then format-specific data). False
    /// when it does not start with a string holding a printable name of 1 to <see cref="MaxTypeLength"/> characters.
    /// The fingerprints are over the whole blob, as OpenSSH computes them.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> blob, [NotNullWhen(true)] out SshHostKey? key)
    {
        key = null;
        var reader = new SshReader(blob);
        if (!reader.TryReadString(out var type) || type.Length == 0 || type.Length > MaxTypeLength)
            return false;
        foreach (byte b in type)
        {
            if (b <= 0x20 || b >= 0x7F)
                return false;
        }

        key = new SshHostKey(Encoding.ASCII.GetString(type), Md5(blob), Sha256(blob));
        return true;
    }

    /// <summary>
    /// An SSH-1 RSA host key (SSH_SMSG_PUBLIC_KEY): fingerprints over the modulus then the exponent bytes, as OpenSSH
    /// did for rsa1 keys and as Zeek does for <c>host_key</c>.
    /// </summary>
    public static SshHostKey FromSsh1(ReadOnlySpan<byte> exponent, ReadOnlySpan<byte> modulus)
    {
        var both = new byte[modulus.Length + exponent.Length];
        modulus.CopyTo(both);
        exponent.CopyTo(both.AsSpan(modulus.Length));
        return new SshHostKey(Ssh1RsaType, Md5(both), Sha256(both));
    }

    /// <summary>MD5 as colon-separated lowercase hex bytes (<c>08:8f:50:…</c>).</summary>
    public static string Md5(ReadOnlySpan<byte> data)
    {
        Span<byte> digest = stackalloc byte[MD5.HashSizeInBytes];
        MD5.HashData(data, digest);
        var sb = new StringBuilder(digest.Length * 3 - 1);
        for (int i = 0; i < digest.Length; i++)
        {
            if (i > 0)
                sb.Append(':');
            sb.Append(digest[i].ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }

    /// <summary>OpenSSH's SHA-256 fingerprint: <c>SHA256:</c> and the unpadded base64 of the digest.</summary>
    public static string Sha256(ReadOnlySpan<byte> data)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(data, digest);
        return "SHA256:" + Convert.ToBase64String(digest).TrimEnd('=');
    }
}

/// <summary>
/// Which server message of a key exchange method carries the host key K_S. Message numbers 30 to 49 are reused by
/// every method (RFC 4253 §12), so the method negotiated from the two KEXINITs decides how to read them.
/// </summary>
public static class SshKexMethods
{
    /// <summary>
    /// Prefixes of the methods with the RFC 4253 §8 message flow (the server's 31 starts with K_S): fixed DH groups
    /// (RFC 4253, RFC 8268), ECDH (RFC 5656), Curve25519/448 (RFC 8731), OpenSSH's hybrid post-quantum methods
    /// (sntrup761x25519, mlkem768x25519) and ECMQV (RFC 5656 §4).
    /// </summary>
    private static readonly string[] ReplyFirst =
        ["diffie-hellman-group", "ecdh-sha2-", "curve25519-sha256", "curve448-sha512", "sntrup761x25519-sha512", "mlkem", "ecmqv-sha2"];

    /// <summary>SSH_MSG_KEXDH_REPLY (RFC 4253 §8), SSH_MSG_KEX_ECDH_REPLY (RFC 5656 §7.1), SSH_MSG_ECMQV_REPLY (RFC 5656 §7.2): K_S first.</summary>
    public const byte KexDhReply = 31;

    /// <summary>SSH_MSG_KEX_DH_GEX_REPLY (RFC 4419 §5): K_S first. (31 is SSH_MSG_KEX_DH_GEX_GROUP there, with p and g.)</summary>
    public const byte KexDhGexReply = 33;

    /// <summary>SSH_MSG_KEXGSS_HOSTKEY (RFC 4462 §2.5): K_S alone, and optional.</summary>
    public const byte KexGssHostKey = 33;

    /// <summary>SSH_MSG_KEXRSA_PUBKEY (RFC 4432 §4): K_S then the transient RSA key, sent by the server first.</summary>
    public const byte KexRsaPubKey = 30;

    /// <summary>
    /// The message number of the server's message that starts with K_S under key exchange method
    /// <paramref name="kexAlgorithm"/>, or null for a method this dissector does not know (its host key is then not read).
    /// </summary>
    public static byte? HostKeyMessage(string kexAlgorithm)
    {
        // RFC 4419 group exchange; checked before the fixed groups, whose names share the prefix "diffie-hellman-group".
        if (kexAlgorithm.StartsWith("diffie-hellman-group-exchange-", StringComparison.Ordinal))
            return KexDhGexReply;
        // RFC 4462 GSS-API key exchange (gss-group14-sha256-*, gss-gex-sha1-*, gss-curve25519-sha256-*...).
        if (kexAlgorithm.StartsWith("gss-", StringComparison.Ordinal))
            return KexGssHostKey;
        // RFC 4432 RSA key exchange (rsa1024-sha1, rsa2048-sha256).
        if (kexAlgorithm.StartsWith("rsa", StringComparison.Ordinal) && kexAlgorithm.Contains("-sha", StringComparison.Ordinal))
            return KexRsaPubKey;
        foreach (string prefix in ReplyFirst)
        {
            if (kexAlgorithm.StartsWith(prefix, StringComparison.Ordinal))
                return KexDhReply;
        }

        return null;
    }
}
