namespace PcapForge.Flows;

/// <summary>Why a flow record was closed.</summary>
public enum FlowEndReason
{
    EndOfInput,
    Fin,
    Reset,
    Timeout,

    /// <summary>A SYN opened a new connection on the 4-tuple of a closed one.</summary>
    Reopened,
}

/// <summary>Counters of one side of a flow.</summary>
public struct FlowSide
{
    public long Packets;
    public long IpBytes;

    /// <summary>Payload bytes summed over packets (UDP, ICMP; TCP uses sequence numbers instead).</summary>
    public long PayloadBytes;

    /// <summary>Frame bytes (on the wire): what tshark's conversation table counts.</summary>
    public long FrameBytes;

    public ulong L2Address;
}

/// <summary>
/// One bidirectional flow: its key, which side originated it, counters per side, and for TCP both endpoints' state.
/// Lives in the <see cref="FlowTable"/> while active; handed to the sink when it ends.
/// </summary>
public sealed class Flow
{
    internal Flow(FlowKey key, bool origIsA, string uid, long firstTs, long firstFrame)
    {
        Key = key;
        OrigIsA = origIsA;
        Uid = uid;
        FirstTs = LastTs = firstTs;
        FirstFrame = LastFrame = firstFrame;
    }

    public FlowKey Key { get; }

    /// <summary>True when the originator is side A of <see cref="Key"/>.</summary>
    public bool OrigIsA { get; }

    /// <summary>Stable identifier (<c>flow_uid</c>).</summary>
    public string Uid { get; }

    public int IpVersion { get; internal set; }

    public long FirstTs { get; internal set; }
    public long LastTs { get; internal set; }
    public long FirstFrame { get; internal set; }
    public long LastFrame { get; internal set; }

    public FlowSide Orig;
    public FlowSide Resp;

    /// <summary>ICMP: the type and code of the originator's first message (Zeek logs them as orig_p and resp_p).</summary>
    public int IcmpType { get; internal set; }
    public int IcmpCode { get; internal set; }

    public ZeekHistory History { get; } = new();

    /// <summary>TCP: the originator's and responder's directions; null for other protocols.</summary>
    public TcpDirection? OrigTcp { get; internal set; }
    public TcpDirection? RespTcp { get; internal set; }

    /// <summary>True when the start of the flow is in the capture (a SYN for TCP).</summary>
    public bool StartSeen { get; internal set; } = true;

    /// <summary>TCP: time of the SYN, the SYN-ACK and the ACK completing the handshake (ns; 0 when not seen).</summary>
    internal long SynTs, SynAckTs, HandshakeAckTs;

    /// <summary>Seconds from SYN to the ACK of the SYN-ACK, when the whole handshake was seen.</summary>
    public double? HandshakeRtt => SynTs > 0 && HandshakeAckTs >= SynTs && SynAckTs > 0 ? (HandshakeAckTs - SynTs) / 1e9 : null;

    /// <summary>Application protocol confirmed by a stream dissector (flows.service).</summary>
    public string? Service { get; set; }

    /// <summary>uid of the flow that carried this one (a tunnel), or null.</summary>
    public string? TunnelParent { get; internal set; }

    public FlowEndReason EndReason { get; internal set; }

    /// <summary>Capture the flow belongs to.</summary>
    public string CaptureId { get; internal set; } = "";

    /// <summary>Per-flow state of the stream dissectors and reassembly, when any is attached.</summary>
    internal object? Streams { get; set; }

    // Expiry list links (FlowTable).
    internal Flow? Prev, Next;
    internal int ExpiryList = -1;

    /// <summary>
    /// UDP: the inactivity timeout a stream dissector that confirmed the flow asks for
    /// (<see cref="PcapForge.Abstractions.Dissection.IStreamDissector.UdpSessionTimeout"/>), in ns; 0 for the UDP
    /// timeout.
    /// </summary>
    internal long SessionTimeoutNs;

    /// <summary>True once both FINs or a RST were seen: a new SYN then opens a new flow.</summary>
    public bool Closed => OrigTcp is { } o && RespTcp is { } r &&
        (o.State == TcpEndpointState.Reset || r.State == TcpEndpointState.Reset || (o.State == TcpEndpointState.Closed && r.State == TcpEndpointState.Closed));

    /// <summary>The end reason of a flow still open when it is written: fin or rst when it was closed, else end of input.</summary>
    internal FlowEndReason EndReasonAtFlush() =>
        !Closed ? FlowEndReason.EndOfInput
        : OrigTcp!.State == TcpEndpointState.Reset || RespTcp!.State == TcpEndpointState.Reset ? FlowEndReason.Reset : FlowEndReason.Fin;

    public IpAddress128 OrigAddress => OrigIsA ? Key.A : Key.B;
    public IpAddress128 RespAddress => OrigIsA ? Key.B : Key.A;
    public int OrigPort => OrigIsA ? Key.PortA : Key.PortB;
    public int RespPort => OrigIsA ? Key.PortB : Key.PortA;

    public string Proto => Key.Protocol switch
    {
        6 => "tcp",
        17 => "udp",
        1 or 58 => "icmp",
        _ => "unknown_transport",
    };

    /// <summary>Payload bytes the originator sent (TCP: the sequence space covered).</summary>
    public long OrigBytes => OrigTcp is { } t ? t.PayloadBytes : Orig.PayloadBytes;

    public long RespBytes => RespTcp is { } t ? t.PayloadBytes : Resp.PayloadBytes;

    public long MissedBytes => (OrigTcp?.MissingBytes ?? 0) + (RespTcp?.MissingBytes ?? 0);

    /// <summary>
    /// Zeek's conn_state, from the two endpoints' states as in base/protocols/conn/main.zeek (conn_state()). For UDP
    /// and ICMP: SF when both sides sent, S0 when only the originator did.
    /// </summary>
    public string ConnState
    {
        get
        {
            if (OrigTcp is not { } o || RespTcp is not { } r)
                return Resp.Packets > 0 ? "SF" : "S0";
            var os = o.State;
            var rs = r.State;
            bool oInactive = os is TcpEndpointState.Inactive or TcpEndpointState.Partial;
            bool rInactive = rs is TcpEndpointState.Inactive or TcpEndpointState.Partial;
            if (rs == TcpEndpointState.Reset)
            {
                if (os is TcpEndpointState.SynSent or TcpEndpointState.SynAckSent ||
                    (os == TcpEndpointState.Reset && o.PayloadBytes == 0 && r.PayloadBytes == 0 && SynAckTs == 0))
                    return "REJ";
                return oInactive ? "RSTRH" : "RSTR";
            }

            if (os == TcpEndpointState.Reset)
                return rInactive ? "RSTOS0" : "RSTO";
            if (rs == TcpEndpointState.Closed && os == TcpEndpointState.Closed)
                return "SF";
            if (os == TcpEndpointState.Closed)
                return rInactive ? "SH" : "S2";
            if (rs == TcpEndpointState.Closed)
                return oInactive ? "SHR" : "S3";
            if (os == TcpEndpointState.SynSent && rs == TcpEndpointState.Inactive)
                return "S0";
            if (os == TcpEndpointState.Established && rs == TcpEndpointState.Established)
                return "S1";
            return "OTH";
        }
    }
}
