namespace PcapForge.Abstractions.Dissection;

/// <summary>
/// A packet dissector: decodes one layer of a frame. Implementations are exported with
/// <see cref="DissectorExportAttribute"/> and found by the host in the plugins folder.
/// </summary>
public interface IDissector
{
    /// <summary>Declares the protocol, its fields, anomalies and tables, and attaches to parents. Called once.</summary>
    void Declare(IDissectorSetup setup);

    /// <summary>
    /// Decodes the layer at the start of <paramref name="data"/> (from this layer to the end of the captured bytes).
    /// Must not throw for any input: a header that lies is an anomaly. Must not allocate on the frame path.
    /// </summary>
    DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data);
}

/// <summary>
/// A dissector of a connection's payload, with state per flow (HTTP, SSH, SMTP, DNS), as Zeek's analyzers: over TCP
/// it receives reassembled bytes per direction with explicit gaps (DeliverStream/Undelivered); over UDP one call per
/// datagram (DeliverPacket). It attaches to <c>tcp.port</c> / <c>udp.port</c> with
/// <see cref="IDissectorSetup.AttachTo"/>, or to every flow of a transport with
/// <see cref="IDissectorSetup.AttachHeuristic"/>(<c>"tcp"</c> or <c>"udp"</c>), and is offered a flow until it
/// confirms or rejects. A parser is called by one thread at a time; different flows may be parsed on different threads.
/// </summary>
public interface IStreamDissector
{
    /// <summary>Declares the protocol, fields, anomalies and record tables, and attaches to tcp.port or the tcp heuristic list.</summary>
    void Declare(IDissectorSetup setup);

    /// <summary>
    /// Creates the per-connection state; called when the flow's first bytes (or a gap before any) reach this
    /// dissector and <see cref="Probe"/> did not refuse them. A flow that never carries a byte gets no parser.
    /// </summary>
    IStreamParser CreateParser(StreamContext context);

    /// <summary>
    /// The heuristic's first look, before any parser is made: the first bytes of a flow offered to this dissector (a
    /// TCP flow's first in-order bytes in either direction, or its first UDP datagram). False when they cannot start
    /// this protocol: no parser is made, and the flow is never offered to this dissector again. True (the default)
    /// makes the parser, which receives the same bytes. Most flows an engine offers to heuristic dissectors are not
    /// theirs, so this saves a parser per flow (Wireshark's heuristic dissectors and Zeek's signatures decide the same
    /// way). It may answer true when unsure (a first segment of one byte), but must not refuse bytes the parser would
    /// accept. Must not throw; called by one thread at a time per flow, by several threads for different flows.
    /// </summary>
    bool Probe(in StreamProbe first) => true;

    /// <summary>
    /// Over UDP, how long a flow this dissector confirmed (<see cref="StreamContext.Confirm"/>) may stay idle before it
    /// ends, when that is shorter than the UDP inactivity timeout: for DNS, Zeek's <c>dns_session_timeout</c> (10 s),
    /// so that a resolver's thousands of one-query flows do not all wait a minute. Null: the UDP timeout.
    /// </summary>
    TimeSpan? UdpSessionTimeout => null;
}

/// <summary>What <see cref="IStreamDissector.Probe"/> is shown of a flow: its first bytes and how they came.</summary>
public readonly ref struct StreamProbe
{
    public StreamProbe(StreamDirection direction, ReadOnlySpan<byte> data, bool isDatagram, bool offeredByPort)
    {
        Direction = direction;
        Data = data;
        IsDatagram = isDatagram;
        OfferedByPort = offeredByPort;
    }

    /// <summary>Which side sent them.</summary>
    public StreamDirection Direction { get; }

    /// <summary>The first in-order bytes of the flow (as many as its first segment carried), or its first datagram.</summary>
    public ReadOnlySpan<byte> Data { get; }

    /// <summary>True over UDP (<see cref="StreamContext.IsDatagram"/>).</summary>
    public bool IsDatagram { get; }

    /// <summary>True when the flow is offered by a port attachment (<see cref="StreamContext.OfferedByPort"/>).</summary>
    public bool OfferedByPort { get; }
}

/// <summary>Per-connection parser of a stream protocol.</summary>
public interface IStreamParser
{
    /// <summary>
    /// In-order bytes of one direction. Returns how many bytes it consumed; the rest is offered again with more
    /// (return 0 for "incomplete": nothing is lost). Over UDP (<see cref="StreamContext.IsDatagram"/>) each call is
    /// one whole datagram and the return value is ignored.
    /// </summary>
    int OnData(StreamDirection direction, ReadOnlySpan<byte> data);

    /// <summary>The capture lost <paramref name="length"/> bytes of one direction at this point.</summary>
    void OnGap(StreamDirection direction, long length);

    /// <summary>The connection ended (FIN, RST, timeout or end of input).</summary>
    void OnEnd();
}

/// <summary>Direction of stream bytes: from the side that opened the connection, or from the other side.</summary>
public enum StreamDirection
{
    FromOriginator,
    FromResponder,
}

/// <summary>What a stream parser is told about its connection (filled by the flow engine).</summary>
public abstract class StreamContext
{
    /// <summary>True when the flow is UDP: <see cref="IStreamParser.OnData"/> receives one datagram per call, no gaps.</summary>
    public virtual bool IsDatagram => false;

    /// <summary>
    /// True when the flow was offered because of a port attachment (tcp.port 22), false when only by the heuristic
    /// list: a parser may record a peer that breaks the protocol on its own port, and reject it elsewhere.
    /// </summary>
    public virtual bool OfferedByPort => false;

    /// <summary>The flow's uid, to join records to the flows table.</summary>
    public abstract string FlowUid { get; }

    /// <summary>Number of the frame whose bytes are being delivered.</summary>
    public abstract long CurrentFrame { get; }

    /// <summary>Timestamp (ns) of the frame whose bytes are being delivered.</summary>
    public abstract long CurrentTimestampNs { get; }

    public abstract void Report(AnomalyHandle anomaly, string detail);

    /// <summary>Where the parser writes its records (one row per transaction); the host fills flow_uid and capture_id.</summary>
    public abstract Records.IRecordSink Records { get; }

    /// <summary>Says that the protocol was recognised on this flow (fills flows.service).</summary>
    public abstract void Confirm();

    /// <summary>
    /// Says that the parser wants no more bytes of this flow (Zeek's SetSkip): after STARTTLS, or past an SSH
    /// NEWKEYS when nothing more is counted. The engine stops reassembling for it; <see cref="IStreamParser.OnEnd"/>
    /// is still called, so the parser can write its record then.
    /// </summary>
    public virtual void StopDelivery()
    {
    }

    /// <summary>Says that this is not the protocol after all; the parser is dropped.</summary>
    public abstract void Reject(string reason);
}
