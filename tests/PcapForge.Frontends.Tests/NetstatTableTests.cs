using System.Net;
using PcapForge.Frontends.Sockets;

namespace PcapForge.Frontends.Tests;

/// <summary>
/// The netstat table, against lines that net-tools 2.10 netstat printed on this machine for the same sockets
/// (numeric ones in the root namespace, resolved ones inside a network namespace so that no DNS query could leave).
/// </summary>
public sealed class NetstatTableTests
{
    private static readonly NetstatOptions Numeric = new() { Tcp = true, Udp = true, All = true, NumericHosts = true, NumericPorts = true, NumericUsers = true };
    private static readonly NetstatOptions Names = new() { Tcp = true, Udp = true, All = true };
    private static readonly SocketOwner Python = new(4270, "python3", "python3 /tmp/nt/socks.py");

    private static readonly LocalNames Files = LocalNames.FromLines(
        ["127.0.0.1 localhost", "127.0.0.1 runsc", "127.0.0.1 vm"],
        ["ssh 22/tcp", "http 80/tcp www", "domain 53/tcp", "domain 53/udp", "http-alt 8080/tcp webcache", "mdns 5353/udp"],
        ["root:x:0:0:root:/root:/bin/bash"]);

    private static SocketEntry Entry(SocketTransport transport, bool inet6, string local, int localPort, string remote, int remotePort, int state, long rx = 0, long tx = 0) =>
        new(transport, inet6, IPAddress.Parse(local), localPort, IPAddress.Parse(remote), remotePort, state, tx, rx, 0, 1247);

    private static readonly SocketEntry Backlog = Entry(SocketTransport.Tcp, false, "127.0.0.1", 45001, "0.0.0.0", 0, 10, rx: 3);
    private static readonly SocketEntry Ssh = Entry(SocketTransport.Tcp, false, "0.0.0.0", 22, "0.0.0.0", 0, 10);
    private static readonly SocketEntry HttpAlt6 = Entry(SocketTransport.Tcp, true, "::1", 8080, "::", 0, 10);
    private static readonly SocketEntry Mapped = Entry(SocketTransport.Tcp, true, "::ffff:127.0.0.1", 80, "::ffff:127.0.0.1", 34558, 1);
    private static readonly SocketEntry Dns = Entry(SocketTransport.Udp, false, "0.0.0.0", 53, "0.0.0.0", 0, 7, rx: 832);
    private static readonly SocketEntry DnsClient = Entry(SocketTransport.Udp, false, "127.0.0.1", 50945, "127.0.0.1", 53, 1);
    private static readonly SocketEntry Mdns6 = Entry(SocketTransport.Udp, true, "::", 5353, "::", 0, 7);
    private static readonly SocketEntry Long6 = Entry(SocketTransport.Tcp, true, "fd00:1234:5678:9abc:def0:1234:5678:9abc", 8080, "fd00:1234:5678:9abc:def0:1234:5678:9abc", 49606, 1);
    private static readonly SocketEntry LongListener = Entry(SocketTransport.Tcp, true, "fd00:1234:5678:9abc:def0:1234:5678:9abc", 45678, "::", 0, 10);

    [Fact]
    public void NumericLinesAreNetstats()
    {
        var p = Numeric with { Programs = true };
        Assert.Equal("tcp        3      0 127.0.0.1:45001         0.0.0.0:*               LISTEN      4270/python3        ", NetstatTable.Line(Backlog, Python, p, Files));
        Assert.Equal("tcp6       0      0 ::1:8080                :::*                    LISTEN      4270/python3        ", NetstatTable.Line(HttpAlt6, Python, p, Files));
        Assert.Equal("tcp6       0      0 127.0.0.1:80            127.0.0.1:34558         ESTABLISHED 4270/python3        ", NetstatTable.Line(Mapped, Python, p, Files));
        Assert.Equal("udp      832      0 0.0.0.0:53              0.0.0.0:*                           4270/python3        ", NetstatTable.Line(Dns, Python, p, Files));
        Assert.Equal("udp        0      0 127.0.0.1:50945         127.0.0.1:53            ESTABLISHED 4270/python3        ", NetstatTable.Line(DnsClient, Python, p, Files));
        Assert.Equal("udp6       0      0 :::5353                 :::*                                4270/python3        ", NetstatTable.Line(Mdns6, Python, p, Files));
        Assert.Equal("tcp        3      0 127.0.0.1:45001         0.0.0.0:*               LISTEN      -                   ", NetstatTable.Line(Backlog, null, p, Files));
        Assert.Equal("tcp        3      0 127.0.0.1:45001         0.0.0.0:*               LISTEN     ", NetstatTable.Line(Backlog, Python, Numeric, Files));
    }

    [Fact]
    public void ResolvedLinesAreNetstats()
    {
        var p = Names with { Programs = true };
        Assert.Equal("tcp        3      0 localhost:45001         0.0.0.0:*               LISTEN      4270/python3        ", NetstatTable.Line(Backlog, Python, p, Files));
        Assert.Equal("tcp        0      0 0.0.0.0:ssh             0.0.0.0:*               LISTEN      4270/python3        ", NetstatTable.Line(Ssh, Python, p, Files));
        Assert.Equal("tcp6       0      0 ::1:http-alt            [::]:*                  LISTEN      4270/python3        ", NetstatTable.Line(HttpAlt6, Python, p, Files));

        // netstat 2.10 shows an IPv4-mapped address as IPv4 and does not resolve it.
        Assert.Equal("tcp6       0      0 127.0.0.1:http          127.0.0.1:34558         ESTABLISHED 4270/python3        ", NetstatTable.Line(Mapped, Python, p, Files));
        Assert.Equal("udp      832      0 0.0.0.0:domain          0.0.0.0:*                           4270/python3        ", NetstatTable.Line(Dns, Python, p, Files));
        Assert.Equal("udp6       0      0 [::]:mdns               [::]:*                              4270/python3        ", NetstatTable.Line(Mdns6, Python, p, Files));
    }

    [Fact]
    public void LongAddressesAreCutAsNetstatCutsThemUnlessWide()
    {
        Assert.Equal("tcp6       0      0 fd00:1234:5678:9a:45678 :::*                    LISTEN     ", NetstatTable.Line(LongListener, null, Numeric, Files));
        Assert.Equal("tcp6       0      0 fd00:1234:5678:9ab:8080 fd00:1234:5678:9a:49606 ESTABLISHED", NetstatTable.Line(Long6, null, Numeric, Files));
        Assert.Equal("tcp6       0      0 fd00:1234:5678:http-alt fd00:1234:5678:9a:49606 ESTABLISHED", NetstatTable.Line(Long6, null, Names, Files));
        Assert.Equal("tcp6       0      0 fd00:1234:5678:9abc:def0:1234:5678:9abc:45678 [::]:*                  LISTEN     ",
            NetstatTable.Line(LongListener, null, Names with { Wide = true }, Files));
        Assert.Equal("tcp6       0      0 fd00:1234:5678:9abc:def0:1234:5678:9abc:http-alt fd00:1234:5678:9abc:def0:1234:5678:9abc:49606 ESTABLISHED",
            NetstatTable.Line(Long6, null, Names with { Wide = true }, Files));
    }

    [Fact]
    public void ExtendAddsUserAndInode()
    {
        Assert.Equal("tcp        0      0 0.0.0.0:ssh             0.0.0.0:*               LISTEN      root       1247       4270/python3        ",
            NetstatTable.Line(Ssh, Python, Names with { Extend = true, Programs = true }, Files));
        Assert.Equal("tcp        0      0 0.0.0.0:22              0.0.0.0:*               LISTEN      0          1247      ",
            NetstatTable.Line(Ssh, Python, Numeric with { Extend = true }, Files));
        Assert.Equal("Proto Recv-Q Send-Q Local Address           Foreign Address         State       User       Inode      PID/Program name    ",
            NetstatTable.Header(Numeric with { Extend = true, Programs = true }));
    }

    [Fact]
    public void TitlesAndHeaders()
    {
        Assert.Equal("Active Internet connections (servers and established)", NetstatTable.Title(new NetstatOptions { All = true, Listening = true }));
        Assert.Equal("Active Internet connections (only servers)", NetstatTable.Title(new NetstatOptions { Listening = true }));
        Assert.Equal("Active Internet connections (w/o servers)", NetstatTable.Title(new NetstatOptions()));
        Assert.Equal("Proto Recv-Q Send-Q Local Address           Foreign Address         State      ", NetstatTable.Header(new NetstatOptions()));
        Assert.Equal("Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name    ", NetstatTable.Header(new NetstatOptions { Programs = true }));
    }

    [Fact]
    public void ProgramColumnIsCutTo19Characters()
    {
        Assert.Equal("123456/a-long-progr", NetstatTable.ProgramColumn(new SocketOwner(123456, "a-long-program-name", "")));
        Assert.Equal("7/", NetstatTable.ProgramColumn(new SocketOwner(7, "", "")));
        Assert.Equal("-", NetstatTable.ProgramColumn(null));
    }

    [Fact]
    public void SelectionFollowsNetstat()
    {
        // TCP: a server has remote port 0; UDP: a server has no remote address.
        var byDefault = new NetstatOptions();
        var listening = new NetstatOptions { Listening = true };
        var all = new NetstatOptions { All = true, Listening = true };
        foreach (var server in new[] { Backlog, HttpAlt6, Dns, Mdns6 })
        {
            Assert.False(byDefault.Selects(server));
            Assert.True(listening.Selects(server));
            Assert.True(all.Selects(server));
        }

        foreach (var connection in new[] { Mapped, DnsClient, Long6 })
        {
            Assert.True(byDefault.Selects(connection));
            Assert.False(listening.Selects(connection));
            Assert.True(all.Selects(connection));
        }
    }

    [Theory]
    [InlineData(false, false, false, false, "tcp,tcp6,udp,udp6")]
    [InlineData(true, false, false, false, "tcp,tcp6")]
    [InlineData(false, true, false, false, "udp,udp6")]
    [InlineData(true, true, false, false, "tcp,tcp6,udp,udp6")]
    [InlineData(true, false, true, false, "tcp")]
    [InlineData(false, false, false, true, "tcp6,udp6")]
    [InlineData(false, true, true, true, "udp,udp6")]
    public void TablesFollowTheFlags(bool tcp, bool udp, bool inet, bool inet6, string expected)
    {
        var options = new NetstatOptions { Tcp = tcp, Udp = udp, Inet = inet, Inet6 = inet6 };
        Assert.Equal(expected, string.Join(',', options.Tables().Select(t => t.Name)));
    }
}
