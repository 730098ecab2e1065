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
