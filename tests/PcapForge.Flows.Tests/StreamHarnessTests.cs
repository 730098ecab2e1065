using PcapForge.Abstractions.Dissection;
using PcapForge.TestSupport;
using static PcapForge.TestSupport.StreamMessage;

namespace PcapForge.Flows.Tests;

/// <summary>The split harness the protocol plugins' tests use, checked on the toy line protocol.</summary>
public class StreamHarnessTests
{
    private static readonly StreamHarness Toy = new(new ToyPlugin.ToyLineDissector(), "toyline");

    [Fact]
    public void Every_split_gives_the_same_records()
    {
        var run = Toy.AssertSameOnEverySplit([Client("TOY one\nTOY two\n"), Server("TOY three\n"), Client("TOY four\n")]);
        Assert.True(run.Confirmed);
        Assert.Equal(["one", "two", "three", "four"], run["toy_lines"].Select(r => (string)r["word"]!));
        Assert.Equal([true, true, false, true], run["toy_lines"].Select(r => (bool)r["is_orig"]!));
    }

    [Fact]
    public void A_parser_that_loses_bytes_at_a_split_is_caught()
    {
        var broken = new StreamHarness(new LossyToy(), "lossy");
        var e = Assert.ThrowsAny<Exception>(() => broken.AssertSameOnEverySplit([Client("TOY one\nTOY two\n")]));
        Assert.Contains("differ", e.Message);
    }

    [Fact]
    public void A_gap_drops_the_unconsumed_bytes_and_is_reported_with_them()
    {
        var run = Toy.Run([Client("TOY one\nTOY tw"), Gap(StreamDirection.FromOriginator, 5), Client("x\nTOY three\n")]);
        Assert.Equal(["one", "three"], run["toy_lines"].Select(r => (string)r["word"]!));
        Assert.Equal([false, true], run["toy_lines"].Select(r => (bool)r["after_gap"]!));
    }

    /// <summary>Consumes whatever it is given, even half a line: splits change its records.</summary>
    [StreamDissectorExport("lossy")]
    private sealed class LossyToy : IStreamDissector
    {
        private Abstractions.Records.RecordTableHandle _t;

        public void Declare(IDissectorSetup setup)
        {
            setup.Protocol("lossy", "Lossy", "test");
            _t = setup.RecordTable("lossy_chunks", "chunks", new Abstractions.Records.ColumnDescriptor("n", Abstractions.Records.ColumnType.Int32, "length"));
            setup.AttachHeuristic("tcp");
        }

        public IStreamParser CreateParser(StreamContext context) => new P(context, _t);

        private sealed class P(StreamContext c, Abstractions.Records.RecordTableHandle t) : IStreamParser
        {
            public int OnData(StreamDirection direction, ReadOnlySpan<byte> data)
            {
                c.Records.Write(t, [data.Length]);
                return data.Length;
            }

            public void OnGap(StreamDirection direction, long length)
            {
            }

            public void OnEnd()
            {
            }
        }
    }
}
