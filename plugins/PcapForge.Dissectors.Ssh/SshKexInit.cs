using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace PcapForge.Dissectors.Ssh;

/// <summary>
/// An SSH_MSG_KEXINIT payload (RFC 4253 §7.1): message number 20, a 16-byte cookie, ten name-lists, the
/// first_kex_packet_follows boolean and a reserved uint32. Each name-list is kept as sent (the text HASSH hashes)
/// and split at its commas.
/// </summary>
public sealed class SshKexInit
{
    /// <summary>SSH_MSG_KEXINIT (RFC 4253 §12).</summary>
    public const byte MessageNumber = 20;

    /// <summary>Length of the random cookie after the message number.</summary>
    public const int CookieLength = 16;

    /// <summary>Number of name-lists, in this order (RFC 4253 §7.1).</summary>
    public const int NameListCount = 10;

    private const int KexIndex = 0, HostKeyIndex = 1, CipherC2SIndex = 2, CipherS2CIndex = 3, MacC2SIndex = 4, MacS2CIndex = 5,
        CompressionC2SIndex = 6, CompressionS2CIndex = 7, LanguagesC2SIndex = 8, LanguagesS2CIndex = 9;

    private readonly string[] _raw;
    private readonly string[][] _lists;

    private SshKexInit(string[] raw, bool firstKexPacketFollows)
    {
        _raw = raw;
        _lists = raw.Select(r => r.Length == 0 ? [] : r.Split(',')).ToArray();
        FirstKexPacketFollows = firstKexPacketFollows;
    }

    /// <summary>kex_algorithms.</summary>
    public IReadOnlyList<string> KexAlgorithms => _lists[KexIndex];

    /// <summary>server_host_key_algorithms.</summary>
    public IReadOnlyList<string> HostKeyAlgorithms => _lists[HostKeyIndex];

    /// <summary>encryption_algorithms_client_to_server.</summary>
    public IReadOnlyList<string> CiphersToServer => _lists[CipherC2SIndex];

    /// <summary>encryption_algorithms_server_to_client.</summary>
    public IReadOnlyList<string> CiphersToClient => _lists[CipherS2CIndex];

    /// <summary>mac_algorithms_client_to_server.</summary>
    public IReadOnlyList<string> MacsToServer => _lists[MacC2SIndex];

    /// <summary>mac_algorithms_server_to_client.</summary>
    public IReadOnlyList<string> MacsToClient => _lists[MacS2CIndex];

    /// <summary>compression_algorithms_client_to_server.</summary>
    public IReadOnlyList<string> CompressionToServer => _lists[CompressionC2SIndex];

    /// <summary>compression_algorithms_server_to_client.</summary>
    public IReadOnlyList<string> CompressionToClient => _lists[CompressionS2CIndex];

    /// <summary>languages_client_to_server (almost always empty).</summary>
    public IReadOnlyList<string> LanguagesToServer => _lists[LanguagesC2SIndex];

    /// <summary>languages_server_to_client (almost always empty).</summary>
    public IReadOnlyList<string> LanguagesToClient => _lists[LanguagesS2CIndex];

    /// <summary>The sender guessed the key exchange and its first kex packet follows (RFC 4253 §7.1).</summary>
    public bool FirstKexPacketFollows { get; }

    /// <summary>
    /// The text HASSH hashes for a client (Salesforce HASSH 1.1): <c>kex;enc_c2s;mac_c2s;cmp_c2s</c>, each name-list
    /// as sent (Wireshark's <c>ssh.kex.hassh_algorithms</c>).
    /// </summary>
    public string HasshAlgorithms => string.Join(';', _raw[KexIndex], _raw[CipherC2SIndex], _raw[MacC2SIndex], _raw[CompressionC2SIndex]);

    /// <summary>The text HASSHServer hashes for a server: <c>kex;enc_s2c;mac_s2c;cmp_s2c</c> (Wireshark's <c>ssh.kex.hasshserver_algorithms</c>).</summary>
    public string HasshServerAlgorithms => string.Join(';', _raw[KexIndex], _raw[CipherS2CIndex], _raw[MacS2CIndex], _raw[CompressionS2CIndex]);

    /// <summary>HASSH of a client's KEXINIT: the MD5 of <see cref="HasshAlgorithms"/>, lowercase hex.</summary>
    public string Hassh => Md5Hex(HasshAlgorithms);

    /// <summary>HASSHServer of a server's KEXINIT: the MD5 of <see cref="HasshServerAlgorithms"/>, lowercase hex.</summary>
    public string HasshServer => Md5Hex(HasshServerAlgorithms);

    /// <summary>
    /// Parses a KEXINIT payload (starting at the message number, without packet length, padding or MAC). False,
    /// with the offset and what was missing in <paramref name="problem"/>, when it is not message 20 or is cut
    /// short. Bytes after the reserved field are allowed (RFC 4253 §7.1 leaves room for extensions).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> payload, [NotNullWhen(true)] out SshKexInit? kexInit, [NotNullWhen(false)] out string? problem)
    {
        kexInit = null;
        var reader = new SshReader(payload);
        if (!reader.TryReadByte(out byte message) || message != MessageNumber)
        {
            problem = "not an SSH_MSG_KEXINIT payload";
            return false;
        }

        if (!reader.TryReadBytes(CookieLength, out _))
        {
            problem = $"payload of {payload.Length} bytes ends inside the cookie";
            return false;
        }

        var raw = new string[NameListCount];
        for (int i = 0; i < NameListCount; i++)
        {
            int at = reader.Position;
            if (!reader.TryReadString(out var list))
            {
                problem = $"name-list {i + 1} of {NameListCount} at offset {at} runs past the end of the {payload.Length}-byte payload";
                return false;
            }

            // Latin-1 maps bytes to chars one to one, so HASSH hashes exactly the bytes sent even if they are not ASCII.
            raw[i] = Encoding.Latin1.GetString(list);
        }

        if (!reader.TryReadByte(out byte follows) || !reader.TryReadUInt32(out _))
        {
            problem = $"payload of {payload.Length} bytes ends before first_kex_packet_follows and reserved";
            return false;
        }

        kexInit = new SshKexInit(raw, follows != 0);
        problem = null;
        return true;
    }

    /// <summary>
    /// The algorithm the two sides agree on (RFC 4253 §7.1): the first of the client's list that the server also
    /// lists, or null. (The RFC adds, for kex, that the chosen method's host-key needs must be met by some common
    /// host key algorithm; Zeek and Wireshark skip that too, and it only matters for RSA key exchange.)
    /// </summary>
    public static string? Negotiate(IReadOnlyList<string> client, IReadOnlyList<string> server)
    {
        foreach (string c in client)
        {
            foreach (string s in server)
            {
                if (c == s)
                    return c;
            }
        }

        return null;
    }

    private static string Md5Hex(string text) => Convert.ToHexStringLower(MD5.HashData(Encoding.Latin1.GetBytes(text)));
}
