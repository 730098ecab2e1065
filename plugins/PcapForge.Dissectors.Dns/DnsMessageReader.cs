using System.Buffers.Binary;

namespace PcapForge.Dissectors.Dns;

/// <summary>The four sections of a DNS message (RFC 1035 §4.1).</summary>
public enum DnsSection : byte
{
    Question,
    Answer,
    Authority,
    Additional,
}

/// <summary>A question entry (RFC 1035 §4.1.2): the name is at <see cref="NameOffset"/> of the message.</summary>
public readonly record struct DnsQuestion(int NameOffset, ushort Type, ushort Class);

/// <summary>
/// A resource record (RFC 1035 §4.1.3): owner name at <see cref="NameOffset"/>, RDATA at
/// <see cref="DataOffset"/>..+<see cref="DataLength"/> of the message (names inside it may point anywhere in the message).
/// </summary>
public readonly record struct DnsRecord(DnsSection Section, int NameOffset, ushort Type, ushort Class, uint Ttl, int DataOffset, int DataLength);

/// <summary>
/// A forward-only reader of one DNS message (as <c>Utf8JsonReader</c>): the header, then each question, then each
/// record of the answer, authority and additional sections as the header's counts say. It allocates nothing and
/// never throws; a structure that does not fit stops it with <see cref="Error"/> set and <see cref="ErrorOffset"/>
/// naming where, and what was read before stays valid. Counts that claim more entries than the bytes hold give
/// <see cref="DnsError.Truncated"/>.
/// </summary>
public ref struct DnsMessageReader
{
    // RFC 1035 §4.1.2/§4.1.3: after the name, TYPE(2) CLASS(2), and for a record TTL(4) RDLENGTH(2) then RDATA.
    private const int QuestionFixedLength = 4;
    private const int RecordFixedLength = 10;
    private const int TypeOffset = 0;
    private const int ClassOffset = 2;
    private const int TtlOffset = 4;
    private const int RdLengthOffset = 8;

    private readonly ReadOnlySpan<byte> _message;
    private int _position;
    private int _questionsLeft;
    private int _answersLeft;
    private int _authorityLeft;
    private int _additionalLeft;

    public DnsMessageReader(ReadOnlySpan<byte> message)
    {
        _message = message;
        if (!DnsHeader.TryParse(message, out var header))
        {
            Error = DnsError.Truncated;
            ErrorOffset = 0;
            _position = message.Length;
            return;
        }

        Header = header;
        HasHeader = true;
        _position = DnsHeader.Length;
        _questionsLeft = header.QuestionCount;
        _answersLeft = header.AnswerCount;
        _authorityLeft = header.AuthorityCount;
        _additionalLeft = header.AdditionalCount;
    }

    /// <summary>The whole message (names and RDATA are read from it by offset).</summary>
    public readonly ReadOnlySpan<byte> Message => _message;

    /// <summary>False when the message is shorter than a header; nothing else can be read then.</summary>
    public bool HasHeader { get; }

    public DnsHeader Header { get; }

    /// <summary>The first error met, or <see cref="DnsError.None"/>.</summary>
    public DnsError Error { get; private set; }

    /// <summary>Offset in the message where the error was found.</summary>
    public int ErrorOffset { get; private set; }

    /// <summary>Offset of the next byte to read; after the last record, the end of what the counts describe.</summary>
    public readonly int Position => _position;

    /// <summary>True when every question and record the header counts was read without error.</summary>
    public readonly bool AtEnd => Error == DnsError.None && _questionsLeft == 0 && _answersLeft == 0 && _authorityLeft == 0 && _additionalLeft == 0;

    /// <summary>Reads the next question; false when there is none left or on an error.</summary>
    public bool TryReadQuestion(out DnsQuestion question)
    {
        question = default;
        if (Error != DnsError.None || _questionsLeft == 0)
            return false;
        int start = _position;
        var error = DnsName.TryRead(_message, start, default, out _, out int next);
        if (error != DnsError.None)
            return Fail(error, next);
        if (next + QuestionFixedLength > _message.Length)
            return Fail(DnsError.Truncated, next);
        var fixedPart = _message.Slice(next, QuestionFixedLength);
        question = new DnsQuestion(start, BinaryPrimitives.ReadUInt16BigEndian(fixedPart[TypeOffset..]), BinaryPrimitives.ReadUInt16BigEndian(fixedPart[ClassOffset..]));
        _position = next + QuestionFixedLength;
        _questionsLeft--;
        return true;
    }

    /// <summary>
    /// Reads the next resource record of the answer, authority or additional section (skipping questions not read
    /// yet); false when there is none left or on an error. The RDATA is only bounds-checked here: format it with
    /// <see cref="DnsRecordData"/>.
    /// </summary>
    public bool TryReadRecord(out DnsRecord record)
    {
        record = default;
        while (_questionsLeft > 0)
        {
            if (!TryReadQuestion(out _))
                return false;
        }

        if (Error != DnsError.None)
            return false;
        DnsSection section;
        if (_answersLeft > 0)
            section = DnsSection.Answer;
        else if (_authorityLeft > 0)
            section = DnsSection.Authority;
        else if (_additionalLeft > 0)
            section = DnsSection.Additional;
        else
            return false;

        int start = _position;
        var error = DnsName.TryRead(_message, start, default, out _, out int next);
        if (error != DnsError.None)
            return Fail(error, next);
        if (next + RecordFixedLength > _message.Length)
            return Fail(DnsError.Truncated, next);
        var fixedPart = _message.Slice(next, RecordFixedLength);
        int dataLength = BinaryPrimitives.ReadUInt16BigEndian(fixedPart[RdLengthOffset..]);
        int dataOffset = next + RecordFixedLength;
        if (dataOffset + dataLength > _message.Length)
            return Fail(DnsError.Truncated, dataOffset);
        record = new DnsRecord(section, start,
            BinaryPrimitives.ReadUInt16BigEndian(fixedPart[TypeOffset..]),
            BinaryPrimitives.ReadUInt16BigEndian(fixedPart[ClassOffset..]),
            BinaryPrimitives.ReadUInt32BigEndian(fixedPart[TtlOffset..]),
            dataOffset, dataLength);
        _position = dataOffset + dataLength;
        switch (section)
        {
            case DnsSection.Answer:
                _answersLeft--;
                break;
            case DnsSection.Authority:
                _authorityLeft--;
                break;
            default:
                _additionalLeft--;
                break;
        }

        return true;
    }

    private bool Fail(DnsError error, int offset)
    {
        Error = error;
        ErrorOffset = offset;
        return false;
    }
}
