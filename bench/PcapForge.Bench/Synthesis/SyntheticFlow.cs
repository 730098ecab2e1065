using System.Buffers.Binary;

namespace PcapForge.Bench.Synthesis;

/// <summary>What identifies a flow while it is live: addresses, ports (ICMP: the echo identifier) and IP protocol.</summary>
public readonly record struct FlowKey(HostAddress Client, ushort ClientPort, HostAddress Server, ushort ServerPort, byte Protocol);

/// <summary>
/// A flow of the realistic profile as <see cref="RealisticSynthesizer"/> schedules it: it says how long after its
/// previous packet the next one comes (<see cref="MoveNext"/>), and writes that packet when its time is up
/// (<see cref="Write"/>). The scheduler always writes the current packet before it asks for the next.
/// </summary>
public abstract class SyntheticFlow(string protocol, FlowKey key)
{
    /// <summary>The name the generator's per-protocol counts use ("http", "dns", ...).</summary>
    public string Protocol { get; } = protocol;

    public FlowKey Key { get; } = key;

    /// <summary>Order of creation: breaks ties between flows due at the same nanosecond, so runs are reproducible.</summary>
    public long Order { get; init; }

    /// <summary>Whether a frame of the flow has been captured yet (frames of the warm-up are made but not written).</summary>
    public bool Captured { get; set; }

    /// <summary>Moves to the next packet; false when the flow has ended. <paramref name="delayNs"/> is the time since the flow's previous packet.</summary>
    public abstract bool MoveNext(out long delayNs);

    /// <summary>Writes the current packet, sent at <paramref name="timestampNs"/>, and returns the frame's length.</summary>
    public abstract int Write(Span<byte> frame, long timestampNs);
}

/// <summary>A TCP connection: a <see cref="TimedSession"/>'s script written through a <see cref="TcpConversation"/>.</summary>
public sealed class TcpFlow(string protocol, TcpConversation conversation, SyntheticSession session, FlowClock clock)
    : SyntheticFlow(protocol, new FlowKey(conversation.Client.Address, conversation.Client.Port, conversation.Server.Address,
        conversation.Server.Port, PacketBuilder.ProtocolTcp))
{
    private readonly IEnumerator<SegmentPlan> _script = session.Script(conversation).GetEnumerator();

    public override bool MoveNext(out long delayNs)
    {
        if (!_script.MoveNext())
        {
            _script.Dispose();
            delayNs = 0;
            return false;
        }

        delayNs = _script.Current.DelayNs;
        return true;
    }

    public override int Write(Span<byte> frame, long timestampNs)
    {
        clock.NowNs = timestampNs;
        SegmentPlan plan = _script.Current;
        return conversation.Write(frame, plan.FromClient, plan.Flags, plan.Payload.Span, timestampNs, plan.AcknowledgedBytes);
    }
}

/// <summary>One datagram a UDP exchange sends: who sends it, its payload and its delay after the flow's previous datagram.</summary>
public readonly record struct DatagramPlan(bool FromClient, ReadOnlyMemory<byte> Payload, long DelayNs);

/// <summary>A UDP exchange (DNS): datagrams from a script, with per-side IP ids and TTLs.</summary>
public sealed class UdpFlow : SyntheticFlow
{
    private readonly Endpoint _client;
    private readonly Endpoint _server;
    private readonly IEnumerator<DatagramPlan> _script;
    private readonly uint _flowLabel;
    private ushort _clientIpId;
    private ushort _serverIpId;

    public UdpFlow(string protocol, Endpoint client, Endpoint server, IEnumerable<DatagramPlan> script, Random random)
        : base(protocol, new FlowKey(client.Address, client.Port, server.Address, server.Port, PacketBuilder.ProtocolUdp))
    {
        _client = client;
        _server = server;
        _script = script.GetEnumerator();
        _clientIpId = (ushort)random.Next(65536);
        _serverIpId = (ushort)random.Next(65536);
        _flowLabel = client.Address.IsIpv6 ? (uint)random.Next(1, 1 << 20) : 0;
    }

    public override bool MoveNext(out long delayNs)
    {
        bool more = _script.MoveNext();
        delayNs = more ? _script.Current.DelayNs : 0;
        return more;
    }

    public override int Write(Span<byte> frame, long timestampNs)
    {
        DatagramPlan plan = _script.Current;
        return plan.FromClient
            ? PacketBuilder.WriteUdp(frame, _client, _server, _clientIpId++, 64, _flowLabel, plan.Payload.Span)
            : PacketBuilder.WriteUdp(frame, _server, _client, _serverIpId++, 64, _flowLabel, plan.Payload.Span);
    }
}

/// <summary>
/// <c>ping</c> as Linux's iputils sends it: echo requests a second apart with 56 bytes of data (a 16-byte
/// <c>struct timeval</c> of the send time, then the bytes 0x10 to 0x37), each answered one round trip later with
/// the same data, unless the host is down.
/// </summary>
public sealed class PingFlow : SyntheticFlow
{
    private const int DataLength = 56, TimevalLength = 16;
    private const long IntervalNs = 1_000_000_000;

    private readonly Endpoint _client;
    private readonly Endpoint _server;
    private readonly Random _random;
    private readonly int _count;
    private readonly long _rttNs;
    private readonly bool _answered;
    private readonly byte[] _data = new byte[DataLength];
    private ushort _sequence;
    private bool _replyNext;
    private int _sent;
    private ushort _ipId;

    public PingFlow(Endpoint client, Endpoint server, Random random, int count, long rttNs, bool answered)
        : base("icmp", new FlowKey(client.Address, client.Port, server.Address, 0,
            client.Address.IsIpv6 ? PacketBuilder.ProtocolIcmpv6 : PacketBuilder.ProtocolIcmp))
    {
        _client = client;
        _server = server;
        _random = random;
        _count = count;
        _rttNs = rttNs;
        _answered = answered;
        _ipId = (ushort)random.Next(65536);
        for (int i = TimevalLength; i < DataLength; i++)
            _data[i] = (byte)i;
    }

    public override bool MoveNext(out long delayNs)
    {
        if (_sent > 0 && _answered && !_replyNext && _sequence == _sent)
        {
            // the request just written is answered next
            _replyNext = true;
            delayNs = _rttNs + _random.Next(20_000, 120_000);
            return true;
        }

        if (_sent == _count)
        {
            delayNs = 0;
            return false;
        }

        delayNs = _sent == 0 ? 0 : _replyNext ? IntervalNs - _rttNs : IntervalNs + _random.Next(0, 200_000);
        _replyNext = false;
        _sent++;
        return true;
    }

    public override int Write(Span<byte> frame, long timestampNs)
    {
        if (_replyNext)
            return PacketBuilder.WriteIcmpEcho(frame, _server, _client, reply: true, _client.Port, _sequence, _ipId++, 57, _data);
        _sequence = (ushort)_sent;
        long microseconds = timestampNs / 1000;
        BinaryPrimitives.WriteInt64LittleEndian(_data, microseconds / 1_000_000);
        BinaryPrimitives.WriteInt64LittleEndian(_data.AsSpan(8), microseconds % 1_000_000);
        return PacketBuilder.WriteIcmpEcho(frame, _client, _server, reply: false, _client.Port, _sequence, _ipId++, 64, _data);
    }
}
