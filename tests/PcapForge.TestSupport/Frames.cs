using System.Buffers.Binary;
using System.Net;

namespace PcapForge.TestSupport;

/// <summary>Builds Ethernet frames carrying IPv4 or IPv6 with TCP, UDP or ICMP, for hand-made conversations.</summary>
public static class Frames
{
    public const int Fin = 0x01, Syn = 0x02, Rst = 0x04, Psh = 0x08, Ack = 0x10;

    public static byte[] Tcp(string src, int sport, string dst, int dport, int flags, uint seq, uint ack, byte[]? payload = null, int window = 64240, int vlan = -1)
    {
        payload ??= [];
        var tcp = new byte[20 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, (ushort)sport);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(2), (ushort)dport);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(4), seq);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(8), ack);
        tcp[12] = 5 << 4;
        tcp[13] = (byte)flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(14), (ushort)window);
        payload.CopyTo(tcp, 20);
        return Ip(src, dst, 6, tcp, vlan);
    }

    public static byte[] Udp(string src, int sport, string dst, int dport, byte[] payload)
    {
        var udp = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(udp, (ushort)sport);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), (ushort)dport);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udp.Length);
        payload.CopyTo(udp, 8);
        return Ip(src, dst, 17, udp);
    }

    public static byte[] IcmpEcho(string src, string dst, bool request, int id, int seq, int payloadLength = 32)
    {
        bool v6 = IPAddress.Parse(src).AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        var icmp = new byte[8 + payloadLength];
        icmp[0] = (byte)(v6 ? (request ? 128 : 129) : (request ? 8 : 0));
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(4), (ushort)id);
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(6), (ushort)seq);
        return Ip(src, dst, v6 ? 58 : 1, icmp);
    }

    public static byte[] Ip(string src, string dst, int protocol, byte[] payload, int vlan = -1)
    {
        var s = IPAddress.Parse(src).GetAddressBytes();
        var d = IPAddress.Parse(dst).GetAddressBytes();
        byte[] ip;
        if (s.Length == 4)
        {
            ip = new byte[20 + payload.Length];
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(2), (ushort)ip.Length);
            ip[8] = 64;
            ip[9] = (byte)protocol;
            s.CopyTo(ip, 12);
            d.CopyTo(ip, 16);
            uint sum = 0;
            for (int i = 0; i < 20; i += 2)
                sum += BinaryPrimitives.ReadUInt16BigEndian(ip.AsSpan(i));
            while (sum > 0xFFFF)
                sum = (sum & 0xFFFF) + (sum >> 16);
            BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(10), (ushort)~sum);
            payload.CopyTo(ip, 20);
        }
        else
        {
            ip = new byte[40 + payload.Length];
            ip[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(4), (ushort)payload.Length);
            ip[6] = (byte)protocol;
            ip[7] = 64;
            s.CopyTo(ip, 8);
            d.CopyTo(ip, 24);
            payload.CopyTo(ip, 40);
        }

        int tag = vlan >= 0 ? 4 : 0;
        var frame = new byte[14 + tag + ip.Length];
        byte[] macA = [0x02, 0, 0, 0, 0, 0x0a], macB = [0x02, 0, 0, 0, 0, 0x0b];
        // Lower address → MAC ...0a, so the two sides have stable, distinct MACs.
        bool srcLow = string.CompareOrdinal(src, dst) < 0;
        (srcLow ? macB : macA).CopyTo(frame, 0);
        (srcLow ? macA : macB).CopyTo(frame, 6);
        if (vlan >= 0)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x8100);
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14), (ushort)vlan);
        }

        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12 + tag), (ushort)(s.Length == 4 ? 0x0800 : 0x86DD));
        ip.CopyTo(frame, 14 + tag);
        return frame;
    }
}

/// <summary>
/// A TCP conversation between a client and a server written step by step, each side keeping its own sequence
/// numbers: <c>C(Syn)</c>, <c>S(Syn | Ack)</c>, <c>C(Ack, "GET")</c>…
/// </summary>
public sealed class Conversation
{
    private readonly List<(long, byte[])> _frames = new();
    private readonly string _client, _server;
    private readonly int _clientPort, _serverPort;
    private uint _clientSeq, _serverSeq;
    private long _ts = 1_700_000_000_000_000_000;

    public Conversation(string client = "10.0.0.1", int clientPort = 40000, string server = "10.0.0.2", int serverPort = 80,
        uint clientIsn = 1000, uint serverIsn = 5000)
    {
        _client = client;
        _server = server;
        _clientPort = clientPort;
        _serverPort = serverPort;
        _clientSeq = clientIsn;
        _serverSeq = serverIsn;
    }

    public List<(long Ts, byte[] Frame)> Frames => _frames;

    /// <summary>Nanoseconds between frames.</summary>
    public long Step { get; set; } = 1_000_000;

    public Conversation C(int flags, string data = "", uint? seq = null, int window = 64240) => Send(true, flags, data, seq, window);

    public Conversation S(int flags, string data = "", uint? seq = null, int window = 64240) => Send(false, flags, data, seq, window);

    /// <summary>Moves the clock on.</summary>
    public Conversation Wait(TimeSpan t)
    {
        _ts += t.Ticks * 100;
        return this;
    }

    public uint ClientSeq => _clientSeq;
    public uint ServerSeq => _serverSeq;

    private Conversation Send(bool client, int flags, string data, uint? seq, int window)
    {
        byte[] payload = System.Text.Encoding.ASCII.GetBytes(data);
        uint mySeq = seq ?? (client ? _clientSeq : _serverSeq);
        uint theirs = client ? _serverSeq : _clientSeq;
        uint ack = (flags & PcapForge.TestSupport.Frames.Ack) != 0 ? theirs : 0;
        var frame = client
            ? PcapForge.TestSupport.Frames.Tcp(_client, _clientPort, _server, _serverPort, flags, mySeq, ack, payload, window)
            : PcapForge.TestSupport.Frames.Tcp(_server, _serverPort, _client, _clientPort, flags, mySeq, ack, payload, window);
        _frames.Add((_ts, frame));
        _ts += Step;
        uint next = mySeq + (uint)payload.Length + (uint)((flags & (PcapForge.TestSupport.Frames.Syn | PcapForge.TestSupport.Frames.Fin)) != 0 ? 1 : 0);
        if (seq is null || next - (client ? _clientSeq : _serverSeq) < 0x8000_0000)
        {
            if (client)
                _clientSeq = next;
            else
                _serverSeq = next;
        }

        return this;
    }
}
