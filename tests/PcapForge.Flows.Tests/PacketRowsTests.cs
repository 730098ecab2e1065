using PcapForge.Dissection;
using PcapForge.Output;
using static PcapForge.TestSupport.Frames;

namespace PcapForge.Flows.Tests;

/// <summary>The packets table (<c>--packets</c>): one row per frame, written without allocating per frame.</summary>
public class PacketRowsTests
{
    /// <summary>Counts the packet rows and keeps the values of the 500th (one sample a run, the same in every run).</summary>
    private sealed class SamplingSink : IRowSink
    {
        public long Rows;
        public Dictionary<string, object?> Sample { get; } = new();

        // No lambda here: a closure over a local of this method would be allocated on every call, and counted.
        public void Write(TableRow row)
        {
            if (row.Table.Name != "packets" || ++Rows != 500)
                return;
            var values = row.ToValues();
            for (int i = 0; i < values.Length; i++)
                Sample[row.Table.Columns[i].Name] = values[i];
        }
    }

    private static (long Allocated, SamplingSink Sink) Analyse(int segments, string client = "10.0.0.1", string server = "10.0.0.2")
    {
        var c = new Conversation(client: client, server: server, serverPort: 9);
        c.C(Syn).S(Syn | Ack).C(Ack);
        for (int i = 0; i < segments; i++)
            c.C(Ack | Psh, "\0\0\0\0\0\0\0\0").S(Ack);
        string path = Path.Combine(Path.GetTempPath(), $"pcapforge-packets-{Guid.NewGuid():N}.pcap");
        try
        {
            using (var stream = File.Create(path))
            using (var writer = new Capture.Writing.PcapWriter(stream, 1))
            {
                foreach (var (ts, frame) in c.Frames)
                    writer.WritePacket(ts, frame, frame.Length);
                writer.Complete();
            }

            var sink = new SamplingSink();
            var analysis = new CaptureAnalysis(new DissectionEngine(Analyzer.Registry), sink,
                new AnalysisOptions { HashInput = false, Workers = 1, Packets = true });
            long before = GC.GetAllocatedBytesForCurrentThread();
            analysis.Run(path);
            return (GC.GetAllocatedBytesForCurrentThread() - before, sink);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// Twenty thousand frames more of the same connection, over IPv4 or IPv6, cost (almost) no allocation: the
    /// addresses, MAC addresses and protocol path of each row are formatted into buffers, not strings (before, four
    /// strings and two IPAddress objects a frame). The worker runs on the calling thread with one worker, so its
    /// allocations are this thread's.
    /// </summary>
    [Theory]
    [InlineData("10.0.0.1", "10.0.0.2", "eth:ip:tcp")]
    [InlineData("2001:db8::1", "2001:db8:0:1::2", "eth:ipv6:tcp")]
    public void Packet_rows_of_a_connection_allocate_nothing_per_frame(string client, string server, string protocols)
    {
        Analyse(100, client, server); // everything that is made once (the JIT, the plugins' statics) is made here
        var (few, fewRows) = Analyse(1_000, client, server);
        var (many, manyRows) = Analyse(11_000, client, server);
        Assert.Equal(20_000, manyRows.Rows - fewRows.Rows);
        var sample = manyRows.Sample;
        Assert.Equal(new[] { client, server }.Order(), new[] { sample["src_h"], sample["dst_h"] }.Order());
        Assert.Matches("^([0-9a-f]{2}:){5}[0-9a-f]{2}$", (string)sample["eth_src"]!);
        Assert.Equal(protocols, sample["protocols"]);
        double perFrame = (many - few) / 20_000.0;
        Assert.True(perFrame < 1, $"{perFrame:F1} bytes allocated per frame");
    }
}

/// <summary>RowBuilder finds columns by the identity of their name strings; every value must land in its own column.</summary>
public class RowBuilderTests
{
    private static readonly Abstractions.Records.RecordTableDescriptor Table = new("t", "",
        [new("a", Abstractions.Records.ColumnType.Int64, ""), new("b", Abstractions.Records.ColumnType.String, ""),
         new("c", Abstractions.Records.ColumnType.Int32, ""), new("d", Abstractions.Records.ColumnType.String, "")]);

    [Fact]
    public void Columns_set_in_any_order_subset_or_string_object_land_in_their_own_column()
    {
        var row = new RowBuilder(Table);
        row.Clear();
        row.Set("a", 1L).Set("b", "one").Set("c", 10).SetText("d", "x");
        Assert.Equal([1L, "one", 10, "x"], row.Row.ToValues());

        // Another order, a subset, and names that are the same text in other string objects.
        row.Clear();
        row.Set(new string("d".AsSpan()), "y").Set("c", 20).Set(string.Concat("b", ""), "two");
        Assert.Equal([null, "two", 20, "y"], row.Row.ToValues());

        row.Clear();
        row.Set("c", 30).Set("a", 3L);
        Assert.Equal([3L, null, 30, null], row.Row.ToValues());
    }
}

/// <summary>Packet rows of a mix of frames: each row carries the columns of its own kind and no other's.</summary>
public class MixedPacketRowsTests
{
    [Fact]
    public void Tcp_udp_and_icmp_rows_in_turn_keep_their_own_columns()
    {
        var frames = new List<(long, byte[])>();
        long ts = 1_700_000_000_000_000_000;
        for (int i = 0; i < 3; i++)
        {
            frames.Add((ts += 1000, Tcp("10.0.0.1", 40000, "10.0.0.2", 80, Syn, 100, 0)));
            frames.Add((ts += 1000, Udp("10.0.0.3", 5353, "10.0.0.4", 9999, [1, 2, 3])));
            frames.Add((ts += 1000, IcmpEcho("10.0.0.5", "10.0.0.6", request: true, id: 7, seq: i)));
        }

        var rows = Analyzer.Run(frames, new AnalysisOptions { HashInput = false, Workers = 1, Packets = true })["packets"]
            .OrderBy(r => (long)r["frame"]!).ToList();
        Assert.Equal(9, rows.Count);
        for (int i = 0; i < 9; i += 3)
        {
            var (tcp, udp, icmp) = (rows[i], rows[i + 1], rows[i + 2]);
            Assert.Equal((40000, 80, Syn, 100L), ((int)tcp["src_p"]!, (int)tcp["dst_p"]!, (int)tcp["tcp_flags"]!, (long)tcp["tcp_seq"]!));
            Assert.Null(tcp["icmp_type"]);
            Assert.Equal((5353, 9999, 3), ((int)udp["src_p"]!, (int)udp["dst_p"]!, (int)udp["payload_len"]!));
            Assert.Null(udp["tcp_flags"]);
            Assert.Null(udp["icmp_type"]);
            Assert.Equal(8, icmp["icmp_type"]);
            Assert.Null(icmp["src_p"]);
            Assert.Null(icmp["tcp_flags"]);
            Assert.Equal(["10.0.0.1", "10.0.0.3", "10.0.0.5"], new[] { tcp["src_h"], udp["src_h"], icmp["src_h"] });
        }
    }
}
