namespace PcapForge.Bench.Synthesis;

/// <summary>One segment a session wants sent: who sends it, its flags and its payload.</summary>
/// <remarks>
/// Used by the realistic profile only: <paramref name="DelayNs"/> is the time since the connection's previous segment;
/// <paramref name="AcknowledgedBytes"/>, when not negative, is how many payload bytes of the other side the segment
/// acknowledges (a receiver acknowledges what has reached it, not what the sender has sent since); when negative it
/// acknowledges all the other side has sent.
/// </remarks>
public readonly record struct SegmentPlan(bool FromClient, TcpFlags Flags, ReadOnlyMemory<byte> Payload, long DelayNs = 0, long AcknowledgedBytes = -1);

/// <summary>
/// What happens on one TCP connection, as a script of segments. The <see cref="TrafficSynthesizer"/> interleaves
/// many sessions and turns each planned segment into a frame through the session's <see cref="TcpConversation"/>.
/// A protocol session (HTTP, SSH, SMTP, ...) derives from this and yields its own payloads.
/// </summary>
public abstract class SyntheticSession
{
    protected SyntheticSession(Random random, PayloadPool payloads)
    {
        Random = random;
        Payloads = payloads;
    }

    protected Random Random { get; }
    protected PayloadPool Payloads { get; }

    /// <summary>The server's TCP port.</summary>
    public abstract ushort ServerPort { get; }

    /// <summary>The segments, in the order they appear on the wire.</summary>
    public abstract IEnumerable<SegmentPlan> Script(TcpConversation conversation);

    protected static IEnumerable<SegmentPlan> Handshake()
    {
        yield return new SegmentPlan(true, TcpFlags.Syn, default);
        yield return new SegmentPlan(false, TcpFlags.Syn | TcpFlags.Ack, default);
        yield return new SegmentPlan(true, TcpFlags.Ack, default);
    }

    /// <summary>The client closes: FIN, the server's FIN, the last ACK.</summary>
    protected static IEnumerable<SegmentPlan> Close()
    {
        yield return new SegmentPlan(true, TcpFlags.Fin | TcpFlags.Ack, default);
        yield return new SegmentPlan(false, TcpFlags.Fin | TcpFlags.Ack, default);
        yield return new SegmentPlan(true, TcpFlags.Ack, default);
    }

    protected static SegmentPlan Ack(bool fromClient) => new(fromClient, TcpFlags.Ack, default);

    protected static SegmentPlan Data(bool fromClient, ReadOnlyMemory<byte> payload, bool push = false) =>
        new(fromClient, TcpFlags.Ack | (push ? TcpFlags.Psh : TcpFlags.None), payload);
}

/// <summary>
/// A request/response connection carrying opaque (TLS-like) bytes: a mid-size request, a response of a few bytes
/// to megabytes in full-MSS segments with an occasional shorter record, and the client's delayed ACK for every
/// second segment. This gives a realistic size mix: many 66-byte ACKs, many 1514-byte segments, some mid-size.
/// </summary>
public sealed class RequestResponseSession : SyntheticSession
{
    public RequestResponseSession(Random random, PayloadPool payloads)
        : base(random, payloads)
    {
    }

    public override ushort ServerPort => 443;

    public override IEnumerable<SegmentPlan> Script(TcpConversation conversation)
    {
        foreach (var s in Handshake())
            yield return s;

        int full = conversation.FullSegmentPayload;
        int exchanges = 1 + Math.Min(30, (int)(-Math.Log(1 - Random.NextDouble()) * 3));
        for (int e = 0; e < exchanges; e++)
        {
            // Request: usually a few hundred bytes (headers, a TLS record); now and then a tiny one.
            int requestLength = Random.NextDouble() < 0.1 ? Random.Next(30, 90) : Random.Next(150, 1100);
            yield return Data(true, Payloads.Take(requestLength), push: true);

            if (Random.NextDouble() < 0.25)
                yield return Ack(false); // the server acknowledges before it has the answer

            long remaining = ResponseLength();
            int unacknowledged = 0;
            while (remaining > 0)
            {
                int length = (int)Math.Min(remaining, full);
                if (length == full && Random.NextDouble() < 0.08)
                    length = Random.Next(200, 1200); // an application write shorter than the MSS
                remaining -= length;
                yield return Data(false, Payloads.Take(length), push: remaining == 0 || length < full);
                if (++unacknowledged == 2)
                {
                    unacknowledged = 0;
                    yield return Ack(true);
                }
            }

            if (unacknowledged > 0)
                yield return Ack(true);
        }

        foreach (var s in Close())
            yield return s;
    }

    private long ResponseLength()
    {
        double u = Random.NextDouble();
        if (u < 0.55)
            return Random.Next(100, 3000); // small objects, API answers
        if (u < 0.9)
            return Random.Next(4 * 1024, 64 * 1024); // pages, images
        return Random.Next(64 * 1024, 1024 * 1024); // downloads
    }
}
