using System.Buffers.Binary;
using System.Text;

namespace PcapForge.Bench.Synthesis;

/// <summary>
/// An SSH-2 connection between OpenSSH 9.2p1 (Debian 12) client and server: identification strings (RFC 4253
/// section 4.2), each side's KEXINIT with OpenSSH's algorithm lists (section 7.1; the server's sshd_config leaves
/// out sntrup761x25519, so curve25519-sha256 is agreed, whose 32-byte keys tshark 4.0 decodes: it does not know
/// sntrup761's sizes), the key exchange (client init, server reply with an Ed25519 host key, NEWKEYS), then encrypted packets of
/// the sizes chacha20-poly1305 gives (4-byte length, a multiple of 8, 16-byte tag): user authentication, a session
/// channel, and either an interactive shell (keystrokes echoed one by one, command output, think time) or a file
/// copy of a few megabytes.
/// </summary>
public sealed class SshSession : TimedSession
{
    public const string Identification = "SSH-2.0-OpenSSH_9.2p1 Debian-2";

    // SSH message numbers (RFC 4250 section 4.1.2; 30 and 31 are the ECDH messages of RFC 5656 section 7.1).
    private const byte KexInit = 20, NewKeys = 21, KexEcdhInit = 30, KexEcdhReply = 31;

    // Sizes of curve25519-sha256's values (RFC 8731 section 3: 32-byte public keys); an Ed25519 host key blob
    // (string "ssh-ed25519", string key) and signature blob (RFC 8709).
    private const int ClientKexValue = 32, ServerKexValue = 32, HostKeyBlob = 4 + 11 + 4 + 32, SignatureBlob = 4 + 11 + 4 + 64;

    private static readonly string[] ClientKex =
    [
        "sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256,ext-info-c",
        "ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256",
    ];

    private static readonly string[] ServerKex =
    [
        "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256",
        "rsa-sha2-512,rsa-sha2-256,ecdsa-sha2-nistp256,ssh-ed25519",
    ];

    private const string Ciphers = "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com";
    private const string Macs = "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1";
    private const string Compression = "none,zlib@openssh.com";

    /// <summary>
    /// The encrypted exchange after NEWKEYS, as (from client, payload bytes) in OpenSSH's order: service request and
    /// accept, EXT_INFO, public-key query and PK_OK, the signed request and success, the host-keys notice, the session
    /// channel's open and confirmation, pty-req, env, shell and their answers, and the login banner.
    /// </summary>
    private static readonly (bool FromClient, int Payload)[] Login =
    [
        (true, 17), (false, 240), (false, 17), (true, 120), (false, 71), (true, 210), (false, 1), (false, 580),
        (true, 24), (false, 17), (true, 330), (true, 44), (true, 15), (false, 9), (false, 5), (false, 760),
    ];

    private readonly bool _fileCopy;

    public SshSession(Random random, PayloadPool payloads, PathTiming timing, FlowClock clock, bool fileCopy)
        : base(random, payloads, timing, clock)
    {
        _fileCopy = fileCopy;
    }

    public override ushort ServerPort => 22;

    protected override IEnumerable<SegmentPlan> Plan()
    {
        foreach (var s in TimedHandshake())
            yield return s;

        // The server speaks first; the client's identification and KEXINIT follow as soon as it has read it.
        byte[] banner = Encoding.ASCII.GetBytes(Identification + "\r\n");
        foreach (var s in Message(false, banner, Answer(false, Between(1_000_000, 8_000_000))))
            yield return s;
        foreach (var s in Message(true, banner, Answer(true, Between(200_000, 1_500_000))))
            yield return s;
        foreach (var s in Transfer(true, [KexInitPacket(ClientKex)], Between(50_000, 300_000), finalAck: false))
            yield return s;
        foreach (var s in Transfer(false, [KexInitPacket(ServerKex)], Answer(false, Between(100_000, 600_000)), finalAck: false))
            yield return s;
        foreach (var s in Transfer(true, [KexValuePacket(client: true)], Answer(true, Between(300_000, 2_000_000)), finalAck: false))
            yield return s;
        foreach (var s in Transfer(false, [KexValuePacket(client: false), Packet([NewKeys])], Answer(false, Between(1_000_000, 4_000_000)), finalAck: false))
            yield return s;
        foreach (var s in Message(true, Packet([NewKeys]), Answer(true, Between(500_000, 2_000_000))))
            yield return s;

        bool previousFromClient = true;
        foreach (var (fromClient, payload) in Login)
        {
            long delay = fromClient == previousFromClient ? Between(20_000, 200_000) : Answer(fromClient, Between(100_000, 3_000_000));
            foreach (var s in Message(fromClient, Encrypted(payload), delay))
                yield return s;
            previousFromClient = fromClient;
        }

        if (_fileCopy)
        {
            // scp: the client sends the file in channel data packets; the server's window adjustments ride on its ACKs.
            foreach (var s in Transfer(true, Opaque(Random.NextInt64(1_000_000, 20_000_001)), Between(5_000_000, 50_000_000)))
                yield return s;
        }
        else
        {
            foreach (var s in Shell())
                yield return s;
        }

        // exit: the server sends exit-status, EOF and CLOSE in one go, the client its CLOSE, then closes the socket.
        foreach (var s in Message(false, Encrypted(100), Answer(false, Between(1_000_000, 10_000_000))))
            yield return s;
        foreach (var s in Message(true, Encrypted(5), Answer(true, Between(100_000, 500_000))))
            yield return s;
        foreach (var s in TimedClose(clientFirst: true, Between(50_000, 300_000)))
            yield return s;
    }

    /// <summary>Commands typed one keystroke a packet, each echoed by the server; after Enter, the command's output.</summary>
    private IEnumerable<SegmentPlan> Shell()
    {
        long session = Exponential(20_000_000_000, 120_000_000_000);
        long elapsed = 0;
        long delay = Between(500_000_000, 3_000_000_000);
        while (elapsed < session)
        {
            int keys = Random.Next(3, 26);
            for (int k = 0; k < keys; k++)
            {
                // CHANNEL_DATA with one byte: 10 bytes of payload, 36 bytes on the wire.
                yield return new SegmentPlan(true, TcpFlags.Ack | TcpFlags.Psh, Encrypted(10), delay);
                yield return new SegmentPlan(false, TcpFlags.Ack | TcpFlags.Psh, Encrypted(10), Answer(false, Between(50_000, 400_000)));
                long gap = Between(60_000_000, 320_000_000);
                if (gap > DelayedAckNs + Timing.ClientRttNs)
                {
                    yield return new SegmentPlan(true, TcpFlags.Ack, default, DelayedAckNs);
                    gap -= DelayedAckNs;
                }

                elapsed += delay + gap;
                delay = gap;
            }

            long output = Math.Min(200_000, (long)(600 * Math.Exp(1.5 * -Math.Log(1 - Random.NextDouble()))));
            foreach (var s in Transfer(false, Opaque(output), Answer(false, Between(1_000_000, 60_000_000))))
                yield return s;
            delay = Exponential(3_000_000_000, 30_000_000_000);
            elapsed += delay;
        }
    }

    /// <summary>An encrypted chacha20-poly1305 packet carrying <paramref name="payload"/> bytes: opaque bytes of its wire size.</summary>
    private ReadOnlyMemory<byte> Encrypted(int payload) => Payloads.Take(4 + PaddedLength(payload) + 16);

    /// <summary>Padding length, message and padding, a multiple of 8 with at least 4 bytes of padding (RFC 4253 section 6).</summary>
    private static int PaddedLength(int payload) => (1 + payload + 4 + 7) & ~7;

    /// <summary>An unencrypted binary packet (RFC 4253 section 6): length, padding length, payload, random padding.</summary>
    private byte[] Packet(ReadOnlySpan<byte> payload)
    {
        // The length field counts itself out, so the whole packet (4 + padded) is the multiple of 8.
        int padded = (4 + 1 + payload.Length + 4 + 7) & ~7;
        int padding = padded - 4 - 1 - payload.Length;
        byte[] packet = new byte[padded];
        BinaryPrimitives.WriteUInt32BigEndian(packet, (uint)(padded - 4));
        packet[4] = (byte)padding;
        payload.CopyTo(packet.AsSpan(5));
        Random.NextBytes(packet.AsSpan(5 + payload.Length));
        return packet;
    }

    /// <summary>SSH_MSG_KEXINIT: cookie, ten name-lists, first_kex_packet_follows, reserved (RFC 4253 section 7.1).</summary>
    private byte[] KexInitPacket(string[] kexAndHostKey)
    {
        string[] lists = [kexAndHostKey[0], kexAndHostKey[1], Ciphers, Ciphers, Macs, Macs, Compression, Compression, "", ""];
        int length = 1 + 16 + lists.Sum(l => 4 + l.Length) + 1 + 4;
        byte[] payload = new byte[length];
        payload[0] = KexInit;
        Random.NextBytes(payload.AsSpan(1, 16));
        int at = 17;
        foreach (string list in lists)
        {
            BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(at), (uint)list.Length);
            at += 4 + Encoding.ASCII.GetBytes(list, payload.AsSpan(at + 4));
        }

        // first_kex_packet_follows = false, reserved = 0: already zero.
        return Packet(payload);
    }

    /// <summary>The client's KEX_ECDH_INIT (its ephemeral value) or the server's KEX_ECDH_REPLY (host key, value, signature).</summary>
    private byte[] KexValuePacket(bool client)
    {
        int length = client ? 1 + 4 + ClientKexValue : 1 + 4 + HostKeyBlob + 4 + ServerKexValue + 4 + SignatureBlob;
        byte[] payload = new byte[length];
        Random.NextBytes(payload);
        payload[0] = client ? KexEcdhInit : KexEcdhReply;
        if (client)
        {
            BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(1), ClientKexValue);
        }
        else
        {
            int at = 1;
            at = HostKey(payload, at, "ssh-ed25519", 32);
            BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(at), ServerKexValue);
            at += 4 + ServerKexValue;
            HostKey(payload, at, "ssh-ed25519", 64);
        }

        return Packet(payload);

        // string blob { string name, string key-or-signature }, the random bytes kept as the key or signature.
        static int HostKey(byte[] p, int at, string name, int valueLength)
        {
            BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(at), (uint)(4 + name.Length + 4 + valueLength));
            BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(at + 4), (uint)name.Length);
            Encoding.ASCII.GetBytes(name, p.AsSpan(at + 8));
            BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(at + 8 + name.Length), (uint)valueLength);
            return at + 4 + 4 + name.Length + 4 + valueLength;
        }
    }
}
