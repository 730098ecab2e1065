using System.Buffers.Binary;
using System.Text;

namespace PcapForge.Dissectors.Dns.Tests;

/// <summary>Builds DNS messages byte by byte (RFC 1035 §4.1) for tests, including broken ones.</summary>
internal sealed class DnsWire
{
    public const ushort QueryFlags = 0x0100; // RD
    public const ushort ResponseFlags = 0x8180; // QR RD RA
    public const ushort OffsetOfFirstQuestion = 12;

    private readonly List<byte> _bytes = new();

    public int Length => _bytes.Count;

    public DnsWire Header(ushort id, ushort flags, int qd, int an = 0, int ns = 0, int ar = 0) =>
        U16(id).U16(flags).U16((ushort)qd).U16((ushort)an).U16((ushort)ns).U16((ushort)ar);

    /// <summary>A name as labels ending with the root label (no compression).</summary>
    public DnsWire Name(string name)
    {
        if (name != ".")
        {
            foreach (var label in name.Split('.'))
            {
                _bytes.Add((byte)label.Length);
                _bytes.AddRange(Encoding.ASCII.GetBytes(label));
            }
        }

        _bytes.Add(0);
        return this;
    }

    /// <summary>A compression pointer to <paramref name="offset"/> (RFC 1035 §4.1.4).</summary>
    public DnsWire Pointer(int offset) => U16((ushort)(0xC000 | offset));

    public DnsWire Label(string label)
    {
        _bytes.Add((byte)label.Length);
        _bytes.AddRange(Encoding.ASCII.GetBytes(label));
        return this;
    }

    public DnsWire Question(string name, ushort type, ushort @class = 1) => Name(name).U16(type).U16(@class);

    /// <summary>A record whose owner is a pointer to the first question's name.</summary>
    public DnsWire Answer(ushort type, uint ttl, byte[] rdata, ushort @class = 1) =>
        Pointer(OffsetOfFirstQuestion).U16(type).U16(@class).U32(ttl).U16((ushort)rdata.Length).Bytes(rdata);

    /// <summary>An EDNS(0) OPT pseudo-record (RFC 6891 §6.1.2) with that UDP payload size.</summary>
    public DnsWire Opt(ushort udpSize) => Bytes([0]).U16(41).U16(udpSize).U32(0).U16(0);

    public DnsWire U16(ushort v)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(b, v);
        _bytes.AddRange(b.ToArray());
        return this;
    }

    public DnsWire U32(uint v)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, v);
        _bytes.AddRange(b.ToArray());
        return this;
    }

    public DnsWire Bytes(byte[] b)
    {
        _bytes.AddRange(b);
        return this;
    }

    public byte[] ToArray() => _bytes.ToArray();

    /// <summary>The message with its DNS-over-TCP length prefix (RFC 1035 §4.2.2).</summary>
    public byte[] Tcp() => Framed(ToArray());

    public static byte[] Framed(byte[] message)
    {
        var b = new byte[message.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(b, (ushort)message.Length);
        message.CopyTo(b, 2);
        return b;
    }

    /// <summary>A standard query for one name.</summary>
    public static byte[] Query(ushort id, string name, ushort type = 1) => new DnsWire().Header(id, QueryFlags, 1).Question(name, type).ToArray();

    /// <summary>A response to <see cref="Query"/> with A answers.</summary>
    public static byte[] AResponse(ushort id, string name, params string[] addresses)
    {
        var w = new DnsWire().Header(id, ResponseFlags, 1, addresses.Length).Question(name, 1);
        foreach (var a in addresses)
            w.Answer(1, 300, System.Net.IPAddress.Parse(a).GetAddressBytes());
        return w.ToArray();
    }

    /// <summary>RDATA holding a name without compression.</summary>
    public static byte[] NameBytes(string name) => new DnsWire().Name(name).ToArray();
}
