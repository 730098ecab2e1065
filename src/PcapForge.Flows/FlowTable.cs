using System.Buffers.Binary;
using System.IO.Hashing;

namespace PcapForge.Flows;

/// <summary>Inactivity timeouts, with Zeek's defaults (init-bare.zeek).</summary>
public sealed record FlowTimeouts
{
    /// <summary>TCP connection without packets (tcp_inactivity_timeout).</summary>
    public TimeSpan Tcp { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>After both FINs or a RST (tcp_close_delay, tcp_reset_delay): later packets of the 4-tuple start a new flow.</summary>
    public TimeSpan TcpClosed { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>UDP (udp_inactivity_timeout).</summary>
    public TimeSpan Udp { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>ICMP and other IP protocols (icmp_inactivity_timeout).</summary>
    public TimeSpan Other { get; init; } = TimeSpan.FromMinutes(1);
}

/// <summary>Metadata of the frame a packet came in.</summary>
public readonly record struct PacketMeta(long TimestampNs, long Frame, long FrameLength, ulong EthSource, ulong EthDestination, int Vlan, int InnerVlan);

/// <summary>Receives each flow when it ends (FIN/RST and the close delay, timeout, reopening, end of input).</summary>
public interface IFlowSink
{
    void OnFlowEnd(Flow flow);
}

/// <summary>
/// The live flows, keyed both ways by <see cref="FlowKey"/>, and their expiry: one list per timeout class ordered by
/// last activity, so expiring is O(1) per flow and memory is bounded by the flows live at once, not by file size.
/// </summary>
public sealed class FlowTable
{
    private const int TcpFin = 0x001, TcpSyn = 0x002, TcpRst = 0x004, TcpAck = 0x010;
    private const int ListTcp = 0, ListTcpClosed = 1, ListUdp = 2, ListOther = 3, FixedLists = 4;

    private readonly Dictionary<FlowKey, Flow> _flows = new();

    // One expiry list per timeout: the four of FlowTimeouts, then one per application session timeout in use
    // (Flow.SessionTimeoutNs, e.g. DNS over UDP), added when a flow first needs it.
    private Flow?[] _heads = new Flow?[FixedLists];
    private Flow?[] _tails = new Flow?[FixedLists];
    private long[] _timeoutNs;
    private readonly IFlowSink _sink;
    private readonly string _captureId;
    private long _now = long.MinValue;

    public FlowTable(IFlowSink sink, string captureId, FlowTimeouts? timeouts = null)
    {
        _sink = sink;
        _captureId = captureId;
        timeouts ??= new FlowTimeouts();
        _timeoutNs = [Ns(timeouts.Tcp), Ns(timeouts.TcpClosed), Ns(timeouts.Udp), Ns(timeouts.Other)];
    }

    private static long Ns(TimeSpan t) => t.Ticks * 100;

    public int LiveFlows => _flows.Count;

    public long FlowsStarted { get; private set; }

    /// <summary>Ends the flows idle for longer than their timeout at time <paramref name="nowNs"/>.</summary>
    public void Expire(long nowNs)
    {
        for (int list = 0; list < _timeoutNs.Length; list++)
        {
            while (_heads[list] is { } head && nowNs - head.LastTs > _timeoutNs[list])
                End(head, FlowEndReason.Timeout);
        }
    }

    /// <summary>Ends every live flow (end of input), oldest first.</summary>
    public void Flush()
    {
        var all = _flows.Values.OrderBy(f => f.FirstFrame).ToList();
        foreach (var f in all)
            End(f, f.EndReasonAtFlush());
    }

    /// <summary>
    /// Accounts one packet (an IP level of a frame) to its flow, creating the flow when needed; returns the flow and
    /// whether the packet came from its originator. Null for a packet that is no flow's (no addresses).
    /// </summary>
    public Flow? Process(ref IpLevel ip, in PacketMeta meta, string? tunnelParent, out bool isOrig)
    {
        isOrig = true;
        if (meta.TimestampNs > _now)
        {
            // Time moves with the capture; interfaces may interleave slightly out of order, so only forward steps count.
            _now = meta.TimestampNs;
            Expire(_now);
        }

        int srcPort = ip.HasPorts ? ip.SourcePort : 0;
        int dstPort = ip.HasPorts ? ip.DestinationPort : 0;
        int extra = 0;
        if (ip.HasIcmp)
        {
            (srcPort, dstPort, _) = CommunityId.IcmpPorts(ip.Version, ip.IcmpType, ip.IcmpCode);
            extra = IsEcho(ip.Version, ip.IcmpType) ? ip.IcmpId : 0;
        }

        var key = FlowKey.Of(ip.Source, srcPort, ip.Destination, dstPort, ip.Protocol, meta.Vlan, meta.InnerVlan, extra, out bool srcIsA);
        bool tcp = ip.HasTcp && ip.Protocol == 6;
        int flags = ip.TcpFlags;
        if (_flows.TryGetValue(key, out var flow))
        {
            if (tcp && (flags & (TcpSyn | TcpAck | TcpRst)) == TcpSyn && Reopens(flow, srcIsA == flow.OrigIsA, ip.Seq))
            {
                End(flow, FlowEndReason.Reopened);
                flow = null;
            }
        }

        if (flow is null)
        {
            // The originator sent the first SYN; a SYN-ACK seen first means its receiver is the originator (Zeek
            // flips the connection and records '^').
            bool flipped = tcp && (flags & (TcpSyn | TcpAck)) == (TcpSyn | TcpAck);
            bool origIsA = flipped ? !srcIsA : srcIsA;
            flow = new Flow(key, origIsA, MakeUid(_captureId, meta.Frame, key), meta.TimestampNs, meta.Frame)
            {
                IpVersion = ip.Version,
                CaptureId = _captureId,
                TunnelParent = tunnelParent,
            };
            if (tcp)
            {
                flow.OrigTcp = new TcpDirection();
                flow.RespTcp = new TcpDirection();
                flow.StartSeen = (flags & (TcpSyn | TcpAck)) == TcpSyn;
                if (flipped)
                    flow.History.Once(ZeekHistory.Flipped, true);
            }

            if (ip.HasIcmp)
            {
                flow.IcmpType = ip.IcmpType;
                flow.IcmpCode = ip.IcmpCode;
            }

            _flows.Add(key, flow);
            FlowsStarted++;
        }

        isOrig = srcIsA == flow.OrigIsA;
        ref FlowSide side = ref isOrig ? ref flow.Orig : ref flow.Resp;
        side.Packets++;
        side.IpBytes += ip.TotalLength;
        side.FrameBytes += meta.FrameLength;
        if (side.L2Address == 0)
            side.L2Address = meta.EthSource;
        ref FlowSide other = ref isOrig ? ref flow.Resp : ref flow.Orig;
        if (other.L2Address == 0)
            other.L2Address = meta.EthDestination;
        if (meta.TimestampNs > flow.LastTs)
            flow.LastTs = meta.TimestampNs;
        flow.LastFrame = meta.Frame;
        if (tcp)
            Tcp(flow, isOrig, ref ip, meta.TimestampNs);
        else if (ip.PayloadLength > 0)
            side.PayloadBytes += ip.PayloadLength;
        else if (ip.HasIcmp)
            side.PayloadBytes += Math.Max(0, ip.TotalLength - ip.HeaderLength - IcmpHeaderLength);

        Touch(flow, ListOf(flow));
        return flow;
    }

    private const int IcmpHeaderLength = 8;

    private static bool IsEcho(int version, int type) => version == 4 ? type is 0 or 8 : type is 128 or 129;

    private static bool Reopens(Flow flow, bool fromOrig, uint seq)
    {
        if (flow.Closed)
            return true;
        // A new SYN from the originator with another ISN after the connection was established: a new connection
        // on the same 4-tuple (the old one's end was not captured).
        var o = flow.OrigTcp!;
        return fromOrig && o.SynSeen && seq != o.Isn && o.State is TcpEndpointState.Established or TcpEndpointState.Closed;
    }

    private static void Tcp(Flow flow, bool isOrig, ref IpLevel ip, long ts)
    {
        var me = isOrig ? flow.OrigTcp! : flow.RespTcp!;
        var peer = isOrig ? flow.RespTcp! : flow.OrigTcp!;
        int flags = ip.TcpFlags;
        bool syn = (flags & TcpSyn) != 0, ack = (flags & TcpAck) != 0, fin = (flags & TcpFin) != 0, rst = (flags & TcpRst) != 0;
        int payload = Math.Max(0, ip.PayloadLength);

        if (syn && (rst || fin))
            flow.History.Once(ZeekHistory.MultiFlag, isOrig);
        if (syn)
        {
            flow.History.Once(ack ? ZeekHistory.SynAck : ZeekHistory.Syn, isOrig);
            if (!me.SynSeen || (me.State is TcpEndpointState.SynSent or TcpEndpointState.SynAckSent && ip.Seq != me.Isn))
            {
                me.SynSeen = true;
                me.Isn = ip.Seq;
                me.StartAt(ip.Seq + 1);
            }
            else if (ip.Seq == me.Isn)
            {
                me.RetransmittedPackets++;
            }

            if (!ack)
            {
                if (me.State is TcpEndpointState.Inactive)
                    me.State = TcpEndpointState.SynSent;
                if (isOrig && flow.SynTs == 0)
                    flow.SynTs = ts;
            }
            else
            {
                if (me.State is TcpEndpointState.Inactive or TcpEndpointState.SynSent)
                    me.State = TcpEndpointState.SynAckSent;
                if (peer.State == TcpEndpointState.SynSent)
                {
                    me.State = TcpEndpointState.Established;
                    peer.State = TcpEndpointState.Established;
                }

                if (!isOrig && flow.SynAckTs == 0)
                    flow.SynAckTs = ts;
            }
        }

        if (rst)
        {
            flow.History.Once(ZeekHistory.Reset, isOrig);
            me.State = TcpEndpointState.Reset;
        }
        else if (fin)
        {
            flow.History.Once(ZeekHistory.Fin, isOrig);
        }

        // A keep-alive probe's byte is not data, and not a retransmission either.
        bool keepAlive = payload == 1 && !syn && !fin && !rst && me.IsKeepAlive(ip.Seq, payload);
        if (payload > 0 && !keepAlive)
            flow.History.Once(ZeekHistory.Data, isOrig);
        else if (ack && !syn && !fin && !rst)
            flow.History.Once(ZeekHistory.Ack, isOrig);
        if (ip.Window == 0 && !rst && !syn)
        {
            me.ZeroWindows++;
            flow.History.Repeated(ZeekHistory.ZeroWindow, isOrig);
        }

        if (!syn && !rst)
        {
            if (me.State == TcpEndpointState.Inactive)
                me.State = TcpEndpointState.Partial;
            if (ack && isOrig && flow.SynAckTs > 0 && flow.HandshakeAckTs == 0)
                flow.HandshakeAckTs = ts;
        }

        if (payload > 0 || fin)
        {
            if (!me.Started)
                me.StartAt(syn ? ip.Seq + 1 : ip.Seq);
            long start = me.Relative(syn ? ip.Seq + 1 : ip.Seq);
            if (payload > 0 && !keepAlive)
            {
                var kind = me.Segment(start, payload, out _);
                if (kind == TcpDirection.SegmentKind.Retransmission)
                    flow.History.Repeated(ZeekHistory.Retransmission, isOrig);
            }

            if (fin && !rst)
            {
                me.FinSeen = true;
                me.FinAt = start + payload;
                if (me.State != TcpEndpointState.Reset)
                    me.State = TcpEndpointState.Closed;
            }
        }
    }

    private int ListOf(Flow flow) => flow.Key.Protocol switch
    {
        6 when flow.OrigTcp is not null => flow.Closed ? ListTcpClosed : ListTcp,
        // A dissector's session timeout only shortens the UDP one (IStreamDissector.UdpSessionTimeout).
        17 when flow.SessionTimeoutNs > 0 && flow.SessionTimeoutNs < _timeoutNs[ListUdp] => SessionList(flow.SessionTimeoutNs),
        17 => ListUdp,
        _ => ListOther,
    };

    /// <summary>The expiry list of an application session timeout, created on first use.</summary>
    private int SessionList(long timeoutNs)
    {
        for (int list = FixedLists; list < _timeoutNs.Length; list++)
        {
            if (_timeoutNs[list] == timeoutNs)
                return list;
        }

        int added = _timeoutNs.Length;
        Array.Resize(ref _timeoutNs, added + 1);
        Array.Resize(ref _heads, added + 1);
        Array.Resize(ref _tails, added + 1);
        _timeoutNs[added] = timeoutNs;
        return added;
    }

    /// <summary>
    /// Moves a flow to the expiry list its state now calls for, when that changed after the flow was touched for the
    /// current packet (a stream dissector confirming it set <see cref="Flow.SessionTimeoutNs"/>); its last activity is
    /// the current packet, so it goes to the list's end.
    /// </summary>
    internal void Relist(Flow flow)
    {
        int list = ListOf(flow);
        if (flow.ExpiryList >= 0 && flow.ExpiryList != list)
            Touch(flow, list);
    }

    private void Touch(Flow flow, int list)
    {
        Unlink(flow);
        flow.ExpiryList = list;
        flow.Prev = _tails[list];
        flow.Next = null;
        if (_tails[list] is { } tail)
            tail.Next = flow;
        else
            _heads[list] = flow;
        _tails[list] = flow;
    }

    private void Unlink(Flow flow)
    {
        int list = flow.ExpiryList;
        if (list < 0)
            return;
        if (flow.Prev is { } p)
            p.Next = flow.Next;
        else
            _heads[list] = flow.Next;
        if (flow.Next is { } n)
            n.Prev = flow.Prev;
        else
            _tails[list] = flow.Prev;
        flow.Prev = flow.Next = null;
        flow.ExpiryList = -1;
    }

    private void End(Flow flow, FlowEndReason reason)
    {
        Unlink(flow);
        _flows.Remove(flow.Key);
        flow.EndReason = reason == FlowEndReason.Timeout && flow.Closed ? flow.EndReasonAtFlush() : reason;
        FinishHistory(flow);
        _sink.OnFlowEnd(flow);
    }

    private static void FinishHistory(Flow flow)
    {
        // Content gaps are known for sure only when the flow ends: a hole may still be filled by a late segment.
        if (flow.OrigTcp is { MissingBytes: > 0 })
            flow.History.Repeated(ZeekHistory.Gap, true);
        if (flow.RespTcp is { MissingBytes: > 0 })
            flow.History.Repeated(ZeekHistory.Gap, false);
    }

    /// <summary>
    /// A flow uid that is the same on every run over the same input: "C" and 17 base-62 digits of a 128-bit xxHash of
    /// the capture id, the flow's first frame number and its key.
    /// </summary>
    internal static string MakeUid(string captureId, long firstFrame, in FlowKey key)
    {
        // The hashed bytes are the capture id's UTF-8 and then the frame and the key; hashed in one call over one stack
        // buffer, so a new flow allocates only its uid string (a capture id is a short fingerprint; a longer one is
        // hashed the same way from the heap).
        const int keyBytes = 64;
        int idBytes = System.Text.Encoding.UTF8.GetByteCount(captureId);
        Span<byte> buffer = idBytes <= 192 ? stackalloc byte[192 + keyBytes] : new byte[idBytes + keyBytes];
        System.Text.Encoding.UTF8.GetBytes(captureId, buffer);
        int n = idBytes;
        BinaryPrimitives.WriteInt64LittleEndian(buffer[n..], firstFrame);
        n += 8;
        BinaryPrimitives.WriteUInt64LittleEndian(buffer[n..], key.A.High);
        BinaryPrimitives.WriteUInt64LittleEndian(buffer[(n + 8)..], key.A.Low);
        BinaryPrimitives.WriteUInt64LittleEndian(buffer[(n + 16)..], key.B.High);
        BinaryPrimitives.WriteUInt64LittleEndian(buffer[(n + 24)..], key.B.Low);
        n += 32;
        BinaryPrimitives.WriteInt32LittleEndian(buffer[n..], key.PortA);
        BinaryPrimitives.WriteInt32LittleEndian(buffer[(n + 4)..], key.PortB);
        BinaryPrimitives.WriteInt32LittleEndian(buffer[(n + 8)..], key.Protocol);
        BinaryPrimitives.WriteInt32LittleEndian(buffer[(n + 12)..], key.Extra);
        BinaryPrimitives.WriteInt32LittleEndian(buffer[(n + 16)..], key.Vlan);
        BinaryPrimitives.WriteInt32LittleEndian(buffer[(n + 20)..], key.InnerVlan);
        n += 24;
        UInt128 value = XxHash128.HashToUInt128(buffer[..n]);
        const string digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        Span<char> text = stackalloc char[18];
        text[0] = 'C';
        for (int i = 1; i < text.Length; i++)
        {
            text[i] = digits[(int)(value % 62)];
            value /= 62;
        }

        return new string(text);
    }
}
