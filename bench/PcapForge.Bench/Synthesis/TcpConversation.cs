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

    public TcpConversation(Ipv4Endpoint client, Ipv4Endpoint server, Random random)
    {
        Client = client;
        Server = server;
        _client = new Side(random, ttl: 64, window: 502, windowScale: 7);
        _server = new Side(random, ttl: 57, window: 235, windowScale: 9);
    }

    public Ipv4Endpoint Client { get; }
    public Ipv4Endpoint Server { get; }

    /// <summary>Maximum segment size both ends announce (1460 for a 1500-byte MTU).</summary>
    public ushort Mss { get; init; } = 1460;

    /// <summary>Payload bytes of a full-sized data segment (the MSS less the 12-byte timestamps option).</summary>
    public int FullSegmentPayload => Mss - 12;

    /// <summary>
    /// Writes a segment sent by the client (<paramref name="fromClient"/>) or the server and advances that side's
    /// sequence number by the payload (and by one for SYN and FIN). Every segment but the first SYN acknowledges
    /// all the other side has sent.
    /// </summary>
    public int Write(Span<byte> frame, bool fromClient, TcpFlags flags, ReadOnlySpan<byte> payload, long timestampNs)
    {
        ref Side me = ref fromClient ? ref _client : ref _server;
        ref Side peer = ref fromClient ? ref _server : ref _client;
        // The client's SYN acknowledges nothing; everything after it (the SYN-ACK included) carries ACK.
        if ((flags & TcpFlags.Syn) != 0 && fromClient)
            flags &= ~TcpFlags.Ack;
        else
            flags |= TcpFlags.Ack;

        uint tsVal = me.TimestampOffset + (uint)(timestampNs / 1_000_000);
        var fields = new TcpSegmentFields
        {
            Flags = flags,
            Sequence = me.NextSequence,
            Acknowledgement = peer.NextSequence,
            Window = (flags & TcpFlags.Syn) != 0 ? (ushort)64240 : me.Window,
            IpId = me.IpId++,
            Ttl = me.Ttl,
            Timestamps = true,
            TsVal = tsVal,
            TsEcr = (flags & TcpFlags.Syn) != 0 && fromClient ? 0 : peer.LastTsVal,
            Mss = Mss,
            WindowScale = me.WindowScale,
        };
        me.LastTsVal = tsVal;
        me.NextSequence += (uint)payload.Length + ((flags & TcpFlags.Syn) != 0 ? 1u : 0) + ((flags & TcpFlags.Fin) != 0 ? 1u : 0);
        var (source, destination) = fromClient ? (Client, Server) : (Server, Client);
        return PacketBuilder.WriteTcp(frame, source, destination, fields, payload);
    }

    private struct Side
    {
        public Side(Random random, byte ttl, ushort window, byte windowScale)
        {
            NextSequence = (uint)random.NextInt64(0, 1L << 32);
            IpId = (ushort)random.Next(0, 65536);
            TimestampOffset = (uint)random.NextInt64(0, 1L << 32);
            Ttl = ttl;
            Window = window;
            WindowScale = windowScale;
        }

        public uint NextSequence;
        public ushort IpId;
        public uint TimestampOffset;
        public uint LastTsVal;
        public byte Ttl;
        public ushort Window;
        public byte WindowScale;
    }
}
