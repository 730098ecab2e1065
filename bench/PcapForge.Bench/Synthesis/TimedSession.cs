namespace PcapForge.Bench.Synthesis;

/// <summary>
/// Delays of one connection as a capture point next to the clients sees them: the round trip to the client (a LAN,
/// well under a millisecond), the round trip to the server, and the time a full-sized frame takes at the path's
/// bottleneck.
/// </summary>
public readonly record struct PathTiming(long ClientRttNs, long ServerRttNs, long FullFrameSpacingNs)
{
    /// <summary>Round trip from the capture point to <paramref name="client"/>'s side and back.</summary>
    public long RttOf(bool client) => client ? ClientRttNs : ServerRttNs;

    /// <summary>Time from one segment to the next of a burst at the bottleneck, for a segment of <paramref name="payload"/> bytes.</summary>
    public long Spacing(int payload) => Math.Max(1, FullFrameSpacingNs * (payload + 66) / PacketBuilder.MaximumFrameLength);
}

/// <summary>The time of the flow's last written packet, which a session may read (for a Date header, say) while it plans the next.</summary>
public sealed class FlowClock
{
    public long NowNs { get; set; }
}

/// <summary>
/// A TCP session of the realistic profile: every <see cref="SegmentPlan"/> carries the delay since the connection's
/// previous segment, derived from <see cref="PathTiming"/>. A packet that answers the other side comes one round
/// trip of the answering side after what it answers (plus processing time); a burst of data goes out in slow-start
/// flights (10 segments, doubling each round trip) paced by the bottleneck, and the receiver acknowledges every
/// second segment (RFC 9293 section 3.8.6.3, RFC 5681 section 4.2).
/// </summary>
public abstract class TimedSession : SyntheticSession
{
    /// <summary>Initial congestion window, in segments (RFC 6928).</summary>
    private const int InitialWindow = 10;

    /// <summary>Largest flight, in segments: about 3 MB, a Linux receive window after autotuning.</summary>
    private const int MaximumWindow = 2048;

    /// <summary>Delayed-ACK timer of Linux (40 ms): a side that takes longer than this to answer acknowledges first.</summary>
    protected const long DelayedAckNs = 40_000_000;

    private readonly byte[] _scratch = new byte[PacketBuilder.Mtu];
    private TcpConversation? _conversation;

    protected TimedSession(Random random, PayloadPool payloads, PathTiming timing, FlowClock clock)
        : base(random, payloads)
    {
        Timing = timing;
        Clock = clock;
    }

    protected PathTiming Timing { get; }

    protected FlowClock Clock { get; }

    /// <summary>Whether the last <see cref="Transfer"/> left its final segment for the receiver's answer to acknowledge.</summary>
    protected bool LastSegmentUnacknowledged { get; private set; }

    /// <summary>Set when <see cref="Script"/> starts: the payload of a full-sized segment.</summary>
    protected int FullSegment { get; private set; } = 1448;

    public sealed override IEnumerable<SegmentPlan> Script(TcpConversation conversation)
    {
        FullSegment = conversation.FullSegmentPayload;
        _conversation = conversation;
        return Plan();
    }

    /// <summary>The session's segments, with delays.</summary>
    protected abstract IEnumerable<SegmentPlan> Plan();

    /// <summary>A uniformly distributed duration between <paramref name="minNs"/> and <paramref name="maxNs"/>.</summary>
    protected long Between(long minNs, long maxNs) => Random.NextInt64(minNs, maxNs + 1);

    /// <summary>An exponentially distributed duration with mean <paramref name="meanNs"/>, capped at <paramref name="maxNs"/>.</summary>
    protected long Exponential(double meanNs, long maxNs) => Math.Min(maxNs, (long)(-Math.Log(1 - Random.NextDouble()) * meanNs));

    /// <summary>Delay of a packet sent by <paramref name="fromClient"/> in answer to the other side: its round trip plus processing.</summary>
    protected long Answer(bool fromClient, long processingNs) => Timing.RttOf(fromClient) + processingNs;

    /// <summary>SYN, SYN-ACK one server round trip later, the client's ACK one client round trip after that.</summary>
    protected IEnumerable<SegmentPlan> TimedHandshake()
    {
        yield return new SegmentPlan(true, TcpFlags.Syn, default);
        yield return new SegmentPlan(false, TcpFlags.Syn | TcpFlags.Ack, default, Answer(false, Between(10_000, 60_000)));
        yield return new SegmentPlan(true, TcpFlags.Ack, default, Answer(true, Between(5_000, 40_000)));
    }

    /// <summary>
    /// The orderly close: the side that closes first sends FIN, the other answers with its FIN once its application
    /// has seen the end of the stream, and the first side acknowledges that.
    /// </summary>
    protected IEnumerable<SegmentPlan> TimedClose(bool clientFirst, long delayNs)
    {
        yield return new SegmentPlan(clientFirst, TcpFlags.Fin | TcpFlags.Ack, default, delayNs);
        yield return new SegmentPlan(!clientFirst, TcpFlags.Fin | TcpFlags.Ack, default, Answer(!clientFirst, Between(20_000, 300_000)));
        yield return new SegmentPlan(clientFirst, TcpFlags.Ack, default, Answer(clientFirst, Between(5_000, 30_000)));
    }

    /// <summary>
    /// Sends <paramref name="data"/> from one side, cut into full segments (the last shorter, with PSH), the first
    /// <paramref name="firstDelayNs"/> after the connection's previous segment. The receiver acknowledges every second
    /// segment one round trip of its own later, each ACK covering the data up to the segment it answers; with <paramref name="finalAck"/> false an odd last segment is left
    /// for the receiver's answer to acknowledge, as a request that is answered within the delayed-ACK time is.
    /// </summary>
    protected IEnumerable<SegmentPlan> Transfer(bool fromClient, IEnumerable<ReadOnlyMemory<byte>> data, long firstDelayNs, bool finalAck = true)
    {
        long ackDelay = Timing.RttOf(!fromClient);
        long roundTrip = Timing.ClientRttNs + Timing.ServerRttNs;
        var acks = new Queue<(long Due, long Bytes)>();
        long now = 0, t = firstDelayNs, flightStart = firstDelayNs;
        int window = InitialWindow, inFlight = 0, unacknowledged = 0;
        using var segments = new Segmenter(data.GetEnumerator(), _scratch);
        // The segment's bytes may sit in _scratch: they are filled before the ACKs due ahead of it are yielded
        // (ACKs carry no payload) and are written out before the iterator resumes and fills the next one.
        while (segments.Next(FullSegment, out ReadOnlyMemory<byte> segment))
        {
            while (acks.TryPeek(out var ack) && ack.Due <= t)
            {
                acks.Dequeue();
                yield return new SegmentPlan(!fromClient, TcpFlags.Ack, default, ack.Due - now, ack.Bytes);
                now = ack.Due;
            }

            bool last = !segments.HasMore;
            var flags = TcpFlags.Ack | (last ? TcpFlags.Psh : TcpFlags.None);
            yield return new SegmentPlan(fromClient, flags, segment, t - now);
            now = t;
            if (++unacknowledged == 2 || (last && finalAck))
            {
                // The segment has been written: the sender's count includes it.
                unacknowledged = 0;
                acks.Enqueue((t + ackDelay, _conversation!.BytesSent(fromClient)));
            }

            if (++inFlight >= window)
            {
                // The next flight leaves when the first ACKs of this one reach the sender.
                flightStart = Math.Max(flightStart + roundTrip, t + Timing.Spacing(segment.Length));
                window = Math.Min(window * 2, MaximumWindow);
                inFlight = 0;
                t = flightStart;
            }
            else
            {
                t += Timing.Spacing(segment.Length);
            }
        }

        LastSegmentUnacknowledged = unacknowledged > 0;
        while (acks.TryDequeue(out var ack))
        {
            yield return new SegmentPlan(!fromClient, TcpFlags.Ack, default, ack.Due - now, ack.Bytes);
            now = ack.Due;
        }
    }

    /// <summary>One application message, no longer than a segment or a few, whose answer acknowledges it.</summary>
    protected IEnumerable<SegmentPlan> Message(bool fromClient, ReadOnlyMemory<byte> bytes, long delayNs) =>
        Transfer(fromClient, [bytes], delayNs, finalAck: false);

    /// <summary>
    /// The answer to what the other side sent last, <paramref name="processingNs"/> after it arrived: when that is
    /// longer than the delayed-ACK timer and the last segment is still unacknowledged, a pure ACK goes first.
    /// </summary>
    protected IEnumerable<SegmentPlan> Reply(bool fromClient, IEnumerable<ReadOnlyMemory<byte>> data, long processingNs, bool finalAck)
    {
        long delay = Answer(fromClient, processingNs);
        if (processingNs > DelayedAckNs && LastSegmentUnacknowledged)
        {
            long ack = Answer(fromClient, DelayedAckNs);
            yield return new SegmentPlan(fromClient, TcpFlags.Ack, default, ack);
            delay -= ack;
        }

        foreach (var s in Transfer(fromClient, data, delay, finalAck))
            yield return s;
    }

    /// <summary>Pieces of <see cref="SyntheticSession.Payloads"/> adding up to <paramref name="length"/> opaque bytes.</summary>
    protected IEnumerable<ReadOnlyMemory<byte>> Opaque(long length)
    {
        const int piece = 16 * 1024;
        for (long left = length; left > 0; left -= piece)
            yield return Payloads.Take((int)Math.Min(piece, left));
    }

    /// <summary>Cuts a sequence of byte pieces into segments, copying into a scratch buffer only where a segment spans pieces.</summary>
    private sealed class Segmenter(IEnumerator<ReadOnlyMemory<byte>> pieces, byte[] scratch) : IDisposable
    {
        private ReadOnlyMemory<byte> _current;

        /// <summary>Whether bytes remain after the last segment taken (this may pull in the next piece, which leaves that segment intact).</summary>
        public bool HasMore => !_current.IsEmpty || Advance();

        public bool Next(int max, out ReadOnlyMemory<byte> segment)
        {
            if (!HasMore)
            {
                segment = default;
                return false;
            }

            if (_current.Length >= max)
            {
                segment = _current[..max];
                _current = _current[max..];
                return true;
            }

            int n = 0;
            while (n < max && HasMore)
            {
                int take = Math.Min(max - n, _current.Length);
                _current.Span[..take].CopyTo(scratch.AsSpan(n));
                _current = _current[take..];
                n += take;
            }

            segment = scratch.AsMemory(0, n);
            return true;
        }

        public void Dispose() => pieces.Dispose();

        private bool Advance()
        {
            while (pieces.MoveNext())
            {
                _current = pieces.Current;
                if (!_current.IsEmpty)
                    return true;
            }

            return false;
        }
    }
}
