using System.Globalization;
using System.Net;
using System.Text;

namespace PcapForge.Frontends.Sockets;

/// <summary>
/// netstat's flags for the Internet socket listing (netstat(8), net-tools 2.10), and which sockets and tables they
/// select.
/// </summary>
public sealed record NetstatOptions
{
    /// <summary>-t: TCP sockets. Without -t and -u both are listed.</summary>
    public bool Tcp { get; init; }

    /// <summary>-u: UDP sockets.</summary>
    public bool Udp { get; init; }

    /// <summary>-l: only server sockets (see <see cref="SocketEntry.IsServer"/>).</summary>
    public bool Listening { get; init; }

    /// <summary>-a: server and other sockets; wins over -l, as in netstat.</summary>
    public bool All { get; init; }

    /// <summary>--numeric-hosts (or -n): addresses as numbers.</summary>
    public bool NumericHosts { get; init; }

    /// <summary>--numeric-ports (or -n): ports as numbers.</summary>
    public bool NumericPorts { get; init; }

    /// <summary>--numeric-users (or -n): the -e User column as a number.</summary>
    public bool NumericUsers { get; init; }

    /// <summary>-p: the PID/Program name column.</summary>
    public bool Programs { get; init; }

    /// <summary>-e: the User and Inode columns.</summary>
    public bool Extend { get; init; }

    /// <summary>-W: addresses are never cut to fit the column.</summary>
    public bool Wide { get; init; }

    /// <summary>-4: IPv4 tables (tcp, udp). Without -4 and -6 both families are listed.</summary>
    public bool Inet { get; init; }

    /// <summary>-6: IPv6 tables (tcp6, udp6).</summary>
    public bool Inet6 { get; init; }

    /// <summary>The /proc/net tables these flags read, in netstat's order.</summary>
    public IEnumerable<ProcNetTable> Tables()
    {
        bool tcp = Tcp || !Udp, udp = Udp || !Tcp;
        bool v4 = Inet || !Inet6, v6 = Inet6 || !Inet;
        return ProcNetTable.All.Where(t => (t.Transport == SocketTransport.Tcp ? tcp : udp) && (t.Inet6 ? v6 : v4));
    }

    /// <summary>Whether the socket is listed: -a all, -l servers only, by default non-servers only.</summary>
    public bool Selects(SocketEntry entry) => All || (Listening ? entry.IsServer : !entry.IsServer);
}

/// <summary>
/// The text netstat prints for Internet sockets (net-tools 2.10 netstat.c: the header of main, tcp_do_one,
/// udp_do_one, addr_do_one, finish_this_one), column for column, so <c>pcapforge sockets -tupan</c> reads like
/// <c>netstat -tupan</c>.
/// </summary>
public static class NetstatTable
{
    /// <summary>Width of the address columns; an address and port longer than <see cref="ShortLength"/> + 1 are cut unless -W.</summary>
    private const int AddressWidth = 23, ShortLength = 22;

    /// <summary>netstat's PROGNAME_WIDTH: the PID/Program column is 20 wide and its text at most 19 characters.</summary>
    private const int ProgramWidth = 20;

    /// <summary>The title line: servers and established (-a), only servers (-l), or w/o servers.</summary>
    public static string Title(NetstatOptions options) =>
        "Active Internet connections " + (options.All ? "(servers and established)" : options.Listening ? "(only servers)" : "(w/o servers)");

    /// <summary>The column header, padded as netstat pads it.</summary>
    public static string Header(NetstatOptions options)
    {
        var text = new StringBuilder("Proto Recv-Q Send-Q Local Address           Foreign Address         State      ");
        if (options.Extend)
            text.Append(" User       Inode     ");
        if (options.Programs)
            text.Append(' ').Append("PID/Program name".PadRight(ProgramWidth));
        return text.ToString();
    }

    /// <summary>One socket's line.</summary>
    public static string Line(SocketEntry entry, SocketOwner? owner, NetstatOptions options, LocalNames names)
    {
        var inv = CultureInfo.InvariantCulture;
        string proto = entry.Proto;
        string local = Endpoint(entry.LocalAddress, entry.LocalPort, proto, options, names);
        string remote = Endpoint(entry.RemoteAddress, entry.RemotePort, proto, options, names);

        // "%-4s  %6ld %6ld %-*s %-*s %-11s" (tcp_do_one; udp_do_one's "%-5s %6ld …" gives the same columns): Recv-Q is
        // rx_queue and Send-Q tx_queue, as the kernel wrote them. For a TCP listener rx_queue is the accept queue's
        // length and tx_queue 0 (get_tcp4_sock), which netstat prints as they are; ss shows the backlog limit there.
        var text = new StringBuilder();
        text.Append(entry.NetstatProto.PadRight(4)).Append("  ")
            .Append(entry.RxQueue.ToString(inv).PadLeft(6)).Append(' ')
            .Append(entry.TxQueue.ToString(inv).PadLeft(6)).Append(' ')
            .Append(local.PadRight(AddressWidth)).Append(' ')
            .Append(remote.PadRight(AddressWidth)).Append(' ')
            .Append(ProcNetSockets.StateName(entry).PadRight(11));
        if (options.Extend)
        {
            string user = (options.NumericUsers ? null : names.UserName(entry.Uid)) ?? entry.Uid.ToString(inv);
            text.Append(' ').Append(user.PadRight(10)).Append(' ').Append(entry.Inode.ToString(inv).PadRight(10));
        }

        if (options.Programs)
            text.Append(' ').Append(ProgramColumn(owner).PadRight(ProgramWidth));
        return text.ToString();
    }

    /// <summary><c>PID/program</c> cut to 19 characters as netstat's 20-byte buffer does, or <c>-</c> when unknown.</summary>
    public static string ProgramColumn(SocketOwner? owner)
    {
        if (owner is null)
            return "-";
        string text = $"{owner.Pid.ToString(CultureInfo.InvariantCulture)}/{owner.Program}";
        return text.Length > ProgramWidth - 1 ? text[..(ProgramWidth - 1)] : text;
    }

    /// <summary>
    /// <c>host:port</c> as netstat 2.10 prints it: port 0 as <c>*</c>; an IPv4-mapped address as its IPv4 form; the
    /// unspecified IPv6 address as <c>::</c>, or <c>[::]</c> when names are resolved; 0.0.0.0 always as numbers.
    /// When the text would pass 23 characters (and not -W), the port keeps up to 18 and the host is cut to fit
    /// (addr_do_one), as in <c>fd00:1234:5678:9a:45678</c>.
    /// </summary>
    public static string Endpoint(IPAddress address, int port, string proto, NetstatOptions options, LocalNames names)
    {
        string host = HostText(address, options.NumericHosts, names);
        string service = port == 0 ? "*"
            : (options.NumericPorts ? null : names.ServiceName(port, proto)) ?? port.ToString(CultureInfo.InvariantCulture);
        if (options.Wide || host.Length + service.Length <= ShortLength)
            return host + ":" + service;
        int serviceLength = Math.Min(service.Length, ShortLength - 4);
        int hostLength = ShortLength - serviceLength;
        return host[..Math.Min(hostLength, host.Length)] + ":" + service[..serviceLength];
    }

    private static string HostText(IPAddress address, bool numeric, LocalNames names)
    {
        if (address.IsIPv4MappedToIPv6)
            return address.MapToIPv4().ToString();
        if (address.Equals(IPAddress.Any))
            return "0.0.0.0";
        if (address.Equals(IPAddress.IPv6Any))
            return numeric ? "::" : "[::]";
        return (numeric ? null : names.HostName(address)) ?? address.ToString();
    }
}
