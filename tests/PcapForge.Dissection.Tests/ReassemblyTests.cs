using PcapForge.Abstractions;
using PcapForge.Abstractions.Dissection;
using PcapForge.Dissectors.Core;

namespace PcapForge.Dissection.Tests;

public class FragmentReassemblerTests
{
    private static readonly FragmentKey Key = new(4, 0x0a000001, 0x0a000002, 0x1234, 17);
    private static readonly byte[] Payload = Enumerable.Range(0, 3000).Select(i => (byte)(i * 7)).ToArray();

    private static ReadOnlyMemory<byte> Add(FragmentReassembler r, int offset, int length, bool more, List<FragmentReassembler.Problem> problems, long ts = 0, byte[]? data = null) =>
        r.Add(new FragmentInfo(Key, offset, more), (data ?? Payload).AsSpan(offset, length), ts, 1, problems);

    [Theory]
    [InlineData(new[] { 0, 1, 2 })]
    [InlineData(new[] { 2, 1, 0 })]
    [InlineData(new[] { 1, 2, 0 })]
    public void FragmentsInAnyOrderGiveTheDatagramOnTheOneThatCompletesIt(int[] order)
    {
        var r = new FragmentReassembler();
        var problems = new List<FragmentReassembler.Problem>();
        (int Offset, int Length, bool More)[] parts = [(0, 1480, true), (1480, 1480, true), (2960, 40, false)];
        ReadOnlyMemory<byte> result = default;
        for (int i = 0; i < order.Length; i++)
        {
            var p = parts[order[i]];
            result = Add(r, p.Offset, p.Length, p.More, problems);
            Assert.Equal(i == order.Length - 1, !result.IsEmpty);
        }

        Assert.Equal(Payload, result.ToArray());
        Assert.Empty(problems);
        Assert.Equal(0, r.Pending);
        Assert.Equal(0, r.HeldBytes);
    }

    [Fact]
    public void AnIdenticalRetransmittedFragmentIsNoAnomaly()
    {
        var r = new FragmentReassembler();
        var problems = new List<FragmentReassembler.Problem>();
        Add(r, 0, 1480, true, problems);
        Add(r, 0, 1480, true, problems);
        var result = Add(r, 1480, 1520, false, problems);

        Assert.Equal(Payload, result.ToArray());
        Assert.Empty(problems);
    }

    [Fact]
    public void AConflictingOverlapKeepsTheFirstBytesAndIsReported()
    {
        var r = new FragmentReassembler();
        var problems = new List<FragmentReassembler.Problem>();
        Add(r, 0, 1480, true, problems);
        var evil = (byte[])Payload.Clone();
        for (int i = 1000; i < 1480; i++)
            evil[i] ^= 0xFF; // the overlapping part says something else (a classic IDS evasion)
        Add(r, 1000, 1000, true, problems, data: evil);
        var result = Add(r, 2000, 1000, false, problems);

        Assert.Equal(Payload.AsSpan(0, 1480).ToArray(), result.Span[..1480].ToArray());
        Assert.Equal(evil.AsSpan(1480, 520).ToArray(), result.Span.Slice(1480, 520).ToArray());
        Assert.Equal(["reassembly.overlap_conflict"], problems.Select(p => p.Name));
    }

    [Fact]
    public void ADatagramOlderThanTheTimeoutIsGivenUpWithWhatItMissed()
    {
        var r = new FragmentReassembler(new ReassemblyOptions { TimeoutNs = 1_000_000_000 });
        var problems = new List<FragmentReassembler.Problem>();
        Add(r, 0, 1480, true, problems, ts: 0);
        var other = new FragmentInfo(Key with { Id = 9 }, 0, true);
        r.Add(other, Payload.AsSpan(0, 8), 2_000_000_000, 2, problems);

        var p = Assert.Single(problems);
        Assert.Equal("reassembly.timeout", p.Name);
        Assert.Contains("1480 bytes, last fragment not seen", p.Detail);
        Assert.Equal(1, r.Pending);
    }

    [Fact]
    public void MemoryIsBoundedByEvictingTheOldest()
    {
        var r = new FragmentReassembler(new ReassemblyOptions { MaxDatagrams = 10 });
        var problems = new List<FragmentReassembler.Problem>();
        for (uint id = 0; id < 100; id++)
            r.Add(new FragmentInfo(Key with { Id = id }, 0, true), Payload.AsSpan(0, 100), id, id, problems);

        Assert.Equal(10, r.Pending);
        Assert.Equal(1000, r.HeldBytes);
        Assert.Equal(90, problems.Count(p => p.Name == "reassembly.evicted"));
    }

    [Fact]
    public void AFragmentReachingPastTheLargestDatagramIsDropped()
    {
        var r = new FragmentReassembler();
        var problems = new List<FragmentReassembler.Problem>();
        var result = r.Add(new FragmentInfo(Key, 65_000, false), new byte[1000], 0, 1, problems);

        Assert.True(result.IsEmpty);
        Assert.Equal(["reassembly.too_large"], problems.Select(p => p.Name));
        Assert.Equal(0, r.Pending);
    }

    [Fact]
    public void FlushReportsEveryIncompleteDatagram()
    {
        var r = new FragmentReassembler();
        var problems = new List<FragmentReassembler.Problem>();
        Add(r, 0, 100, true, problems);
        Add(r, 200, 100, false, problems);
        r.Flush(problems);

        var p = Assert.Single(problems);
        Assert.Equal("reassembly.incomplete", p.Name);
        Assert.Contains("200 of 300 bytes", p.Detail);
        Assert.Equal(0, r.Pending);
    }
}

/// <summary>Reassembly through the engine: the frame that completes a datagram has its payload decoded.</summary>
public class EngineReassemblyTests
{
    private static byte[] Ipv4Fragment(ushort id, int offsetBytes, bool more, ReadOnlySpan<byte> payload)
    {
        var ip = Convert.FromHexString("450000000000000040110000" + "0a000001" + "0a000002");
        int total = 20 + payload.Length;
        ip[2] = (byte)(total >> 8); ip[3] = (byte)total;
        ip[4] = (byte)(id >> 8); ip[5] = (byte)id;
        int field = offsetBytes / 8 | (more ? 0x2000 : 0);
        ip[6] = (byte)(field >> 8); ip[7] = (byte)field;
        uint sum = 0;
        for (int i = 0; i < 20; i += 2)
            sum += (uint)(ip[i] << 8 | ip[i + 1]);
        while (sum >> 16 != 0)
            sum = (sum & 0xFFFF) + (sum >> 16);
        ip[10] = (byte)(~sum >> 8); ip[11] = (byte)~sum;
        return Convert.FromHexString("020000000002020000000001" + "0800").Concat(ip).Concat(payload.ToArray()).ToArray();
    }

    [Fact]
    public void ThreeFragmentsOfAUdpDatagramDecodeUdpOnTheFirstPartiallyAndOnTheLastInFull()
    {
        // UDP 5353 → 53, length 8 + 2992 = 3000, in fragments of 1480, 1480 and 40 bytes, the last one first.
        var udp = new byte[3000];
        udp[0] = 0x14; udp[1] = 0xe9; udp[2] = 0x00; udp[3] = 0x35; udp[4] = 0x0b; udp[5] = 0xb8;
        for (int i = 8; i < udp.Length; i++)
            udp[i] = (byte)i;
        var harness = new Harness(new Ethernet(), new Ipv4(), new Udp());

        var last = harness.Dissect(Ipv4Fragment(7, 2960, false, udp.AsSpan(2960)), LinkTypes.Ethernet);
        var first = harness.Dissect(Ipv4Fragment(7, 0, true, udp.AsSpan(0, 1480)), LinkTypes.Ethernet);
        var middle = harness.Dissect(Ipv4Fragment(7, 1480, true, udp.AsSpan(1480, 1480)), LinkTypes.Ethernet);

        Assert.Equal(["eth", "ip"], last.Layers);
        Assert.Equal(["eth", "ip", "udp"], first.Layers); // the first fragment's header, partial: no length anomaly
        Assert.Empty(first.Anomalies);
        Assert.Equal(["eth", "ip", "udp"], middle.Layers); // completes the datagram: UDP decoded from it
        Assert.Equal("53", middle.One("udp.dstport"));
        Assert.Equal("3000", middle.One("udp.length"));
        Assert.Empty(middle.Anomalies);
    }
}
