using System.Net;

namespace PcapForge.Frontends.Sockets;

/// <summary>The transport of a socket table in <c>/proc/net</c>.</summary>
public enum SocketTransport
{
    Tcp,
    Udp,
}

/// <summary>
/// One line of <c>/proc/net/tcp</c>, <c>tcp6</c>, <c>udp</c> or <c>udp6</c>, decoded (kernel
/// Documentation/networking/proc_net_tcp.rst; the UDP files share the layout).
/// </summary>
/// <param name="Transport">TCP or UDP.</param>
/// <param name="Inet6">From <c>tcp6</c>/<c>udp6</c>: an AF_INET6 socket, which may carry IPv4 through IPv4-mapped addresses.</param>
/// <param name="LocalAddress">The local address as the kernel holds it (for an AF_INET6 socket possibly <c>::ffff:a.b.c.d</c>).</param>
/// <param name="LocalPort">The local port.</param>
/// <param name="RemoteAddress">The peer's address; all zero when the socket has no peer.</param>
/// <param name="RemotePort">The peer's port; 0 when the socket has no peer.</param>
/// <param name="State">The kernel's state number (<c>st</c>, include/net/tcp_states.h; UDP uses 1 for connected and 7 otherwise).</param>
/// <param name="TxQueue">tx_queue: for TCP the bytes sent and not yet acknowledged, for UDP the send buffer in use.</param>
/// <param name="RxQueue">rx_queue: for a TCP listener the connections waiting in the accept queue, for another TCP socket the bytes received and not yet read, for UDP the receive buffer in use.</param>
/// <param name="Uid">The owner's effective user id.</param>
/// <param name="Inode">The socket's inode, which <c>/proc/PID/fd/N</c> links to as <c>socket:[INODE]</c>; 0 for entries without a socket (TIME_WAIT, pending SYN_RECV).</param>
public sealed record SocketEntry(
    SocketTransport Transport,
    bool Inet6,
    IPAddress LocalAddress,
    int LocalPort,
    IPAddress RemoteAddress,
    int RemotePort,
    int State,
    long TxQueue,
    long RxQueue,
    long Uid,
    long Inode)
{
    /// <summary>Kernel TCP states (include/net/tcp_states.h).</summary>
    public const int Established = 1, Close = 7, Listen = 10;

    /// <summary>netstat's Proto column: tcp, tcp6, udp, udp6.</summary>
    public string NetstatProto => (Transport, Inet6) switch
    {
        (SocketTransport.Tcp, false) => "tcp",
        (SocketTransport.Tcp, true) => "tcp6",
        (SocketTransport.Udp, false) => "udp",
        _ => "udp6",
    };

    /// <summary>tcp or udp, as the <c>proto</c> column of <c>flows</c>.</summary>
    public string Proto => Transport == SocketTransport.Tcp ? "tcp" : "udp";

    /// <summary>
    /// netstat's test for a "server" socket, the one <c>-l</c> shows and the default hides (net-tools netstat.c,
    /// tcp_do_one and udp_do_one): for TCP a remote port of 0, for UDP an all-zero remote address.
    /// </summary>
    public bool IsServer => Transport == SocketTransport.Tcp ? RemotePort == 0 : IsUnspecified(RemoteAddress);

    /// <summary>The local address as the traffic carries it: IPv4 for an IPv4-mapped address.</summary>
    public IPAddress LocalOnWire => Unmapped(LocalAddress);

    /// <summary>The remote address as the traffic carries it: IPv4 for an IPv4-mapped address.</summary>
    public IPAddress RemoteOnWire => Unmapped(RemoteAddress);

    /// <summary>
    /// The IP version of the socket's traffic: 4 for an AF_INET socket and for an AF_INET6 socket bound or connected
    /// through an IPv4-mapped address (its packets are IPv4), 6 otherwise.
    /// </summary>
    public int IpVersion => !Inet6 || LocalAddress.IsIPv4MappedToIPv6 || RemoteAddress.IsIPv4MappedToIPv6 ? 4 : 6;

    public static IPAddress Unmapped(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    public static bool IsUnspecified(IPAddress address) => address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);
}
