using System.Globalization;
using System.Net;

namespace PcapForge.Frontends.Sockets;

/// <summary>
/// Names from the machine's own files only: host names from <c>/etc/hosts</c>, service names from
/// <c>/etc/services</c>, user names from <c>/etc/passwd</c>. netstat asks the resolver (getnameinfo, getservbyport,
/// getpwuid), which may send DNS queries for every address it shows; a forensic listing must not touch the network,
/// so an address that <c>/etc/hosts</c> does not name stays numeric (the files lines of nsswitch.conf, without dns or
/// ldap). The first line that names an address, port or uid wins, as glibc's files backend answers.
/// </summary>
public sealed class LocalNames
{
    private readonly Dictionary<IPAddress, string> _hosts = new();
    private readonly Dictionary<(int Port, string Proto), string> _services = new();
    private readonly Dictionary<long, string> _users = new();

    /// <summary>No names at all: everything stays numeric.</summary>
    public static LocalNames None { get; } = new();

    /// <summary>Reads the three files; a file that is missing or unreadable gives no names.</summary>
    public static LocalNames Load(string hosts = "/etc/hosts", string services = "/etc/services", string passwd = "/etc/passwd")
    {
        return FromLines(ReadLines(hosts), ReadLines(services), ReadLines(passwd));
    }

    /// <summary>Names from the lines of the three files (tests, or files kept from another machine).</summary>
    public static LocalNames FromLines(IEnumerable<string> hosts, IEnumerable<string> services, IEnumerable<string> passwd)
    {
        var names = new LocalNames();
        names.AddHosts(hosts);
        names.AddServices(services);
        names.AddUsers(passwd);
        return names;
    }

    private static IEnumerable<string> ReadLines(string path)
    {
        try
        {
            return File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static string WithoutComment(string line)
    {
        int hash = line.IndexOf('#');
        return hash >= 0 ? line[..hash] : line;
    }

    private static readonly char[] Blanks = [' ', '\t'];

    /// <summary>hosts(5): an address, then the canonical name and aliases.</summary>
    private void AddHosts(IEnumerable<string> lines)
    {
        foreach (string line in lines)
        {
            var fields = WithoutComment(line).Split(Blanks, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 2 && IPAddress.TryParse(fields[0], out var address))
                _hosts.TryAdd(address, fields[1]);
        }
    }

    /// <summary>services(5): a name, then <c>port/protocol</c> and aliases.</summary>
    private void AddServices(IEnumerable<string> lines)
    {
        foreach (string line in lines)
        {
            var fields = WithoutComment(line).Split(Blanks, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2)
                continue;
            int slash = fields[1].IndexOf('/');
            if (slash > 0 && int.TryParse(fields[1].AsSpan(0, slash), NumberStyles.None, CultureInfo.InvariantCulture, out int port))
                _services.TryAdd((port, fields[1][(slash + 1)..]), fields[0]);
        }
    }

    /// <summary>passwd(5): <c>name:password:uid:gid:…</c>.</summary>
    private void AddUsers(IEnumerable<string> lines)
    {
        foreach (string line in lines)
        {
            var fields = line.Split(':');
            if (fields.Length >= 3 && fields[0].Length > 0 && long.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out long uid))
                _users.TryAdd(uid, fields[0]);
        }
    }

    /// <summary>The host name <c>/etc/hosts</c> gives the address, or null.</summary>
    public string? HostName(IPAddress address) => _hosts.GetValueOrDefault(address);

    /// <summary>The service name <c>/etc/services</c> gives the port for the protocol (tcp, udp), or null.</summary>
    public string? ServiceName(int port, string proto) => _services.GetValueOrDefault((port, proto));

    /// <summary>The user name <c>/etc/passwd</c> gives the uid, or null.</summary>
    public string? UserName(long uid) => _users.GetValueOrDefault(uid);
}
