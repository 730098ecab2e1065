namespace PcapForge.Flows;

/// <summary>Zeek's TCP endpoint states (TCP_INACTIVE … TCP_RESET), from which <c>conn_state</c> is derived.</summary>
public enum TcpEndpointState : byte
{
    Inactive,
    SynSent,
    SynAckSent,
    Partial,
    Established,
    Closed,
    Reset,
}

/// <summary>
/// One direction of a TCP connection: its Zeek endpoint state and what its sequence numbers say — payload extent,
/// retransmissions, out-of-order segments, and holes (bytes never seen). Sequence numbers are unwrapped to 64 bits
/// relative to the first one seen, so wrap-around (RFC 9293 section 3.4) is transparent.
/// </summary>
public sealed class TcpDirection
{
    /// <summary>Holes remembered per direction; past this the oldest is given up as missed (bounded memory).</summary>
    public const int MaxHoles = 16;

    // Allocated with the first hole: most directions never have one, and flows are what memory is bounded by.
    private long[]? _holeStart;
    private long[]? _holeEnd;
    private int _holes;

    public TcpEndpointState State;

    /// <summary>True once a SYN from this side fixed the initial sequence number.</summary>
    public bool SynSeen;

    /// <summary>Initial sequence number (of the SYN), or the first sequence number seen mid-stream.</summary>
    public uint Isn;

    /// <summary>Whether <see cref="Base"/> is set.</summary>
    public bool Started;

    /// <summary>The raw sequence number of relative offset 0: the first payload byte (ISN + 1 after a SYN).</summary>
    public uint Base;

    /// <summary>End (relative, exclusive) of the highest payload byte seen.</summary>
    public long MaxEnd;

    /// <summary>Lowest relative offset seen (negative when an earlier segment arrived after a later one mid-stream).</summary>
    public long MinStart;

    public long RetransmittedPackets, RetransmittedBytes, OutOfOrderPackets, ZeroWindows;

    /// <summary>Bytes given up as never seen (holes forgotten when over <see cref="MaxHoles"/>).</summary>
    public long ForgottenHoleBytes;

    /// <summary>True when a FIN from this side was seen.</summary>
    public bool FinSeen;

    /// <summary>Relative sequence number of the FIN.</summary>
    public long FinAt;

    /// <summary>Unwraps a raw sequence number to a 64-bit offset relative to <see cref="Base"/>, near <see cref="MaxEnd"/>.</summary>
    public long Relative(uint seq) => MaxEnd + (int)(seq - Base - (uint)MaxEnd);

    /// <summary>Payload bytes sent: the sequence space covered, holes included (Zeek's orig_bytes/resp_bytes).</summary>
    public long PayloadBytes => Started ? MaxEnd - MinStart : 0;

    /// <summary>Bytes in holes: sequence space nothing covered.</summary>
    public long MissingBytes
    {
        get
        {
            long sum = ForgottenHoleBytes;
            for (int i = 0; i < _holes; i++)
                sum += _holeEnd![i] - _holeStart![i];
            return sum;
        }
    }

    public void StartAt(uint baseSeq)
    {
        Started = true;
        Base = baseSeq;
        MaxEnd = 0;
        MinStart = 0;
    }

    /// <summary>
    /// Whether a segment without SYN, FIN or RST is a keep-alive probe (RFC 9293, 3.8.4): at most one byte, at the
    /// sequence number one before the next one expected, as Wireshark's <c>tcp.analysis.keep_alive</c> defines it. Its
    /// byte is garbage or a copy of one already sent: it is neither new data nor a retransmission.
    /// </summary>
    public bool IsKeepAlive(uint seq, int payload) => Started && payload <= 1 && Relative(seq) == MaxEnd - 1;

    /// <summary>What a segment with payload was, relative to what this direction had sent before.</summary>
    public enum SegmentKind
    {
        /// <summary>New bytes at or past the highest seen (a hole opens when past).</summary>
        InOrder,

        /// <summary>Bytes that fill a hole only: arrived after later bytes.</summary>
        OutOfOrder,

        /// <summary>Some bytes were seen before.</summary>
        Retransmission,
    }

    /// <summary>Accounts a payload of <paramref name="length"/> bytes starting at relative offset <paramref name="start"/>.</summary>
    /// <param name="start">Relative sequence offset of the first payload byte.</param>
    /// <param name="length">Payload length.</param>
    /// <param name="gapOpened">Set to the size of the hole this segment opened (0 when none).</param>
    public SegmentKind Segment(long start, int length, out long gapOpened)
    {
        gapOpened = 0;
        long end = start + length;
        if (start >= MaxEnd)
        {
            if (start > MaxEnd)
            {
                gapOpened = start - MaxEnd;
                AddHole(MaxEnd, start);
            }

            MaxEnd = end;
            return SegmentKind.InOrder;
        }

        if (start < MinStart)
        {
            // Mid-stream start: an earlier segment arrives after a later one. Bytes before the first seen are a
            // hole that this segment partly fills.
            AddHole(start, MinStart);
            MinStart = start;
        }

        long seenBefore = Math.Min(end, MaxEnd) - start;
        long filled = FillHoles(start, Math.Min(end, MaxEnd));
        if (end > MaxEnd)
            MaxEnd = end;
        if (filled < seenBefore)
        {
            RetransmittedPackets++;
            RetransmittedBytes += length;
            return SegmentKind.Retransmission;
        }

        OutOfOrderPackets++;
        return SegmentKind.OutOfOrder;
    }

    private void AddHole(long start, long end)
    {
        _holeStart ??= new long[MaxHoles];
        _holeEnd ??= new long[MaxHoles];
        if (_holes == MaxHoles)
        {
            ForgottenHoleBytes += _holeEnd[0] - _holeStart[0];
            Array.Copy(_holeStart, 1, _holeStart, 0, MaxHoles - 1);
            Array.Copy(_holeEnd, 1, _holeEnd, 0, MaxHoles - 1);
            _holes--;
        }

        _holeStart[_holes] = start;
        _holeEnd[_holes] = end;
        _holes++;
    }

    /// <summary>Removes [start, end) from the holes; returns how many bytes of it were in holes.</summary>
    private long FillHoles(long start, long end)
    {
        long filled = 0;
        if (_holes == 0)
            return 0;
        var holeStart = _holeStart!;
        var holeEnd = _holeEnd!;
        for (int i = 0; i < _holes; i++)
        {
            long s = Math.Max(start, holeStart[i]), e = Math.Min(end, holeEnd[i]);
            if (s >= e)
                continue;
            filled += e - s;
            if (s == holeStart[i] && e == holeEnd[i])
            {
                RemoveHole(i);
                i--;
            }
            else if (s == holeStart[i])
            {
                holeStart[i] = e;
            }
            else if (e == holeEnd[i])
            {
                holeEnd[i] = s;
            }
            else
            {
                // The segment splits the hole in two.
                long oldEnd = holeEnd[i];
                holeEnd[i] = s;
                AddHole(e, oldEnd);
            }
        }

        return filled;
    }

    private void RemoveHole(int i)
    {
        Array.Copy(_holeStart!, i + 1, _holeStart!, i, _holes - i - 1);
        Array.Copy(_holeEnd!, i + 1, _holeEnd!, i, _holes - i - 1);
        _holes--;
    }
}
