using System.Net;
using System.Text;
using PcapForge.Frontends.Sockets;
using PcapForge.Output;

namespace PcapForge.Frontends.Tests;

/// <summary>Processes from a made-up /proc tree, names from made-up files, and the dataset rows of a snapshot.</summary>
public sealed class OwnersNamesAndRowsTests : IDisposable
{
    private readonly string _proc = Directory.CreateTempSubdirectory("pcapforge-proc-").FullName;

    public void Dispose() => Directory.Delete(_proc, recursive: true);

    private void Process(int pid, string cmdline, params string[] fdTargets)
    {
        string dir = Path.Combine(_proc, pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(Path.Combine(dir, "fd"));
        File.WriteAllBytes(Path.Combine(dir, "cmdline"), Encoding.UTF8.GetBytes(cmdline));
        for (int i = 0; i < fdTargets.Length; i++)
            File.CreateSymbolicLink(Path.Combine(dir, "fd", i.ToString(System.Globalization.CultureInfo.InvariantCulture)), fdTargets[i]);
    }

    [Fact]
    public void OwnersComeFromFdLinksAndTheLowestPidWins()
    {
        Process(1200, "/usr/sbin/sshd\0-D\0", "socket:[500]", "/dev/null", "pipe:[77]");
        Process(99, "/usr/bin/python3\0/srv/app.py\0", "socket:[600]", "socket:[500]", "anon_inode:[eventfd]");
        Process(3000, "", "[0000]:700");
        Process(3100, "sshd: root@pts/0\0", "socket:[800]");
        Process(3200, "nginx: worker process\0\0\0", "socket:[900]");
        Directory.CreateDirectory(Path.Combine(_proc, "self"));
        File.WriteAllText(Path.Combine(_proc, "self", "status"), "Name:\ttest\nUid:\t1000\t1001\t1000\t1000\n");

        var owners = SocketOwners.Read(_proc);

        Assert.Equal(new SocketOwner(99, "python3", "/usr/bin/python3 /srv/app.py"), owners.Of(500));
        Assert.Equal(99, owners.Of(600)!.Pid);
        Assert.Equal(new SocketOwner(3000, "", ""), owners.Of(700));
        Assert.Equal("sshd: root@pts/0", owners.Of(800)!.Program);
        Assert.Equal("nginx: worker process", owners.Of(900)!.Command);
        Assert.Null(owners.Of(77));
        Assert.Null(owners.Of(0));
        Assert.Equal(5, owners.ByInode.Count);
        Assert.False(owners.SomeDenied);
        Assert.Null(owners.Note);
        Assert.Equal(1001, owners.EffectiveUid);
    }

    [Theory]
    [InlineData("/usr/bin/python3\0x.py\0", "python3")]
    [InlineData("python3\0x.py\0", "python3")]
    [InlineData("./run.sh\0", "./run.sh")]
    [InlineData("/usr/share/dotnet/dotnet\0exec\0/a/b/testhost.dll\0", "dotnet")]
    [InlineData("", "")]
    [InlineData("/\0", "")]
    public void ProgramNamesAreNetstats(string cmdline, string program) =>
        Assert.Equal(program, SocketOwners.ProgramName(Encoding.UTF8.GetBytes(cmdline)));

    [Theory]
    [InlineData("socket:[12345]", 12345L)]
    [InlineData("[0000]:678", 678L)]
    [InlineData("socket:[]", null)]
    [InlineData("socket:[12", null)]
    [InlineData("pipe:[5]", null)]
    [InlineData("/dev/null", null)]
    public void SocketLinks(string target, long? inode)
    {
        bool ok = SocketOwners.TryParseSocketLink(target, out long value);
        Assert.Equal(inode is not null, ok);
        if (inode is not null)
            Assert.Equal(inode, value);
    }

    [Fact]
    public void NamesComeFromTheFilesFirstLineFirst()
    {
        var names = LocalNames.FromLines(
            ["# comment", "127.0.0.1\tlocalhost loopback", "127.0.0.1 second", "::1 ip6-localhost ip6-loopback # trailing", "bad line", "10.0.0.300 nope"],
            ["ssh\t\t22/tcp\t\t\t\t# SSH Remote Login Protocol", "domain 53/tcp", "domain 53/udp", "first 9999/udp", "second 9999/udp", "broken 12/", ""],
            ["root:x:0:0:root:/root:/bin/bash", "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin", "x:y", ":x:5:5::"]);

        Assert.Equal("localhost", names.HostName(IPAddress.Loopback));
        Assert.Equal("ip6-localhost", names.HostName(IPAddress.IPv6Loopback));
        Assert.Null(names.HostName(IPAddress.Parse("10.0.0.1")));
        Assert.Equal("ssh", names.ServiceName(22, "tcp"));
        Assert.Null(names.ServiceName(22, "udp"));
        Assert.Equal("domain", names.ServiceName(53, "udp"));
        Assert.Equal("first", names.ServiceName(9999, "udp"));
        Assert.Equal("root", names.UserName(0));
        Assert.Equal("nobody", names.UserName(65534));
        Assert.Null(names.UserName(5));

        var missing = LocalNames.Load(Path.Combine(_proc, "no-hosts"), Path.Combine(_proc, "no-services"), Path.Combine(_proc, "no-passwd"));
        Assert.Null(missing.HostName(IPAddress.Loopback));
    }

    private static SocketEntry Entry(SocketTransport transport, bool inet6, string local, int localPort, string remote, int remotePort, int state, long inode = 0) =>
        new(transport, inet6, IPAddress.Parse(local), localPort, IPAddress.Parse(remote), remotePort, state, 0, 0, 1000, inode);

    [Fact]
    public void RolesAndFlowOrientation()
    {
        var listener = Entry(SocketTransport.Tcp, false, "0.0.0.0", 8080, "0.0.0.0", 0, SocketEntry.Listen, 10);
        var accepted = Entry(SocketTransport.Tcp, false, "127.0.0.1", 8080, "127.0.0.1", 40000, SocketEntry.Established, 11);
        var client = Entry(SocketTransport.Tcp, false, "127.0.0.1", 40000, "127.0.0.1", 8080, SocketEntry.Established, 12);
        var listener6 = Entry(SocketTransport.Tcp, true, "::1", 9090, "::", 0, SocketEntry.Listen, 13);
        var accepted6 = Entry(SocketTransport.Tcp, true, "::1", 9090, "::1", 50000, SocketEntry.Established, 14);
        var otherAddress6 = Entry(SocketTransport.Tcp, true, "fd00::1", 9090, "fd00::2", 50001, SocketEntry.Established, 15);
        var dualStack = Entry(SocketTransport.Tcp, true, "::", 7070, "::", 0, SocketEntry.Listen, 16);
        var mapped = Entry(SocketTransport.Tcp, true, "::ffff:127.0.0.1", 7070, "::ffff:127.0.0.1", 41000, SocketEntry.Established, 17);
        var udpServer = Entry(SocketTransport.Udp, false, "127.0.0.1", 5353, "0.0.0.0", 0, SocketEntry.Close, 18);
        var udpClient = Entry(SocketTransport.Udp, false, "127.0.0.1", 42000, "127.0.0.1", 5353, SocketEntry.Established, 19);
        var timeWait = Entry(SocketTransport.Tcp, false, "127.0.0.1", 40001, "127.0.0.1", 8080, 6);
        var snapshot = SocketSnapshot.Of(1_700_000_000_123_456_789, [listener, accepted, client, listener6, accepted6, otherAddress6, dualStack, mapped, udpServer, udpClient, timeWait]);

        Assert.Equal(SocketRole.Listener, snapshot.RoleOf(listener));
        Assert.Equal(SocketRole.Responder, snapshot.RoleOf(accepted));
        Assert.Equal(SocketRole.Originator, snapshot.RoleOf(client));
        Assert.Equal(SocketRole.Responder, snapshot.RoleOf(accepted6));
        Assert.Equal(SocketRole.Originator, snapshot.RoleOf(otherAddress6));
        Assert.Equal(SocketRole.Responder, snapshot.RoleOf(mapped));
        Assert.Equal(SocketRole.Listener, snapshot.RoleOf(udpServer));
        Assert.Equal(SocketRole.Originator, snapshot.RoleOf(udpClient));
        Assert.Equal(SocketRole.Originator, snapshot.RoleOf(timeWait));

        // Both ends of the loopback connection give the flow's orientation: originator 127.0.0.1:40000.
        var names = LocalNames.FromLines([], [], ["alice:x:1000:1000::/home/alice:/bin/sh"]);
        foreach (var end in new[] { accepted, client })
        {
            var row = Row(SocketRows.Socket(snapshot, end, "id", names));
            Assert.Equal(("127.0.0.1", 40000, "127.0.0.1", 8080), ((string?)row["orig_h"], (int?)row["orig_p"], (string?)row["resp_h"], (int?)row["resp_p"]));
            Assert.Equal("tcp", row["proto"]);
            Assert.Equal("alice", row["user"]);
        }

        var listenerRow = Row(SocketRows.Socket(snapshot, listener, "id", names));
        Assert.Null(listenerRow["orig_h"]);
        Assert.Null(listenerRow["orig_p"]);
        Assert.Equal("0.0.0.0", listenerRow["resp_h"]);
        Assert.Equal(8080, listenerRow["resp_p"]);
        Assert.Null(listenerRow["remote_h"]);
        Assert.Null(listenerRow["remote_p"]);
        Assert.Equal("listener", listenerRow["local_role"]);
        Assert.Equal("LISTEN", listenerRow["state"]);
        Assert.Equal(1_700_000_000_123_456_789L, listenerRow["ts"]);

        var mappedRow = Row(SocketRows.Socket(snapshot, mapped, "id", names));
        Assert.Equal(("127.0.0.1", 41000, "127.0.0.1", 7070), ((string?)mappedRow["orig_h"], (int?)mappedRow["orig_p"], (string?)mappedRow["resp_h"], (int?)mappedRow["resp_p"]));
        Assert.Equal(4, mappedRow["ip_version"]);
        Assert.Equal("tcp6", mappedRow["netstat_proto"]);
        Assert.Equal("127.0.0.1", mappedRow["local_h"]);

        var udpRow = Row(SocketRows.Socket(snapshot, udpServer, "id", names));
        Assert.Null(udpRow["state"]);
        Assert.Equal(7, udpRow["kernel_state"]);
        Assert.Equal("udp", udpRow["proto"]);
        Assert.Null(udpRow["pid"]);
    }

    [Fact]
    public void CaptureIdsDependOnHostAndTime()
    {
        string id = SocketRows.CaptureId("vm", 1_700_000_000_000_000_000);
        Assert.Matches("^[0-9a-f]{16}$", id);
        Assert.Equal(id, SocketRows.CaptureId("vm", 1_700_000_000_000_000_000));
        Assert.NotEqual(id, SocketRows.CaptureId("vm", 1_700_000_000_000_000_001));
        Assert.NotEqual(id, SocketRows.CaptureId("vm2", 1_700_000_000_000_000_000));
    }

    private static Dictionary<string, object?> Row(object?[] values)
    {
        var columns = HostTables.Sockets.Columns;
        Assert.Equal(columns.Count, values.Length);
        return columns.Select((c, i) => (c.Name, Value: values[i])).ToDictionary(p => p.Name, p => p.Value);
    }
}
