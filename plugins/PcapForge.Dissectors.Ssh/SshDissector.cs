using System.Buffers.Binary;
using PcapForge.Abstractions.Dissection;
using PcapForge.Abstractions.Records;

namespace PcapForge.Dissectors.Ssh;

/// <summary>
/// SSH transport layer (RFC 4253), one record per session in the <c>ssh</c> table: both identification strings
/// (§4.2), both KEXINIT messages (§7.1) and the algorithms they negotiate, the HASSH fingerprints, the server host
/// key from the key exchange reply (§8 and the methods that reuse message numbers 30-49), NEWKEYS per side (§7.3),
/// and the bytes each side sent encrypted after its NEWKEYS, counted and not parsed.
/// <para>
/// Detection is by content on every TCP flow (heuristic) and on port 22: a flow is rejected as soon as the client's
/// first bytes cannot start <c>SSH-</c>, or the server sends binary data or too many lines before an identification
/// string (§4.2 lets a server send other lines first); it is confirmed by a valid identification string.
/// </para>
/// <para>
/// Parsing per direction: identification lines (bounded by <see cref="SshIdentification.MaxLineLength"/>), then
/// unencrypted binary packets (§6; SSH-1 framing for SSH-1 peers) whose length is checked against
/// <see cref="SshBinaryPacket.MinPacketLength"/>..<see cref="SshBinaryPacket.MaxPacketLength"/>; only KEXINIT and
/// the host-key message are read whole, every other packet is skipped by its length. After NEWKEYS the direction's
/// bytes are only counted. A bad length or a gap before NEWKEYS stops the parsing of that direction (binary packets
/// have no marker to resynchronise on) with a named anomaly; the record is still written.
/// </para>
/// </summary>
[StreamDissectorExport("ssh")]
public sealed class SshDissector : IStreamDissector
{
    /// <summary>The IANA port for SSH.</summary>
    public const int Port = 22;

    /// <summary>
    /// Most lines a server may send before its identification string (RFC 4253 §4.2 sets no bound; OpenSSH's client
    /// takes up to 1024). Real servers send none or a short notice; a few lines keep the heuristic cheap on flows that
    /// are not SSH.
    /// </summary>
    public const int MaxOtherLines = 8;

    /// <summary>SSH_MSG_NEWKEYS (RFC 4253 §7.3): the sender's next packet uses the new keys.</summary>
    private const byte MsgNewKeys = 21;

    /// <summary>SSH_SMSG_PUBLIC_KEY (SSH-1): the server's host and server keys; its last unencrypted packet.</summary>
    private const byte Ssh1SmsgPublicKey = 2;

    /// <summary>SSH_CMSG_SESSION_KEY (SSH-1): the client's last unencrypted packet.</summary>
    private const byte Ssh1CmsgSessionKey = 3;

    /// <summary>Bytes of SSH_SMSG_PUBLIC_KEY's anti-spoofing cookie.</summary>
    private const int Ssh1CookieLength = 8;

    /// <summary>Bytes of the SSH-1 CRC-32 that ends every packet.</summary>
    private const int Ssh1CrcLength = 4;

    /// <summary>Message numbers as text, made once: the per-side message lists hold these, not new strings.</summary>
    private static readonly string[] MessageNumbers = Enumerable.Range(0, 256).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    private RecordTableHandle _table;
    private AnomalyHandle _malformedIdentification, _oversizedLine, _tooManyLines, _badPacketLength, _badPadding, _malformedKexInit,
        _malformedHostKey, _noCommonAlgorithm, _gapBeforeNewKeys;

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("ssh", "Secure Shell", "SSH transport layer (RFC 4253): identification strings, key exchange, NEWKEYS; encrypted bytes counted");
        _malformedIdentification = setup.Anomaly("ssh.malformed_identification",
            "An identification line that starts with SSH- but does not parse (RFC 4253 §4.2: SSH-protoversion-softwareversion [SP comments]), or a client's first line that is not an identification string");
        _oversizedLine = setup.Anomaly("ssh.oversized_line",
            $"A line of {SshIdentification.MaxLineLength} bytes or more without LF before the identification (RFC 4253 §4.2 limit, CR LF included); its first bytes are kept and the rest skipped");
        _tooManyLines = setup.Anomaly("ssh.too_many_lines",
            $"More than {MaxOtherLines} lines from the server before its identification string; the server direction is not parsed further");
        _badPacketLength = setup.Anomaly("ssh.bad_packet_length",
            $"A binary packet length outside {SshBinaryPacket.MinPacketLength}..{SshBinaryPacket.MaxPacketLength} (RFC 4253 §6.1; SSH-1: {SshBinaryPacket.Ssh1MinLength}..{SshBinaryPacket.Ssh1MaxLength}) before NEWKEYS; that direction is not parsed further");
        _badPadding = setup.Anomaly("ssh.bad_padding_length",
            "A binary packet whose padding_length leaves no room for a message number (RFC 4253 §6); that direction is not parsed further");
        _malformedKexInit = setup.Anomaly("ssh.malformed_kexinit",
            "A KEXINIT payload cut short or with a name-list running past its end (RFC 4253 §7.1); the packet is skipped");
        _malformedHostKey = setup.Anomaly("ssh.malformed_host_key",
            "The key exchange reply's K_S string runs past the payload or holds no key type (RFC 4253 §6.6, §8), or an SSH-1 public key message is cut short");
        _noCommonAlgorithm = setup.Anomaly("ssh.no_common_algorithm",
            "The two KEXINIT messages have no algorithm in common for some category (RFC 4253 §7.1: the connection fails)");
        _gapBeforeNewKeys = setup.Anomaly("ssh.gap_before_newkeys",
            "The capture lost bytes of a direction before its key exchange completed (NEWKEYS); that direction is not parsed further");

        _table = setup.RecordTable("ssh", "One row per SSH session: identification strings, key exchange, host key, bytes after NEWKEYS (Zeek's ssh.log with the HASSH fields)",
            new ColumnDescriptor("ts", ColumnType.Timestamp, "Time of the frame that completed the session's first identification line"),
            new ColumnDescriptor("version", ColumnType.Int32, "SSH major version of the session as Zeek computes it from both identification strings (1.99 speaks 2 with a 2.0 peer); null when they are incompatible or one is missing (Zeek writes 0)"),
            new ColumnDescriptor("client", ColumnType.String, "The client's identification string without CR LF (or its first line when that is not one)"),
            new ColumnDescriptor("server", ColumnType.String, "The server's identification string without CR LF"),
            new ColumnDescriptor("client_proto_version", ColumnType.String, "Protocol version of the client's identification string (2.0, 1.99, 1.5)"),
            new ColumnDescriptor("client_software", ColumnType.String, "Software version of the client's identification string"),
            new ColumnDescriptor("client_comments", ColumnType.String, "Comments of the client's identification string (after the first space)"),
            new ColumnDescriptor("server_proto_version", ColumnType.String, "Protocol version of the server's identification string"),
            new ColumnDescriptor("server_software", ColumnType.String, "Software version of the server's identification string"),
            new ColumnDescriptor("server_comments", ColumnType.String, "Comments of the server's identification string"),
            new ColumnDescriptor("server_other_lines", ColumnType.StringList, $"Lines the server sent before its identification string (RFC 4253 §4.2), at most {MaxOtherLines}"),
            new ColumnDescriptor("kex_alg", ColumnType.String, "Negotiated key exchange method: the first of the client's kex algorithms the server also offers (RFC 4253 §7.1); null when none is common (Zeek: 'Algorithm negotiation failed')"),
            new ColumnDescriptor("host_key_alg", ColumnType.String, "Negotiated server host key algorithm"),
            new ColumnDescriptor("cipher_alg", ColumnType.String, "Negotiated encryption algorithm; as Zeek, 'To server: x, to client: y' when the two directions differ"),
            new ColumnDescriptor("mac_alg", ColumnType.String, "Negotiated MAC algorithm (same form as cipher_alg)"),
            new ColumnDescriptor("compression_alg", ColumnType.String, "Negotiated compression algorithm (same form as cipher_alg)"),
            new ColumnDescriptor("host_key", ColumnType.String, "MD5 of the server host key blob K_S, colon-separated hex (Zeek's host_key); SSH-1: of modulus and exponent"),
            new ColumnDescriptor("host_key_type", ColumnType.String, "Format of the server host key, from its blob (ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256...; rsa1 for SSH-1)"),
            new ColumnDescriptor("host_key_sha256", ColumnType.String, "SHA-256 fingerprint of the server host key as OpenSSH prints it: SHA256:<base64 without padding>"),
            new ColumnDescriptor("hassh", ColumnType.String, "HASSH of the client: MD5 (hex) of hassh_algorithms"),
            new ColumnDescriptor("hassh_algorithms", ColumnType.String, "The client's kex;ciphers to server;MACs to server;compression to server name-lists, as sent"),
            new ColumnDescriptor("hasshserver", ColumnType.String, "HASSHServer of the server: MD5 (hex) of hasshserver_algorithms"),
            new ColumnDescriptor("hasshserver_algorithms", ColumnType.String, "The server's kex;ciphers to client;MACs to client;compression to client name-lists, as sent"),
            new ColumnDescriptor("client_kex_algs", ColumnType.StringList, "Key exchange methods the client offered, in its order of preference"),
            new ColumnDescriptor("client_host_key_algs", ColumnType.StringList, "Server host key algorithms the client accepts"),
            new ColumnDescriptor("client_cipher_algs_to_server", ColumnType.StringList, "Ciphers the client offered for client-to-server"),
            new ColumnDescriptor("client_cipher_algs_to_client", ColumnType.StringList, "Ciphers the client offered for server-to-client"),
            new ColumnDescriptor("client_mac_algs_to_server", ColumnType.StringList, "MACs the client offered for client-to-server"),
            new ColumnDescriptor("client_mac_algs_to_client", ColumnType.StringList, "MACs the client offered for server-to-client"),
            new ColumnDescriptor("client_compression_algs_to_server", ColumnType.StringList, "Compression the client offered for client-to-server"),
            new ColumnDescriptor("client_compression_algs_to_client", ColumnType.StringList, "Compression the client offered for server-to-client"),
            new ColumnDescriptor("server_kex_algs", ColumnType.StringList, "Key exchange methods the server offered"),
            new ColumnDescriptor("server_host_key_algs", ColumnType.StringList, "Host key algorithms the server offered"),
            new ColumnDescriptor("server_cipher_algs_to_server", ColumnType.StringList, "Ciphers the server offered for client-to-server"),
            new ColumnDescriptor("server_cipher_algs_to_client", ColumnType.StringList, "Ciphers the server offered for server-to-client"),
            new ColumnDescriptor("server_mac_algs_to_server", ColumnType.StringList, "MACs the server offered for client-to-server"),
            new ColumnDescriptor("server_mac_algs_to_client", ColumnType.StringList, "MACs the server offered for server-to-client"),
            new ColumnDescriptor("server_compression_algs_to_server", ColumnType.StringList, "Compression the server offered for client-to-server"),
            new ColumnDescriptor("server_compression_algs_to_client", ColumnType.StringList, "Compression the server offered for server-to-client"),
            new ColumnDescriptor("client_kex_messages", ColumnType.StringList, "Message numbers of the client's unencrypted binary packets, in order (SSH-2: up to NEWKEYS 21; SSH-1: up to SESSION_KEY 3)"),
            new ColumnDescriptor("server_kex_messages", ColumnType.StringList, "Message numbers of the server's unencrypted binary packets, in order (SSH-2: up to NEWKEYS 21; SSH-1: up to PUBLIC_KEY 2)"),
            new ColumnDescriptor("client_newkeys", ColumnType.Boolean, "The client sent SSH_MSG_NEWKEYS (SSH-2)"),
            new ColumnDescriptor("server_newkeys", ColumnType.Boolean, "The server sent SSH_MSG_NEWKEYS (SSH-2)"),
            new ColumnDescriptor("encrypted_bytes_orig", ColumnType.Int64, "Bytes the client sent after its NEWKEYS (SSH-1: after SESSION_KEY), captured ones only; null when it never got there"),
            new ColumnDescriptor("encrypted_bytes_resp", ColumnType.Int64, "Bytes the server sent after its NEWKEYS (SSH-1: after PUBLIC_KEY), captured ones only; null when it never got there"));

        setup.AttachTo("tcp.port", Port);
        setup.AttachHeuristic("tcp");
    }

    public IStreamParser CreateParser(StreamContext context) => new Parser(this, context);

    /// <summary>
    /// The parser's own first test (<c>Identification</c>): a client starts with <c>SSH-</c>; a server may send lines
    /// of text before its identification string (RFC 4253 §4.2), so its first byte must at least be text.
    /// </summary>
    public bool Probe(in StreamProbe first)
    {
        var data = first.Data;
        return SshIdentification.MayStart(data) || (first.Direction == StreamDirection.FromResponder && Parser.IsText(data[0]));
    }

    /// <summary>Where a direction is in the protocol.</summary>
    private enum Phase
    {
        /// <summary>Reading lines up to the identification string.</summary>
        Identification,

        /// <summary>Identification read; the packet format is chosen at the first binary byte, when the peer's version is known.</summary>
        Binary,

        /// <summary>Unencrypted SSH-2 binary packets (RFC 4253 §6).</summary>
        Ssh2,

        /// <summary>Unencrypted SSH-1 binary packets.</summary>
        Ssh1,

        /// <summary>After NEWKEYS (SSH-1: after the last cleartext message): bytes are counted.</summary>
        Encrypted,

        /// <summary>Nothing more is parsed or counted (malformed framing, a gap, a non-SSH line).</summary>
        Stopped,
    }

    /// <summary>The state of one direction.</summary>
    private sealed class Side(bool isClient)
    {
        public readonly bool IsClient = isClient;
        public Phase Phase;

        /// <summary>Discarding the rest of an oversized line, up to its LF.</summary>
        public bool SkippingLine;

        /// <summary>Bytes of the current packet still to skip.</summary>
        public long Skip;

        /// <summary>The line being read starts with "SSH-" (the heuristic's evidence before a whole line is there).</summary>
        public bool LooksSsh;

        /// <summary>The identification line as text (for the client, its first line even when it is not one).</summary>
        public string? Line;

        /// <summary>Its first line is not an identification string at all: it does not speak SSH.</summary>
        public bool NotSsh;

        public SshIdentification? Id;
        public List<string>? OtherLines;
        public List<string>? Messages;
        public SshKexInit? KexInit;
        public bool KexInitSeen;
        public bool NewKeys;
        public long EncryptedBytes;
        public bool ReachedEncryption;

        public string Who => IsClient ? "client" : "server";
    }

    private sealed class Parser(SshDissector owner, StreamContext context) : IStreamParser
    {
        private readonly Side _client = new(isClient: true);
        private readonly Side _server = new(isClient: false);
        private bool _confirmed;
        private bool _rejected;

        /// <summary>A line starting with SSH- was seen on either side: the session gets a record.</summary>
        private bool _sessionSeen;

        private long? _ts;
        private string? _kexAlg, _hostKeyAlg, _cipherAlg, _macAlg, _compressionAlg;
        private bool _hostKeyDone;
        private SshHostKey? _hostKey;

        public int OnData(StreamDirection direction, ReadOnlySpan<byte> data)
        {
            var side = direction == StreamDirection.FromOriginator ? _client : _server;
            if (side.Skip > 0)
            {
                int n = (int)Math.Min(side.Skip, data.Length);
                side.Skip -= n;
                return n;
            }

            if (side.SkippingLine)
            {
                int lf = data.IndexOf((byte)'\n');
                if (lf < 0)
                    return data.Length;
                side.SkippingLine = false;
                return lf + 1;
            }

            if (side.Phase == Phase.Binary)
            {
                // The first binary byte of this side: both identification strings are known by now (a side sends
                // binary packets only after reading its peer's), so the packet format can be chosen.
                side.Phase = ChooseFormat(side);
                if (side.Phase != Phase.Stopped)
                    side.Messages = new List<string>();
            }

            switch (side.Phase)
            {
                case Phase.Identification:
                    return Identification(side, data);
                case Phase.Ssh2:
                    return Ssh2Packet(side, data);
                case Phase.Ssh1:
                    return Ssh1Packet(side, data);
                case Phase.Encrypted:
                    side.EncryptedBytes += data.Length;
                    return data.Length;
                default:
                    return data.Length;
            }
        }

        public void OnGap(StreamDirection direction, long length)
        {
            var side = direction == StreamDirection.FromOriginator ? _client : _server;
            switch (side.Phase)
            {
                case Phase.Encrypted:
                    // The lost bytes are not counted; the rest of a NEWKEYS packet they covered need not be skipped.
                    side.Skip = Math.Max(0, side.Skip - length);
                    return;
                case Phase.Stopped:
                    return;
                case Phase.Ssh2 or Phase.Ssh1 when side.Skip >= length:
                    // Lost inside a packet being skipped: the framing is intact.
                    side.Skip -= length;
                    return;
            }

            if (!_sessionSeen)
            {
                Reject("gap before any identification string");
                return;
            }

            context.Report(owner._gapBeforeNewKeys, $"{side.Who} lost {length} bytes before its NEWKEYS; the rest of that direction is not parsed");
            Stop(side);
        }

        public void OnEnd()
        {
            if (_rejected || !_sessionSeen)
                return;
            var c = _client.KexInit;
            var s = _server.KexInit;
            var key = _hostKey;
            context.Records.Write(owner._table,
            [
                _ts, ZeekVersion(_client.Id, _server.Id), _client.Line, _server.Line,
                _client.Id?.ProtoVersion, _client.Id?.Software, _client.Id?.Comments,
                _server.Id?.ProtoVersion, _server.Id?.Software, _server.Id?.Comments,
                _server.OtherLines,
                _kexAlg, _hostKeyAlg, _cipherAlg, _macAlg, _compressionAlg,
                key?.Md5Fingerprint, key?.Type, key?.Sha256Fingerprint,
                c?.Hassh, c?.HasshAlgorithms, s?.HasshServer, s?.HasshServerAlgorithms,
                c?.KexAlgorithms, c?.HostKeyAlgorithms, c?.CiphersToServer, c?.CiphersToClient, c?.MacsToServer, c?.MacsToClient,
                c?.CompressionToServer, c?.CompressionToClient,
                s?.KexAlgorithms, s?.HostKeyAlgorithms, s?.CiphersToServer, s?.CiphersToClient, s?.MacsToServer, s?.MacsToClient,
                s?.CompressionToServer, s?.CompressionToClient,
                _client.Messages, _server.Messages, _client.NewKeys, _server.NewKeys,
                _client.ReachedEncryption ? _client.EncryptedBytes : null, _server.ReachedEncryption ? _server.EncryptedBytes : null,
            ]);
        }

        // ---------------------------------------------------------------- identification (RFC 4253 §4.2)

        private int Identification(Side side, ReadOnlySpan<byte> data)
        {
            // The heuristic: decide on the first bytes of a line, before a whole line is there.
            if (SshIdentification.MayStart(data))
            {
                side.LooksSsh = data.Length >= SshIdentification.Prefix.Length;
            }
            else if (!_confirmed)
            {
                // A client must start with its identification string. Its non-SSH line is kept (and reported) only
                // when the server already shows one: a banner that is not SSH, sent to an SSH server.
                if (side.IsClient && !_server.LooksSsh)
                    return Reject("the client's first bytes cannot start SSH-");
                if (!side.IsClient && !IsText(data[0]))
                    return Reject("the server's first bytes are neither SSH- nor a line of text");
            }

            var status = SshIdentification.TryReadLine(data, out int lineLength, out int consumed);
            if (status == SshLineStatus.Incomplete)
                return 0;
            if (status == SshLineStatus.TooLong)
            {
                bool sshLine = data.StartsWith(SshIdentification.Prefix);
                if (!_confirmed && !sshLine && !side.IsClient)
                    return Reject("a line too long for SSH before any identification string");
                context.Report(owner._oversizedLine, $"{side.Who} line has no LF within {SshIdentification.MaxLineLength} bytes; kept truncated, the rest skipped");
                if (!Line(side, data[..SshIdentification.MaxLineLength]))
                    return 0;
                side.SkippingLine = true;
                return SshIdentification.MaxLineLength;
            }

            return Line(side, data[..lineLength]) ? consumed : 0;
        }

        /// <summary>One line of a side before its binary packets. False when the flow was rejected.</summary>
        private bool Line(Side side, ReadOnlySpan<byte> line)
        {
            _ts ??= context.CurrentTimestampNs;
            if (line.StartsWith(SshIdentification.Prefix))
            {
                _sessionSeen = true;
                side.Line = SshIdentification.Decode(line);
                if (SshIdentification.TryParse(line, out var id))
                {
                    side.Id = id;
                    side.Phase = Phase.Binary;
                    if (!_confirmed)
                    {
                        _confirmed = true;
                        context.Confirm();
                    }
                }
                else
                {
                    context.Report(owner._malformedIdentification, $"{side.Who} identification string '{side.Line}' is not SSH-protoversion-softwareversion [SP comments]");
                    Stop(side);
                }

                return true;
            }

            if (side.IsClient)
            {
                // Reached only when the server is SSH (see Identification): the client is something else.
                side.Line = SshIdentification.Decode(line);
                side.NotSsh = true;
                context.Report(owner._malformedIdentification, $"client's first line '{side.Line}' is not an SSH identification string");
                Stop(side);
                return true;
            }

            // A line a server may send before its identification string (RFC 4253 §4.2).
            if (!_confirmed && !IsTextLine(line))
            {
                Reject("binary data before an identification string");
                return false;
            }

            side.OtherLines ??= new List<string>();
            if (side.OtherLines.Count >= MaxOtherLines)
            {
                if (!_confirmed)
                {
                    Reject($"more than {MaxOtherLines} lines without an identification string");
                    return false;
                }

                context.Report(owner._tooManyLines, $"server sent more than {MaxOtherLines} lines before its identification string");
                Stop(side);
                return true;
            }

            side.OtherLines.Add(SshIdentification.Decode(line));
            return true;
        }

        /// <summary>
        /// The packet format a side uses after its identification (RFC 4253 §5.1): its own version, except that a
        /// 1.99 side speaks SSH-1 to an SSH-1-only peer. None when the peer does not speak SSH at all: what a server
        /// sends then is an error text (OpenSSH: "Invalid SSH identification string."), not packets.
        /// </summary>
        private Phase ChooseFormat(Side side)
        {
            var own = side.Id!;
            var peerSide = side.IsClient ? _server : _client;
            if (peerSide.NotSsh)
                return Phase.Stopped;
            var peer = peerSide.Id;
            if (own.ProtoVersion.StartsWith("2.", StringComparison.Ordinal))
                return Phase.Ssh2;
            if (own.IsCompatibility)
                return peer is { IsSsh1Only: true } ? Phase.Ssh1 : Phase.Ssh2;
            return own.IsSsh1Only ? Phase.Ssh1 : Phase.Stopped;
        }

        // ---------------------------------------------------------------- SSH-2 binary packets (RFC 4253 §6)

        private int Ssh2Packet(Side side, ReadOnlySpan<byte> data)
        {
            var status = SshBinaryPacket.TryReadHeader(data, out int packetLength, out int paddingLength);
            if (status == SshPacketStatus.Incomplete)
                return 0;
            if (status == SshPacketStatus.BadLength)
                return Malformed(side, owner._badPacketLength, $"{side.Who} packet_length {BinaryPrimitives.ReadUInt32BigEndian(data)} outside {SshBinaryPacket.MinPacketLength}..{SshBinaryPacket.MaxPacketLength}", data);
            if (status == SshPacketStatus.BadPadding)
                return Malformed(side, owner._badPadding, $"{side.Who} padding_length {paddingLength} leaves no payload in a packet_length of {packetLength}", data);
            if (data.Length <= SshBinaryPacket.HeaderLength)
                return 0;

            byte message = data[SshBinaryPacket.HeaderLength];
            int payloadLength = packetLength - paddingLength - 1;
            bool kexInit = message == SshKexInit.MessageNumber && !side.KexInitSeen;
            bool hostKey = !side.IsClient && !_hostKeyDone && message == HostKeyMessage();
            if ((kexInit || hostKey) && data.Length < SshBinaryPacket.HeaderLength + payloadLength)
                return 0; // read whole: wait for the payload (at most MaxPacketLength bytes)

            side.Messages!.Add(MessageNumbers[message]);
            var payload = data.Slice(SshBinaryPacket.HeaderLength, Math.Min(payloadLength, data.Length - SshBinaryPacket.HeaderLength));
            if (kexInit)
                KexInit(side, payload);
            else if (hostKey)
                HostKey(payload);
            if (message == MsgNewKeys)
            {
                side.NewKeys = true;
                Encrypt(side);
            }

            return Consume(side, SshBinaryPacket.LengthFieldLength + (long)packetLength, data.Length);
        }

        private void KexInit(Side side, ReadOnlySpan<byte> payload)
        {
            side.KexInitSeen = true;
            if (!SshKexInit.TryParse(payload, out var kexInit, out string? problem))
            {
                context.Report(owner._malformedKexInit, $"{side.Who} KEXINIT: {problem}");
                return;
            }

            side.KexInit = kexInit;
            if (_client.KexInit is { } c && _server.KexInit is { } s)
                Negotiate(c, s);
        }

        /// <summary>The negotiated algorithms (RFC 4253 §7.1), once both KEXINITs are there.</summary>
        private void Negotiate(SshKexInit c, SshKexInit s)
        {
            _kexAlg = SshKexInit.Negotiate(c.KexAlgorithms, s.KexAlgorithms);
            _hostKeyAlg = SshKexInit.Negotiate(c.HostKeyAlgorithms, s.HostKeyAlgorithms);
            _cipherAlg = BothWays(c.CiphersToServer, s.CiphersToServer, c.CiphersToClient, s.CiphersToClient);
            _macAlg = BothWays(c.MacsToServer, s.MacsToServer, c.MacsToClient, s.MacsToClient);
            _compressionAlg = BothWays(c.CompressionToServer, s.CompressionToServer, c.CompressionToClient, s.CompressionToClient);
            string? missing = string.Join(", ", new[] { ("kex", _kexAlg), ("host key", _hostKeyAlg), ("cipher", _cipherAlg), ("mac", _macAlg), ("compression", _compressionAlg) }
                .Where(p => p.Item2 is null).Select(p => p.Item1));
            if (missing.Length > 0)
                context.Report(owner._noCommonAlgorithm, $"no common {missing} algorithm");
        }

        /// <summary>As Zeek's find_bidirectional_alg: one name when both directions agree, else both.</summary>
        private static string? BothWays(IReadOnlyList<string> cToServer, IReadOnlyList<string> sToServer, IReadOnlyList<string> cToClient, IReadOnlyList<string> sToClient)
        {
            string? toServer = SshKexInit.Negotiate(cToServer, sToServer);
            string? toClient = SshKexInit.Negotiate(cToClient, sToClient);
            if (toServer is null || toClient is null)
                return null;
            return toServer == toClient ? toServer : $"To server: {toServer}, to client: {toClient}";
        }

        /// <summary>The server message carrying K_S under the negotiated method, or -1 when unknown (no KEXINITs, unknown method).</summary>
        private int HostKeyMessage() => _kexAlg is null ? -1 : SshKexMethods.HostKeyMessage(_kexAlg) ?? -1;

        private void HostKey(ReadOnlySpan<byte> payload)
        {
            _hostKeyDone = true;
            var reader = new SshReader(payload[1..]);
            if (!reader.TryReadString(out var blob))
            {
                context.Report(owner._malformedHostKey, $"message {payload[0]} under {_kexAlg}: K_S runs past the {payload.Length}-byte payload");
                return;
            }

            if (!SshHostKey.TryParse(blob, out _hostKey))
                context.Report(owner._malformedHostKey, $"message {payload[0]} under {_kexAlg}: the {blob.Length}-byte K_S does not start with a key type name");
        }

        // ---------------------------------------------------------------- SSH-1 binary packets

        private int Ssh1Packet(Side side, ReadOnlySpan<byte> data)
        {
            var status = SshBinaryPacket.TryReadSsh1Header(data, out int length, out int paddingLength);
            if (status == SshPacketStatus.Incomplete)
                return 0;
            if (status == SshPacketStatus.BadLength)
                return Malformed(side, owner._badPacketLength, $"{side.Who} SSH-1 length {BinaryPrimitives.ReadUInt32BigEndian(data)} outside {SshBinaryPacket.Ssh1MinLength}..{SshBinaryPacket.Ssh1MaxLength}", data);
            int typeAt = SshBinaryPacket.LengthFieldLength + paddingLength;
            if (data.Length <= typeAt)
                return 0;

            byte type = data[typeAt];
            long total = typeAt + (long)length;
            bool publicKey = !side.IsClient && type == Ssh1SmsgPublicKey && !_hostKeyDone;
            if (publicKey && data.Length < total)
                return 0;

            side.Messages!.Add(MessageNumbers[type]);
            if (publicKey)
                Ssh1PublicKey(data.Slice(typeAt + 1, length - 1 - Ssh1CrcLength));
            if (type == (side.IsClient ? Ssh1CmsgSessionKey : Ssh1SmsgPublicKey))
                Encrypt(side);
            return Consume(side, total, data.Length);
        }

        /// <summary>SSH_SMSG_PUBLIC_KEY: cookie, server key (bits, exponent, modulus), host key (bits, exponent, modulus), flags.</summary>
        private void Ssh1PublicKey(ReadOnlySpan<byte> body)
        {
            _hostKeyDone = true;
            var reader = new SshReader(body);
            if (reader.TryReadBytes(Ssh1CookieLength, out _) && reader.TryReadUInt32(out _) && reader.TryReadSsh1MpInt(out _) && reader.TryReadSsh1MpInt(out _)
                && reader.TryReadUInt32(out _) && reader.TryReadSsh1MpInt(out var exponent) && reader.TryReadSsh1MpInt(out var modulus))
                _hostKey = SshHostKey.FromSsh1(exponent, modulus);
            else
                context.Report(owner._malformedHostKey, $"SSH-1 public key message of {body.Length} bytes ends inside the host key");
        }

        // ---------------------------------------------------------------- helpers

        /// <summary>Consumes what is there of a packet of <paramref name="total"/> bytes and remembers the rest to skip.</summary>
        private static int Consume(Side side, long total, int available)
        {
            int n = (int)Math.Min(total, available);
            side.Skip = total - n;
            return n;
        }

        private static void Encrypt(Side side)
        {
            side.Phase = Phase.Encrypted;
            side.ReachedEncryption = true;
        }

        private int Malformed(Side side, AnomalyHandle anomaly, string detail, ReadOnlySpan<byte> data)
        {
            context.Report(anomaly, detail + "; the rest of that direction is not parsed");
            Stop(side);
            return data.Length;
        }

        private static void Stop(Side side)
        {
            side.Phase = Phase.Stopped;
            side.SkippingLine = false;
            side.Skip = 0;
        }

        private int Reject(string reason)
        {
            _rejected = true;
            context.Reject(reason);
            return 0;
        }

        /// <summary>
        /// SSH major version as Zeek's set_version computes it: 2 when both sides can speak SSH-2 (2.0 or 1.99, and
        /// 1.99 with 1.99), 1 for SSH-1 with SSH-1 or 1.99, null (Zeek: 0) for SSH-1 against 2.0 or when a side is missing.
        /// </summary>
        private static int? ZeekVersion(SshIdentification? client, SshIdentification? server)
        {
            if (client is null || server is null)
                return null;
            bool c2 = client.ProtoVersion.StartsWith("2.", StringComparison.Ordinal), s2 = server.ProtoVersion.StartsWith("2.", StringComparison.Ordinal);
            bool c1 = client.ProtoVersion.StartsWith("1.", StringComparison.Ordinal), s1 = server.ProtoVersion.StartsWith("1.", StringComparison.Ordinal);
            if (c2 && s2)
                return 2;
            if (c1 && s2)
                return client.IsCompatibility ? 2 : null;
            if (c2 && s1)
                return server.IsCompatibility ? 2 : null;
            if (c1 && s1)
                return server.IsCompatibility && client.IsCompatibility ? 2 : 1;
            return null;
        }

        /// <summary>A byte that can start a line of text: printable, tab, CR, LF, or part of a UTF-8 sequence.</summary>
        internal static bool IsText(byte b) => b >= 0x20 && b != 0x7F || b is (byte)'\t' or (byte)'\r' or (byte)'\n';

        private static bool IsTextLine(ReadOnlySpan<byte> line)
        {
            foreach (byte b in line)
            {
                if (!IsText(b))
                    return false;
            }

            return true;
        }
    }
}
