namespace PcapForge.Bench.Synthesis;

/// <summary>
/// The TCP state of one connection as a capture sees it: both ends' sequence numbers, IP ids and timestamp
/// clocks. <see cref="Write"/> turns "this side sends these flags and bytes" into a frame whose sequence and
/// acknowledgement numbers, lengths and checksums agree with everything sent before, so a flow analyser can
/// reassemble the streams.
/// </summary>
public sealed class TcpConversation
{
    private Side _client;
    private Side _server;

    public TcpConversation(Endpoint client, Endpoint server, Random random)
    {
        Client = client;
        Server = server;
        _client = new Side(random, ttl: 64, window: 502, windowScale: 7);
        _server = new Side(random, ttl: 57, window: 235, windowScale: 9);
        if (client.Address.IsIpv6)
        {
            // Linux picks a random flow label per connection (RFC 6437 section 3); drawn only for IPv6, so that
            // IPv4 conversations consume the same random numbers as before IPv6 was added.
            _client.FlowLabel = (uint)random.Next(1, 1 << 20);
            _server.FlowLabel = (uint)random.Next(1, 1 << 20);
            Mss = Ipv6Mss;
        }
    }

    /// <summary>The MSS for a 1500-byte MTU: 1500 less 20 (IPv4) or 40 (IPv6) and 20 (TCP) header bytes.</summary>
    public const ushort Ipv4Mss = 1460, Ipv6Mss = 1440;

    public Endpoint Client { get; }
    public Endpoint Server { get; }

    /// <summary>Maximum segment size both ends announce (1460 for a 1500-byte MTU over IPv4, 1440 over IPv6).</summary>
    public ushort Mss { get; init; } = Ipv4Mss;

    /// <summary>Payload bytes the client (or server) has sent so far, SYN and FIN not counted.</summary>
    public long BytesSent(bool fromClient) => fromClient ? _client.PayloadBytes : _server.PayloadBytes;

    /// <summary>Payload bytes of a full-sized data segment (the MSS less the 12-byte timestamps option).</summary>
    public int FullSegmentPayload => Mss - 12;

    /// <summary>
    /// Writes a segment sent by the client (<paramref name="fromClient"/>) or the server and advances that side's
    /// sequence number by the payload (and by one for SYN and FIN). Every segment but the first SYN acknowledges
    /// all the other side has sent, or its first <paramref name="acknowledgedBytes"/> payload bytes when that is not
    /// negative (the other side's SYN counted, its FIN not). A second SYN from the same side is a retransmission and
    /// carries the same initial sequence number. A RST from a side that has sent no SYN (a refused connection) has
    /// sequence number 0 and acknowledges the SYN (RFC 9293 section 3.10.7.1); RSTs carry no options and a zero
    /// window, as Linux's.
    /// </summary>
    public int Write(Span<byte> frame, bool fromClient, TcpFlags flags, ReadOnlySpan<byte> payload, long timestampNs, long acknowledgedBytes = -1)
    {
        ref Side me = ref fromClient ? ref _client : ref _server;
        ref Side peer = ref fromClient ? ref _server : ref _client;
        // The client's SYN acknowledges nothing; everything after it (the SYN-ACK included) carries ACK.
        if ((flags & TcpFlags.Syn) != 0 && fromClient)
            flags &= ~TcpFlags.Ack;
        else
            flags |= TcpFlags.Ack;

        bool syn = (flags & TcpFlags.Syn) != 0, reset = (flags & TcpFlags.Rst) != 0;
        if (syn)
        {
            if (me.SynSent)
                me.NextSequence = me.InitialSequence;
            me.SynSent = true;
        }

        uint tsVal = me.TimestampOffset + (uint)(timestampNs / 1_000_000);
        var fields = new TcpSegmentFields
        {
            Flags = flags,
            Sequence = reset && !me.SynSent ? 0 : me.NextSequence,
            Acknowledgement = acknowledgedBytes < 0 ? peer.NextSequence : peer.InitialSequence + 1 + (uint)acknowledgedBytes,
            Window = reset ? (ushort)0 : syn ? (ushort)64240 : me.Window,
            IpId = me.IpId++,
            Ttl = me.Ttl,
            Timestamps = !reset,
            FlowLabel = me.FlowLabel,
            TsVal = tsVal,
            TsEcr = (flags & TcpFlags.Syn) != 0 && fromClient ? 0 : peer.LastTsVal,
            Mss = Mss,
            WindowScale = me.WindowScale,
        };
        me.LastTsVal = tsVal;
        me.PayloadBytes += payload.Length;
        me.NextSequence += (uint)payload.Length + ((flags & TcpFlags.Syn) != 0 ? 1u : 0) + ((flags & TcpFlags.Fin) != 0 ? 1u : 0);
        return fromClient
            ? PacketBuilder.WriteTcp(frame, Client, Server, fields, payload)
            : PacketBuilder.WriteTcp(frame, Server, Client, fields, payload);
    }

    private struct Side
    {
        public Side(Random random, byte ttl, ushort window, byte windowScale)
        {
            NextSequence = (uint)random.NextInt64(0, 1L << 32);
            InitialSequence = NextSequence;
            IpId = (ushort)random.Next(0, 65536);
            TimestampOffset = (uint)random.NextInt64(0, 1L << 32);
            Ttl = ttl;
            Window = window;
            WindowScale = windowScale;
        }

        public uint NextSequence;
        public uint InitialSequence;
        public bool SynSent;
        public long PayloadBytes;
        public uint FlowLabel;
        public ushort IpId;
        public uint TimestampOffset;
        public uint LastTsVal;
        public byte Ttl;
        public ushort Window;
        public byte WindowScale;
    }
}
