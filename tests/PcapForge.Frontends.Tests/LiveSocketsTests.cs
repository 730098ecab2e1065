using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using PcapForge.Frontends.Sockets;

namespace PcapForge.Frontends.Tests;

/// <summary>
/// Sockets this test process opens on loopback (TCP and UDP, IPv4, IPv6 and IPv4 through a dual-stack IPv6 socket)
/// are found in the machine's real /proc with this process's PID and the right states and queues, and agree with
/// <c>ss -tuanp</c> and <c>netstat -tuanp</c> run at the same moment.
/// </summary>
public sealed partial class LiveSocketsTests
{
    private const int Backlog = 8, PendingConnections = 2, UnreadBytes = 100;

    /// <summary>Every socket of the scenario, with what /proc must say about it.</summary>
    private sealed record Expected(string Name, SocketTransport Transport, bool Inet6, IPEndPoint Local, IPEndPoint? Remote, string State, bool Owned, SocketRole Role);

    /// <summary>The open sockets of the scenario; disposing closes them all.</summary>
    private sealed class Scenario : IDisposable
    {
        private readonly List<Socket> _sockets = new();

        public List<Expected> Expected { get; } = new();

        public Socket Listener4 { get; private set; } = null!;

        public Socket Accepted4 { get; private set; } = null!;

        public Socket UdpServer4 { get; private set; } = null!;

        public static Scenario Open()
        {
            var s = new Scenario();
            try
            {
                s.OpenAll();
            }
            catch
            {
                s.Dispose();
                throw;
            }

            return s;
        }

        private Socket Keep(Socket socket)
        {
            _sockets.Add(socket);
            return socket;
        }

        private void OpenAll()
        {
            // TCP over IPv4: a listener, a connection accepted from it (with bytes left unread on the server side),
            // and connections left in the accept queue, which no process holds yet.
            Listener4 = Listen(AddressFamily.InterNetwork, IPAddress.Loopback);
            var client4 = Connect(AddressFamily.InterNetwork, Listener4);
            Accepted4 = Keep(Listener4.Accept());
            client4.Send(new byte[UnreadBytes]);
            WaitFor(() => Accepted4.Available == UnreadBytes);
            Add("tcp listener", Listener4, null, "LISTEN", SocketRole.Listener);
            Add("tcp client", client4, Listener4, "ESTABLISHED", SocketRole.Originator);
            Add("tcp accepted", Accepted4, client4, "ESTABLISHED", SocketRole.Responder);

            var pending = Listen(AddressFamily.InterNetwork, IPAddress.Loopback);
            Add("tcp listener with a queue", pending, null, "LISTEN", SocketRole.Listener);
            for (int i = 0; i < PendingConnections; i++)
            {
                var waiting = Connect(AddressFamily.InterNetwork, pending);
                Add($"tcp client {i} waiting to be accepted", waiting, pending, "ESTABLISHED", SocketRole.Originator);
                Expected.Add(new Expected($"tcp queued {i}", SocketTransport.Tcp, false, (IPEndPoint)pending.LocalEndPoint!, (IPEndPoint)waiting.LocalEndPoint!,
                    "ESTABLISHED", Owned: false, SocketRole.Responder));
            }

            // TCP over IPv6.
            var listener6 = Listen(AddressFamily.InterNetworkV6, IPAddress.IPv6Loopback);
            var client6 = Connect(AddressFamily.InterNetworkV6, listener6);
            var accepted6 = Keep(listener6.Accept());
            Add("tcp6 listener", listener6, null, "LISTEN", SocketRole.Listener);
            Add("tcp6 client", client6, listener6, "ESTABLISHED", SocketRole.Originator);
            Add("tcp6 accepted", accepted6, client6, "ESTABLISHED", SocketRole.Responder);

            // IPv4 through a dual-stack IPv6 listener: the accepted socket is in tcp6 with IPv4-mapped addresses.
            var dual = Keep(new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = true });
            dual.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
            dual.Listen(Backlog);
            var client4to6 = Keep(new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
            client4to6.Connect(new IPEndPoint(IPAddress.Loopback, ((IPEndPoint)dual.LocalEndPoint!).Port));
            var acceptedMapped = Keep(dual.Accept());
            Add("tcp6 dual-stack listener", dual, null, "LISTEN", SocketRole.Listener);
            Add("tcp client of the dual-stack listener", client4to6, acceptedMapped, "ESTABLISHED", SocketRole.Originator);
            Add("tcp6 accepted over IPv4", acceptedMapped, client4to6, "ESTABLISHED", SocketRole.Responder);

            // UDP: an unbound-peer server and a connected client per family; the server leaves a datagram unread.
            UdpServer4 = Keep(new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
            UdpServer4.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var udpClient4 = Keep(new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
            udpClient4.Connect(UdpServer4.LocalEndPoint!);
            udpClient4.Send(new byte[UnreadBytes]);
            WaitFor(() => UdpServer4.Available > 0);
            Add("udp server", UdpServer4, null, "", SocketRole.Listener);
            Add("udp connected client", udpClient4, UdpServer4, "ESTABLISHED", SocketRole.Originator);

            var udpServer6 = Keep(new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp));
            udpServer6.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            var udpClient6 = Keep(new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp));
            udpClient6.Connect(udpServer6.LocalEndPoint!);
            Add("udp6 server", udpServer6, null, "", SocketRole.Listener);
            Add("udp6 connected client", udpClient6, udpServer6, "ESTABLISHED", SocketRole.Originator);
        }

        private Socket Listen(AddressFamily family, IPAddress address)
        {
            var socket = Keep(new Socket(family, SocketType.Stream, ProtocolType.Tcp));
            socket.Bind(new IPEndPoint(address, 0));
            socket.Listen(Backlog);
            return socket;
        }

        private Socket Connect(AddressFamily family, Socket listener)
        {
            var socket = Keep(new Socket(family, SocketType.Stream, ProtocolType.Tcp));
            socket.Connect(listener.LocalEndPoint!);
            return socket;
        }

        private void Add(string name, Socket socket, Socket? peer, string state, SocketRole role)
        {
            // /proc holds an IPv6 socket's IPv4 peer as ::ffff:a.b.c.d and an IPv4 socket's peer as a.b.c.d.
            var local = InFamily((IPEndPoint)socket.LocalEndPoint!, socket.AddressFamily);
            var remote = peer is null ? null : InFamily((IPEndPoint)peer.LocalEndPoint!, socket.AddressFamily);
            Expected.Add(new Expected(name, socket.ProtocolType == ProtocolType.Tcp ? SocketTransport.Tcp : SocketTransport.Udp,
                socket.AddressFamily == AddressFamily.InterNetworkV6, local, remote, state, Owned: true, role));
        }

        private static IPEndPoint InFamily(IPEndPoint endpoint, AddressFamily family) => family == AddressFamily.InterNetworkV6
            ? new IPEndPoint(endpoint.Address.AddressFamily == AddressFamily.InterNetwork ? endpoint.Address.MapToIPv6() : endpoint.Address, endpoint.Port)
            : new IPEndPoint(endpoint.Address.IsIPv4MappedToIPv6 ? endpoint.Address.MapToIPv4() : endpoint.Address, endpoint.Port);

        private static void WaitFor(Func<bool> condition)
        {
            var until = DateTime.UtcNow.AddSeconds(5);
            while (!condition() && DateTime.UtcNow < until)
                Thread.Sleep(5);
            Assert.True(condition(), "the loopback data did not arrive");
        }

        public void Dispose()
        {
            foreach (var socket in _sockets)
                socket.Dispose();
        }
    }

    private static SocketEntry Find(SocketSnapshot snapshot, Expected e)
    {
        var found = snapshot.Sockets.Where(s => s.Transport == e.Transport && s.Inet6 == e.Inet6
            && s.LocalPort == e.Local.Port && s.LocalAddress.Equals(e.Local.Address)
            && (e.Remote is null ? s.RemotePort == 0 : s.RemotePort == e.Remote.Port && s.RemoteAddress.Equals(e.Remote.Address))).ToList();
        Assert.True(found.Count == 1, $"{e.Name}: {found.Count} entries for {e.Local} -> {e.Remote}");
        return found[0];
    }

    [LinuxToolsFact]
    public void OwnSocketsAreFoundWithThisProcessAndTheirStates()
    {
        using var scenario = Scenario.Open();
        var snapshot = SocketSnapshot.Take();

        Assert.Empty(snapshot.Problems);
        foreach (var e in scenario.Expected)
        {
            var entry = Find(snapshot, e);
            Assert.True(e.State == ProcNetSockets.StateName(entry), $"{e.Name}: state '{ProcNetSockets.StateName(entry)}', expected '{e.State}'");
            var owner = snapshot.OwnerOf(entry);
            if (e.Owned)
            {
                Assert.True(owner is not null, $"{e.Name}: no owner found for inode {entry.Inode}");
                Assert.Equal(Environment.ProcessId, owner.Pid);
            }
            else
            {
                Assert.True(owner is null, $"{e.Name}: a queued connection has no process yet, found {owner}");
            }

            Assert.True(e.Role == snapshot.RoleOf(entry), $"{e.Name}: role {snapshot.RoleOf(entry)}, expected {e.Role}");
        }

        // netstat's queue columns: a listener's Recv-Q counts the connections waiting in its accept queue and its
        // Send-Q is 0; a connection's Recv-Q counts unread bytes.
        var queued = Find(snapshot, scenario.Expected.Single(x => x.Name == "tcp listener with a queue"));
        Assert.Equal(PendingConnections, queued.RxQueue);
        Assert.Equal(0, queued.TxQueue);
        Assert.Equal(UnreadBytes, Find(snapshot, scenario.Expected.Single(x => x.Name == "tcp accepted")).RxQueue);
        Assert.True(Find(snapshot, scenario.Expected.Single(x => x.Name == "udp server")).RxQueue >= UnreadBytes);

        var mapped = Find(snapshot, scenario.Expected.Single(x => x.Name == "tcp6 accepted over IPv4"));
        Assert.Equal(4, mapped.IpVersion);
        Assert.Equal(IPAddress.Loopback, mapped.LocalOnWire);
        Assert.Equal("tcp6", mapped.NetstatProto);
    }

    /// <summary>One line of <c>ss -tuanp</c>.</summary>
    private sealed record SsLine(string Netid, string State, long RecvQ, long SendQ, string Local, string Peer, IReadOnlyList<int> Pids);

    [GeneratedRegex(@"pid=(\d+)")]
    private static partial Regex SsPid();

    private static List<SsLine> RunSs()
    {
        var (exit, output, error) = TestSystem.Run("ss", "-tuanp");
        Assert.True(exit == 0, $"ss failed: {error}");
        var lines = new List<SsLine>();
        foreach (string line in output.Split('\n').Skip(1))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 6)
                continue;
            var pids = f.Length > 6 ? SsPid().Matches(f[6]).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList() : [];
            lines.Add(new SsLine(f[0], f[1], long.Parse(f[2], CultureInfo.InvariantCulture), long.Parse(f[3], CultureInfo.InvariantCulture), f[4], f[5], pids));
        }

        return lines;
    }

    /// <summary>An endpoint as ss prints it: <c>127.0.0.1:80</c>, <c>[::1]:80</c>, <c>[::ffff:127.0.0.1]:80</c>, <c>*:80</c> for a dual-stack wildcard, <c>*</c> for port 0.</summary>
    private static string SsEndpoint(IPAddress address, int port, bool inet6, bool dualStackWildcard)
    {
        string host = dualStackWildcard ? "*" : inet6 ? $"[{address}]" : address.ToString();
        return host + ":" + (port == 0 ? "*" : port.ToString(CultureInfo.InvariantCulture));
    }

    private static string SsState(SocketEntry e) => ProcNetSockets.StateName(e) switch
    {
        "ESTABLISHED" => "ESTAB",
        "" => "UNCONN",
        var name => name.Replace('_', '-'),
    };

    [LinuxToolsFact("ss")]
    public void OwnSocketsAgreeWithSs()
    {
        using var scenario = Scenario.Open();
        var snapshot = SocketSnapshot.Take();
        var ss = RunSs();

        foreach (var e in scenario.Expected)
        {
            var entry = Find(snapshot, e);

            // ss prints a wildcard that also takes IPv4 (an IPv6 socket on :: without IPV6_V6ONLY) as "*".
            bool dual = entry.Inet6 && SocketEntry.IsUnspecified(entry.LocalAddress);
            string local = SsEndpoint(entry.LocalAddress, entry.LocalPort, entry.Inet6, dual);
            string peer = SsEndpoint(entry.RemoteAddress, entry.RemotePort, entry.Inet6, dual);
            var matches = ss.Where(l => l.Netid == entry.Proto && l.Local == local && l.Peer == peer).ToList();
            Assert.True(matches.Count == 1, $"{e.Name}: ss has {matches.Count} lines for {entry.Proto} {local} {peer}");
            var line = matches[0];

            Assert.Equal(SsState(entry), line.State);
            Assert.Equal(entry.RxQueue, line.RecvQ);

            // For a listener ss shows the backlog limit as Send-Q where /proc (and netstat) have 0.
            Assert.Equal(entry.State == SocketEntry.Listen && entry.Transport == SocketTransport.Tcp ? Backlog : entry.TxQueue, line.SendQ);
            var owner = snapshot.OwnerOf(entry);
            if (owner is null)
                Assert.Empty(line.Pids);
            else
                Assert.Contains(owner.Pid, line.Pids);
        }
    }

    [LinuxToolsFact("netstat")]
    public void OwnSocketsPrintAsNetstatPrintsThem()
    {
        using var scenario = Scenario.Open();
        var options = new NetstatOptions { Tcp = true, Udp = true, All = true, NumericHosts = true, NumericPorts = true, NumericUsers = true, Programs = true };
        var snapshot = SocketSnapshot.Take(options.Tables());

        // Numeric only: netstat resolving names would ask the DNS server for addresses /etc/hosts does not name.
        var (exit, output, _) = TestSystem.Run("netstat", "-tuanp");
        Assert.Equal(0, exit);
        var netstat = output.Split('\n').Select(l => l.TrimEnd('\r')).ToHashSet(StringComparer.Ordinal);
        Assert.Contains(NetstatTable.Title(options), netstat);
        Assert.Contains(NetstatTable.Header(options), netstat);
        foreach (var e in scenario.Expected)
        {
            string line = NetstatTable.Line(Find(snapshot, e), snapshot.OwnerOf(Find(snapshot, e)), options, LocalNames.None);
            Assert.True(netstat.Contains(line), $"{e.Name}: netstat printed no line\n{line}\n{output}");
        }
    }
}
