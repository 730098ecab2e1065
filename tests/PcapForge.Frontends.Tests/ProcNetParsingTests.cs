using System.Net;
using PcapForge.Frontends.Sockets;

namespace PcapForge.Frontends.Tests;

/// <summary>
/// The /proc/net decoders on fixed text: lines copied from the kernel's documentation
/// (Documentation/networking/proc_net_tcp.rst) and from this machine's /proc (Linux 6.18, x86-64), with the values
/// netstat and ss printed for them at the time.
/// </summary>
public sealed class ProcNetParsingTests
{
    private static readonly ProcNetTable Tcp = new(SocketTransport.Tcp, false), Tcp6 = new(SocketTransport.Tcp, true);
    private static readonly ProcNetTable Udp = new(SocketTransport.Udp, false), Udp6 = new(SocketTransport.Udp, true);

    private static SocketEntry ParseOne(string line, ProcNetTable table)
    {
        Assert.True(ProcNetSockets.TryParseLine(line, table, littleEndianHost: true, out var entry), line);
        return entry;
    }

    [Fact]
    public void TheKernelDocumentationsExampleLine()
    {
        // proc_net_tcp.rst: "46: 010310AC:9C4C 030310AC:1770 01 …" is 172.16.3.1:40012 -> 172.16.3.3:6000, established,
        // 0x150 bytes in the transmit queue, uid 1000, inode 54165785.
        var e = ParseOne("  46: 010310AC:9C4C 030310AC:1770 01 00000150:00000000 01:00000019 00000000  1000        0 54165785 4 cd1e6040 25 4 27 3 -1", Tcp);

        Assert.Equal(IPAddress.Parse("172.16.3.1"), e.LocalAddress);
        Assert.Equal(40012, e.LocalPort);
        Assert.Equal(IPAddress.Parse("172.16.3.3"), e.RemoteAddress);
        Assert.Equal(6000, e.RemotePort);
        Assert.Equal("ESTABLISHED", ProcNetSockets.StateName(e));
        Assert.Equal(0x150, e.TxQueue);
        Assert.Equal(0, e.RxQueue);
        Assert.Equal(1000, e.Uid);
        Assert.Equal(54165785, e.Inode);
        Assert.Equal("tcp", e.NetstatProto);
        Assert.Equal(4, e.IpVersion);
        Assert.False(e.IsServer);
    }

    [Fact]
    public void IPv6WordsAreInHostByteOrder()
    {
        // A listener on fd00:1234:5678:9abc:def0:1234:5678:9abc port 8080, read from /proc/net/tcp6 inside a network
        // namespace: each 32-bit word is printed as the little-endian host sees it, so fd 00 12 34 becomes 341200FD.
        var e = ParseOne("   0: 341200FDBC9A78563412F0DEBC9A7856:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1290827 1 0000000061155481 100 0 0 10 0", Tcp6);

        Assert.Equal(IPAddress.Parse("fd00:1234:5678:9abc:def0:1234:5678:9abc"), e.LocalAddress);
        Assert.Equal(8080, e.LocalPort);
        Assert.Equal(IPAddress.IPv6Any, e.RemoteAddress);
        Assert.Equal(0, e.RemotePort);
        Assert.Equal("LISTEN", ProcNetSockets.StateName(e));
        Assert.Equal("tcp6", e.NetstatProto);
        Assert.Equal(6, e.IpVersion);
        Assert.True(e.IsServer);
        Assert.Equal(1290827, e.Inode);
    }

    [Fact]
    public void LoopbackAndIPv4MappedAddresses()
    {
        var listener = ParseOne("   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1046020 1 000000001d47a0db 100 0 0 10 0", Tcp6);
        Assert.Equal(IPAddress.IPv6Loopback, listener.LocalAddress);

        // A TIME_WAIT entry of a dual-stack socket that talked IPv4: ::ffff:127.0.0.1, no socket (inode 0).
        var timeWait = ParseOne("   2: 0000000000000000FFFF00000100007F:A6C8 0000000000000000FFFF00000100007F:9BA9 06 00000000:00000000 03:00000AAC 00000000     0        0 0 3 0000000058564db5", Tcp6);
        Assert.Equal(IPAddress.Parse("::ffff:127.0.0.1"), timeWait.LocalAddress);
        Assert.Equal(IPAddress.Loopback, timeWait.LocalOnWire);
        Assert.Equal(IPAddress.Loopback, timeWait.RemoteOnWire);
        Assert.Equal(42696, timeWait.LocalPort);
        Assert.Equal(39849, timeWait.RemotePort);
        Assert.Equal("TIME_WAIT", ProcNetSockets.StateName(timeWait));
        Assert.Equal(0, timeWait.Inode);
        Assert.Equal("tcp6", timeWait.NetstatProto);
        Assert.Equal(4, timeWait.IpVersion);
    }

    [Fact]
    public void UdpLinesAndTheirStates()
    {
        // netstat printed "udp 832 0 0.0.0.0:53 0.0.0.0:*" with a blank state for this unconnected socket.
        var unconnected = ParseOne("11883: 00000000:0035 00000000:0000 07 00000000:00000340 00:00000000 00000000     0        0 1046029 2 00000000009def85 0       ", Udp);
        Assert.Equal(IPAddress.Any, unconnected.LocalAddress);
        Assert.Equal(53, unconnected.LocalPort);
        Assert.Equal(832, unconnected.RxQueue);
        Assert.Equal("", ProcNetSockets.StateName(unconnected));
        Assert.True(unconnected.IsServer);

        var connected = ParseOne("13750: 0100007F:92B8 0100007F:0035 01 00000000:00000000 00:00000000 00000000     0        0 1290829 2 00000000df0d3ec3 0       ", Udp);
        Assert.Equal(IPAddress.Loopback, connected.RemoteAddress);
        Assert.Equal(37560, connected.LocalPort);
        Assert.Equal("ESTABLISHED", ProcNetSockets.StateName(connected));
        Assert.False(connected.IsServer);

        var v6 = ParseOne(" 6988: 00000000000000000000000001000000:AD16 00000000000000000000000001000000:14E9 01 00000000:00000000 00:00000000 00000000     0        0 1046032 2 000000001ba06d59 0", Udp6);
        Assert.Equal(IPAddress.IPv6Loopback, v6.LocalAddress);
        Assert.Equal(44310, v6.LocalPort);
        Assert.Equal(5353, v6.RemotePort);
        Assert.Equal("udp6", v6.NetstatProto);
    }

    [Theory]
    [InlineData("0100007F", true, "127.0.0.1")]
    [InlineData("7F000001", false, "127.0.0.1")]
    [InlineData("0103A8C0", true, "192.168.3.1")]
    [InlineData("00000000", true, "0.0.0.0")]
    [InlineData("FFFFFFFF", true, "255.255.255.255")]
    [InlineData("00000000000000000000000001000000", true, "::1")]
    [InlineData("00000000000000000000000000000001", false, "::1")]
    [InlineData("0000000000000000FFFF00000100007F", true, "::ffff:127.0.0.1")]
    [InlineData("000000000000000000000000FFFF7F000001", false, null)]
    [InlineData("000080FE00000000FF4C0802FE7A1100", true, "fe80::208:4cff:11:7afe")]
    [InlineData("FE800000000000000000000000000001", false, "fe80::1")]
    [InlineData("0100007G", true, null)]
    [InlineData("100007F", true, null)]
    public void AddressDecoding(string hex, bool littleEndianHost, string? expected)
    {
        bool ok = ProcNetSockets.TryParseAddress(hex, littleEndianHost, out var address);
        if (expected is null)
        {
            Assert.False(ok, $"{hex} decoded as {address}");
            return;
        }

        Assert.True(ok);
        Assert.Equal(IPAddress.Parse(expected), address);
    }

    [Theory]
    [InlineData(1, "ESTABLISHED")]
    [InlineData(2, "SYN_SENT")]
    [InlineData(3, "SYN_RECV")]
    [InlineData(4, "FIN_WAIT1")]
    [InlineData(5, "FIN_WAIT2")]
    [InlineData(6, "TIME_WAIT")]
    [InlineData(7, "CLOSE")]
    [InlineData(8, "CLOSE_WAIT")]
    [InlineData(9, "LAST_ACK")]
    [InlineData(10, "LISTEN")]
    [InlineData(11, "CLOSING")]
    [InlineData(12, "UNKNOWN")]
    [InlineData(0, "UNKNOWN")]
    public void TcpStateNamesAreNetstats(int state, string name) => Assert.Equal(name, ProcNetSockets.TcpStateName(state));

    [Theory]
    [InlineData(1, "ESTABLISHED")]
    [InlineData(7, "")]
    [InlineData(10, "UNKNOWN")]
    public void UdpStateNamesAreNetstats(int state, string name) => Assert.Equal(name, ProcNetSockets.UdpStateName(state));

    [Fact]
    public void AWholeTableSkipsItsHeaderAndCountsBogusLines()
    {
        string text = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1247 1 000000008b8659a3 100 0 0 10 0
               1: 0100007F:958D 00000000:0000 0A 00000000:00000005 00:00000000 00000000  1000        0 1040127 1 000000002d1c466b 100 0 0 10 0
               2: 0100007F:958D
               3: 0100007F:958D 0100007F:828C 0Z 00000000:00000000 00:00000000 00000000     0        0 1038306 1 00000000278ace5d 20 4 30 13 -1
               4: 0100007F:958D 0100007F:828C 01 00000000:00000000 00:00000000 00000000     0        0 1038306 1 00000000278ace5d 20 4 30 13 -1
            """;
        var entries = new List<SocketEntry>();

        int bogus = ProcNetSockets.Parse(text, Tcp, entries);

        Assert.Equal(2, bogus);
        Assert.Equal([2024, 38285, 38285], entries.Select(e => e.LocalPort));
        Assert.Equal(5, entries[1].RxQueue);
        Assert.Equal(1000, entries[1].Uid);
        Assert.Equal(33420, entries[2].RemotePort);
    }

    [Fact]
    public void AnIPv4AddressInTheIPv6TableIsBogus()
    {
        Assert.False(ProcNetSockets.TryParseLine("   0: 0100007F:958D 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0", Tcp6, true, out _));
        Assert.False(ProcNetSockets.TryParseLine("   0: 0100007F:1958D 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0", Tcp, true, out _));
    }

    [Fact]
    public void AProcWithoutSocketTablesIsAnError()
    {
        string dir = Directory.CreateTempSubdirectory("pcapforge-proc-").FullName;
        try
        {
            var e = Assert.Throws<ProcNetUnavailableException>(() => ProcNetSockets.Read(dir));
            Assert.Contains(Path.Combine(dir, "net", "tcp"), e.Message);

            // One table present is enough: a kernel without IPv6 has no tcp6.
            Directory.CreateDirectory(Path.Combine(dir, "net"));
            File.WriteAllText(Path.Combine(dir, "net", "udp"), "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
                + "11883: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1046029 2 00000000009def85 0\n");
            var read = ProcNetSockets.Read(dir);
            Assert.Equal(53, Assert.Single(read.Sockets).LocalPort);
            Assert.Empty(read.Problems);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
