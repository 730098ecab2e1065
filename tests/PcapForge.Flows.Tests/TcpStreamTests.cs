using System.Text;

namespace PcapForge.Flows.Tests;

/// <summary>TCP reassembly for stream dissectors: every split and order of a stream gives the same bytes; overlaps, gaps and caps.</summary>
public class TcpStreamTests
{
    private sealed class Recorder : IStreamTarget
    {
        public StringBuilder Text { get; } = new();
        public int Conflicts { get; private set; }

        public void Data(ReadOnlySpan<byte> data) => Text.Append(Encoding.ASCII.GetString(data));

        public void Gap(long length) => Text.Append($"[gap {length}]");

        public void Conflict(long offset, int length) => Conflicts++;
    }

    private static (string Text, int Conflicts) Run(IEnumerable<(long Start, string Data)> segments, TcpReassemblyOptions? options = null, ReassemblyBudget? budget = null)
    {
        options ??= new TcpReassemblyOptions();
        var stream = new TcpStream(options, budget ?? new ReassemblyBudget(options.TotalBytes));
        var target = new Recorder();
        stream.Start(0);
        foreach (var (start, data) in segments)
            stream.Segment(start, Encoding.ASCII.GetBytes(data), target);
        stream.Finish(target);
        return (target.Text.ToString(), target.Conflicts);
    }

    private const string Message = "GET /index.html HTTP/1.1\r\nHost: example\r\n\r\n";

    [Fact]
    public void Every_split_in_either_order_gives_the_stream()
    {
        for (int cut = 1; cut < Message.Length; cut++)
        {
            var a = (0L, Message[..cut]);
            var b = ((long)cut, Message[cut..]);
            Assert.Equal(Message, Run([a, b]).Text);
            Assert.Equal(Message, Run([b, a]).Text);
        }
    }

    [Fact]
    public void Every_order_of_four_segments_gives_the_stream()
    {
        var parts = new[] { (0L, Message[..10]), (10L, Message[10..20]), (20L, Message[20..30]), (30L, Message[30..]) };
        foreach (var order in Permutations(parts))
            Assert.Equal((Message, 0), Run(order));
    }

    [Fact]
    public void One_byte_segments_backwards()
    {
        var segments = Enumerable.Range(0, Message.Length).Reverse().Select(i => ((long)i, Message[i].ToString()));
        Assert.Equal(Message, Run(segments).Text);
    }

    [Fact]
    public void Retransmissions_and_partial_overlaps_deliver_each_byte_once()
    {
        var (text, conflicts) = Run([(0, "abcdef"), (3, "defghi"), (0, "abc"), (9, "jkl"), (6, "ghijkl")]);
        Assert.Equal("abcdefghijkl", text);
        Assert.Equal(0, conflicts);
    }

    [Fact]
    public void Conflicting_overlap_keeps_the_first_bytes_by_default()
    {
        // Both segments are held (past the hole at 0..2), so their overlap can be compared.
        var first = Run([(4, "XXXX"), (6, "YYYY"), (0, "abcd")]);
        Assert.Equal("abcdXXXXYY", first.Text);
        Assert.Equal(1, first.Conflicts);
        var last = Run([(4, "XXXX"), (6, "YYYY"), (0, "abcd")], new TcpReassemblyOptions { LastWriteWins = true });
        Assert.Equal("abcdXXYYYY", last.Text);
        Assert.Equal(1, last.Conflicts);
    }

    [Fact]
    public void A_hole_left_at_the_end_is_a_gap()
    {
        Assert.Equal("aaaa[gap 4]cccc", Run([(0, "aaaa"), (8, "cccc")]).Text);
    }

    [Fact]
    public void Past_the_per_direction_cap_the_hole_is_declared_a_gap()
    {
        var options = new TcpReassemblyOptions { PerDirectionBytes = 8 };
        var stream = new TcpStream(options, new ReassemblyBudget(options.TotalBytes));
        var target = new Recorder();
        stream.Start(0);
        stream.Segment(0, "aa"u8, target);
        stream.Segment(4, "cccc"u8, target);
        stream.Segment(8, "dddd"u8, target);
        Assert.Equal("aa", target.Text.ToString());
        stream.Segment(12, "e"u8, target); // 9 bytes held > 8: give up on the hole
        Assert.Equal("aa[gap 2]ccccdddde", target.Text.ToString());
        Assert.Equal(0, stream.PendingBytes);
    }

    [Fact]
    public void Past_the_global_cap_the_hole_is_declared_a_gap()
    {
        var budget = new ReassemblyBudget(6);
        var options = new TcpReassemblyOptions();
        var one = new TcpStream(options, budget);
        var two = new TcpStream(options, budget);
        var t1 = new Recorder();
        var t2 = new Recorder();
        one.Start(0);
        two.Start(0);
        one.Segment(2, "xxxx"u8, t1);
        two.Segment(2, "yyyy"u8, t2); // 8 bytes held in all > 6
        Assert.Equal("[gap 2]yyyy", t2.Text.ToString());
        Assert.Equal(4, budget.Used);
    }

    [Fact]
    public void An_acknowledgment_past_held_bytes_declares_the_hole()
    {
        var options = new TcpReassemblyOptions();
        var stream = new TcpStream(options, new ReassemblyBudget(options.TotalBytes));
        var target = new Recorder();
        stream.Start(0);
        stream.Segment(0, "aa"u8, target);
        stream.Segment(4, "cc"u8, target);
        stream.Acknowledged(3, target); // the receiver has byte 2 but not 4: still a hole that may come
        Assert.Equal("aa", target.Text.ToString());
        stream.Acknowledged(6, target);
        Assert.Equal("aa[gap 2]cc", target.Text.ToString());
    }

    private static IEnumerable<T[]> Permutations<T>(T[] items)
    {
        if (items.Length <= 1)
        {
            yield return items;
            yield break;
        }

        for (int i = 0; i < items.Length; i++)
        {
            var rest = items.Where((_, j) => j != i).ToArray();
            foreach (var p in Permutations(rest))
                yield return [items[i], .. p];
        }
    }
}
