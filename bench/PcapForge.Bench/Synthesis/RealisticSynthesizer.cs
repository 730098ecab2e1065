namespace PcapForge.Bench.Synthesis;

/// <summary>
/// Knobs of the realistic profile. Rates are new flows per second of capture time; with the defaults the capture
/// carries about 80 MB/s (some 630 Mbit/s), and two to three thousand flows are open at any time.
/// </summary>
public sealed record RealisticOptions
{
    /// <summary>Time of the first captured frame, as nanoseconds since the epoch (2024-03-01T12:00:00Z).</summary>
    public long StartNs { get; init; } = 1_709_294_400L * 1_000_000_000;

    /// <summary>
    /// Traffic made before the capture starts and not written, so that the capture opens on a link in its steady
    /// state: thousands of connections already open, some of them seen from the middle on, as in any real capture.
    /// </summary>
    public long WarmUpNs { get; init; } = 8_000_000_000;

    /// <summary>Speed of the captured link: frames never follow each other faster than it carries them (preamble and gap included).</summary>
    public double LinkBitsPerSecond { get; init; } = 10e9;

    public int Clients { get; init; } = 3000;
    public int WebServers { get; init; } = 400;

    public double HttpSingleRate { get; init; } = 1200;
    public double HttpKeepAliveRate { get; init; } = 250;
    public double HttpBulkRate { get; init; } = 0.35;
    public double SshRate { get; init; } = 4;
    public double SshCopyRate { get; init; } = 0.5;
    public double SmtpRate { get; init; } = 15;
    public double DnsRate { get; init; } = 700;
    public double PingRate { get; init; } = 1.5;
    public double RejectedRate { get; init; } = 15;
    public double UnansweredRate { get; init; } = 6;
}

/// <summary>Frames, flows and bytes of one protocol in a generated capture.</summary>
public sealed record ProtocolCount(string Protocol, long Flows, long Frames, long Bytes, long Ipv6Frames);

/// <summary>
/// The realistic profile: a seeded mix of flows between a few thousand client hosts (10.20.0.0/16, a third of them
/// dual-stack in fd00:20::/64) and servers in the documentation ranges (192.0.2.0/24, 198.51.100.0/24,
/// 203.0.113.0/24, 2001:db8::/32), captured next to the clients on a 1500-byte-MTU Ethernet link: short HTTP/1.1
/// connections, keep-alive connections with several requests, bulk downloads of tens of megabytes, SSH shells and
/// file copies to internal hosts (10.30.0.0/24, fd00:30::/64), outbound SMTP from internal relays, DNS lookups to
/// two internal resolvers (and one over IPv6), ICMP echo, connections refused with RST and SYNs nobody answers.
/// <para>
/// Flows arrive as a Poisson process; each schedules its own packets by the delays its script gives (round trips,
/// bottleneck pacing, processing and think times), and a priority queue interleaves them in time order, so the
/// synthesizer holds only the flows that are open: memory stays bounded however long the capture. Same seed, same
/// frames.
/// </para>
/// </summary>
public sealed class RealisticSynthesizer : IFrameSynthesizer
{
    private const ulong GatewayMac = 0x02_00_00_00_00_01UL; // locally administered
    private const int EthernetOverhead = 8 + 12 + 4; // preamble and SFD, inter-frame gap, FCS: what the link carries besides the frame

    private static readonly ushort[] RefusedPorts = [23, 445, 3389, 8080, 8443, 5900, 1433, 6379, 9200, 5432];
    private static readonly ushort[] DeadHostPorts = [80, 443, 22, 25, 8080];
    private static readonly string[] TopLevels = ["example.com", "example.net", "example.org"];
    private static readonly string[] Prefixes = ["www", "static", "cdn", "img", "api", "media", "news", "shop", "assets", "video"];

    private readonly RealisticOptions _options;
    private readonly Random _random;
    private readonly PayloadPool _payloads;
    private readonly TextPool _text;
    private readonly Client[] _clients;
    private readonly WebServer[] _webServers;
    private readonly Host[] _sshServers;
    private readonly Host[] _relays;
    private readonly Endpoint[] _resolvers;
    private readonly (double Cumulative, FlowKind Kind)[] _mix;
    private readonly double _totalRate;
    private readonly double _nsPerByte;
    private readonly PriorityQueue<SyntheticFlow, (long Due, long Order)> _queue = new();
    private readonly HashSet<FlowKey> _live = [];
    private readonly Dictionary<string, Counter> _counters = new(StringComparer.Ordinal);
    private long _nextArrivalNs;
    private long _lastNs;
    private int _lastLength;
    private long _order;

    public RealisticSynthesizer(int seed, RealisticOptions? options = null)
    {
        _options = options ?? new RealisticOptions();
        _random = new Random(seed);
        _payloads = new PayloadPool(new Random(_random.Next()));
        _text = new TextPool(new Random(_random.Next()));
        _nsPerByte = 8e9 / _options.LinkBitsPerSecond;

        _clients = new Client[_options.Clients];
        for (int i = 0; i < _clients.Length; i++)
        {
            uint v4 = (10u << 24) | (20u << 16) | (uint)((i / 250) << 8) | (uint)(i % 250 + 1);
            HostAddress? v6 = _random.NextDouble() < 0.35 ? HostAddress.Ipv6(((UInt128)0xfd00_0020_0000_0000UL << 64) | RandomInterfaceId()) : null;
            long rtt = _random.Next(80_000, 900_000);
            double mbps = _random.NextDouble() < 0.7 ? 1000 : 100;
            _clients[i] = new Client(MacOf(v4), HostAddress.Ipv4(v4), v6, rtt, mbps, HttpVocabulary.UserAgents[Pick(_random, 0.35, 0.3, 0.15, 0.12)]);
        }

        _webServers = new WebServer[_options.WebServers];
        for (int i = 0; i < _webServers.Length; i++)
        {
            uint net = (i % 3) switch { 0 => 0xC0_00_02_00u, 1 => 0xC6_33_64_00u, _ => 0xCB_00_71_00u };
            uint v4 = net | (uint)(i / 3 % 250 + 2);
            HostAddress? v6 = _random.NextDouble() < 0.6
                ? HostAddress.Ipv6(((UInt128)(0x2001_0db8_0000_0000UL | ((ulong)(i + 1) << 16)) << 64) | (uint)_random.Next(1, 0x10000))
                : null;
            string domain = i < 30 ? TopLevels[i % 3] : $"{HttpVocabulary.Words[i % HttpVocabulary.Words.Length]}{i / HttpVocabulary.Words.Length}.example";
            string name = $"{Prefixes[(i / 3) % Prefixes.Length]}.{domain}";
            // Round trips: a third nearby (CDN edges), the rest across a continent or an ocean.
            long rtt = _random.NextDouble() < 0.35 ? _random.Next(2_000_000, 15_000_000) : _random.Next(15_000_000, 180_000_000);
            _webServers[i] = new WebServer(name, HostAddress.Ipv4(v4), v6,
                HttpVocabulary.ServerSoftware[_random.Next(HttpVocabulary.ServerSoftware.Length)], rtt);
        }

        _sshServers = new Host[40];
        for (int i = 0; i < _sshServers.Length; i++)
        {
            uint v4 = 0x0A_1E_00_00u | (uint)(i + 10); // 10.30.0.10 and up
            HostAddress? v6 = i % 4 == 0 ? HostAddress.Ipv6(((UInt128)0xfd00_0030_0000_0000UL << 64) | (uint)(i + 10)) : null;
            _sshServers[i] = new Host($"srv{i + 1}.corp.example", MacOf(v4), HostAddress.Ipv4(v4), v6, _random.Next(150_000, 2_500_000));
        }

        _relays = new Host[6];
        for (int i = 0; i < _relays.Length; i++)
        {
            uint v4 = 0x0A_28_00_00u | (uint)(i + 25); // 10.40.0.25 and up
            _relays[i] = new Host($"relay{i + 1}.corp.example", MacOf(v4), HostAddress.Ipv4(v4), null, _random.Next(100_000, 400_000));
        }

        _resolvers =
        [
            new Endpoint(MacOf(0x0A_00_00_35u), HostAddress.Ipv4(0x0A_00_00_35u), 53), // 10.0.0.53
            new Endpoint(MacOf(0x0A_00_00_36u), HostAddress.Ipv4(0x0A_00_00_36u), 53), // 10.0.0.54
            new Endpoint(MacOf(0x0A_00_00_35u), HostAddress.Ipv6(((UInt128)0xfd00_0000_0000_0000UL << 64) | 0x53), 53), // fd00::53
        ];

        var o = _options;
        var rates = new (double Rate, FlowKind Kind)[]
        {
            (o.HttpSingleRate, FlowKind.HttpSingle), (o.HttpKeepAliveRate, FlowKind.HttpKeepAlive), (o.HttpBulkRate, FlowKind.HttpBulk),
            (o.SshRate, FlowKind.Ssh), (o.SshCopyRate, FlowKind.SshCopy), (o.SmtpRate, FlowKind.Smtp), (o.DnsRate, FlowKind.Dns),
            (o.PingRate, FlowKind.Ping), (o.RejectedRate, FlowKind.Rejected), (o.UnansweredRate, FlowKind.Unanswered),
        };
        _totalRate = rates.Sum(r => r.Rate);
        double cumulative = 0;
        _mix = rates.Select(r => (cumulative += r.Rate, r.Kind)).ToArray();
        _nextArrivalNs = o.StartNs - o.WarmUpNs;
        _lastNs = _nextArrivalNs;
    }

    private enum FlowKind
    {
        HttpSingle,
        HttpKeepAlive,
        HttpBulk,
        Ssh,
        SshCopy,
        Smtp,
        Dns,
        Ping,
        Rejected,
        Unanswered,
    }

    /// <summary>Flows started, the warm-up's included.</summary>
    public long SessionsStarted { get; private set; }

    /// <summary>Flows with at least one captured frame.</summary>
    public long FlowsCaptured { get; private set; }

    /// <summary>The most flows open at once while frames were captured.</summary>
    public int PeakLiveFlows { get; private set; }

    /// <summary>Per-protocol counts of the captured frames, by protocol name.</summary>
    public IReadOnlyList<ProtocolCount> Protocols =>
        _counters.OrderBy(c => c.Key, StringComparer.Ordinal)
            .Select(c => new ProtocolCount(c.Key, c.Value.Flows, c.Value.Frames, c.Value.Bytes, c.Value.Ipv6Frames)).ToList();

    public int Next(Span<byte> frame, out long timestampNs)
    {
        while (true)
        {
            if (!_queue.TryPeek(out _, out var due) || _nextArrivalNs <= due.Due)
            {
                Arrive(_nextArrivalNs);
                _nextArrivalNs += Math.Max(1, (long)(-Math.Log(1 - _random.NextDouble()) / _totalRate * 1e9));
                continue;
            }

            SyntheticFlow flow = _queue.Dequeue();
            // The link carries one frame at a time: a frame due while the previous one is still on the wire waits.
            long t = Math.Max(due.Due, _lastNs + (long)((_lastLength + EthernetOverhead) * _nsPerByte) + 1);
            int length = flow.Write(frame, t);
            _lastNs = t;
            _lastLength = length;
            if (flow.MoveNext(out long delay))
                _queue.Enqueue(flow, (t + Math.Max(0, delay), flow.Order));
            else
                _live.Remove(flow.Key);

            if (t < _options.StartNs)
                continue; // warm-up: made, not captured

            Count(flow, length);
            timestampNs = t;
            return length;
        }
    }

    private void Count(SyntheticFlow flow, int length)
    {
        if (!_counters.TryGetValue(flow.Protocol, out var counter))
            _counters[flow.Protocol] = counter = new Counter();
        if (!flow.Captured)
        {
            flow.Captured = true;
            counter.Flows++;
            FlowsCaptured++;
        }

        counter.Frames++;
        counter.Bytes += length;
        if (flow.Key.Client.IsIpv6)
            counter.Ipv6Frames++;
        PeakLiveFlows = Math.Max(PeakLiveFlows, _queue.Count);
    }

    private void Arrive(long now)
    {
        double u = _random.NextDouble() * _totalRate;
        FlowKind kind = _mix[^1].Kind;
        foreach (var (cumulative, k) in _mix)
        {
            if (u < cumulative)
            {
                kind = k;
                break;
            }
        }

        var random = new Random(_random.Next());
        SyntheticFlow? flow = null;
        for (int attempt = 0; flow is null && attempt < 8; attempt++)
        {
            flow = Create(kind, random);
            if (!_live.Add(flow.Key))
                flow = null; // that client port is in use towards that server: draw another
        }

        if (flow is null)
            return;
        if (!flow.MoveNext(out _))
        {
            _live.Remove(flow.Key);
            return;
        }

        SessionsStarted++;
        _queue.Enqueue(flow, (now, flow.Order));
    }

    private SyntheticFlow Create(FlowKind kind, Random random)
    {
        Client client = _clients[random.Next(_clients.Length)];
        long order = _order++;
        var clock = new FlowClock();
        switch (kind)
        {
            case FlowKind.HttpSingle or FlowKind.HttpKeepAlive or FlowKind.HttpBulk:
            {
                WebServer server = _webServers[random.Next(_webServers.Length)];
                bool v6 = client.Ipv6 is not null && server.Ipv6 is not null && random.NextDouble() < 0.7;
                ushort port = random.NextDouble() < 0.04 ? (ushort)8080 : (ushort)80;
                double serverMbps = kind == FlowKind.HttpBulk ? random.Next(100, 800) : random.Next(20, 1000);
                var timing = Timing(client, server.RttNs, Math.Min(client.Mbps, serverMbps), random);
                var httpKind = kind switch
                {
                    FlowKind.HttpSingle => HttpConnectionKind.Single,
                    FlowKind.HttpKeepAlive => HttpConnectionKind.KeepAlive,
                    _ => HttpConnectionKind.Bulk,
                };
                var session = new HttpSession(random, _payloads, timing, clock, httpKind, server, client.UserAgent, port, _text);
                string protocol = kind switch { FlowKind.HttpSingle => "http", FlowKind.HttpKeepAlive => "http-keepalive", _ => "http-bulk" };
                return Tcp(protocol, client, v6, GatewayMac, v6 ? server.Ipv6!.Value : server.Ipv4, session, clock, random, order);
            }

            case FlowKind.Ssh or FlowKind.SshCopy:
            {
                Host server = _sshServers[random.Next(_sshServers.Length)];
                bool v6 = client.Ipv6 is not null && server.Ipv6 is not null;
                var timing = Timing(client, server.RttNs, Math.Min(client.Mbps, 1000), random);
                var session = new SshSession(random, _payloads, timing, clock, fileCopy: kind == FlowKind.SshCopy);
                return Tcp("ssh", client, v6, server.Mac, v6 ? server.Ipv6!.Value : server.Ipv4, session, clock, random, order);
            }

            case FlowKind.Smtp:
            {
                Host relay = _relays[random.Next(_relays.Length)];
                WebServer mx = _webServers[random.Next(_webServers.Length)];
                string mxName = "mx1." + mx.Name[(mx.Name.IndexOf('.') + 1)..];
                var relayAsClient = new Client(relay.Mac, relay.Ipv4, null, relay.RttNs, 1000, "");
                var timing = Timing(relayAsClient, mx.RttNs, random.Next(50, 1000), random);
                var session = new SmtpSession(random, _payloads, timing, clock, mxName, relay.Name, _text);
                return Tcp("smtp", relayAsClient, false, GatewayMac, mx.Ipv4, session, clock, random, order);
            }

            case FlowKind.Dns:
            {
                bool v6 = client.Ipv6 is not null && random.NextDouble() < 0.5;
                Endpoint resolver = v6 ? _resolvers[2] : _resolvers[random.Next(2)];
                WebServer? target = random.NextDouble() < 0.08 ? null : _webServers[random.Next(_webServers.Length)];
                string name = target?.Name ?? $"{HttpVocabulary.Words[random.Next(HttpVocabulary.Words.Length)]}-{random.Next(100, 999)}.{TopLevels[random.Next(3)]}";
                var lookup = new DnsLookup(random, name, target, bothTypes: client.Ipv6 is not null || random.NextDouble() < 0.5, client.RttNs);
                var endpoint = new Endpoint(client.Mac, v6 ? client.Ipv6!.Value : client.Ipv4, EphemeralPort(random));
                return new UdpFlow("dns", endpoint, resolver, lookup.Script(), random) { Order = order };
            }

            case FlowKind.Ping:
            {
                WebServer server = _webServers[random.Next(_webServers.Length)];
                bool v6 = client.Ipv6 is not null && server.Ipv6 is not null && random.NextDouble() < 0.5;
                // The echo identifier stands in the port's place in the flow key.
                var source = new Endpoint(client.Mac, v6 ? client.Ipv6!.Value : client.Ipv4, (ushort)random.Next(1, 65536));
                var target = new Endpoint(GatewayMac, v6 ? server.Ipv6!.Value : server.Ipv4, 0);
                return new PingFlow(source, target, random, count: random.Next(3, 11), rttNs: server.RttNs + client.RttNs,
                    answered: random.NextDouble() < 0.9) { Order = order };
            }

            case FlowKind.Rejected:
            {
                WebServer server = _webServers[random.Next(_webServers.Length)];
                var timing = Timing(client, server.RttNs, client.Mbps, random);
                var session = new RefusedSession(random, _payloads, timing, clock, RefusedPorts[random.Next(RefusedPorts.Length)]);
                return Tcp("tcp-refused", client, false, GatewayMac, server.Ipv4, session, clock, random, order);
            }

            default:
            {
                // A host that is down, in a range no server of the profile uses.
                var dead = HostAddress.Ipv4(0xCB_00_71_00u | (uint)random.Next(200, 255));
                var timing = Timing(client, 100_000_000, client.Mbps, random);
                var session = new UnansweredSession(random, _payloads, timing, clock, DeadHostPorts[random.Next(DeadHostPorts.Length)]);
                return Tcp("tcp-unanswered", client, false, GatewayMac, dead, session, clock, random, order);
            }
        }
    }

    private TcpFlow Tcp(string protocol, Client client, bool v6, ulong serverMac, HostAddress server, TimedSession session, FlowClock clock,
        Random random, long order)
    {
        var source = new Endpoint(client.Mac, v6 ? client.Ipv6!.Value : client.Ipv4, EphemeralPort(random));
        var conversation = new TcpConversation(source, new Endpoint(serverMac, server, session.ServerPort), random);
        return new TcpFlow(protocol, conversation, session, clock) { Order = order };
    }

    private static PathTiming Timing(Client client, long serverRttNs, double mbps, Random random)
    {
        // Each connection's round trips vary a little around the hosts' own.
        long clientRtt = (long)(client.RttNs * (0.8 + 0.4 * random.NextDouble()));
        long serverRtt = (long)(serverRttNs * (0.9 + 0.2 * random.NextDouble()));
        long spacing = (long)(PacketBuilder.MaximumFrameLength * 8 * 1000 / mbps);
        return new PathTiming(clientRtt, serverRtt, spacing);
    }

    /// <summary>Linux's default ephemeral port range (net.ipv4.ip_local_port_range).</summary>
    private static ushort EphemeralPort(Random random) => (ushort)random.Next(32768, 61000);

    private ulong RandomInterfaceId() => ((ulong)(uint)_random.Next() << 32) | (uint)_random.Next();

    private static ulong MacOf(uint ipv4) => 0x02_00_00_00_00_00UL | ipv4;

    /// <summary>Index 0 to 3 with the given probabilities, else 4.</summary>
    private static int Pick(Random random, double p0, double p1, double p2, double p3)
    {
        double u = random.NextDouble();
        return u < p0 ? 0 : u < p0 + p1 ? 1 : u < p0 + p1 + p2 ? 2 : u < p0 + p1 + p2 + p3 ? 3 : 4;
    }

    private sealed record Client(ulong Mac, HostAddress Ipv4, HostAddress? Ipv6, long RttNs, double Mbps, string UserAgent);

    private sealed record Host(string Name, ulong Mac, HostAddress Ipv4, HostAddress? Ipv6, long RttNs);

    private sealed class Counter
    {
        public long Flows;
        public long Frames;
        public long Bytes;
        public long Ipv6Frames;
    }
}

/// <summary>A connection to a closed port: the SYN is answered with RST/ACK (RFC 9293 section 3.10.7.1).</summary>
public sealed class RefusedSession(Random random, PayloadPool payloads, PathTiming timing, FlowClock clock, ushort port)
    : TimedSession(random, payloads, timing, clock)
{
    public override ushort ServerPort => port;

    protected override IEnumerable<SegmentPlan> Plan()
    {
        yield return new SegmentPlan(true, TcpFlags.Syn, default);
        yield return new SegmentPlan(false, TcpFlags.Rst | TcpFlags.Ack, default, Answer(false, Between(10_000, 60_000)));
    }
}

/// <summary>A connection to a host that is down: the SYN and its retransmissions after 1, 2 and 4 s (RFC 6298 section 5), then the client gives up.</summary>
public sealed class UnansweredSession(Random random, PayloadPool payloads, PathTiming timing, FlowClock clock, ushort port)
    : TimedSession(random, payloads, timing, clock)
{
    public override ushort ServerPort => port;

    protected override IEnumerable<SegmentPlan> Plan()
    {
        yield return new SegmentPlan(true, TcpFlags.Syn, default);
        for (long rto = 1_000_000_000; rto <= 4_000_000_000; rto *= 2)
            yield return new SegmentPlan(true, TcpFlags.Syn, default, rto + Between(0, 2_000_000));
    }
}
