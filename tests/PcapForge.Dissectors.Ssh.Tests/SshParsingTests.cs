using System.Text;
using static PcapForge.Dissectors.Ssh.Tests.SshWire;

namespace PcapForge.Dissectors.Ssh.Tests;

/// <summary>The public pure parsers (what issue 6's scanner reuses on the banners it reads).</summary>
public class SshParsingTests
{
    [Theory]
    [InlineData("SSH-2.0-OpenSSH_7.4p1 Debian-10+deb9u3\r\n", "2.0", "OpenSSH_7.4p1", "Debian-10+deb9u3")]
    [InlineData("SSH-2.0-OpenSSH_9.2p1", "2.0", "OpenSSH_9.2p1", null)]
    [InlineData("SSH-1.99-OpenSSH_3.9p1\n", "1.99", "OpenSSH_3.9p1", null)]
    [InlineData("SSH-1.5-1.2.26", "1.5", "1.2.26", null)]
    [InlineData("SSH-2.0-Cisco-1.25", "2.0", "Cisco-1.25", null)]
    [InlineData("SSH-2.0-dropbear_2022.83 two words", "2.0", "dropbear_2022.83", "two words")]
    [InlineData("SSH-2.0-x ", "2.0", "x", "")]
    [InlineData("SSH-2.0-Libssh 0.9.6 ünïcode", "2.0", "Libssh", "0.9.6 ünïcode")]
    public void Identification_strings_split_into_version_software_and_comments(string line, string proto, string software, string? comments)
    {
        Assert.True(SshIdentification.TryParse(Encoding.UTF8.GetBytes(line), out var id));
        Assert.Equal(proto, id.ProtoVersion);
        Assert.Equal(software, id.Software);
        Assert.Equal(comments, id.Comments);
        Assert.Equal(line.TrimEnd('\r', '\n'), id.Text);
    }

    [Theory]
    [InlineData("")]
    [InlineData("SSH-")]
    [InlineData("SSH-2.0")]
    [InlineData("SSH-2.0-")]
    [InlineData("SSH--OpenSSH")]
    [InlineData("SSH-2.0- comments only")]
    [InlineData("ssh-2.0-lowercase")]
    [InlineData("HTTP/1.1 400 Bad Request")]
    [InlineData("SSH-2 .0-x")]
    [InlineData("SSH-2.0-Open\tSSH")]
    [InlineData("SSH-2.0-x comment\u0001")]
    [InlineData("SSH-2.0-x\r\rcomment")]
    public void Malformed_identification_strings_are_refused(string line)
    {
        Assert.False(SshIdentification.TryParse(Encoding.UTF8.GetBytes(line), out var id));
        Assert.Null(id);
    }

    [Theory]
    [InlineData("2.0", true, false, false)]
    [InlineData("1.99", true, true, false)]
    [InlineData("1.5", false, false, true)]
    [InlineData("3.0", false, false, false)]
    public void Protocol_versions_say_what_the_peer_can_speak(string proto, bool ssh2, bool compatibility, bool ssh1Only)
    {
        Assert.True(SshIdentification.TryParse($"SSH-{proto}-x", out var id));
        Assert.Equal(ssh2, id.SupportsSsh2);
        Assert.Equal(compatibility, id.IsCompatibility);
        Assert.Equal(ssh1Only, id.IsSsh1Only);
    }

    [Fact]
    public void Lines_are_framed_by_lf_with_an_optional_cr_and_bounded()
    {
        Assert.Equal(SshLineStatus.Line, SshIdentification.TryReadLine("SSH-2.0-x\r\nrest"u8, out int length, out int consumed));
        Assert.Equal((9, 11), (length, consumed));
        Assert.Equal(SshLineStatus.Line, SshIdentification.TryReadLine("abc\nrest"u8, out length, out consumed));
        Assert.Equal((3, 4), (length, consumed));
        Assert.Equal(SshLineStatus.Incomplete, SshIdentification.TryReadLine("SSH-2.0-x\r"u8, out _, out consumed));
        Assert.Equal(0, consumed);
        byte[] longest = Encoding.ASCII.GetBytes(new string('a', SshIdentification.MaxLineLength - 2) + "\r\n");
        Assert.Equal(SshLineStatus.Line, SshIdentification.TryReadLine(longest, out length, out _));
        Assert.Equal(SshIdentification.MaxLineLength - 2, length);
        byte[] tooLong = Encoding.ASCII.GetBytes(new string('a', SshIdentification.MaxLineLength) + "\n");
        Assert.Equal(SshLineStatus.TooLong, SshIdentification.TryReadLine(tooLong, out _, out _));
        Assert.Equal(SshLineStatus.Incomplete, SshIdentification.TryReadLine(tooLong.AsSpan(0, SshIdentification.MaxLineLength - 1), out _, out _));
    }

    [Fact]
    public void A_binary_packet_is_read_whole_or_reported_incomplete()
    {
        byte[] packet = Packet([21]);
        Assert.Equal(SshPacketStatus.Packet, SshBinaryPacket.TryRead(Concat(packet, [9, 9]), out var payload, out int consumed));
        Assert.Equal([21], payload.ToArray());
        Assert.Equal(packet.Length, consumed);
        for (int n = 0; n < packet.Length; n++)
            Assert.Equal(SshPacketStatus.Incomplete, SshBinaryPacket.TryRead(packet.AsSpan(0, n), out _, out _));
    }

    [Theory]
    [InlineData(4u, 0, SshPacketStatus.BadLength)]
    [InlineData(5u, 3, SshPacketStatus.Packet)]
    [InlineData(35000u, 4, SshPacketStatus.Packet)]
    [InlineData(35001u, 4, SshPacketStatus.BadLength)]
    [InlineData(0xFFFFFFFFu, 4, SshPacketStatus.BadLength)]
    [InlineData(12u, 11, SshPacketStatus.BadPadding)]
    [InlineData(12u, 10, SshPacketStatus.Packet)]
    public void Packet_lengths_are_bounded_as_documented(uint packetLength, byte padding, SshPacketStatus status)
    {
        Assert.Equal(status, SshBinaryPacket.TryReadHeader(Concat(U32(packetLength), [padding]), out _, out _));
    }

    [Fact]
    public void Ssh1_padding_aligns_to_eight_bytes()
    {
        Assert.Equal(SshPacketStatus.Packet, SshBinaryPacket.TryReadSsh1Header(U32(5), out int length, out int padding));
        Assert.Equal((5, 3), (length, padding));
        Assert.Equal(SshPacketStatus.Packet, SshBinaryPacket.TryReadSsh1Header(U32(8), out _, out padding));
        Assert.Equal(8, padding);
        Assert.Equal(SshPacketStatus.BadLength, SshBinaryPacket.TryReadSsh1Header(U32(262145), out _, out _));
    }

    [Fact]
    public void Kexinit_name_lists_are_kept_in_order_and_split()
    {
        byte[] payload = KexInitPayload("a,b", "k", "c1,c2", "c3", "m1", "m2", "none", "zlib", "", "en");
        Assert.True(SshKexInit.TryParse(payload, out var k, out string? problem), problem);
        Assert.Equal(["a", "b"], k.KexAlgorithms);
        Assert.Equal(["c3"], k.CiphersToClient);
        Assert.Empty(k.LanguagesToServer);
        Assert.Equal(["en"], k.LanguagesToClient);
        Assert.Equal("a,b;c1,c2;m1;none", k.HasshAlgorithms);
        Assert.Equal("a,b;c3;m2;zlib", k.HasshServerAlgorithms);
        Assert.False(k.FirstKexPacketFollows);
    }

    [Fact]
    public void A_kexinit_cut_anywhere_is_refused_with_the_place_named()
    {
        byte[] payload = KexInitPayload(ClientKex, ClientHostKeys, Ciphers, Ciphers, Macs, Macs, Compression, Compression, "", "");
        for (int n = 0; n < payload.Length; n++)
        {
            Assert.False(SshKexInit.TryParse(payload.AsSpan(0, n), out _, out string? problem));
            Assert.False(string.IsNullOrEmpty(problem));
        }

        Assert.False(SshKexInit.TryParse(Concat([21], payload[1..]), out _, out string? notKexInit));
        Assert.Contains("not an SSH_MSG_KEXINIT", notKexInit);
    }

    [Theory]
    [InlineData("curve25519-sha256", 31)]
    [InlineData("curve25519-sha256@libssh.org", 31)]
    [InlineData("ecdh-sha2-nistp256", 31)]
    [InlineData("diffie-hellman-group14-sha256", 31)]
    [InlineData("diffie-hellman-group1-sha1", 31)]
    [InlineData("sntrup761x25519-sha512@openssh.com", 31)]
    [InlineData("mlkem768x25519-sha256", 31)]
    [InlineData("diffie-hellman-group-exchange-sha256", 33)]
    [InlineData("diffie-hellman-group-exchange-sha1", 33)]
    [InlineData("gss-group14-sha256-toWM5Slw5Ew8Mqkay+al2g==", 33)]
    [InlineData("rsa2048-sha256", 30)]
    [InlineData("ext-info-c", null)]
    [InlineData("made-up-kex@example.com", null)]
    public void The_host_key_message_depends_on_the_key_exchange_method(string kex, int? message)
    {
        Assert.Equal(message, (int?)SshKexMethods.HostKeyMessage(kex));
    }

    [Fact]
    public void Negotiation_takes_the_clients_first_choice_the_server_supports()
    {
        Assert.Equal("b", SshKexInit.Negotiate(["x", "b", "a"], ["a", "b"]));
        Assert.Null(SshKexInit.Negotiate(["x"], ["a", "b"]));
        Assert.Null(SshKexInit.Negotiate([], ["a"]));
    }

    [Fact]
    public void Host_key_blobs_give_their_type_and_both_fingerprints()
    {
        Assert.True(SshHostKey.TryParse(Ed25519Blob, out var key));
        Assert.Equal("ssh-ed25519", key.Type);
        Assert.Equal(Ed25519Sha256, key.Sha256Fingerprint);
        Assert.Equal(Ed25519Md5, key.Md5Fingerprint);
        Assert.False(SshHostKey.TryParse(U32(0), out _));
        Assert.False(SshHostKey.TryParse(U32(100), out _));
        Assert.False(SshHostKey.TryParse(Str("ssh ed25519"), out _));
        Assert.False(SshHostKey.TryParse(Str(new string('a', SshHostKey.MaxTypeLength + 1)), out _));
    }
}
