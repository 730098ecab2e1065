using System.Net;

namespace PcapForge.Frontends.Sockets;

/// <summary>Which side of its traffic a socket is on, as far as <c>/proc</c> tells.</summary>
public enum SocketRole
{
    /// <summary>A TCP socket in LISTEN, or a UDP socket without a peer: it waits for others.</summary>
    Listener,

    /// <summary>A connection whose local port is a listening port of the same family and address: it was accepted, so the peer opened it.</summary>
    Responder,

    /// <summary>Any other connection: taken as opened from here (connect).</summary>
    Originator,
}

/// <summary>
/// The machine's TCP and UDP sockets at one moment: <c>/proc/net</c>'s tables, and, when asked, the process holding
/// each socket.
/// </summary>
public sealed class SocketSnapshot
{
    private readonly HashSet<(SocketTransport, bool, int)> _listenerPorts = new();
    private readonly HashSet<(SocketTransport, bool, int, IPAddress)> _listenerEndpoints = new();

    private SocketSnapshot(long timestamp, ProcNetSnapshot tables, SocketOwners? owners)
    {
        Timestamp = timestamp;
        Sockets = tables.Sockets;
        Problems = tables.Problems;
        Owners = owners;
        foreach (var s in Sockets)
        {
            if (!IsListener(s))
                continue;
            if (SocketEntry.IsUnspecified(s.LocalAddress))
                _listenerPorts.Add((s.Transport, s.Inet6, s.LocalPort));
            else
                _listenerEndpoints.Add((s.Transport, s.Inet6, s.LocalPort, s.LocalAddress));
        }
    }

    /// <summary>When the tables were read: nanoseconds since the Unix epoch, UTC.</summary>
    public long Timestamp { get; }

    /// <summary>Every socket of the tables read, in netstat's order.</summary>
    public IReadOnlyList<SocketEntry> Sockets { get; }

    /// <summary>Lines or tables that could not be read.</summary>
    public IReadOnlyList<string> Problems { get; }

    /// <summary>The processes holding the sockets, when they were looked up.</summary>
    public SocketOwners? Owners { get; }

    /// <summary>
    /// Reads the tables (and with <paramref name="owners"/> the processes) under <paramref name="procRoot"/>, stamped
    /// with <paramref name="clock"/>'s time before reading.
    /// </summary>
    public static SocketSnapshot Take(IEnumerable<ProcNetTable>? tables = null, bool owners = true, string procRoot = ProcNetSockets.DefaultProcRoot, TimeProvider? clock = null)
    {
        long timestamp = (clock ?? TimeProvider.System).GetUtcNow().UtcTicks;
        timestamp = (timestamp - DateTime.UnixEpoch.Ticks) * 100;
        var read = ProcNetSockets.Read(procRoot, tables);
        return new SocketSnapshot(timestamp, read, owners ? SocketOwners.Read(procRoot) : null);
    }

    /// <summary>A snapshot of given sockets (tests, other frontends).</summary>
    public static SocketSnapshot Of(long timestamp, IReadOnlyList<SocketEntry> sockets, SocketOwners? owners = null) =>
        new(timestamp, new ProcNetSnapshot(sockets, []), owners);

    /// <summary>The process holding the socket, or null.</summary>
    public SocketOwner? OwnerOf(SocketEntry entry) => Owners?.Of(entry.Inode);

    private static bool IsListener(SocketEntry s) =>
        s.Transport == SocketTransport.Tcp ? s.State == SocketEntry.Listen : SocketEntry.IsUnspecified(s.RemoteAddress);

    /// <summary>
    /// The socket's side. /proc does not say who opened a connection, so the rule is: a connection whose local port is
    /// listened on by a socket of the same table (same transport and family) on the same or the unspecified address
    /// was accepted there (an accepted socket keeps its listener's port and family); any other connection was opened
    /// from here. A connection that outlives its listener (TIME_WAIT after the server stopped) is taken as opened from
    /// here, and so is a client that happens to bind a listening port.
    /// </summary>
    public SocketRole RoleOf(SocketEntry entry)
    {
        if (IsListener(entry))
            return SocketRole.Listener;
        if (_listenerPorts.Contains((entry.Transport, entry.Inet6, entry.LocalPort))
            || _listenerEndpoints.Contains((entry.Transport, entry.Inet6, entry.LocalPort, entry.LocalAddress)))
            return SocketRole.Responder;
        return SocketRole.Originator;
    }
}
