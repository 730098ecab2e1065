using System.Buffers.Binary;

namespace PcapForge.Dissectors.Dns;

/// <summary>A question with its name as text.</summary>
public sealed record DnsQuestionEntry(string Name, int Type, int Class)
{
    public string TypeName => DnsTypes.TypeName(Type);
}

/// <summary>A resource record with its owner name and RDATA as text (<see cref="DnsRecordData.TryFormat"/>).</summary>
public sealed record DnsRecordEntry(DnsSection Section, string Name, int Type, int Class, uint Ttl, string Data)
{
    public string TypeName => DnsTypes.TypeName(Type);
}

/// <summary>
/// A whole DNS message as objects, for callers that want text rather than offsets (the service scanner reading a
/// reply). It is built on <see cref="DnsMessageReader"/>; the dissector uses the reader directly and allocates only
/// what it writes.
/// </summary>
public sealed class DnsMessage
{
    private DnsMessage(DnsHeader header) => Header = header;

    public DnsHeader Header { get; }
    public List<DnsQuestionEntry> Questions { get; } = new();
    public List<DnsRecordEntry> Answers { get; } = new();
    public List<DnsRecordEntry> Authority { get; } = new();
    public List<DnsRecordEntry> Additional { get; } = new();

    /// <summary>The EDNS(0) OPT record's parameters, when the additional section has one (RFC 6891).</summary>
    public DnsEdns? Edns { get; private set; }

    /// <summary>The first problem met (the message is kept up to it), or <see cref="DnsError.None"/>.</summary>
    public DnsError Error { get; private set; }

    /// <summary>Offset of the problem in the message.</summary>
    public int ErrorOffset { get; private set; }

    /// <summary>Bytes after the last record the counts describe (0 for a well-formed message).</summary>
    public int TrailingBytes { get; private set; }

    /// <summary>
    /// Parses one message (a UDP payload, or a TCP message without its length prefix). False only when it is shorter
    /// than a header; otherwise the message holds every question and record read before any <see cref="Error"/>.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out DnsMessage message)
    {
        var reader = new DnsMessageReader(data);
        message = new DnsMessage(reader.Header);
        if (!reader.HasHeader)
        {
            message.Error = reader.Error;
            return false;
        }

        while (reader.TryReadQuestion(out var q))
        {
            var error = DnsName.TryReadString(data, q.NameOffset, out string name, out _);
            message.Questions.Add(new DnsQuestionEntry(name, q.Type, q.Class));
            message.Note(error, q.NameOffset);
        }

        while (reader.TryReadRecord(out var r))
        {
            message.Note(DnsName.TryReadString(data, r.NameOffset, out string name, out _), r.NameOffset);
            message.Note(DnsRecordData.TryFormat(data, r, out string text), r.DataOffset);
            var entry = new DnsRecordEntry(r.Section, name, r.Type, r.Class, r.Ttl, text);
            (r.Section switch { DnsSection.Answer => message.Answers, DnsSection.Authority => message.Authority, _ => message.Additional }).Add(entry);
            if (r.Section == DnsSection.Additional && message.Edns is null && DnsEdns.TryRead(r, out var edns))
                message.Edns = edns;
        }

        message.Note(reader.Error, reader.ErrorOffset);
        if (reader.AtEnd)
            message.TrailingBytes = data.Length - reader.Position;
        return true;
    }

    /// <summary>
    /// Cuts one message off a DNS-over-TCP stream (RFC 1035 §4.2.2, RFC 7766 §8): a 2-byte length then that many
    /// bytes. False when the bytes do not hold the whole message yet.
    /// </summary>
    public static bool TryReadTcpFrame(ReadOnlySpan<byte> stream, out ReadOnlySpan<byte> message, out int consumed)
    {
        message = default;
        consumed = 0;
        if (stream.Length < TcpLengthPrefix)
            return false;
        int length = BinaryPrimitives.ReadUInt16BigEndian(stream);
        if (stream.Length < TcpLengthPrefix + length)
            return false;
        message = stream.Slice(TcpLengthPrefix, length);
        consumed = TcpLengthPrefix + length;
        return true;
    }

    /// <summary>Bytes of the length prefix of a message over TCP.</summary>
    public const int TcpLengthPrefix = 2;

    private void Note(DnsError error, int offset)
    {
        if (error != DnsError.None && Error == DnsError.None)
        {
            Error = error;
            ErrorOffset = offset;
        }
    }
}
