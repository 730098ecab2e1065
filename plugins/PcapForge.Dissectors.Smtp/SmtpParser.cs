using PcapForge.Abstractions.Dissection;
using PcapForge.Abstractions.Records;

namespace PcapForge.Dissectors.Smtp;

/// <summary>
/// The state of one SMTP connection. The client's bytes are commands, AUTH responses, message data (DATA, with
/// dot-stuffing and the <c>CRLF.CRLF</c> terminator, RFC 5321 §4.5.2) or BDAT chunks (skipped by length); the
/// server's are replies. Commands wait in a queue for their replies, matched in order (pipelining, RFC 2920), and
/// the mail transaction advances when a reply arrives: the transaction's logic sees (command, reply) pairs in the
/// order the server answered them. After DATA, AUTH and STARTTLS the meaning of the client's next bytes depends on
/// the reply (354, 334, 220), which a client waits for (RFC 2920 §3.1): until the reply is there the client's bytes
/// are left unconsumed (the engine offers them again with more), up to <see cref="HoldLimit"/>.
/// </summary>
internal sealed class SmtpParser : IStreamParser
{
    /// <summary>Longest command or reply line, CRLF included (RFC 5321 §4.5.3.1.4-5 say 512: we are lenient).</summary>
    internal const int MaxLine = SmtpReply.MaxLineLength;

    /// <summary>Client bytes held while waiting for the reply to DATA, AUTH or STARTTLS; past it the client is taken to have been accepted.</summary>
    internal const int HoldLimit = 4096;

    /// <summary>Commands waiting for replies before the oldest is recorded without one.</summary>
    internal const int MaxPending = 64;

    /// <summary>Commands accepted before the flow is confirmed as SMTP; past them it is rejected.</summary>
    internal const int MaxUnconfirmedCommands = 16;

    /// <summary>Recipients kept per transaction (Zeek's max_rcptto_addresses).</summary>
    internal const int MaxRecipients = 1000;

    /// <summary>Reply codes kept per row.</summary>
    internal const int MaxReplyCodes = 1000;

    /// <summary>Anomalies of one name reported per connection; the last one says the rest are not.</summary>
    internal const int MaxAnomaliesPerName = 20;

    private enum ClientMode
    {
        Commands,
        AuthResponse,
        Data,
        Bdat,
        SkipLine,
        Encrypted,
    }

    private readonly SmtpDissector _owner;
    private readonly StreamContext _context;
    private readonly MessageReader _reader;
    private readonly int[] _anomalyCounts = new int[SmtpDissector.AnomalyDeclarations.Length];

    // Detection: until confirmed, rows and anomalies wait here (a flow that turns out not to be SMTP leaves none).
    private bool _confirmed, _rejected;
    private List<(RecordTableHandle Table, object?[] Values)>? _heldRows;
    private List<(SmtpAnomaly Anomaly, string Detail)>? _heldAnomalies;
    private int _unconfirmedCommands, _unconfirmedReplies;

    // The session.
    private bool _greetingSeen, _noGreetingReported, _tooManyPendingReported;
    private string? _banner, _helo, _authMechanism, _authUser;
    private bool? _authSuccess;
    private IReadOnlyList<string>? _extensions;
    // LMTP (RFC 2033): the session began with LHLO; after the final dot, the DATA end waiting for the replies of the
    // accepted recipients (one each, in RCPT order), those recipients, and how many replies have come.
    private bool _lmtp;
    private Pending? _lmtpDelivery;
    private List<string>? _lmtpRecipients;
    private int _lmtpReplies;
    private bool _tls;
    private int _rowsWritten;
    private Transaction _tx = new();
    private readonly Queue<Pending> _pending = new();
    private Pending? _auth;
    private int _authResponses;

    // The client's side.
    private ClientMode _client = ClientMode.Commands, _afterSkip = ClientMode.Commands;
    private Pending? _blockedOn;
    private long _bdatRemaining;
    private bool _bdatLastChunk;
    private bool _clientResync;
    private bool _dataLineStart, _dataPrevBareLf, _dataLastByteCr, _dataLongReported;
    private long _dataLineLength;

    // The server's side.
    private bool _serverSkipLine, _serverResync, _serverEncrypted;
    private int _replyCode = -1;
    private readonly List<string> _replyLines = new();
    private bool _replyTooLargeReported;

    public SmtpParser(SmtpDissector owner, StreamContext context)
    {
        _owner = owner;
        _context = context;
        _reader = new MessageReader((problem, detail) => Report(problem switch
        {
            MessageProblem.HeaderTooLong => SmtpAnomaly.HeaderTooLong,
            MessageProblem.HeaderSectionTooLarge => SmtpAnomaly.HeaderSectionTooLarge,
            _ => SmtpAnomaly.TooManyAddresses,
        }, detail));
    }

    public int OnData(StreamDirection direction, ReadOnlySpan<byte> data)
    {
        if (_rejected)
            return data.Length;
        return direction == StreamDirection.FromOriginator ? OnClient(data) : OnServer(data);
    }

    public void OnGap(StreamDirection direction, long length)
    {
        if (_rejected)
            return;
        if (!_confirmed)
        {
            Reject("bytes lost before SMTP was recognised");
            return;
        }

        if (direction == StreamDirection.FromResponder)
        {
            if (_serverEncrypted)
                return;
            Report(SmtpAnomaly.Gap, $"{length} bytes of server replies lost; resynchronising at the next line");
            _serverResync = true;
            return;
        }

        switch (_client)
        {
            case ClientMode.Encrypted:
                return;
            case ClientMode.Data:
                // Captures lose whole segments: the bytes after the gap are taken to start a line, so that an end of
                // data in the next segment is found (a body fragment that happens to start with ".CRLF" is not likely).
                Report(SmtpAnomaly.Gap, $"{length} bytes of message data lost; header parsing stops");
                _reader.Gap();
                _dataLineStart = true;
                _dataPrevBareLf = false;
                return;
            case ClientMode.Bdat when length < _bdatRemaining:
                Report(SmtpAnomaly.Gap, $"{length} bytes of a BDAT chunk lost");
                _reader.Gap();
                _bdatRemaining -= length;
                return;
            case ClientMode.Bdat:
                Report(SmtpAnomaly.Gap, $"{length} bytes lost: the end of a BDAT chunk and {length - _bdatRemaining} bytes after it; resynchronising at the next line");
                _reader.Gap();
                EndChunk();
                _afterSkip = ClientMode.Commands;
                _client = ClientMode.SkipLine;
                return;
            default:
                Report(SmtpAnomaly.Gap, $"{length} bytes of client commands lost; resynchronising at the next line");
                if (_client == ClientMode.SkipLine)
                    _client = _afterSkip;
                _clientResync = true;
                return;
        }
    }

    public void OnEnd()
    {
        if (_rejected || !_confirmed)
            return;
        if (_lmtpDelivery is not null)
            LmtpDeliveryReply(null);
        if (_client == ClientMode.Data)
        {
            Report(SmtpAnomaly.UnterminatedData, "the connection ended inside message data");
            _pending.Enqueue(new Pending { DataEnd = true, Message = _reader.Finish(), Ts = _context.CurrentTimestampNs });
        }
        else if (_client == ClientMode.Bdat)
        {
            Report(SmtpAnomaly.UnterminatedData, $"the connection ended {_bdatRemaining} bytes before the end of a BDAT chunk");
            _reader.Finish();
        }

        while (_pending.Count > 0)
            Apply(_pending.Dequeue(), null);
        if (_auth is not null)
            FinishAuth(_auth, null);
        if (_tx.HasTransaction || _tx.HasActivity || _rowsWritten == 0)
            WriteTransaction();
    }

    // ------------------------------------------------------------------------------------------------ client side

    private int OnClient(ReadOnlySpan<byte> data)
    {
        int pos = 0;
        while (pos < data.Length && !_rejected)
        {
            var rest = data[pos..];
            switch (_client)
            {
                case ClientMode.Encrypted:
                    return data.Length;
                case ClientMode.SkipLine:
                {
                    int lf = rest.IndexOf((byte)'\n');
                    if (lf < 0)
                        return data.Length;
                    pos += lf + 1;
                    _client = _afterSkip;
                    continue;
                }

                case ClientMode.Bdat:
                {
                    // RFC 3030 §3: exactly chunk-size bytes follow the BDAT line; skipped by length, headers read on the way.
                    int n = (int)Math.Min(_bdatRemaining, rest.Length);
                    _reader.Feed(rest[..n]);
                    _bdatRemaining -= n;
                    pos += n;
                    if (_bdatRemaining == 0)
                        EndChunk();
                    continue;
                }

                case ClientMode.Data:
                {
                    int used = ScanData(rest);
                    if (used == 0)
                        return pos;
                    pos += used;
                    continue;
                }
            }

            // Commands or AUTH responses: one line at a time.
            if (_blockedOn is not null)
            {
                if (rest.Length < HoldLimit)
                    return pos;
                GoOnWithoutReply();
                continue;
            }

            if (_clientResync)
            {
                // After a gap: a line that starts with an SMTP verb is taken as a command (captures lose whole
                // segments); anything else is the rest of a line, skipped.
                const int longestVerb = 24;
                int wordEnd = rest[..Math.Min(rest.Length, longestVerb)].IndexOfAny(" \r\n"u8);
                if (wordEnd < 0 && rest.Length < longestVerb)
                    return pos;
                _clientResync = false;
                if (_client == ClientMode.AuthResponse || wordEnd <= 0 || SmtpCommandLine.Classify(rest[..wordEnd]) == SmtpVerb.Unknown)
                {
                    _afterSkip = _client;
                    _client = ClientMode.SkipLine;
                    continue;
                }
            }

            if (!_confirmed && !ClientStartPlausible(rest))
            {
                Reject("the client's line is not an SMTP command");
                return data.Length;
            }

            int end = rest[..Math.Min(rest.Length, MaxLine)].IndexOf((byte)'\n');
            if (end < 0)
            {
                if (rest.Length < MaxLine)
                    return pos;
                Report(SmtpAnomaly.LineTooLong, $"client line of more than {MaxLine} bytes; read truncated");
                ClientLine(rest[..MaxLine]);
                pos += MaxLine;
                if (_client is ClientMode.Commands or ClientMode.AuthResponse)
                {
                    _afterSkip = _client;
                    _client = ClientMode.SkipLine;
                }

                continue;
            }

            ClientLine(SmtpText.TrimCr(rest[..end]));
            pos += end + 1;
        }

        return pos;
    }

    /// <summary>
    /// Before the flow is confirmed: can these first bytes of a client line (however few) be SMTP? The first line of
    /// a client that speaks first must be EHLO or HELO; after the greeting, a verb starts with four letters.
    /// </summary>
    private bool ClientStartPlausible(ReadOnlySpan<byte> line)
    {
        if (!_greetingSeen && _unconfirmedCommands == 0)
            return FirstClientBytesPlausible(line);
        for (int i = 0; i < Math.Min(line.Length, 4); i++)
        {
            if (!char.IsAsciiLetter((char)line[i]))
                return false;
        }

        return true;
    }

    /// <summary>Can these first bytes of a client that speaks first (however few) start EHLO or HELO?</summary>
    internal static bool FirstClientBytesPlausible(ReadOnlySpan<byte> line)
    {
        int n = Math.Min(line.Length, 5);
        for (int i = 0; i < n; i++)
        {
            byte b = line[i];
            bool ok = i switch
            {
                0 => (b | 0x20) is 'e' or 'h',
                1 => (b | 0x20) == 'e' && (line[0] | 0x20) == 'h' || (b | 0x20) == 'h' && (line[0] | 0x20) == 'e',
                2 => (b | 0x20) == 'l',
                3 => (b | 0x20) == 'o',
                _ => b is (byte)' ' or (byte)'\r' or (byte)'\n',
            };
            if (!ok)
                return false;
        }

        return true;
    }

    private void ClientLine(ReadOnlySpan<byte> line)
    {
        if (_client == ClientMode.AuthResponse && _auth is not null)
        {
            AuthResponseLine(line);
            return;
        }

        if (!SmtpCommandLine.TryParse(line, out var command))
        {
            if (!_confirmed)
                Reject("an empty client line before SMTP was recognised");
            else
                Report(SmtpAnomaly.UnknownCommand, line.IsEmpty ? "an empty line" : $"a line starting with a space: '{Printable(line)}'");
            return;
        }

        var verb = SmtpCommandLine.Classify(command.Verb);
        if (!_confirmed && (verb == SmtpVerb.Unknown || ++_unconfirmedCommands > MaxUnconfirmedCommands))
        {
            Reject(verb == SmtpVerb.Unknown ? "not an SMTP command" : "no SMTP exchange was accepted");
            return;
        }

        if (!_greetingSeen && !_noGreetingReported)
        {
            _noGreetingReported = true;
            Report(SmtpAnomaly.CommandWithoutGreeting, $"'{Printable(command.Verb)}' before any server greeting");
        }

        var p = new Pending
        {
            Verb = verb,
            Command = SmtpText.Decode(command.Verb),
            Parameter = command.Parameter.IsEmpty ? null : SmtpText.Decode(command.Parameter),
            Ts = _context.CurrentTimestampNs,
            Frame = _context.CurrentFrame,
        };
        switch (verb)
        {
            case SmtpVerb.Unknown:
                Report(SmtpAnomaly.UnknownCommand, $"'{Printable(command.Verb)}'");
                break;
            case SmtpVerb.Mail:
                p.Address = Mailbox(command.Parameter, "FROM:"u8, "MAIL");
                break;
            case SmtpVerb.Rcpt:
                p.Address = Mailbox(command.Parameter, "TO:"u8, "RCPT");
                break;
            case SmtpVerb.Data:
            case SmtpVerb.StartTls:
                _blockedOn = p;
                break;
            case SmtpVerb.Bdat:
                StartChunk(p, command.Parameter);
                break;
            case SmtpVerb.Rset:
                // RFC 3030 §3: RSET abandons a message whose BDAT chunks had not ended.
                _reader.Finish();
                break;
            case SmtpVerb.Auth:
                // RFC 4954 §4: AUTH mechanism [initial-response]. The response holds credentials: only the mechanism is kept.
                p.Mechanism = SmtpAuth.Mechanism(command.Parameter, out var initialResponse);
                p.Parameter = p.Mechanism.Length == 0 ? null : p.Mechanism;
                _auth = p;
                _authResponses = 0;
                if (!initialResponse.IsEmpty)
                    TakeAuthResponse(p, initialResponse);
                _blockedOn = p;
                break;
        }

        Enqueue(p);
    }

    private string? Mailbox(ReadOnlySpan<byte> parameter, ReadOnlySpan<byte> keyword, string verb)
    {
        if (SmtpCommandLine.TryParsePath(parameter, keyword, out var mailbox))
            return SmtpText.Decode(mailbox);
        Report(SmtpAnomaly.MalformedCommand, $"{verb} without {System.Text.Encoding.ASCII.GetString(keyword)}<path>: '{Printable(parameter)}'");
        return null;
    }

    private void StartChunk(Pending p, ReadOnlySpan<byte> parameter)
    {
        if (!SmtpCommandLine.TryParseBdat(parameter, out long size, out bool last))
        {
            Report(SmtpAnomaly.MalformedCommand, $"BDAT without a decimal chunk size: '{Printable(parameter)}'; the chunk cannot be skipped");
            return;
        }

        if (_reader.Message is null)
            _reader.Start(new MailMessage());
        p.Message = _reader.Message;
        p.BdatLast = last;
        _bdatLastChunk = last;
        _bdatRemaining = size;
        if (size > 0)
            _client = ClientMode.Bdat;
        else
            EndChunk();
    }

    private void EndChunk()
    {
        _client = ClientMode.Commands;
        _bdatRemaining = 0;
        if (_bdatLastChunk)
            _reader.Finish();
    }

    /// <summary>A line the client sent in answer to a 334 challenge (RFC 4954 §4): never recorded; the user name taken from it.</summary>
    private void AuthResponseLine(ReadOnlySpan<byte> line)
    {
        // "*" cancels the exchange; the server answers 501.
        if (!line.SequenceEqual("*"u8))
            TakeAuthResponse(_auth!, line);
        var p = new Pending { AuthResponse = true, Ts = _context.CurrentTimestampNs, Frame = _context.CurrentFrame };
        _blockedOn = p;
        Enqueue(p);
    }

    /// <summary>
    /// The first response of PLAIN (RFC 4616: authzid NUL authcid NUL password), LOGIN (the user name), CRAM-MD5
    /// (user and digest), SCRAM-* (the client-first-message), XOAUTH2 or OAUTHBEARER gives the user (<see cref="SmtpAuth"/>);
    /// LOGIN's second response, the password, is not even decoded.
    /// </summary>
    private void TakeAuthResponse(Pending auth, ReadOnlySpan<byte> response)
    {
        if (_authResponses++ != 0)
            return;
        string? user = null;
        bool ok = auth.Mechanism switch
        {
            "PLAIN" => SmtpAuth.TryGetPlainUser(response, out user),
            "LOGIN" => SmtpAuth.TryGetLoginUser(response, out user),
            "CRAM-MD5" => SmtpAuth.TryGetCramMd5User(response, out user),
            "XOAUTH2" => SmtpAuth.TryGetXoauth2User(response, out user),
            "OAUTHBEARER" => SmtpAuth.TryGetGs2User(response, scram: false, out user),
            _ when auth.Mechanism!.StartsWith("SCRAM-", StringComparison.Ordinal) => SmtpAuth.TryGetGs2User(response, scram: true, out user),
            _ => true,
        };
        if (!ok)
            Report(SmtpAnomaly.MalformedCommand, $"AUTH {auth.Mechanism} response is not base64 of a user name");
        auth.AuthUser = user;
    }

    /// <summary>
    /// Message data after a 354 reply: lines up to the line "." (RFC 5321 §4.1.1.4), a leading dot removed from any
    /// other line (§4.5.2). Lines are not assembled: bytes are consumed as they come, and only a line start that may
    /// be the terminator (".", ".\r") waits for more. Returns the bytes consumed (0: need more).
    /// </summary>
    private int ScanData(ReadOnlySpan<byte> data)
    {
        int pos = 0;
        while (pos < data.Length)
        {
            if (_dataLineStart)
            {
                if (data[pos] == (byte)'.')
                {
                    if (pos + 1 >= data.Length)
                        return pos;
                    int endLength = 0;
                    if (data[pos + 1] == (byte)'\n')
                        endLength = 2;
                    else if (data[pos + 1] == (byte)'\r')
                    {
                        if (pos + 2 >= data.Length)
                            return pos;
                        if (data[pos + 2] == (byte)'\n')
                            endLength = 3;
                    }

                    if (endLength > 0)
                    {
                        EndOfData(bareLf: endLength == 2 || _dataPrevBareLf);
                        return pos + endLength;
                    }

                    pos++; // the transparency dot
                }

                _dataLineStart = false;
                _dataLastByteCr = false;
                _dataLineLength = 0;
                if (pos >= data.Length)
                    break;
            }

            var rest = data[pos..];
            int lf = rest.IndexOf((byte)'\n');
            var piece = lf < 0 ? rest : rest[..(lf + 1)];
            _reader.Feed(piece);
            _dataLineLength += piece.Length;
            if (_dataLineLength > MaxLine && !_dataLongReported)
            {
                _dataLongReported = true;
                Report(SmtpAnomaly.LineTooLong, $"a message line of more than {MaxLine} bytes (RFC 5321 §4.5.3.1.6: 1000)");
            }

            if (lf >= 0)
            {
                _dataPrevBareLf = !(lf > 0 ? rest[lf - 1] == (byte)'\r' : _dataLastByteCr);
                _dataLineStart = true;
            }
            else
            {
                _dataLastByteCr = piece[^1] == (byte)'\r';
            }

            pos += piece.Length;
        }

        return pos;
    }

    private void StartData()
    {
        _reader.Start(new MailMessage());
        _client = ClientMode.Data;
        _dataLineStart = true;
        _dataPrevBareLf = false;
        _dataLongReported = false;
    }

    private void EndOfData(bool bareLf)
    {
        if (bareLf)
            Report(SmtpAnomaly.DataEndBareLf, "the end-of-data line '.' is delimited by a bare LF");
        _client = ClientMode.Commands;
        Enqueue(new Pending
        {
            DataEnd = true,
            Command = ".",
            Message = _reader.Finish(),
            Ts = _context.CurrentTimestampNs,
            Frame = _context.CurrentFrame,
        });
    }

    /// <summary>The client went on past <see cref="HoldLimit"/> bytes without the reply it should have waited for.</summary>
    private void GoOnWithoutReply()
    {
        var p = _blockedOn!;
        _blockedOn = null;
        p.Resolved = true;
        string what = p.AuthResponse ? "an AUTH response" : p.Command ?? "?";
        Report(SmtpAnomaly.ClientDidNotWait, $"{HoldLimit} bytes after {what} came before the server's reply; read as if it had been accepted");
        switch (p.Verb)
        {
            case SmtpVerb.Data:
                StartData();
                break;
            case SmtpVerb.StartTls:
                _client = ClientMode.Encrypted;
                break;
            default:
                // AUTH: the exchange is taken as over.
                _client = ClientMode.Commands;
                break;
        }
    }

    private void Enqueue(Pending p)
    {
        if (_pending.Count >= MaxPending)
        {
            if (!_tooManyPendingReported)
            {
                _tooManyPendingReported = true;
                Report(SmtpAnomaly.TooManyPendingCommands, $"{MaxPending} commands without replies; the oldest are recorded without one");
            }

            Apply(_pending.Dequeue(), null);
        }

        _pending.Enqueue(p);
    }

    // ------------------------------------------------------------------------------------------------ server side

    private int OnServer(ReadOnlySpan<byte> data)
    {
        int pos = 0;
        while (pos < data.Length && !_rejected)
        {
            if (_serverEncrypted)
                return data.Length;
            var rest = data[pos..];
            if (_serverSkipLine)
            {
                int lf = rest.IndexOf((byte)'\n');
                if (lf < 0)
                    return data.Length;
                pos += lf + 1;
                _serverSkipLine = false;
                continue;
            }

            if (_serverResync)
            {
                // After a gap: a line that starts like a reply is taken as one; anything else is the rest of a line.
                if (rest.Length < 4 && rest.IndexOf((byte)'\n') < 0)
                    return pos;
                _serverResync = false;
                if (!SmtpReplyLine.StartsLikeReply(rest[..Math.Min(rest.Length, 4)]))
                {
                    _serverSkipLine = true;
                    continue;
                }
            }

            if (!_confirmed && !SmtpReplyLine.StartsLikeReply(rest))
            {
                Reject("the server's line is not an SMTP reply");
                return data.Length;
            }

            int end = rest[..Math.Min(rest.Length, MaxLine)].IndexOf((byte)'\n');
            if (end < 0)
            {
                if (rest.Length < MaxLine)
                    return pos;
                Report(SmtpAnomaly.LineTooLong, $"server line of more than {MaxLine} bytes; read truncated");
                ReplyLine(rest[..MaxLine]);
                pos += MaxLine;
                _serverSkipLine = true;
                continue;
            }

            ReplyLine(SmtpText.TrimCr(rest[..end]));
            pos += end + 1;
        }

        return pos;
    }

    private void ReplyLine(ReadOnlySpan<byte> line)
    {
        if (!SmtpReplyLine.TryParse(line, out var reply))
        {
            if (!_confirmed)
                Reject("the server's line is not an SMTP reply");
            else
                Report(SmtpAnomaly.MalformedReply, $"'{Printable(line)}'");
            return;
        }

        if (_replyCode >= 0 && reply.Code != _replyCode)
            Report(SmtpAnomaly.MalformedReply, $"a multi-line reply changes its code from {_replyCode} to {reply.Code}");
        _replyCode = reply.Code;
        if (_replyLines.Count < SmtpReply.MaxLines)
            _replyLines.Add(SmtpText.Decode(reply.Text));
        else if (!_replyTooLargeReported)
        {
            _replyTooLargeReported = true;
            Report(SmtpAnomaly.ReplyTooLarge, $"a {reply.Code} reply of more than {SmtpReply.MaxLines} lines");
        }

        if (!reply.IsLast)
            return;
        var whole = new SmtpReply(_replyCode, _replyLines.ToArray());
        _replyLines.Clear();
        _replyCode = -1;
        _replyTooLargeReported = false;
        OnReply(whole);
    }

    private void OnReply(SmtpReply reply)
    {
        // Replies are held until the flow is confirmed: a server that only ever talks cannot make that list grow.
        if (!_confirmed && ++_unconfirmedReplies > MaxUnconfirmedCommands + 1)
        {
            Reject("no SMTP exchange was accepted");
            return;
        }

        // The greeting: the first reply, unless the client spoke first and this is the answer to it. A 220 is still
        // the greeting then (a client talking before it, e.g. a spam bot), except after STARTTLS.
        if (!_greetingSeen && (_pending.Count == 0 || (reply.Code == 220 && _pending.Peek().Verb != SmtpVerb.StartTls)))
        {
            _greetingSeen = true;
            _banner = reply.Text;
            Unsolicited(reply);
            return;
        }

        _greetingSeen = true;
        if (_lmtpDelivery is not null)
        {
            LmtpDeliveryReply(reply);
            return;
        }

        if (_pending.Count > 0)
        {
            Apply(_pending.Dequeue(), reply);
            return;
        }

        if (_client == ClientMode.Data)
        {
            // The client's next bytes are read as commands: after a gap that took the terminator (the usual cause)
            // they are the next command; after an early refusal, the rest of the message gives unknown commands.
            Report(SmtpAnomaly.ReplyDuringData, $"{reply.Code} while the client was sending message data; the message is taken as ended");
            _client = ClientMode.Commands;
            Apply(new Pending { DataEnd = true, Message = _reader.Finish(), Ts = _context.CurrentTimestampNs }, reply);
            return;
        }

        // RFC 5321 §3.8: a server may send 421 at any time before closing.
        if (reply.Code != 421)
            Report(SmtpAnomaly.UnmatchedReply, $"{reply.Code} when no command was waiting for a reply");
        Unsolicited(reply);
    }

    /// <summary>A reply with no command: the greeting, or one nobody asked for.</summary>
    private void Unsolicited(SmtpReply reply)
    {
        _tx.Touch(_context.CurrentTimestampNs);
        _tx.AddReply(reply);
        WriteCommand(null, reply);
    }

    // ------------------------------------------------------------------------------------------------ transactions

    /// <summary>A command and its reply (null when the capture has none), in the order the server answered.</summary>
    private void Apply(Pending p, SmtpReply? reply)
    {
        int? code = reply?.Code;
        bool positive = code is >= 200 and < 300;
        bool refused = code >= 400;

        // RFC 5321 §4.1.1.5 (RSET) and §4.1.4 (EHLO/HELO) end a transaction; so does a new MAIL (Zeek flushes there too).
        if (p.Verb is SmtpVerb.Mail or SmtpVerb.Rset || (p.Verb is SmtpVerb.Ehlo or SmtpVerb.Helo && positive))
        {
            if (_tx.HasTransaction)
                WriteTransaction();
        }

        _tx.Touch(p.Ts);
        if (reply is not null)
            _tx.AddReply(reply);
        if (_blockedOn == p)
            _blockedOn = null;

        if (p.AuthResponse || p.Verb == SmtpVerb.Auth)
        {
            var auth = p.AuthResponse ? _auth : p;
            if (code == 334 && !p.Resolved)
            {
                _client = ClientMode.AuthResponse;
                return;
            }

            if (auth is not null)
                FinishAuth(auth, reply);
            return;
        }

        if (p.DataEnd)
        {
            _tx.HasTransaction = true;
            _tx.Message = p.Message;
            _tx.Accepted = code is null ? null : code < 400;
            if (_lmtp && reply is not null && _tx.AcceptedRecipients() is { Count: > 1 } recipients)
            {
                // RFC 2033 §4.2: after the final dot an LMTP server replies once per accepted recipient, in RCPT order.
                // The row is written when the last of those replies is in.
                _lmtpDelivery = p;
                _lmtpRecipients = recipients;
                _lmtpReplies = 1;
                if (refused)
                    _tx.AddRejected(recipients[0]);
                return;
            }
        }
        else
        {
            switch (p.Verb)
            {
                case SmtpVerb.Ehlo:
                case SmtpVerb.Helo:
                    _helo = p.Parameter;
                    _lmtp = string.Equals(p.Command, "LHLO", StringComparison.OrdinalIgnoreCase);
                    if (positive)
                    {
                        _extensions = p.Verb == SmtpVerb.Ehlo && SmtpExtensions.TryParse(reply!, out var extensions) ? extensions!.Lines : null;
                        Confirm();
                    }

                    break;
                case SmtpVerb.Mail:
                    _tx.HasTransaction = true;
                    _tx.MailFrom = p.Address;
                    _tx.Refused |= refused;
                    if (positive)
                        Confirm();
                    break;
                case SmtpVerb.Rcpt:
                    _tx.HasTransaction = true;
                    if (p.Address is not null)
                    {
                        _tx.AddRecipient(p.Address, refused, this);
                    }

                    if (positive)
                        Confirm();
                    break;
                case SmtpVerb.Data:
                    _tx.HasTransaction = true;
                    if (code is >= 300 and < 400)
                    {
                        if (!p.Resolved)
                            StartData();
                    }
                    else if (refused)
                    {
                        _tx.Refused = true;
                    }

                    break;
                case SmtpVerb.Bdat:
                    _tx.HasTransaction = true;
                    _tx.Message = p.Message ?? _tx.Message;
                    _tx.Refused |= refused;
                    if (p.BdatLast)
                        _tx.Accepted = code is null ? null : code < 400;
                    break;
                case SmtpVerb.StartTls:
                    if (code == 220)
                    {
                        // RFC 3207 §4: after 220 both sides start TLS; nothing more is readable.
                        _tls = true;
                        _tx.HasActivity = true;
                        _serverEncrypted = true;
                        if (!p.Resolved)
                            _client = ClientMode.Encrypted;
                        Confirm();
                    }

                    break;
            }
        }

        WriteCommand(p, reply);
        if (p.DataEnd || (p.Verb == SmtpVerb.Bdat && p.BdatLast))
            WriteTransaction();
    }

    /// <summary>One of an LMTP server's per-recipient replies after the final dot (RFC 2033 §4.2).</summary>
    private void LmtpDeliveryReply(SmtpReply? reply)
    {
        var end = _lmtpDelivery!;
        if (reply is not null)
        {
            _tx.AddReply(reply);
            if (reply.Code >= 400)
                _tx.AddRejected(_lmtpRecipients![_lmtpReplies]);
            else
                _tx.Accepted = true;   // delivered to at least one recipient
        }

        if (++_lmtpReplies < _lmtpRecipients!.Count && reply is not null)
            return;
        _lmtpDelivery = null;
        _lmtpRecipients = null;
        WriteCommand(end, reply);
        WriteTransaction();
    }

    /// <summary>The AUTH exchange ended with a reply other than 334 (or none): the AUTH row gets that final reply.</summary>
    private void FinishAuth(Pending auth, SmtpReply? reply)
    {
        if (_client == ClientMode.AuthResponse)
            _client = ClientMode.Commands;
        _auth = null;
        _authMechanism = auth.Mechanism;
        _authUser = auth.AuthUser;
        _authSuccess = reply is null ? null : reply.Code is >= 200 and < 300;
        _tx.HasActivity = true;
        WriteCommand(auth, reply);
    }

    private void WriteCommand(Pending? p, SmtpReply? reply)
    {
        long now = _context.CurrentTimestampNs;
        Write(_owner.Commands,
        [
            p?.Ts ?? now,
            _rowsWritten + 1,
            p?.Frame,
            p?.Command,
            p?.Parameter,
            reply?.Code,
            reply?.Text,
            reply is null ? null : _context.CurrentFrame,
            reply is null ? null : now,
        ]);
    }

    private void WriteTransaction()
    {
        var t = _tx;
        var m = t.Message;
        bool? accepted = t.Accepted ?? (t.Refused || (t.RcptTo is { Count: > 0 } && t.RcptRejected?.Count == t.RcptTo.Count) ? false : null);
        Write(_owner.Transactions,
        [
            t.Ts ?? _context.CurrentTimestampNs,
            _rowsWritten + 1,
            _helo,
            t.MailFrom,
            t.RcptTo,
            m?.Date,
            m?.From,
            m?.To,
            m?.Cc,
            m?.ReplyTo,
            m?.MsgId,
            m?.InReplyTo,
            m?.Subject,
            m?.XOriginatingIp,
            m?.FirstReceived,
            m?.SecondReceived,
            t.LastReply,
            m?.UserAgent,
            _tls,
            _banner,
            _extensions,
            _authMechanism,
            _authUser,
            _authSuccess,
            t.RcptRejected,
            accepted,
            m?.MessageBytes,
            m?.BodyBytes,
            t.ReplyCodes,
        ]);
        _rowsWritten++;
        _tx = new Transaction();
    }

    // ------------------------------------------------------------------------------------------------ detection, output

    private void Confirm()
    {
        if (_confirmed)
            return;
        _confirmed = true;
        _context.Confirm();
        if (_heldAnomalies is not null)
        {
            foreach (var (anomaly, detail) in _heldAnomalies)
                _context.Report(_owner.Anomalies[(int)anomaly], detail);
            _heldAnomalies = null;
        }

        if (_heldRows is not null)
        {
            foreach (var (table, values) in _heldRows)
                _context.Records.Write(table, values);
            _heldRows = null;
        }
    }

    private void Reject(string reason)
    {
        _rejected = true;
        _heldRows = null;
        _heldAnomalies = null;
        _context.Reject(reason);
    }

    private void Write(RecordTableHandle table, object?[] values)
    {
        if (_confirmed)
            _context.Records.Write(table, values);
        else
            (_heldRows ??= new()).Add((table, values));
    }

    internal void Report(SmtpAnomaly anomaly, string detail)
    {
        int n = ++_anomalyCounts[(int)anomaly];
        if (n > MaxAnomaliesPerName)
            return;
        if (n == MaxAnomaliesPerName)
            detail += $" (further {SmtpDissector.AnomalyDeclarations[(int)anomaly].Name} anomalies of this connection are not reported)";
        if (_confirmed)
            _context.Report(_owner.Anomalies[(int)anomaly], detail);
        else
            (_heldAnomalies ??= new()).Add((anomaly, detail));
    }

    /// <summary>At most 60 bytes of a line for an anomaly's detail, control bytes as dots.</summary>
    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var head = bytes[..Math.Min(bytes.Length, 60)];
        Span<char> chars = stackalloc char[head.Length];
        for (int i = 0; i < head.Length; i++)
            chars[i] = head[i] is >= 0x20 and < 0x7f ? (char)head[i] : '.';
        return bytes.Length > head.Length ? new string(chars) + "…" : new string(chars);
    }

    private static readonly string?[] CodeTexts = new string?[1000];

    /// <summary>A reply code as text, one string per code for the whole process.</summary>
    private static string CodeText(int code) =>
        CodeTexts[code] ??= code.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A command waiting for its reply.</summary>
    private sealed class Pending
    {
        public SmtpVerb Verb;
        public string? Command, Parameter;
        public long Ts;
        public long? Frame;

        /// <summary>The end of message data ("."), whose reply says whether the message was accepted.</summary>
        public bool DataEnd;

        /// <summary>A line answering an AUTH challenge: its reply continues the exchange; no row of its own.</summary>
        public bool AuthResponse;

        /// <summary>The client went on without this reply (<see cref="SmtpAnomaly.ClientDidNotWait"/>): the reply no longer steers the client's side.</summary>
        public bool Resolved;

        public string? Address, Mechanism, AuthUser;
        public bool BdatLast;
        public MailMessage? Message;
    }

    /// <summary>The smtp row being filled.</summary>
    private sealed class Transaction
    {
        public long? Ts;
        public string? MailFrom, LastReply;
        public List<string>? RcptTo, RcptRejected;
        public List<string> ReplyCodes = new();

        /// <summary>MAIL, RCPT, DATA or BDAT was seen: RSET, EHLO or a new MAIL writes the row.</summary>
        public bool HasTransaction;

        /// <summary>STARTTLS or AUTH: written at the end even when a row was written before.</summary>
        public bool HasActivity;

        public bool Refused;
        public bool? Accepted;
        public MailMessage? Message;

        public void Touch(long ts) => Ts ??= ts;

        public void AddReply(SmtpReply reply)
        {
            LastReply = reply.LastLine;
            if (ReplyCodes.Count < MaxReplyCodes)
                ReplyCodes.Add(CodeText(reply.Code));
        }

        /// <summary>The RCPT TO recipients the server accepted, in order.</summary>
        public List<string> AcceptedRecipients() =>
            RcptTo is null ? [] : RcptTo.Where(r => RcptRejected is null || !RcptRejected.Contains(r)).ToList();

        public void AddRejected(string address)
        {
            RcptRejected ??= new List<string>();
            if (!RcptRejected.Contains(address))
                RcptRejected.Add(address);
        }

        public void AddRecipient(string address, bool refused, SmtpParser parser)
        {
            RcptTo ??= new List<string>();
            if (!RcptTo.Contains(address))
            {
                if (RcptTo.Count >= MaxRecipients)
                {
                    parser.Report(SmtpAnomaly.TooManyAddresses, $"more than {MaxRecipients} RCPT TO recipients; the rest are not kept");
                    return;
                }

                RcptTo.Add(address);
            }

            if (refused)
                AddRejected(address);
        }
    }
}
