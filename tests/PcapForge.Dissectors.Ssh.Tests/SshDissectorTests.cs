using System.Security.Cryptography;
using System.Text;
using PcapForge.Abstractions.Dissection;
using static PcapForge.Dissectors.Ssh.Tests.SshWire;
using static PcapForge.TestSupport.StreamMessage;

namespace PcapForge.Dissectors.Ssh.Tests;

/// <summary>The SSH parser over whole conversations, on every split of its input (StreamHarness).</summary>
public class SshDissectorTests
{
    private static readonly StreamHarness Ssh = new(new SshDissector(), "ssh");

    private const string ClientId = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10";
    private const string ServerId = "SSH-2.0-OpenSSH_8.4";

    /// <summary>An OpenSSH-like SSH-2 session: banners, KEXINITs, curve25519 ECDH, NEWKEYS, then encrypted bytes.</summary>
    private static List<StreamMessage> Session(int encryptedClient = 40, int encryptedServer = 56) =>
    [
        Client(ClientId + "\r\n"),
        Server(ServerId + "\r\n"),
        Client(ClientKexInit()),
        Server(ServerKexInit()),
        Client(EcdhInit),
        Server(Concat(EcdhReply(), NewKeys)),
        Client(Concat(NewKeys, new byte[encryptedClient])),
        Server(new byte[encryptedServer]),
    ];

    private static Dictionary<string, object?> OneRow(StreamRun run) => Assert.Single(run["ssh"]);

    private static string Md5Hex(string text) => Convert.ToHexStringLower(MD5.HashData(Encoding.ASCII.GetBytes(text)));

    [Fact]
    public void A_whole_session_gives_one_record_on_every_split()
    {
        var run = Ssh.AssertSameOnEverySplit(Session());
        Assert.True(run.Confirmed);
        Assert.Empty(run.Anomalies);
        var row = OneRow(run);
        Assert.Equal(2, row["version"]);
        Assert.Equal(ClientId, row["client"]);
        Assert.Equal(ServerId, row["server"]);
        Assert.Equal("2.0", row["client_proto_version"]);
        Assert.Equal("OpenSSH_9.2p1", row["client_software"]);
        Assert.Equal("Debian-2+deb12u10", row["client_comments"]);
        Assert.Equal("OpenSSH_8.4", row["server_software"]);
        Assert.Null(row["server_comments"]);
        Assert.Null(row["server_other_lines"]);
    }

    [Fact]
    public void Negotiated_algorithms_are_the_first_of_the_clients_lists_the_server_has()
    {
        var row = OneRow(Ssh.Run(Session()));
        // RFC 4253 §7.1: the client's order decides, whatever the server prefers.
        Assert.Equal("curve25519-sha256", row["kex_alg"]);
        Assert.Equal("ssh-ed25519", row["host_key_alg"]);
        Assert.Equal("chacha20-poly1305@openssh.com", row["cipher_alg"]);
        Assert.Equal("umac-64-etm@openssh.com", row["mac_alg"]);
        Assert.Equal("none", row["compression_alg"]);
        Assert.Equal(ClientKex.Split(','), (IReadOnlyList<string>)row["client_kex_algs"]!);
        Assert.Equal(ServerKex.Split(','), (IReadOnlyList<string>)row["server_kex_algs"]!);
        Assert.Equal(ServerHostKeys.Split(','), (IReadOnlyList<string>)row["server_host_key_algs"]!);
        Assert.Equal(Ciphers.Split(','), (IReadOnlyList<string>)row["client_cipher_algs_to_client"]!);
        Assert.Equal(["none"], (IReadOnlyList<string>)row["server_compression_algs_to_server"]!);
    }

    [Fact]
    public void Directions_that_negotiate_differently_are_both_named_as_zeek_does()
    {
        byte[] server = Packet(KexInitPayload(ServerKex, ServerHostKeys, "aes128-ctr", "chacha20-poly1305@openssh.com", Macs, Macs, "none", "none", "", ""));
        var run = Ssh.AssertSameOnEverySplit([Client(ClientId + "\r\n"), Server(ServerId + "\r\n"), Client(ClientKexInit()), Server(server)]);
        Assert.Equal("To server: aes128-ctr, to client: chacha20-poly1305@openssh.com", OneRow(run)["cipher_alg"]);
    }

    [Fact]
    public void Hassh_is_the_md5_of_the_four_client_to_server_lists_and_hasshserver_of_the_server_to_client_ones()
    {
        var row = OneRow(Ssh.Run(Session()));
        string client = $"{ClientKex};{Ciphers};{Macs};{Compression}";
        string server = $"{ServerKex};{ServerCiphers};{Macs};none";
        Assert.Equal(client, row["hassh_algorithms"]);
        Assert.Equal(Md5Hex(client), row["hassh"]);
        Assert.Equal(server, row["hasshserver_algorithms"]);
        Assert.Equal(Md5Hex(server), row["hasshserver"]);
    }

    [Fact]
    public void The_host_key_of_the_ecdh_reply_is_fingerprinted_as_openssh_and_zeek_do()
    {
        var row = OneRow(Ssh.Run(Session()));
        Assert.Equal("ssh-ed25519", row["host_key_type"]);
        Assert.Equal(Ed25519Sha256, row["host_key_sha256"]);
        Assert.Equal(Ed25519Md5, row["host_key"]);
    }

    [Fact]
    public void Kex_messages_newkeys_and_encrypted_bytes_are_recorded_per_side()
    {
        var row = OneRow(Ssh.AssertSameOnEverySplit(Session(encryptedClient: 40, encryptedServer: 56)));
        Assert.Equal(["20", "30", "21"], (IReadOnlyList<string>)row["client_kex_messages"]!);
        Assert.Equal(["20", "31", "21"], (IReadOnlyList<string>)row["server_kex_messages"]!);
        Assert.Equal(true, row["client_newkeys"]);
        Assert.Equal(true, row["server_newkeys"]);
        Assert.Equal(40L, row["encrypted_bytes_orig"]);
        Assert.Equal(56L, row["encrypted_bytes_resp"]);
    }

    [Fact]
    public void The_record_time_is_that_of_the_frame_completing_the_first_identification_line()
    {
        // The harness numbers segments from 1 and gives segment n the time 1.7e18 + n ms.
        var run = Ssh.Run([Client("SSH-2.0-Open"), Server(ServerId + "\r\n"), Client("SSH_9.2\r\n")]);
        Assert.Equal(1_700_000_000_000_000_000 + 2 * 1_000_000L, OneRow(run)["ts"]);
    }

    [Fact]
    public void Before_newkeys_nothing_is_counted_as_encrypted()
    {
        var run = Ssh.AssertSameOnEverySplit(Session().Take(5).ToList());
        var row = OneRow(run);
        Assert.Equal(false, row["client_newkeys"]);
        Assert.Null(row["encrypted_bytes_orig"]);
        Assert.Null(row["encrypted_bytes_resp"]);
        Assert.Null(row["host_key"]);
    }

    [Fact]
    public void Group_exchange_reads_the_host_key_from_message_33_not_from_the_group_in_31()
    {
        const string gex = "diffie-hellman-group-exchange-sha256";
        byte[] p = Enumerable.Repeat((byte)0xFF, 256).ToArray();
        var run = Ssh.AssertSameOnEverySplit(
        [
            Client("SSH-2.0-OpenSSH_6.2\r\n"),
            Server("SSH-2.0-OpenSSH_6.7p1 Debian-3\r\n"),
            Client(ClientKexInit(gex)),
            Server(ServerKexInit(gex + ",curve25519-sha256")),
            Client(Packet(Concat([34], U32(2048), U32(3072), U32(8192)))), // SSH_MSG_KEY_DH_GEX_REQUEST (RFC 4419 §5)
            Server(Packet(Concat([31], Str(p), Str([2])))), // SSH_MSG_KEX_DH_GEX_GROUP: p, g
            Client(Packet(Concat([32], Str(p)))), // SSH_MSG_KEX_DH_GEX_INIT: e
            Server(Concat(Packet(Concat([33], Str(Ed25519Blob), Str(p), Str(new byte[83]))), NewKeys)), // GEX_REPLY: K_S, f, signature
            Client(NewKeys),
        ]);
        Assert.Empty(run.Anomalies);
        var row = OneRow(run);
        Assert.Equal(gex, row["kex_alg"]);
        Assert.Equal(Ed25519Sha256, row["host_key_sha256"]);
        Assert.Equal(["20", "34", "32", "21"], (IReadOnlyList<string>)row["client_kex_messages"]!);
        Assert.Equal(["20", "31", "33", "21"], (IReadOnlyList<string>)row["server_kex_messages"]!);
    }

    [Fact]
    public void A_server_may_send_other_lines_before_its_identification_and_lf_alone_ends_a_line()
    {
        var run = Ssh.AssertSameOnEverySplit(
        [
            Server("Welcome to the bastion\r\nUnauthorised access prohibited\n"),
            Client("SSH-2.0-PuTTY_Release_0.78\n"),
            Server("SSH-1.99-Cisco-1.25\r\n"),
            Client(ClientKexInit()),
            Server(ServerKexInit()),
        ]);
        var row = OneRow(run);
        Assert.Equal(["Welcome to the bastion", "Unauthorised access prohibited"], (IReadOnlyList<string>)row["server_other_lines"]!);
        Assert.Equal("SSH-1.99-Cisco-1.25", row["server"]);
        Assert.Equal("1.99", row["server_proto_version"]);
        // A minus inside the software version breaks RFC 4253 §4.2 but is what Cisco sends: kept whole.
        Assert.Equal("Cisco-1.25", row["server_software"]);
        Assert.Equal("SSH-2.0-PuTTY_Release_0.78", row["client"]);
        // 1.99 with a 2.0 peer speaks SSH-2 (RFC 4253 §5.1): its KEXINIT is read.
        Assert.Equal(2, row["version"]);
        Assert.NotNull(row["hasshserver"]);
    }

    [Fact]
    public void An_ssh1_session_is_framed_as_ssh1_and_its_host_key_fingerprinted_over_modulus_then_exponent()
    {
        byte[] serverKeyExp = [0x01, 0x00, 0x01], serverKeyMod = Enumerable.Repeat((byte)0xC3, 96).ToArray();
        byte[] hostExp = [0x23], hostMod = Enumerable.Range(0, 128).Select(i => (byte)(0x80 | i)).ToArray();
        byte[] publicKey = Concat(new byte[8], U32(768), Ssh1MpInt(serverKeyExp), Ssh1MpInt(serverKeyMod), U32(1024), Ssh1MpInt(hostExp), Ssh1MpInt(hostMod),
            U32(2), U32(0x48), U32(0x24));
        var run = Ssh.AssertSameOnEverySplit(
        [
            Server("SSH-1.5-1.2.26\n"),
            Client("SSH-1.5-1.2.26\n"),
            Server(Ssh1Packet(2, publicKey)), // SSH_SMSG_PUBLIC_KEY
            Client(Ssh1Packet(3, new byte[120])), // SSH_CMSG_SESSION_KEY
            Server(new byte[16]),
            Client(new byte[24]),
        ]);
        Assert.Empty(run.Anomalies);
        var row = OneRow(run);
        Assert.Equal(1, row["version"]);
        Assert.Equal(["2"], (IReadOnlyList<string>)row["server_kex_messages"]!);
        Assert.Equal(["3"], (IReadOnlyList<string>)row["client_kex_messages"]!);
        Assert.Equal("rsa1", row["host_key_type"]);
        byte[] modThenExp = Concat(hostMod, hostExp);
        Assert.Equal(string.Join(":", MD5.HashData(modThenExp).Select(b => b.ToString("x2"))), row["host_key"]);
        Assert.Equal("SHA256:" + Convert.ToBase64String(SHA256.HashData(modThenExp)).TrimEnd('='), row["host_key_sha256"]);
        Assert.Equal(24L, row["encrypted_bytes_orig"]);
        Assert.Equal(16L, row["encrypted_bytes_resp"]);
        Assert.Equal(false, row["client_newkeys"]);
    }

    [Theory]
    [InlineData("SSH-2.0-OpenSSH_8.4", "SSH-2.0-OpenSSH_8.4", 2)]
    [InlineData("SSH-2.0-OpenSSH_3.8.1p1", "SSH-1.99-OpenSSH_3.9p1", 2)]
    [InlineData("SSH-1.99-x", "SSH-2.0-y", 2)]
    [InlineData("SSH-1.99-x", "SSH-1.99-y", 2)]
    [InlineData("SSH-1.5-x", "SSH-1.99-y", 1)]
    [InlineData("SSH-1.5-x", "SSH-1.5-y", 1)]
    [InlineData("SSH-1.5-x", "SSH-2.0-y", null)]
    [InlineData("SSH-2.0-x", "SSH-1.5-y", null)]
    public void Version_is_computed_from_both_identification_strings_as_zeek_does(string client, string server, int? version)
    {
        var row = OneRow(Ssh.AssertSameOnEverySplit([Client(client + "\r\n"), Server(server + "\r\n")]));
        Assert.Equal(version, row["version"]);
    }

    [Fact]
    public void A_non_ssh_banner_sent_to_an_ssh_server_is_recorded()
    {
        var run = Ssh.AssertSameOnEverySplit([Server(ServerId + "\r\n"), Client("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), Server("Invalid SSH identification string.\r\n")]);
        Assert.True(run.Confirmed);
        Assert.Equal(["ssh.malformed_identification"], run.AnomalyNames);
        var row = OneRow(run);
        Assert.Equal("GET / HTTP/1.1", row["client"]);
        Assert.Null(row["client_proto_version"]);
        Assert.Equal(ServerId, row["server"]);
        Assert.Null(row["version"]);
        // What the server sends to a client that is not SSH is an error text, not packets: not parsed.
        Assert.Null(row["server_kex_messages"]);
    }

    [Fact]
    public void A_server_that_answers_with_something_else_is_recorded_with_its_lines()
    {
        var run = Ssh.AssertSameOnEverySplit([Client(ClientId + "\r\n"), Server("Protocol mismatch.\n")]);
        var row = OneRow(run);
        Assert.Null(row["server"]);
        Assert.Equal(["Protocol mismatch."], (IReadOnlyList<string>)row["server_other_lines"]!);
        Assert.Equal(ClientId, row["client"]);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\n", "HTTP/1.1 200 OK\r\n")]
    [InlineData("\x16\x03\x01\x02\x00\x01", "")]
    [InlineData("SSX-2.0-x\r\n", "")]
    [InlineData("", "\x16\x03\x03\x00\x5a\x02")]
    public void Flows_that_cannot_be_ssh_are_rejected_on_their_first_bytes(string client, string server)
    {
        var messages = new List<StreamMessage>();
        if (client.Length > 0)
            messages.Add(Client(client));
        if (server.Length > 0)
            messages.Add(Server(server));
        var run = Ssh.AssertSameOnEverySplit(messages);
        Assert.NotNull(run.Rejected);
        Assert.False(run.Confirmed);
        Assert.Empty(run.Records);
        Assert.Empty(run.Anomalies);
    }

    [Fact]
    public void A_server_first_text_protocol_is_rejected_when_the_client_speaks()
    {
        var run = Ssh.AssertSameOnEverySplit([Server("220 mail.example.com ESMTP Postfix\r\n"), Client("EHLO client\r\n")]);
        Assert.NotNull(run.Rejected);
        Assert.Empty(run.Records);
    }

    [Fact]
    public void A_server_that_sends_many_lines_and_no_identification_is_rejected()
    {
        var run = Ssh.AssertSameOnEverySplit([Server(string.Concat(Enumerable.Repeat("* OK line\r\n", SshDissector.MaxOtherLines + 1)))]);
        Assert.NotNull(run.Rejected);
        Assert.Empty(run.Records);
    }

    [Fact]
    public void The_rejection_needs_only_the_first_byte_that_differs()
    {
        // "G" cannot start "SSH-": one byte is enough, the parser does not wait for a line.
        var run = Ssh.Run([Client("G")]);
        Assert.NotNull(run.Rejected);
    }

    [Fact]
    public void A_gap_inside_a_packet_being_skipped_keeps_the_framing()
    {
        byte[] ignore = Ignore(200);
        var run = Ssh.Run(
        [
            Client(ClientId + "\r\n"), Server(ServerId + "\r\n"), Client(ClientKexInit()), Server(ServerKexInit()),
            Client(ignore[..40]), Gap(StreamDirection.FromOriginator, 100), Client(ignore[140..]),
            Client(Concat(EcdhInit, NewKeys, new byte[10])),
        ]);
        Assert.Empty(run.Anomalies);
        var row = OneRow(run);
        Assert.Equal(["20", "2", "30", "21"], (IReadOnlyList<string>)row["client_kex_messages"]!);
        Assert.Equal(10L, row["encrypted_bytes_orig"]);
    }

    [Fact]
    public void A_gap_after_newkeys_is_not_counted_and_not_an_anomaly()
    {
        var run = Ssh.Run([.. Session(encryptedClient: 10, encryptedServer: 10), Gap(StreamDirection.FromOriginator, 500), Client(new byte[7])]);
        Assert.Empty(run.Anomalies);
        Assert.Equal(17L, OneRow(run)["encrypted_bytes_orig"]);
    }

    [Fact]
    public void A_gap_before_any_identification_rejects_the_flow()
    {
        var run = Ssh.Run([Gap(StreamDirection.FromResponder, 40), Client(ClientId + "\r\n")]);
        Assert.NotNull(run.Rejected);
        Assert.Empty(run.Records);
    }

    [Fact]
    public void Oversized_line_keeps_its_first_bytes_and_the_session_goes_on()
    {
        string longId = "SSH-2.0-" + new string('A', 300) + " comment";
        var run = Ssh.AssertSameOnEverySplit([Client(longId + "\r\n"), Server(ServerId + "\r\n"), Client(ClientKexInit()), Server(ServerKexInit())]);
        Assert.Equal(["ssh.oversized_line"], run.AnomalyNames);
        var row = OneRow(run);
        Assert.Equal(longId[..SshIdentification.MaxLineLength], row["client"]);
        Assert.NotNull(row["hassh"]);
        Assert.NotNull(row["hasshserver"]);
    }

    /// <summary>
    /// Malformed inputs: each gives its named anomaly, and what follows in the other direction (or in the same one,
    /// where the framing survives) is still parsed.
    /// </summary>
    public static TheoryData<string, string[], string> Malformed()
    {
        byte[] truncatedKexInit = Packet(Concat([20], new byte[16], U32(5000), Encoding.ASCII.GetBytes("curve25519-sha256")));
        byte[] badHostKey = Packet(Concat([31], U32(9000), new byte[20]));
        byte[] noTypeHostKey = Packet(Concat([31], Str(Concat(U32(0))), Str(new byte[32]), Str(new byte[10])));
        var data = new TheoryData<string, string[], string>();
        void Add(string anomaly, string check, params StreamMessage[] m) => data.Add(anomaly, m.Select(Serialise).ToArray(), check);
        Add("ssh.malformed_identification", "server-kexinit", Client("SSH-2.0\r\n"), Server(ServerId + "\r\n"), Client(ClientKexInit()), Server(ServerKexInit()));
        Add("ssh.malformed_identification", "client-kexinit", Client(ClientId + "\r\n"), Server("SSH-2.0-Open\x01SSH\r\n"), Client(ClientKexInit()), Server(ServerKexInit()));
        Add("ssh.malformed_identification", "client-kexinit", Client(ClientId + "\r\n"), Server("SSH--OpenSSH\r\n"), Client(ClientKexInit()));
        Add("ssh.oversized_line", "client-kexinit", Client(ClientId + "\r\n"), Server("Notice: " + new string('x', 400) + "\r\n" + ServerId + "\r\n"), Client(ClientKexInit()));
        Add("ssh.too_many_lines", "client-kexinit", Client(ClientId + "\r\n"), Server(string.Concat(Enumerable.Repeat("hello\r\n", SshDissector.MaxOtherLines + 1)) + ServerId + "\r\n"), Client(ClientKexInit()));
        Add("ssh.bad_packet_length", "server-kexinit", Client(ClientId + "\r\n"), Server(ServerId + "\r\n"), Client(Concat(U32(0x00100000), new byte[64])), Server(ServerKexInit()));
        Add("ssh.bad_packet_length", "server-kexinit", Client(ClientId + "\r\n"), Server(ServerId + "\r\n"), Client(Concat(U32(3), new byte[8])), Server(ServerKexInit()));
        Add("ssh.bad_padding_length", "server-kexinit", Client(ClientId + "\r\n"), Server(ServerId + "\r\n"), Client(Concat(U32(12), [11], new byte[11])), Server(ServerKexInit()));
        Add("ssh.malformed_kexinit", "client-newkeys", Client(ClientId + "\r\n"), Server(ServerId + "\r\n"), Client(truncatedKexInit), Server(ServerKexInit()), Client(Concat(EcdhInit, NewKeys)));
        Add("ssh.malformed_host_key", "server-newkeys", Client(ClientId + "\r\n"), Server(ServerId + "\r\n"), Client(ClientKexInit()), Server(ServerKexInit()), Client(EcdhInit), Server(Concat(badHostKey, NewKeys)));
        Add("ssh.malformed_host_key", "server-newkeys", Client(ClientId + "\r\n"), Server(ServerId + "\r\n"), Client(ClientKexInit()), Server(ServerKexInit()), Client(EcdhInit), Server(Concat(noTypeHostKey, NewKeys)));
        Add("ssh.no_common_algorithm", "server-newkeys", Client(ClientId + "\r\n"), Server(ServerId + "\r\n"), Client(ClientKexInit("diffie-hellman-group1-sha1")), Server(ServerKexInit()), Server(NewKeys));
        Add("ssh.malformed_identification", "server-kexinit", Client("SSH-2.0-\r\n"), Server(ServerId + "\r\n"), Server(ServerKexInit()));
        return data;
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_input_gives_a_named_anomaly_and_the_rest_is_parsed(string anomaly, string[] messages, string stillParsed)
    {
        var run = Ssh.AssertSameOnEverySplit(messages.Select(Deserialise).ToList());
        Assert.Contains(anomaly, run.AnomalyNames);
        Assert.All(run.AnomalyNames, a => Assert.Equal(anomaly, a));
        var row = OneRow(run);
        switch (stillParsed)
        {
            case "server-kexinit":
                Assert.NotNull(row["hasshserver"]);
                break;
            case "client-kexinit":
                Assert.NotNull(row["hassh"]);
                break;
            case "client-newkeys":
                Assert.Equal(true, row["client_newkeys"]);
                break;
            case "server-newkeys":
                Assert.Equal(true, row["server_newkeys"]);
                break;
            default:
                Assert.Fail(stillParsed);
                break;
        }
    }

    [Fact]
    public void A_gap_before_newkeys_is_an_anomaly_and_the_other_direction_goes_on()
    {
        var run = Ssh.Run(
        [
            Client(ClientId + "\r\n"), Server(ServerId + "\r\n"), Client(ClientKexInit()[..30]), Gap(StreamDirection.FromOriginator, 80),
            Server(ServerKexInit()), Client(new byte[100]), Server(Concat(EcdhReply(), NewKeys, new byte[33])),
        ]);
        Assert.Equal(["ssh.gap_before_newkeys"], run.AnomalyNames);
        var row = OneRow(run);
        Assert.Null(row["hassh"]);
        Assert.NotNull(row["hasshserver"]);
        Assert.Equal(33L, row["encrypted_bytes_resp"]);
        Assert.Null(row["encrypted_bytes_orig"]);
        // Without the client's KEXINIT the method is unknown, so the reply's host key is not read.
        Assert.Null(row["host_key"]);
    }

    /// <summary>
    /// Damaged sessions (bytes overwritten, messages cut or dropped, at seeded random places) never make the parser
    /// throw, and give at most one record: a dissector must survive any input (STYLE.md, Malformed input).
    /// </summary>
    [Fact]
    public void Damaged_sessions_never_throw()
    {
        var session = Session();
        for (int seed = 0; seed < 500; seed++)
        {
            var random = new Random(seed);
            var damaged = new List<StreamMessage>();
            foreach (var m in session)
            {
                byte[] data = (byte[])m.Data.Clone();
                switch (random.Next(4))
                {
                    case 0:
                        for (int i = random.Next(1, 4); i > 0; i--)
                            data[random.Next(data.Length)] = (byte)random.Next(256);
                        break;
                    case 1:
                        data = data[..random.Next(data.Length)];
                        break;
                    case 2 when random.Next(4) == 0:
                        continue;
                }

                if (data.Length > 0)
                    damaged.Add(m with { Data = data });
            }

            var run = Ssh.RunInSegments(damaged, random.Next(1, 64));
            Assert.True(run.Records.Count <= 1, $"seed {seed}");
        }
    }

    [Fact]
    public void Every_declared_column_has_a_description_and_zeek_names_are_used()
    {
        var table = Assert.Single(Ssh.Tables);
        Assert.Equal("ssh", table.Name);
        Assert.All(table.Columns, c => Assert.False(string.IsNullOrWhiteSpace(c.Description), c.Name));
        string[] zeek = ["ts", "version", "client", "server", "cipher_alg", "mac_alg", "compression_alg", "kex_alg", "host_key_alg", "host_key"];
        Assert.All(zeek, z => Assert.Contains(z, table.Columns.Select(c => c.Name)));
        Assert.All(table.Columns, c => Assert.Matches("^[a-z0-9_]+$", c.Name));
    }

    // Theory data must be serialisable for the test explorer: a message as "C:"/"S:" and base64.
    private static string Serialise(StreamMessage m) => (m.Direction == StreamDirection.FromOriginator ? "C:" : "S:") + Convert.ToBase64String(m.Data);

    private static StreamMessage Deserialise(string s) =>
        s[0] == 'C' ? Client(Convert.FromBase64String(s[2..])) : Server(Convert.FromBase64String(s[2..]));
}
