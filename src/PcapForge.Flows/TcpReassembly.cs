using System.Diagnostics.CodeAnalysis;

namespace PcapForge.Flows;

/// <summary>Limits and policy of TCP reassembly for stream dissectors.</summary>
public sealed record TcpReassemblyOptions
{
    /// <summary>Out-of-order bytes held per direction before the missing bytes are declared a gap.</summary>
    public long PerDirectionBytes { get; init; } = 1L << 20;

    /// <summary>Out-of-order bytes held over all flows; past it the direction that asks for more declares its gap.</summary>
    public long TotalBytes { get; init; } = 256L << 20;

    /// <summary>
    /// When buffered segments overlap with different bytes: false keeps the bytes that arrived first (RFC 9293's
    /// receivers, and Zeek), true the later ones. Either way the conflict is an anomaly.
    /// </summary>
    public bool LastWriteWins { get; init; }

    /// <summary>Bytes a parser may leave unconsumed (a message it has not seen the end of) before they are dropped as a gap.</summary>
    public int MaxUnconsumedBytes { get; init; } = 1 << 20;
}

/// <summary>Memory held by out-of-order segments across all flows.</summary>
internal sealed class ReassemblyBudget(long cap)
{
    public long Used;
    public long Cap { get; } = cap;
}

/// <summary>What a <see cref="TcpStream"/> hands on: in-order bytes and declared gaps.</summary>
internal interface IStreamTarget
{
    void Data(ReadOnlySpan<byte> data);

    void Gap(long length);

    /// <summary>Buffered segments overlapped with different bytes.</summary>
    void Conflict(long offset, int length);
}

/// <summary>
/// One direction of a TCP byte stream, put back in order. In-order bytes are handed on straight from the frame (no
/// copy); segments past a hole are copied and held, within a per-direction and a global cap; past the cap, when
/// the peer acknowledges bytes the capture never had, or at the end, the hole is declared a gap and delivery goes on.
/// Offsets are the 64-bit relative sequence numbers of <see cref="TcpDirection"/>, so wrap-around does not matter.
/// </summary>
internal sealed class TcpStream
{
    private readonly TcpReassemblyOptions _options;
    private readonly ReassemblyBudget _budget;
    /// <summary>Segments held past a hole; made when the first is (most streams never hold one).</summary>
    private SortedList<long, byte[]>? _pending;
    private long _pendingBytes;
    private bool _started;

    public TcpStream(TcpReassemblyOptions options, ReassemblyBudget budget)
    {
        _options = options;
        _budget = budget;
    }

    /// <summary>Relative offset of the next byte to deliver.</summary>
    public long Next { get; private set; }

    public long PendingBytes => _pendingBytes;

    /// <summary>Fixes where the stream starts (the byte after the SYN, or the first byte seen mid-stream).</summary>
    public void Start(long offset)
    {
        if (!_started)
        {
            _started = true;
            Next = offset;
        }
    }

    public void Segment(long start, ReadOnlySpan<byte> data, IStreamTarget target)
    {
        Start(start);
        long end = start + data.Length;
        if (end <= Next || data.IsEmpty)
            return; // already delivered: the first bytes won (a retransmission)
        if (start < Next)
        {
            data = data[(int)(Next - start)..];
            start = Next;
        }

        if (start == Next)
        {
            target.Data(data);
            Next = end;
            Drain(target);
            return;
        }

        Hold(start, data, target);
        while (HasPending && (_pendingBytes > _options.PerDirectionBytes || _budget.Used > _budget.Cap))
            SkipToPending(target);
    }

    /// <summary>The peer acknowledged up to <paramref name="acked"/>: a hole below held bytes it has acknowledged was lost by the capture.</summary>
    public void Acknowledged(long acked, IStreamTarget target)
    {
        while (HasPending && acked >= _pending.Keys[0] && _pending.Keys[0] > Next)
            SkipToPending(target);
    }

    /// <summary>End of the stream: every hole left is a gap, and what is held after it is delivered.</summary>
    public void Finish(IStreamTarget target)
    {
        while (HasPending)
            SkipToPending(target);
    }

    [MemberNotNullWhen(true, nameof(_pending))]
    private bool HasPending => _pending is { Count: > 0 };

    private void SkipToPending(IStreamTarget target)
    {
        long first = _pending!.Keys[0];
        if (first > Next)
        {
            target.Gap(first - Next);
            Next = first;
        }

        Drain(target);
    }

    private void Drain(IStreamTarget target)
    {
        while (HasPending && _pending.Keys[0] <= Next)
        {
            long s = _pending.Keys[0];
            byte[] bytes = _pending.Values[0];
            _pending.RemoveAt(0);
            _pendingBytes -= bytes.Length;
            _budget.Used -= bytes.Length;
            long e = s + bytes.Length;
            if (e > Next)
            {
                target.Data(bytes.AsSpan((int)(Next - s)));
                Next = e;
            }
        }
    }

    /// <summary>Holds a segment past a hole, merging it with what is held: overlaps keep the first (or last) bytes.</summary>
    private void Hold(long start, ReadOnlySpan<byte> data, IStreamTarget target)
    {
        long end = start + data.Length;
        long cursor = start;
        // Walk the held segments that overlap [start, end): compare the overlap, and store the pieces between them.
        var overlapping = new List<long>();
        foreach (var (s, bytes) in _pending ??= new SortedList<long, byte[]>())
        {
            long e = s + bytes.Length;
            if (e <= start)
                continue;
            if (s >= end)
                break;
            overlapping.Add(s);
        }

        foreach (long s in overlapping)
        {
            byte[] held = _pending[s];
            long e = s + held.Length;
            if (s > cursor)
                Store(cursor, data.Slice((int)(cursor - start), (int)(s - cursor)));
            long os = Math.Max(s, start), oe = Math.Min(e, end);
            var mine = data.Slice((int)(os - start), (int)(oe - os));
            var theirs = held.AsSpan((int)(os - s), (int)(oe - os));
            if (!mine.SequenceEqual(theirs))
            {
                target.Conflict(os, (int)(oe - os));
                if (_options.LastWriteWins)
                    mine.CopyTo(theirs);
            }

            cursor = Math.Max(cursor, e);
        }

        if (cursor < end)
            Store(cursor, data[(int)(cursor - start)..]);
    }

    private void Store(long start, ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
            return;
        (_pending ??= new SortedList<long, byte[]>())[start] = bytes.ToArray();
        _pendingBytes += bytes.Length;
        _budget.Used += bytes.Length;
    }

    /// <summary>Releases what is held (the flow is dropped without delivering).</summary>
    public void Discard()
    {
        _budget.Used -= _pendingBytes;
        _pendingBytes = 0;
        _pending?.Clear();
    }
}
