using System.Buffers.Binary;
using System.Globalization;
using System.Net;

namespace PcapForge.Frontends.Sockets;

/// <summary>One of the four socket tables of <c>/proc/net</c>.</summary>
/// <param name="Transport">TCP or UDP.</param>
/// <param name="Inet6">The IPv6 file (<c>tcp6</c>, <c>udp6</c>).</param>
public readonly record struct ProcNetTable(SocketTransport Transport, bool Inet6)
{
    /// <summary>tcp, tcp6, udp, udp6: the file's name under <c>/proc/net</c>, and netstat's Proto.</summary>
    public string Name => (Transport == SocketTransport.Tcp ? "tcp" : "udp") + (Inet6 ? "6" : "");

    /// <summary>The four tables in netstat's order: TCP (IPv4, IPv6), then UDP (IPv4, IPv6).</summary>
    public static IReadOnlyList<ProcNetTable> All { get; } =
    [
        new(SocketTransport.Tcp, false), new(SocketTransport.Tcp, true), new(SocketTransport.Udp, false), new(SocketTransport.Udp, true),
    ];
}

/// <summary>What <see cref="ProcNetSockets.Read"/> found.</summary>
/// <param name="Sockets">Every socket, in netstat's order: table by table, each in the kernel's order.</param>
/// <param name="Problems">Lines that could not be decoded and tables that could not be read (each one message), as netstat warns "got bogus tcp line".</param>
public sealed record ProcNetSnapshot(IReadOnlyList<SocketEntry> Sockets, IReadOnlyList<string> Problems);

/// <summary>The whole of <c>/proc/net</c> is missing or unreadable: this is not a Linux /proc.</summary>
public sealed class ProcNetUnavailableException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>
/// Reads the kernel's socket tables <c>/proc/net/tcp</c>, <c>tcp6</c>, <c>udp</c>, <c>udp6</c>. The layout is the
/// kernel's (Documentation/networking/proc_net_tcp.rst; net/ipv4/tcp_ipv4.c get_tcp4_sock, net/ipv6/tcp_ipv6.c
/// get_tcp6_sock, net/ipv4/udp.c udp4_format_sock): a header line, then per socket
/// <c>sl: local_address:port rem_address:port st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …</c>.
/// Addresses are the in-memory 32-bit words printed with <c>%08X</c>, so each word is in host byte order; ports and
/// everything else are plain hexadecimal or decimal numbers.
/// </summary>
public static class ProcNetSockets
{
    public const string DefaultProcRoot = "/proc";

    // Whitespace-separated fields of a socket line (proc_net_tcp.rst).
    private const int FieldSlot = 0, FieldLocal = 1, FieldRemote = 2, FieldState = 3, FieldQueues = 4, FieldUid = 7, FieldInode = 9;
    private const int MinimumFields = FieldInode + 1;

    private const int Ipv4HexLength = 8, Ipv6HexLength = 32, WordHexLength = 8;

    /// <summary>
    /// Reads the tables asked for under <paramref name="procRoot"/>. A table file that does not exist is skipped (no
    /// IPv6 in the kernel means no <c>tcp6</c>); when none of them exists, or <c>/proc/net</c> cannot be read at all,
    /// <see cref="ProcNetUnavailableException"/>.
    /// </summary>
    public static ProcNetSnapshot Read(string procRoot = DefaultProcRoot, IEnumerable<ProcNetTable>? tables = null)
    {
        var sockets = new List<SocketEntry>();
        var problems = new List<string>();
        int found = 0;
        Exception? firstError = null;
        string? firstPath = null;
        foreach (var table in tables ?? ProcNetTable.All)
        {
            string path = Path.Combine(procRoot, "net", table.Name);
            string text;
            try
            {
                text = File.ReadAllText(path);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                firstError ??= e;
                firstPath ??= path;
                continue;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                firstError ??= e;
                firstPath ??= path;
                problems.Add($"cannot read {path}: {e.Message}");
                continue;
            }

            found++;
            int bogus = Parse(text, table, sockets);
            if (bogus > 0)
                problems.Add($"{bogus} line(s) of {path} could not be decoded");
        }

        if (found == 0 && firstError is not null)
            throw new ProcNetUnavailableException($"cannot read {firstPath}: {firstError.Message} (the socket tables of a Linux /proc are needed)", firstError);
        return new ProcNetSnapshot(sockets, problems);
    }

    /// <summary>Decodes the text of one table, header included, into <paramref name="into"/>; returns the lines that could not be decoded.</summary>
    public static int Parse(string text, ProcNetTable table, List<SocketEntry> into)
    {
        int bogus = 0;
        bool header = true;
        foreach (var range in text.AsSpan().Split('\n'))
        {
            var line = text.AsSpan(range).Trim();
            if (line.IsEmpty)
                continue;
            if (header)
            {
                // The first line names the columns ("sl  local_address rem_address …").
                header = false;
                if (line.StartsWith("sl", StringComparison.Ordinal))
                    continue;
            }

            if (TryParseLine(line, table, BitConverter.IsLittleEndian, out var entry))
                into.Add(entry);
            else
                bogus++;
        }

        return bogus;
    }

    /// <summary>Decodes one socket line; false when it does not have the kernel's layout.</summary>
    public static bool TryParseLine(ReadOnlySpan<char> line, ProcNetTable table, bool littleEndianHost, out SocketEntry entry)
    {
        entry = null!;
        Span<Range> fields = stackalloc Range[MinimumFields + 1];
        int count = line.Split(fields, ' ', StringSplitOptions.RemoveEmptyEntries);
        if (count < MinimumFields)
            return false;
        if (!line[fields[FieldSlot]].EndsWith(':'))
            return false;
        if (!TryParseEndpoint(line[fields[FieldLocal]], table.Inet6, littleEndianHost, out var local, out int localPort)
            || !TryParseEndpoint(line[fields[FieldRemote]], table.Inet6, littleEndianHost, out var remote, out int remotePort))
            return false;
        if (!int.TryParse(line[fields[FieldState]], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int state))
            return false;
        var queues = line[fields[FieldQueues]];
        int colon = queues.IndexOf(':');
        if (colon < 0
            || !long.TryParse(queues[..colon], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long tx)
            || !long.TryParse(queues[(colon + 1)..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long rx))
            return false;
        if (!long.TryParse(line[fields[FieldUid]], NumberStyles.None, CultureInfo.InvariantCulture, out long uid)
            || !long.TryParse(line[fields[FieldInode]], NumberStyles.None, CultureInfo.InvariantCulture, out long inode))
            return false;
        entry = new SocketEntry(table.Transport, table.Inet6, local, localPort, remote, remotePort, state, tx, rx, uid, inode);
        return true;
    }

    /// <summary>Decodes <c>ADDRESS:PORT</c>; the address has 8 hex digits in an IPv4 table and 32 in an IPv6 one.</summary>
    public static bool TryParseEndpoint(ReadOnlySpan<char> text, bool inet6, bool littleEndianHost, out IPAddress address, out int port)
    {
        address = IPAddress.None;
        port = 0;
        int colon = text.IndexOf(':');
        if (colon < 0 || colon != (inet6 ? Ipv6HexLength : Ipv4HexLength))
            return false;
        return TryParseAddress(text[..colon], littleEndianHost, out address)
            && int.TryParse(text[(colon + 1)..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out port)
            && port is >= 0 and <= ushort.MaxValue;
    }

    /// <summary>
    /// Decodes an address: 8 hex digits (IPv4) or 32 (IPv6), each group of 8 the <c>%08X</c> of a 32-bit word as it
    /// lies in memory, that is in network byte order read as a host-order integer. On a little-endian host
    /// <c>0100007F</c> is 127.0.0.1 and <c>00000000000000000000000001000000</c> is ::1.
    /// </summary>
    public static bool TryParseAddress(ReadOnlySpan<char> hex, bool littleEndianHost, out IPAddress address)
    {
        address = IPAddress.None;
        if (hex.Length is not (Ipv4HexLength or Ipv6HexLength))
            return false;
        Span<byte> bytes = stackalloc byte[hex.Length / 2];
        for (int word = 0; word < hex.Length / WordHexLength; word++)
        {
            if (!uint.TryParse(hex.Slice(word * WordHexLength, WordHexLength), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint value))
                return false;
            var target = bytes.Slice(word * 4, 4);
            if (littleEndianHost)
                BinaryPrimitives.WriteUInt32LittleEndian(target, value);
            else
                BinaryPrimitives.WriteUInt32BigEndian(target, value);
        }

        address = new IPAddress(bytes);
        return true;
    }

    private static readonly string[] TcpStates =
    [
        "", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING",
    ];

    /// <summary>
    /// netstat's name of a TCP state (net-tools netstat.c <c>tcp_state[]</c>, numbered as include/net/tcp_states.h):
    /// ESTABLISHED, SYN_SENT, SYN_RECV, FIN_WAIT1, FIN_WAIT2, TIME_WAIT, CLOSE, CLOSE_WAIT, LAST_ACK, LISTEN, CLOSING;
    /// UNKNOWN past those (the kernel's NEW_SYN_RECV and BOUND_INACTIVE never reach /proc/net/tcp).
    /// </summary>
    public static string TcpStateName(int state) => state >= 1 && state < TcpStates.Length ? TcpStates[state] : "UNKNOWN";

    /// <summary>
    /// netstat's UDP state (netstat.c udp_do_one): ESTABLISHED for a connected socket (st 1), blank for an unconnected
    /// one (st 7, TCP_CLOSE), UNKNOWN otherwise.
    /// </summary>
    public static string UdpStateName(int state) => state switch
    {
        SocketEntry.Established => "ESTABLISHED",
        SocketEntry.Close => "",
        _ => "UNKNOWN",
    };

    /// <summary>The state as netstat shows it for the entry's transport.</summary>
    public static string StateName(SocketEntry entry) =>
        entry.Transport == SocketTransport.Tcp ? TcpStateName(entry.State) : UdpStateName(entry.State);
}
