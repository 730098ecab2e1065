using System.Buffers.Binary;
using System.Text;

namespace PcapForge.Dissectors.Ssh.Tests;

/// <summary>
/// Builds SSH wire bytes for the tests, written from the RFCs independently of the dissector's readers: RFC 4251 §5
/// data types, RFC 4253 §6 binary packets (no MAC before NEWKEYS), §7.1 KEXINIT, and the SSH-1 packet format.
/// </summary>
internal static class SshWire
{
    /// <summary>The ed25519 host key of testdata/ssh-session.pcapng (tshark: ssh.host_key.eddsa.key of frame 16).</summary>
    public static readonly byte[] Ed25519Key = Convert.FromHexString("113e04225697282f10c459bcb6b69238e67d1996a6bd27cad6f68ff7137cf01e");

    /// <summary>Its fingerprints, computed outside PcapForge (python3 hashlib over the 51-byte blob; ssh-keygen -l prints the same SHA256 form).</summary>
    public const string Ed25519Sha256 = "SHA256:fp7Y8J2ZOOtin8Uywb51BuVvMSB7z0VGuFfZOAIEsPw";

    public const string Ed25519Md5 = "08:8f:50:4e:9b:c5:96:e2:81:48:87:e4:59:db:28:9a";

    /// <summary>The K_S blob of that key: string "ssh-ed25519", string key (RFC 8709 §4).</summary>
    public static byte[] Ed25519Blob => Concat(Str("ssh-ed25519"), Str(Ed25519Key));

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    public static byte[] U32(uint value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, value);
        return b;
    }

    /// <summary>RFC 4251 §5 string.</summary>
    public static byte[] Str(byte[] value) => Concat(U32((uint)value.Length), value);

    public static byte[] Str(string value) => Str(Encoding.ASCII.GetBytes(value));

    /// <summary>
    /// An unencrypted SSH-2 binary packet: packet_length, padding_length, payload, padding making the whole a
    /// multiple of 8 with at least 4 bytes of padding (RFC 4253 §6).
    /// </summary>
    public static byte[] Packet(byte[] payload)
    {
        int padding = 8 - (5 + payload.Length) % 8;
        if (padding < 4)
            padding += 8;
        return Concat(U32((uint)(1 + payload.Length + padding)), [(byte)padding], payload, Enumerable.Repeat((byte)0xA5, padding).ToArray());
    }

    /// <summary>SSH_MSG_KEXINIT's payload (RFC 4253 §7.1), the ten name-lists given in order.</summary>
    public static byte[] KexInitPayload(params string[] lists)
    {
        Assert.Equal(10, lists.Length);
        return Concat([20], Enumerable.Range(1, 16).Select(i => (byte)i).ToArray(), Concat(lists.Select(Str).ToArray()), [0], U32(0));
    }

    public const string ClientKex = "curve25519-sha256,ecdh-sha2-nistp256,diffie-hellman-group14-sha256,ext-info-c";
    public const string ServerKex = "ecdh-sha2-nistp256,curve25519-sha256,diffie-hellman-group14-sha256";
    public const string ClientHostKeys = "ssh-ed25519,rsa-sha2-512";
    public const string ServerHostKeys = "rsa-sha2-512,ssh-ed25519";
    public const string Ciphers = "chacha20-poly1305@openssh.com,aes128-ctr";
    public const string ServerCiphers = "aes128-ctr,chacha20-poly1305@openssh.com";
    public const string Macs = "umac-64-etm@openssh.com,hmac-sha2-256";
    public const string Compression = "none,zlib@openssh.com";

    public static byte[] ClientKexInit(string kex = ClientKex) =>
        Packet(KexInitPayload(kex, ClientHostKeys, Ciphers, Ciphers, Macs, Macs, Compression, Compression, "", ""));

    public static byte[] ServerKexInit(string kex = ServerKex) =>
        Packet(KexInitPayload(kex, ServerHostKeys, ServerCiphers, ServerCiphers, Macs, Macs, "none", "none", "", ""));

    /// <summary>SSH_MSG_KEX_ECDH_INIT (RFC 5656 §4): Q_C.</summary>
    public static byte[] EcdhInit => Packet(Concat([30], Str(new byte[32])));

    /// <summary>SSH_MSG_KEX_ECDH_REPLY (RFC 5656 §4): K_S, Q_S, signature.</summary>
    public static byte[] EcdhReply(byte[]? hostKeyBlob = null) =>
        Packet(Concat([31], Str(hostKeyBlob ?? Ed25519Blob), Str(new byte[32]), Str(Concat(Str("ssh-ed25519"), Str(new byte[64])))));

    public static byte[] NewKeys => Packet([21]);

    /// <summary>SSH_MSG_IGNORE (RFC 4253 §11.2) with <paramref name="length"/> bytes of data.</summary>
    public static byte[] Ignore(int length) => Packet(Concat([2], Str(new byte[length])));

    /// <summary>
    /// An SSH-1 packet: length (type, data, CRC), 8 - length % 8 bytes of padding, type, data, CRC-32 (left zero:
    /// nothing checks it).
    /// </summary>
    public static byte[] Ssh1Packet(byte type, byte[] data)
    {
        int length = 1 + data.Length + 4;
        int padding = 8 - length % 8;
        return Concat(U32((uint)length), new byte[padding], [type], data, new byte[4]);
    }

    /// <summary>SSH-1 multiple-precision integer: uint16 bit count, then the bytes.</summary>
    public static byte[] Ssh1MpInt(byte[] value)
    {
        int bits = value.Length * 8 - (System.Numerics.BitOperations.LeadingZeroCount((uint)value[0]) - 24);
        return Concat([(byte)(bits >> 8), (byte)bits], value);
    }
}
