using PcapForge.Scan.Services;
using PcapForge.Scan.Targets;

namespace PcapForge.Scan.Scanning;

/// <summary>A port's state as nmap reports it for a connect scan (nmap(1), "Port Scanning Basics").</summary>
public enum PortState
{
    /// <summary>connect() succeeded: something accepts connections there.</summary>
    Open,

    /// <summary>connect() was refused (a RST answered the SYN): reachable, nothing listens.</summary>
    Closed,

    /// <summary>No answer within the timeout, or an ICMP error: something in the way drops or rejects the probe.</summary>
    Filtered,
}

/// <summary>What one port of one target gave.</summary>
/// <param name="Target">The address scanned.</param>
/// <param name="Port">The TCP port.</param>
/// <param name="State">open, closed or filtered.</param>
/// <param name="Reason">
/// Why, in nmap's words: <c>syn-ack</c> (connected), <c>conn-refused</c>, <c>no-response</c> (timed out),
/// <c>host-unreach</c>, <c>net-unreach</c>, <c>admin-prohibited</c> (a local firewall refused to send).
/// </param>
/// <param name="Timestamp">When the connect() finished, nanoseconds since the Unix epoch.</param>
/// <param name="ConnectTime">How long connect() took until it succeeded or was refused; null for a filtered port.</param>
public sealed record PortResult(ScanTarget Target, int Port, PortState State, string Reason, long Timestamp, TimeSpan? ConnectTime)
{
    /// <summary>The handshake's round-trip time as the kernel measured it (open ports, Linux); null otherwise.</summary>
    public TimeSpan? Rtt { get; init; }

    /// <summary>The best measure of the host's latency this port gave: the kernel's RTT, else the connect time.</summary>
    public TimeSpan? Latency => Rtt ?? ConnectTime;

    /// <summary>What service detection found (-sV, open ports only); null without it.</summary>
    public ServiceInfo? Service { get; init; }

    /// <summary>The state as nmap writes it: open, closed, filtered.</summary>
    public string StateName => State switch
    {
        PortState.Open => "open",
        PortState.Closed => "closed",
        _ => "filtered",
    };
}
