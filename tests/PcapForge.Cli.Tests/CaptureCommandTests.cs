using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using PcapForge.Abstractions;
using PcapForge.Capture;
using Xunit.Abstractions;

namespace PcapForge.Cli.Tests;

/// <summary>
/// <c>pcapforge capture</c> on real traffic: in two network namespaces the test makes, a real HTTP server and curl;
/// pcapforge and tcpdump capture side by side and must keep the same frames, byte for byte; the flows written
/// while capturing must be those <c>analyze</c> finds in the written pcapng. Each way of ending (SIGTERM, SIGINT,
/// -c, --duration) must leave complete files. These tests need root and skip with a message without it.
/// </summary>
public sealed class CaptureCommandTests(ITestOutputHelper log)
{
    private const int Port = 8080;

    /// <summary>Every frame of a capture (or of one of its interfaces): bytes, length on the wire, time.</summary>
    private static List<(byte[] Data, long Original, long Ts)> Frames(string path, int? interfaceId = null)
    {
        var frames = new List<(byte[], long, long)>();
        using var reader = CaptureReader.Open(path);
        while (reader.TryReadNext(out Frame f))
        {
            if (interfaceId is null || f.Info.InterfaceId == interfaceId)
                frames.Add((f.Data.ToArray(), f.Info.OriginalLength, f.Info.TimestampNs));
        }

        Assert.False(reader.StoppedEarly, $"{path} stopped early");
        return frames;
    }

    /// <summary>
    /// The two captures hold the same frames, byte for byte, in the same order but for frames that reached the two
    /// sockets at nearly the same time: with two cores, two packets handled at once on different CPUs can be queued
    /// to two packet sockets in opposite orders, so each frame may sit a few places away from its twin and its time may
    /// differ by the microseconds between the two deliveries (a frame going out has no timestamp until a tap takes
    /// it). Neither capture may have lost frames (tcpdump's and pcapforge's summaries say how many the kernel
    /// dropped), or the comparison says nothing. Returns the largest time difference.
    /// </summary>
    private long AssertSameFrames(string tcpdumpFile, string pcapforgeFile, Child tcpdump, Child capture, int? interfaceId = null)
    {
        Assert.Matches("(?m)^0 packets dropped by kernel$", tcpdump.Error);
        Assert.Contains(", 0 dropped by the kernel", capture.Error, StringComparison.Ordinal);
        var expected = Frames(tcpdumpFile);
        var got = Frames(pcapforgeFile, interfaceId);
        Assert.True(expected.Count > 0, "tcpdump captured nothing");
        Assert.Equal(expected.Count, got.Count);
        var matched = new bool[expected.Count];
        long maxSkew = 0;
        int moved = 0;
        for (int i = 0; i < got.Count; i++)
        {
            int j = Enumerable.Range(0, expected.Count).FirstOrDefault(k => !matched[k] && expected[k].Data.AsSpan().SequenceEqual(got[i].Data), -1);
            Assert.True(j >= 0, $"frame {i + 1} of pcapforge is not in tcpdump's capture: {Convert.ToHexString(got[i].Data)}");
            matched[j] = true;
            Assert.Equal(expected[j].Original, got[i].Original);
            Assert.True(Math.Abs(i - j) <= 4, $"frame {i + 1} of pcapforge is frame {j + 1} of tcpdump");
            if (i != j)
                moved++;
            maxSkew = Math.Max(maxSkew, Math.Abs(expected[j].Ts - got[i].Ts));
        }

        log.WriteLine($"{got.Count} frames equal to tcpdump's, {moved} of them in another place; largest timestamp difference {maxSkew} ns");
        // Both read the kernel's time of the same packet; a receive-time fallback would be far off.
        Assert.True(maxSkew < 1_000_000, $"timestamps differ from tcpdump's by up to {maxSkew} ns");
        return maxSkew;
    }

    private static void WriteSite(LiveNetwork net)
    {
        File.WriteAllText(Path.Combine(net.Directory, "index.html"), "<html><title>capture test</title></html>\n");
        var random = new Random(6);
        byte[] big = new byte[300_000];
        random.NextBytes(big);
        File.WriteAllBytes(Path.Combine(net.Directory, "big.bin"), big);
    }

    /// <summary>Three HTTP/1.0 connections (python's server closes each after its answer), one of them 300 kB.</summary>
    private static void Browse(LiveNetwork net)
    {
        string url = $"http://{net.ServerIp}:{Port}";
        net.Run(net.Client, "curl", "-sf", "-o", "/dev/null", "-o", "/dev/null", $"{url}/index.html", $"{url}/big.bin");
        net.Run(net.Client, "curl", "-sf", "-o", "/dev/null", $"{url}/index.html");
        // The last ACK of the closing handshake is on its way; let it arrive before the captures stop.
        Thread.Sleep(500);
    }

    private static string Csv(string dataset, string sql)
    {
        var (exit, text, error) = CliRunner.Run("query", dataset, "--format", "csv", sql);
        Assert.True(exit == 0, error);
        return text.Replace("\r\n", "\n");
    }

    [LiveCaptureTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void Frames_equal_tcpdumps_and_the_flows_written_while_capturing_equal_analyze_of_the_written_file(bool ring)
    {
        using var net = new LiveNetwork();
        WriteSite(net);
        string pcap = Path.Combine(net.Directory, "tcpdump.pcap");
        string pcapng = Path.Combine(net.Directory, "capture.pcapng");
        string live = Path.Combine(net.Directory, "live") + "/";
        using var server = net.StartHttpServer(Port);
        var tcpdump = net.StartTcpdump(net.ServerVeth, pcap);
        var capture = net.StartPcapforge(net.Server, ring, "capture", "-i", net.ServerVeth, "-w", pcapng, "--out", live);
        capture.WaitFor("capturing on");
        Browse(net);

        capture.Signal("TERM");
        tcpdump.Signal("TERM");
        Assert.True(capture.WaitForExit() == 0, capture.Error);
        tcpdump.WaitForExit();
        log.WriteLine(capture.Error);
        Assert.DoesNotContain("   at ", capture.Error, StringComparison.Ordinal);
        Assert.Contains("stopped;", capture.Error, StringComparison.Ordinal);
        AssertSameFrames(pcap, pcapng, tcpdump, capture);

        // The written file is complete and valid for PcapForge and, where installed, for tshark.
        var (infoExit, info, infoError) = CliRunner.Run("info", pcapng);
        Assert.True(infoExit == 0, infoError);
        Assert.Contains("Anomalies:                none", info, StringComparison.Ordinal);
        Assert.Contains($"Name:                 {net.ServerVeth}", info, StringComparison.Ordinal);
        Assert.Contains("Statistics:           received", info, StringComparison.Ordinal);
        if (LiveNetwork.Which("tshark") is string tshark)
        {
            using var t = new Child(tshark, ["-r", pcapng, "-q"]);
            Assert.True(t.WaitForExit() == 0, t.Error);
        }

        // The flows written while capturing are analyze's over the written file; only the capture id differs
        // (a file's id hashes its bytes, which a live capture does not have yet), and with it the flow uids.
        string again = Path.Combine(net.Directory, "again") + "/";
        var (exit, _, error) = CliRunner.Run("analyze", pcapng, "--out", again);
        Assert.True(exit == 0, error);
        const string Flows = "select * exclude (flow_uid, capture_id, tunnel_parents) from flows order by ts, orig_p";
        string liveFlows = Csv(live, Flows);
        Assert.Equal(Csv(again, Flows), liveFlows);
        Assert.Equal("proto,conn_state,n\ntcp,SF,3\n", Csv(live, "select proto, conn_state, count(*) as n from flows group by all"));

        // The captures row names the live source; its size and SHA-256 are the written file's.
        string sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(pcapng)));
        long frames = Frames(pcapng).Count;
        Assert.Equal(
            $"source,path,host,size,sha256,frames,format\ncapture,{net.ServerVeth},{Environment.MachineName},{new FileInfo(pcapng).Length},{sha},{frames},pcapng\n",
            Csv(live, "select source, path, host, size, sha256, frames, format from captures"));
    }

    [LiveCaptureFact]
    public void The_any_device_gives_tcpdumps_cooked_v2_frames_and_ctrl_c_ends_it()
    {
        using var net = new LiveNetwork();
        WriteSite(net);
        string pcap = Path.Combine(net.Directory, "tcpdump.pcap");
        string pcapng = Path.Combine(net.Directory, "capture.pcapng");
        using var server = net.StartHttpServer(Port);
        var tcpdump = net.StartTcpdump("any", pcap);
        var capture = net.StartPcapforge(net.Server, "capture", "-i", "any", "-w", pcapng);
        capture.WaitFor("capturing on");
        Browse(net);
        // Loopback traffic too: each frame is seen leaving and arriving, and kept once.
        net.Run(net.Server, "curl", "-sf", "-o", "/dev/null", $"http://{net.ServerIp}:{Port}/index.html");
        Thread.Sleep(300);

        capture.Signal("INT");
        tcpdump.Signal("TERM");
        Assert.True(capture.WaitForExit() == 0, capture.Error);
        tcpdump.WaitForExit();
        AssertSameFrames(pcap, pcapng, tcpdump, capture);
        using var reader = CaptureReader.Open(pcapng);
        Assert.Equal(LinkTypes.LinuxSll2, reader.Interfaces[0].LinkType);
        Assert.Equal("any", reader.Interfaces[0].Name);
    }

    [LiveCaptureFact]
    public void Two_interfaces_get_an_interface_block_each_and_each_its_own_frames()
    {
        using var net = new LiveNetwork();
        WriteSite(net);
        string vethPcap = Path.Combine(net.Directory, "veth.pcap"), loPcap = Path.Combine(net.Directory, "lo.pcap");
        string pcapng = Path.Combine(net.Directory, "capture.pcapng");
        using var server = net.StartHttpServer(Port);
        var vethDump = net.StartTcpdump(net.ServerVeth, vethPcap);
        var loDump = net.StartTcpdump("lo", loPcap);
        var capture = net.StartPcapforge(net.Server, "capture", "-i", net.ServerVeth, "-i", "lo", "-w", pcapng);
        capture.WaitFor("capturing on");
        Browse(net);
        net.Run(net.Server, "curl", "-sf", "-o", "/dev/null", $"http://{net.ServerIp}:{Port}/index.html");
        Thread.Sleep(300);
        capture.Signal("TERM");
        vethDump.Signal("TERM");
        loDump.Signal("TERM");
        Assert.True(capture.WaitForExit() == 0, capture.Error);
        vethDump.WaitForExit();
        loDump.WaitForExit();
        AssertSameFrames(vethPcap, pcapng, vethDump, capture, interfaceId: 0);
        AssertSameFrames(loPcap, pcapng, loDump, capture, interfaceId: 1);
        using var reader = CaptureReader.Open(pcapng);
        Assert.Equal([net.ServerVeth, "lo"], reader.Interfaces.Select(i => i.Name));
        Assert.Contains($"on {net.ServerVeth},lo in", capture.Error, StringComparison.Ordinal);
    }

    [LiveCaptureFact]
    public void Vlan_tags_the_kernel_took_off_are_put_back_as_tcpdump_does()
    {
        using var net = new LiveNetwork();
        string pcap = Path.Combine(net.Directory, "tcpdump.pcap");
        string pcapng = Path.Combine(net.Directory, "capture.pcapng");
        var tcpdump = net.StartTcpdump(net.ServerVeth, pcap);
        var capture = net.StartPcapforge(net.Server, "capture", "-i", net.ServerVeth, "-w", pcapng);
        capture.WaitFor("capturing on");
        // The receiving kernel takes a tag off (skb_vlan_untag) before a packet socket sees the frame; only the
        // auxiliary data still has it. 802.1Q with VLAN 5, 100 and 0; an 802.1ad outer tag over an 802.1Q one; none.
        const string Send = """
            import socket, sys
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
            s.bind((sys.argv[1], 0))
            head = b'\xff' * 6 + b'\x02\x00\x00\x00\x00\x02'
            ip = bytes.fromhex('4500001c0000000040110000c0a80001c0a80002' + '1f901f9000080000')
            for vid in (5, 100, 0):
                s.send(head + b'\x81\x00' + vid.to_bytes(2, 'big') + b'\x08\x00' + ip)
            s.send(head + b'\x88\xa8\x00\x07\x81\x00\x00\x09\x08\x00' + ip)
            s.send(head + b'\x08\x00' + ip)
            """;
        net.Run(net.Client, "python3", "-c", Send, net.ClientVeth);
        Thread.Sleep(300);
        capture.Signal("TERM");
        tcpdump.Signal("TERM");
        Assert.True(capture.WaitForExit() == 0, capture.Error);
        tcpdump.WaitForExit();
        AssertSameFrames(pcap, pcapng, tcpdump, capture);
        var tpids = Frames(pcapng).Select(f => Convert.ToHexString(f.Data, 12, 2)).ToArray();
        Assert.Equal(["8100", "8100", "8100", "88A8", "0800"], tpids);
    }

    [LiveCaptureFact]
    public void A_display_filter_keeps_the_frames_a_tcpdump_capture_filter_keeps()
    {
        using var net = new LiveNetwork();
        WriteSite(net);
        string pcap = Path.Combine(net.Directory, "tcpdump.pcap");
        string pcapng = Path.Combine(net.Directory, "capture.pcapng");
        using var server = net.StartHttpServer(Port);
        var tcpdump = net.StartTcpdump(net.ServerVeth, pcap, "tcp", "and", "port", Port.ToString(CultureInfo.InvariantCulture));
        var capture = net.StartPcapforge(net.Server, "capture", "-i", net.ServerVeth, "-w", pcapng, "-Y", $"tcp.port == {Port}");
        capture.WaitFor("capturing on");
        // ICMP and ARP that the filters must leave out, then HTTP they keep.
        net.Run(net.Client, "ping", "-c", "3", "-i", "0.2", net.ServerIp);
        Browse(net);
        capture.Signal("TERM");
        tcpdump.Signal("TERM");
        Assert.True(capture.WaitForExit() == 0, capture.Error);
        tcpdump.WaitForExit();
        AssertSameFrames(pcap, pcapng, tcpdump, capture);
        Assert.Contains("not matching the display filter", capture.Error, StringComparison.Ordinal);
    }

    [LiveCaptureFact]
    public void A_count_ends_the_capture_with_that_many_frames()
    {
        using var net = new LiveNetwork();
        string pcapng = Path.Combine(net.Directory, "capture.pcapng");
        var capture = net.StartPcapforge(net.Server, "capture", "-i", net.ServerVeth, "-c", "5", "-p", "-w", pcapng, "--out", net.Directory + "/ds/");
        capture.WaitFor("capturing on");
        Assert.Contains("promiscuity 0 ", net.Run(net.Server, "ip", "-d", "-o", "link", "show", net.ServerVeth), StringComparison.Ordinal);
        using var ping = net.Start(net.Client, "ping", "-c", "40", "-i", "0.1", net.ServerIp);
        Assert.True(capture.WaitForExit() == 0, capture.Error);
        Assert.Contains("count reached", capture.Error, StringComparison.Ordinal);
        Assert.Equal(5, Frames(pcapng).Count);
        Assert.Equal("frames\n5\n", Csv(net.Directory + "/ds/", "select frames from captures"));
    }

    [LiveCaptureFact]
    public void A_duration_ends_the_capture_on_time_with_complete_files()
    {
        using var net = new LiveNetwork();
        string pcapng = Path.Combine(net.Directory, "capture.pcapng");
        var clock = Stopwatch.StartNew();
        var capture = net.StartPcapforge(net.Server, "capture", "-i", net.ServerVeth, "--duration", "2", "-w", pcapng, "--out", net.Directory + "/ds.parquet");
        capture.WaitFor("capturing on");
        var started = clock.Elapsed;
        // Promiscuous by default, as tcpdump: a packet-socket membership (packet(7)), which the kernel counts in the
        // device's promiscuity (not in its IFF_PROMISC flag, which only shows what SIOCSIFFLAGS set) and drops with the socket.
        Assert.Contains("promiscuity 1 ", net.Run(net.Server, "ip", "-d", "-o", "link", "show", net.ServerVeth), StringComparison.Ordinal);
        using var ping = net.Start(net.Client, "ping", "-c", "100", "-i", "0.1", net.ServerIp);
        Assert.True(capture.WaitForExit() == 0, capture.Error);
        var ended = clock.Elapsed;
        log.WriteLine($"started after {started.TotalSeconds:0.00} s, ended {(ended - started).TotalSeconds:0.00} s later");
        Assert.Contains("duration reached", capture.Error, StringComparison.Ordinal);
        // The summary's own elapsed time is the capture's: 2 s and the last poll interval at most.
        var match = System.Text.RegularExpressions.Regex.Match(capture.Error, @" in (\d+\.\d+) s");
        double elapsed = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.InRange(elapsed, 2.0, 2.5);
        Assert.Contains("promiscuity 0 ", net.Run(net.Server, "ip", "-d", "-o", "link", "show", net.ServerVeth), StringComparison.Ordinal);
        int frames = Frames(pcapng).Count;
        Assert.True(frames > 0);
        Assert.Equal($"frames\n{frames}\n", Csv(net.Directory + "/ds.parquet", "select frames from captures"));
    }

    [LiveCaptureTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void Frames_that_arrived_just_before_the_end_are_kept(bool ring)
    {
        using var net = new LiveNetwork();
        string pcapng = Path.Combine(net.Directory, "capture.pcapng");
        var capture = net.StartPcapforge(net.Server, ring, "capture", "-i", net.ServerVeth, "--duration", "2", "-w", pcapng);
        capture.WaitFor("capturing on");
        // A numbered frame every 2 ms until past the end, each send time printed. A ring block is handed over only
        // when full or 50 ms old, so at the end the last tens of milliseconds of frames are still with the kernel:
        // they must be read before the file is closed.
        const string Send = """
            import socket, sys, time
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
            s.bind((sys.argv[1], 0))
            for i in range(1500):
                s.send(b'\xff' * 6 + b'\x02\x00\x00\x00\x00\x02' + b'\x88\xb5' + i.to_bytes(4, 'big') + bytes(42))
                print(time.time_ns(), flush=True)
                time.sleep(0.002)
            """;
        using var sender = net.Start(net.Client, "python3", "-c", Send, net.ClientVeth);
        Assert.True(capture.WaitForExit() == 0, capture.Error);
        Assert.True(sender.WaitForExit() == 0, sender.Error);
        var sent = sender.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(t => long.Parse(t, CultureInfo.InvariantCulture)).ToList();
        var numbers = Frames(pcapng).Select(f => BinaryPrimitivesBigEndian(f.Data.AsSpan(14))).ToList();
        using var reader = CaptureReader.Open(pcapng);
        while (reader.TryReadNext(out _))
        {
        }

        // The capture ran from isb_starttime for two seconds, and keeps what the kernel stamped in them. It kept the
        // frames in the order sent with none missing (the sender started after the capture), and so every frame up
        // to the last it kept; that includes every frame sent more than 5 ms before the end, and none sent 2 ms after. (A frame is stamped when the receiving kernel gets to it, which
        // on a loaded machine can be a little after it was sent: the last one before the end can be stamped after
        // it, and is rightly not kept.)
        long end = reader.Interfaces[0].Statistics!.StartTimeNs!.Value + 2_000_000_000;
        Assert.Equal(Enumerable.Range(0, numbers.Count).Select(i => (uint)i), numbers);
        int before = sent.Count(t => t < end - 5_000_000);
        log.WriteLine($"{numbers.Count} frames kept; {sent.Count(t => t < end)} sent before the end, {before} more than 5 ms before; " +
            $"the last kept was sent {(end - sent[numbers.Count - 1]) / 1e6:0.0} ms before the end");
        Assert.True(before >= 10 && sent.Count(t => t > end) >= 10, $"the sender did not send across the end ({before} frames before it)");
        Assert.InRange(numbers.Count, before, sent.Count(t => t < end + 2_000_000));
    }

    private static uint BinaryPrimitivesBigEndian(ReadOnlySpan<byte> bytes) => System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes);

    [LiveCaptureTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void Frames_the_kernel_dropped_are_counted_in_the_summary_and_the_statistics_block(bool ring)
    {
        using var net = new LiveNetwork();
        string pcapng = Path.Combine(net.Directory, "capture.pcapng");
        // A buffer of 1 KiB with 96-byte frames: the smallest ring (4 blocks of a page) or socket queue (the
        // kernel raises it to its minimum) holds a few dozen frames at most, and the capture is stopped meanwhile.
        var capture = net.StartPcapforge(net.Server, ring, "capture", "-i", net.ServerVeth, "-B", "1", "-s", "96", "-w", pcapng);
        capture.WaitFor("capturing on");
        capture.Signal("STOP");
        const string Send = """
            import socket, sys
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
            s.bind((sys.argv[1], 0))
            frame = b'\xff' * 6 + b'\x02\x00\x00\x00\x00\x02' + b'\x08\x00' + bytes.fromhex('4500001c0000000040110000c0a80001c0a800021f901f9000080000')
            for i in range(300):
                s.send(frame)
            """;
        net.Run(net.Client, "python3", "-c", Send, net.ClientVeth);
        capture.Signal("CONT");
        Thread.Sleep(300);
        capture.Signal("TERM");
        Assert.True(capture.WaitForExit() == 0, capture.Error);
        var m = System.Text.RegularExpressions.Regex.Match(capture.Error, @"(\d+) frames captured .* (\d+) received by the kernel, (\d+) dropped by the kernel");
        Assert.True(m.Success, capture.Error);
        long captured = long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        long received = long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        long dropped = long.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
        log.WriteLine(capture.Error);
        Assert.Equal(300, received);
        Assert.True(dropped > 0, "nothing was dropped");
        Assert.Equal(received, captured + dropped);
        Assert.Equal(captured, Frames(pcapng).Count);
        using var reader = CaptureReader.Open(pcapng);
        while (reader.TryReadNext(out _))
        {
        }

        var stats = reader.Interfaces[0].Statistics!;
        Assert.Equal((ulong)received, stats.ReceivedPackets);
        Assert.Equal((ulong)dropped, stats.DroppedByOs);
        Assert.Equal((ulong)captured, stats.DeliveredToUser);
    }

    [Fact]
    public void Without_the_privilege_one_line_says_root_or_cap_net_raw_is_needed()
    {
        string dir = Directory.CreateTempSubdirectory("pcapforge-noprivilege-").FullName;
        try
        {
            string pcapng = Path.Combine(dir, "x.pcapng");
            int exit;
            string error;
            if (Environment.IsPrivilegedProcess && LiveNetwork.Which("setpriv") is string setpriv)
            {
                // Root without CAP_NET_RAW in its bounding set: socket(AF_PACKET) fails with EPERM (packet(7)).
                var (file, prefix) = LiveNetwork.Pcapforge();
                using var child = new Child(setpriv, ["--bounding-set=-net_raw", "--inh-caps=-net_raw", file, .. prefix, "capture", "-i", "lo", "-w", pcapng]);
                exit = child.WaitForExit();
                error = child.Error;
            }
            else
            {
                (exit, _, error) = CliRunner.Run("capture", "-i", "lo", "-w", pcapng);
            }

            Assert.Equal(ExitCodes.InputError, exit);
            Assert.Equal(
                "pcapforge capture: cannot capture on lo: opening a packet socket needs root or the CAP_NET_RAW capability (try sudo)",
                error.TrimEnd());
            Assert.False(File.Exists(pcapng));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void The_privilege_error_of_the_kernel_becomes_that_message()
    {
        var iface = new Live.Linux.NetworkInterfaceInfo("eth9", 9, 1, 0, 1500, null, []);
        var e = Live.Linux.PacketSocket.OpenError(new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.AccessDenied), iface);
        Assert.Equal(Live.LiveCaptureError.NoPrivilege, e.Error);
        Assert.Contains("root or the CAP_NET_RAW capability", e.Message, StringComparison.Ordinal);
        var other = Live.Linux.PacketSocket.OpenError(new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.AddressFamilyNotSupported), iface);
        Assert.Equal(Live.LiveCaptureError.Unsupported, other.Error);
    }

    [Fact]
    public void An_unknown_interface_is_one_clear_error_naming_those_there_are()
    {
        var (exit, _, error) = CliRunner.Run("capture", "-i", "nosuch0", "-w", Path.Combine(Path.GetTempPath(), $"pf-{Guid.NewGuid():N}.pcapng"));
        Assert.Equal(ExitCodes.InputError, exit);
        Assert.StartsWith("pcapforge capture: no such interface: nosuch0 (interfaces here: lo", error, StringComparison.Ordinal);
        Assert.Single(error.TrimEnd().Split('\n'));
    }

    [Fact]
    public void The_interface_list_shows_each_with_index_link_type_flags_and_addresses_then_any()
    {
        var (exit, text, error) = CliRunner.Run("capture", "--list-interfaces");
        Assert.True(exit == 0, error);
        var lines = text.TrimEnd().Split('\n');
        string lo = lines.Single(l => l.Contains(".lo [", StringComparison.Ordinal));
        int index = int.Parse(File.ReadAllText("/sys/class/net/lo/ifindex").Trim(), CultureInfo.InvariantCulture);
        Assert.Matches($@"^\d+\.lo \[Up, Running, Loopback\] index {index}, loopback, link type ETHERNET, mtu \d+, 127\.0\.0\.1/8", lo);
        Assert.StartsWith($"{lines.Length}.any [Up, Running] ", lines[^1], StringComparison.Ordinal);
        // Every interface the kernel has, in index order.
        var names = Directory.GetDirectories("/sys/class/net").Select(Path.GetFileName).ToHashSet();
        Assert.Equal(names.Count + 1, lines.Length);
    }

    [Theory]
    [InlineData(new[] { "capture", "-w", "x.pcapng" }, "name an interface with -i")]
    [InlineData(new[] { "capture", "-i", "lo" }, "say where the frames go")]
    [InlineData(new[] { "capture", "-i", "lo", "-w", "x.pcapng", "-c", "0" }, "-c must be at least 1")]
    [InlineData(new[] { "capture", "-i", "lo", "-w", "x.pcapng", "--duration", "-1" }, "--duration must be a positive number")]
    [InlineData(new[] { "capture", "-i", "lo", "-w", "x.pcapng", "-s", "300000" }, "-s must lie between 1 and 262144")]
    [InlineData(new[] { "capture", "-i", "lo", "-w", "x.pcapng", "--packets" }, "--packets and --partition-by need --out")]
    [InlineData(new[] { "capture", "-i", "lo", "-w", "x.pcapng", "-Y", "tcp.port ==" }, "invalid display filter")]
    public void Wrong_options_are_usage_errors_before_any_socket_is_opened(string[] args, string message)
    {
        var (exit, _, error) = CliRunner.Run(args);
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.False(File.Exists("x.pcapng"));
    }

    [Fact]
    public void An_existing_file_is_kept_unless_forced()
    {
        string path = Path.Combine(Path.GetTempPath(), $"pf-{Guid.NewGuid():N}.pcapng");
        File.WriteAllText(path, "evidence");
        try
        {
            var (exit, _, error) = CliRunner.Run("capture", "-i", "lo", "-w", path);
            Assert.Equal(ExitCodes.Usage, exit);
            Assert.Contains("exists; use --force", error, StringComparison.Ordinal);
            Assert.Equal("evidence", File.ReadAllText(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
