using System.Buffers.Binary;
using System.Text;

namespace PcapForge.Bench.Synthesis;

/// <summary>
/// A stub resolver's lookup over UDP, as glibc makes it: an A query and, from a dual-stack host, an AAAA query from
/// the same socket right after it, each answered by the recursive resolver (from its cache within a millisecond, or
/// after resolving, tens of milliseconds later). Answers are real DNS messages (RFC 1035 section 4): the question
/// echoed, an optional CNAME, the addresses, or for a missing name (NXDOMAIN) or type (NODATA) the zone's SOA in the
/// authority section, with names compressed.
/// </summary>
public sealed class DnsLookup
{
    public const ushort TypeA = 1, TypeCname = 5, TypeSoa = 6, TypeAaaa = 28;
    private const ushort ClassIn = 1;

    // Header flags (RFC 1035 section 4.1.1): a recursion-desired query; a response with recursion available, and its NXDOMAIN variant.
    private const ushort QueryFlags = 0x0100, ResponseFlags = 0x8180, NxDomainFlags = 0x8183;

    private readonly Random _random;
    private readonly string _name;
    private readonly WebServer? _target;
    private readonly bool _bothTypes;
    private readonly long _clientRttNs;
    private readonly string? _cname;

    /// <param name="name">The name looked up.</param>
    /// <param name="target">The server the name belongs to, or null for a name that does not exist.</param>
    /// <param name="bothTypes">Whether an AAAA query follows the A query.</param>
    public DnsLookup(Random random, string name, WebServer? target, bool bothTypes, long clientRttNs)
    {
        _random = random;
        _name = name;
        _target = target;
        _bothTypes = bothTypes;
        _clientRttNs = clientRttNs;
        if (target is not null && random.NextDouble() < 0.35)
            _cname = $"{name.Split('.')[0]}-{random.Next(1, 40)}.edge.cdn.example.net";
    }

    public IEnumerable<DatagramPlan> Script()
    {
        ushort idA = (ushort)_random.Next(65536), idAaaa = (ushort)_random.Next(65536);
        long gap = _bothTypes ? _random.Next(20_000, 150_000) : 0;
        long answerA = Latency(), answerAaaa = gap + Latency();
        yield return new DatagramPlan(true, Query(idA, TypeA), 0);
        if (_bothTypes)
            yield return new DatagramPlan(true, Query(idAaaa, TypeAaaa), gap);
        // The answers come back in the order the resolver has them.
        var answers = new List<(long Due, ushort Id, ushort Type)> { (answerA, idA, TypeA) };
        if (_bothTypes)
            answers.Add((answerAaaa, idAaaa, TypeAaaa));
        answers.Sort((x, y) => x.Due.CompareTo(y.Due));
        long now = gap;
        foreach (var (due, id, type) in answers)
        {
            yield return new DatagramPlan(false, Response(id, type), Math.Max(0, due - now));
            now = Math.Max(now, due);
        }
    }

    /// <summary>Round trip to the resolver plus its work: a cache hit, or a resolution of 5 to 120 ms.</summary>
    private long Latency() => _clientRttNs + (_random.NextDouble() < 0.65 ? _random.Next(30_000, 600_000) : _random.Next(5_000_000, 120_000_000));

    private byte[] Query(ushort id, ushort type)
    {
        var m = new DnsMessageWriter();
        m.Header(id, QueryFlags, questions: 1, answers: 0, authorities: 0);
        m.Question(_name, type);
        return m.ToArray();
    }

    private byte[] Response(ushort id, ushort type)
    {
        var m = new DnsMessageWriter();
        HostAddress? address = _target is null ? null : type == TypeA ? _target.Ipv4 : _target.Ipv6;
        if (address is not { } a)
        {
            // NXDOMAIN, or NODATA (the name exists but has no address of this type): the zone's SOA (RFC 2308 section 2).
            m.Header(id, _target is null ? NxDomainFlags : ResponseFlags, questions: 1, answers: 0, authorities: 1);
            m.Question(_name, type);
            string zone = Zone(_name);
            m.Soa(zone, ttl: 900, $"ns1.{zone}", $"hostmaster.{zone}", serial: 2024022901);
            return m.ToArray();
        }

        int extra = _random.Next(3); // resolvers often return more than one address; the first is the server's
        m.Header(id, ResponseFlags, questions: 1, answers: (_cname is null ? 0 : 1) + 1 + extra, authorities: 0);
        m.Question(_name, type);
        uint ttl = (uint)(_random.Next(2) == 0 ? 300 : _random.Next(20, 3600));
        if (_cname is not null)
            m.NameRecord(_name, TypeCname, ttl: 3600, _cname);
        string owner = _cname ?? _name;
        Span<byte> bytes = stackalloc byte[16];
        for (int i = 0; i <= extra; i++)
        {
            HostAddress value = i == 0 ? a : new HostAddress(a.Value ^ (UInt128)(uint)(i * 7), a.IsIpv6);
            value.WriteTo(bytes);
            m.Record(owner, type, ttl, bytes[..value.Length]);
        }

        return m.ToArray();
    }

    /// <summary>The last two labels of a name: the zone this profile's names live in.</summary>
    private static string Zone(string name)
    {
        int last = name.LastIndexOf('.');
        int previous = last > 0 ? name.LastIndexOf('.', last - 1) : -1;
        return previous < 0 ? name : name[(previous + 1)..];
    }
}

/// <summary>
/// Writes a DNS message (RFC 1035 section 4) into a 512-byte buffer, compressing every name against the names
/// written before it: the longest suffix already in the message becomes a pointer to it (section 4.1.4).
/// </summary>
public sealed class DnsMessageWriter
{
    private const int MaximumLength = 512; // a UDP message without EDNS (RFC 1035 section 4.2.1)
    private const ushort PointerFlag = 0xC000;

    private readonly byte[] _buffer = new byte[MaximumLength];
    private readonly List<(string Suffix, int Offset)> _suffixes = [];
    private int _length;

    public void Header(ushort id, ushort flags, int questions, int answers, int authorities)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_buffer, id);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(2), flags);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(4), (ushort)questions);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(6), (ushort)answers);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(8), (ushort)authorities);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(10), 0);
        _length = 12;
    }

    public void Question(string name, ushort type)
    {
        Name(name);
        UInt16(type);
        UInt16(1); // class IN
    }

    /// <summary>A resource record with binary data (A, AAAA).</summary>
    public void Record(string owner, ushort type, uint ttl, ReadOnlySpan<byte> data)
    {
        RecordHeader(owner, type, ttl);
        UInt16((ushort)data.Length);
        data.CopyTo(_buffer.AsSpan(_length));
        _length += data.Length;
    }

    /// <summary>A resource record whose data is one name (CNAME), compressed like the others.</summary>
    public void NameRecord(string owner, ushort type, uint ttl, string target)
    {
        RecordHeader(owner, type, ttl);
        int lengthAt = _length;
        _length += 2;
        Name(target);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(lengthAt), (ushort)(_length - lengthAt - 2));
    }

    /// <summary>An SOA record (RFC 1035 section 3.3.13) with the usual refresh, retry, expire and minimum times.</summary>
    public void Soa(string zone, uint ttl, string primary, string mailbox, uint serial)
    {
        RecordHeader(zone, DnsLookup.TypeSoa, ttl);
        int lengthAt = _length;
        _length += 2;
        Name(primary);
        Name(mailbox);
        foreach (uint value in (ReadOnlySpan<uint>)[serial, 7200, 3600, 1209600, 300])
        {
            BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(_length), value);
            _length += 4;
        }

        BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(lengthAt), (ushort)(_length - lengthAt - 2));
    }

    public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

    private void RecordHeader(string owner, ushort type, uint ttl)
    {
        Name(owner);
        UInt16(type);
        UInt16(1); // class IN
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(_length), ttl);
        _length += 4;
    }

    /// <summary>Labels up to the longest suffix already written, then a pointer to it, or the root label.</summary>
    private void Name(string name)
    {
        string rest = name.ToLowerInvariant();
        while (rest.Length > 0)
        {
            int known = _suffixes.FindIndex(s => s.Suffix == rest);
            if (known >= 0)
            {
                UInt16((ushort)(PointerFlag | _suffixes[known].Offset));
                return;
            }

            if (_length < PointerFlag)
                _suffixes.Add((rest, _length));
            int dot = rest.IndexOf('.');
            string label = dot < 0 ? rest : rest[..dot];
            _buffer[_length++] = (byte)label.Length;
            _length += Encoding.ASCII.GetBytes(label, _buffer.AsSpan(_length));
            rest = dot < 0 ? "" : rest[(dot + 1)..];
        }

        _buffer[_length++] = 0;
    }

    private void UInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(_length), value);
        _length += 2;
    }
}
