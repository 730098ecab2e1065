using System.Text;
using PcapForge.Output;
using PcapForge.TestSupport;

namespace PcapForge.Flows.Tests;

/// <summary>Splitting a capture between threads by host pair changes nothing in the output.</summary>
public class WorkerTests
{
    private static string Render(string path, int workers)
    {
        var rows = Analyzer.Run(path, new AnalysisOptions { HashInput = false, Workers = workers });
        var text = new StringBuilder();
        FlowGoldenTests.Render(text, HostTables.Flows, rows["flows"].OrderBy(r => (string)r["flow_uid"]!));
        FlowGoldenTests.Render(text, HostTables.Anomalies, rows["anomalies"].OrderBy(r => r["frame"] as long? ?? 0).ThenBy(r => (string)r["name"]!).ThenBy(r => (string)r["detail"]!));
        var capture = Assert.Single(rows["captures"]);
        text.AppendLine($"{capture["frames"]} {capture["bytes"]} {capture["flows"]} {capture["anomalies"]}");
        return text.ToString();
    }

    public static TheoryData<string> Captures()
    {
        var data = new TheoryData<string>();
        foreach (var path in TestData.Captures(TestData.OwnCaptures).Where(p => !p.EndsWith(".gz") && !p.EndsWith(".zst")))
            data.Add(path);
        if (TestData.SharedPcaps is { } shared)
        {
            foreach (var path in TestData.Captures(shared).Where(p => !p.EndsWith(".gz") && !p.EndsWith(".zst")).Take(40))
                data.Add(path);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void One_two_and_three_workers_write_the_same_rows(string path)
    {
        string one = Render(path, 1);
        Assert.Equal(one, Render(path, 2));
        Assert.Equal(one, Render(path, 3));
    }

    [Fact]
    public void Both_directions_and_all_fragments_of_a_host_pair_have_one_owner()
    {
        var ab = Frames.Tcp("10.1.2.3", 1000, "192.168.7.9", 80, Frames.Syn, 1, 0);
        var ba = Frames.Tcp("192.168.7.9", 80, "10.1.2.3", 1000, Frames.Syn | Frames.Ack, 1, 2);
        var other = Frames.Udp("10.1.2.3", 53, "192.168.7.9", 5353, new byte[4]);
        for (int workers = 2; workers <= 8; workers++)
        {
            int owner = HostPairPartition.Owner(ab, 1, workers);
            Assert.InRange(owner, 0, workers - 1);
            Assert.Equal(owner, HostPairPartition.Owner(ba, 1, workers));
            Assert.Equal(owner, HostPairPartition.Owner(other, 1, workers));
        }

        Assert.Equal(0, HostPairPartition.Owner(new byte[60], 1, 4)); // not IP: worker 0
    }

    [Fact]
    public void A_routed_ipv6_packet_and_its_reply_have_one_owner()
    {
        // fd00::1 → next hop fd00::99 with a type 0 routing header whose final destination is fd00::2 (2 segments left);
        // the reply fd00::2 → fd00::1 has none. The flow is keyed on fd00::2 both ways, so the partition must be too.
        byte[] A = Convert.FromHexString("fd000000000000000000000000000001"), hop = Convert.FromHexString("fd000000000000000000000000000099"),
            final = Convert.FromHexString("fd000000000000000000000000000002"), other = Convert.FromHexString("fd00000000000000000000000000000a");
        byte[] udp = [0x14, 0xe9, 0x00, 0x35, 0x00, 0x08, 0x00, 0x00];
        byte[] routing = [17, 4, 0, 2, 0, 0, 0, 0, .. other, .. final];
        byte[] eth = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x86, 0xdd];
        byte[] there = [.. eth, 0x60, 0, 0, 0, 0, (byte)(routing.Length + udp.Length), 43, 64, .. A, .. hop, .. routing, .. udp];
        byte[] back = [.. eth, 0x60, 0, 0, 0, 0, (byte)udp.Length, 17, 64, .. final, .. A, .. udp];
        var owners = Enumerable.Range(2, 7).Select(w => (HostPairPartition.Owner(there, 1, w), HostPairPartition.Owner(back, 1, w))).ToList();
        Assert.All(owners, o => Assert.Equal(o.Item2, o.Item1));
    }

    [Fact]
    public void An_nflog_frame_goes_to_the_owner_of_the_packet_it_carries()
    {
        var ethernet = Frames.Tcp("10.1.2.3", 1000, "192.168.7.9", 80, Frames.Syn, 1, 0);
        byte[] ip = ethernet[14..];
        // Header (AF_INET, version 0, group 13), a packet-header attribute (8 bytes), then the payload attribute;
        // lengths and types little-endian, as a little-endian capturing host writes them.
        byte[] nflog = [2, 0, 0, 13, 8, 0, 1, 0, 0x08, 0x00, 3, 0, (byte)(4 + ip.Length), 0, 9, 0, .. ip];
        for (int workers = 2; workers <= 8; workers++)
            Assert.Equal(HostPairPartition.Owner(ethernet, 1, workers), HostPairPartition.Owner(nflog, Abstractions.LinkTypes.NetfilterLog, workers));
    }
}
