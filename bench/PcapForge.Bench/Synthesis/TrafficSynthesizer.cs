namespace PcapForge.Bench.Synthesis;

/// <summary>Pseudo-random payload bytes, handed out as slices of one seeded pool so that filling gigabytes costs nothing.</summary>
public sealed class PayloadPool
{
    private readonly byte[] _pool;
    private readonly Random _random;

    public PayloadPool(Random random, int size = 8 * 1024 * 1024)
    {
        _random = random;
        _pool = new byte[size + 65536];
        random.NextBytes(_pool);
    }

    public ReadOnlyMemory<byte> Take(int length)
    {
        if (length <= 0)
            return default;
        if (length > 65536)
            throw new ArgumentOutOfRangeException(nameof(length), "payload slices are at most 64 KiB");
        return _pool.AsMemory(_random.Next(0, _pool.Length - length), length);
    }
}

/// <summary>Knobs of the synthetic traffic.</summary>
public sealed record TrafficOptions
{
    /// <summary>Connections open at once; their segments are interleaved at random.</summary>
    public int ConcurrentSessions { get; init; } = 24;

    /// <summary>Mean gap between frames (exponentially distributed), in nanoseconds: 8 µs is about 0.8 Gbit/s with this mix.</summary>
    public double MeanGapNs { get; init; } = 8_000;

    /// <summary>Time of the first frame, as nanoseconds since the epoch (2024-03-01T12:00:00Z).</summary>
    public long StartNs { get; init; } = 1_709_294_400L * 1_000_000_000;
}

/// <summary>
/// Produces a deterministic (for a seed) stream of Ethernet/IPv4/TCP frames with strictly increasing
/// timestamps, interleaving many <see cref="SyntheticSession"/>s between client hosts in 10.0.0.0/8 and
/// servers in the documentation ranges 198.51.100.0/24 and 203.0.113.0/24.
/// </summary>
public sealed class TrafficSynthesizer : IFrameSynthesizer
{
    /// <summary>A frame buffer of this size fits any frame the synthesizer writes.</summary>
    public const int MaxFrameLength = PacketBuilder.MaximumFrameLength;

    private const ulong GatewayMac = 0x02_00_00_00_00_01UL; // locally administered
    private readonly Random _random;
    private readonly PayloadPool _payloads;
    private readonly TrafficOptions _options;
    private readonly Slot[] _slots;
    private long _clockNs;

    public TrafficSynthesizer(int seed, TrafficOptions? options = null)
    {
        _options = options ?? new TrafficOptions();
        _random = new Random(seed);
        _payloads = new PayloadPool(_random);
        _clockNs = _options.StartNs;
        _slots = new Slot[Math.Max(1, _options.ConcurrentSessions)];
        for (int i = 0; i < _slots.Length; i++)
            _slots[i] = NewSlot();
    }

    /// <summary>Connections started so far.</summary>
    public long SessionsStarted { get; private set; }

    /// <summary>Writes the next frame into <paramref name="frame"/> (at least <see cref="MaxFrameLength"/> bytes) and returns its length.</summary>
    public int Next(Span<byte> frame, out long timestampNs)
    {
        int index = _random.Next(_slots.Length);
        ref Slot slot = ref _slots[index];
        while (!slot.Script.MoveNext())
        {
            slot.Script.Dispose();
            slot = NewSlot();
        }

        double gap = -Math.Log(1 - _random.NextDouble()) * _options.MeanGapNs;
        _clockNs += Math.Max(1, (long)gap);
        timestampNs = _clockNs;
        SegmentPlan plan = slot.Script.Current;
        return slot.Conversation.Write(frame, plan.FromClient, plan.Flags, plan.Payload.Span, timestampNs);
    }

    private Slot NewSlot()
    {
        SessionsStarted++;
        var session = new RequestResponseSession(_random, _payloads);
        uint clientAddress = (10u << 24) | (uint)_random.Next(1 << 8, 1 << 20); // 10.0.1.0 - 10.15.255.255
        uint serverAddress = _random.Next(2) == 0 ? 0xC6_33_64_00u : 0xCB_00_71_00u; // 198.51.100.0, 203.0.113.0
        serverAddress |= (uint)_random.Next(1, 255);
        var client = new Ipv4Endpoint(0x02_00_00_00_00_00UL | clientAddress, clientAddress, (ushort)_random.Next(32768, 61000));
        var server = new Ipv4Endpoint(GatewayMac, serverAddress, session.ServerPort);
        var conversation = new TcpConversation(client, server, _random);
        return new Slot(conversation, session.Script(conversation).GetEnumerator());
    }

    private record struct Slot(TcpConversation Conversation, IEnumerator<SegmentPlan> Script);
}
