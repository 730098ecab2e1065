using PcapForge.Abstractions;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Abstractions.Tests;

public class TimestampsTests
{
    [Theory]
    [InlineData(0L, "1970-01-01T00:00:00.000000000Z")]
    [InlineData(1_607_454_603_986_596_000L, "2020-12-08T19:10:03.986596000Z")]
    [InlineData(4_323_283_200_000_000_000L, "2107-01-01T00:00:00.000000000Z")] // past 2106: beyond pcap's 32-bit seconds
    [InlineData(-1L, "1969-12-31T23:59:59.999999999Z")]
    [InlineData(long.MaxValue, "2262-04-11T23:47:16.854775807Z")]
    public void Iso8601IsExactToTheNanosecond(long ns, string expected) => Assert.Equal(expected, Timestamps.ToIso8601(ns));

    [Theory]
    [InlineData(4_032_397_000L, "4.032397000")]
    [InlineData(0L, "0.000000000")]
    [InlineData(-1_500_000_000L, "-1.500000000")]
    [InlineData(long.MinValue, "-9223372036.854775808")]
    public void SecondsAreExact(long ns, string expected) => Assert.Equal(expected, Timestamps.FormatSeconds(ns));
}

public class AnomalyCollectorTests
{
    [Fact]
    public void KeepsTheFirstOnesAndCountsAllByName()
    {
        var c = new AnomalyCollector(capacity: 2);
        for (int i = 0; i < 5; i++)
            c.Report(new Anomaly("frame", i % 2 == 0 ? "a.even" : "a.odd", i, i, "d"));

        Assert.Equal(5, c.Total);
        Assert.Equal([0L, 1L], c.Kept.Select(a => a.Frame!.Value));
        Assert.Equal(3, c.CountsByName["a.even"]);
        Assert.Equal(2, c.CountsByName["a.odd"]);
    }

    [Fact]
    public void ToStringNamesTheOffsetAndTheFrame()
    {
        Assert.Equal("pcap.truncated_record at offset 4314 (frame 20): cut", new Anomaly("file", "pcap.truncated_record", 20, 4314, "cut").ToString());
        Assert.Equal("x.y at offset 7: d", new Anomaly("file", "x.y", null, 7, "d").ToString());
    }
}

public class LinkTypesTests
{
    [Theory]
    [InlineData(1, "ETHERNET", true)]
    [InlineData(276, "LINUX_SLL2", true)]
    [InlineData(12, "RAW (BSD DLT 12)", true)]
    [InlineData(60000, "LINKTYPE_60000", false)]
    public void NamesFollowTheTcpdumpRegistry(int value, string name, bool known)
    {
        Assert.Equal(name, LinkTypes.Name(value));
        Assert.Equal(known, LinkTypes.IsKnown(value));
    }
}

public class InternetChecksumTests
{
    [Fact]
    public void Rfc1071ExampleSumsAsTheRfcSays()
    {
        // RFC 1071 section 3: the bytes 00 01 f2 03 f4 f5 f6 f7 have the one's-complement sum 0xddf2.
        byte[] data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        Assert.Equal(unchecked((ushort)~0xddf2), InternetChecksum.Compute(data));
    }

    [Fact]
    public void AMessageWithItsOwnChecksumSumsToZeroAndAnOddLengthIsPadded()
    {
        byte[] header = Convert.FromHexString("450000730000400040110000c0a80001c0a800c7");
        ushort sum = InternetChecksum.Compute(header);
        header[10] = (byte)(sum >> 8);
        header[11] = (byte)sum;
        Assert.Equal(0xb861, sum); // the worked example of the Wikipedia "IPv4 header checksum" article
        Assert.Equal(0, InternetChecksum.Compute(header));
        Assert.Equal(InternetChecksum.Compute([0xab, 0x00]), InternetChecksum.Compute([0xab]));
    }
}

public class PacketContextTests
{
    [Fact]
    public void FieldsRecordFrameOffsetsOfTheirLayerAndGrowWithoutLimit()
    {
        var c = new PacketContext();
        c.BeginFrame(new FrameInfo { Number = 1 }, wantsDetail: false);
        c.BeginLayer(protocol: 0, offset: 14);
        for (int i = 0; i < 1000; i++)
            c.Add(new FieldHandle(i % 3), 2, 4, (ulong)i);

        Assert.Equal(1000, c.Fields.Length);
        Assert.Equal(16, c.Fields[999].Offset);
        Assert.True(c.TryGet(new FieldHandle(0), out var last));
        Assert.Equal(999UL, last.Value);

        c.BeginFrame(new FrameInfo { Number = 2 }, wantsDetail: false);
        Assert.Equal(0, c.Fields.Length);
        Assert.Equal(0, c.Layers.Length);
    }

    [Fact]
    public void IsNestedWhenAnEarlierLayerHasTheSameProtocol()
    {
        var c = new PacketContext();
        c.BeginFrame(default, false);
        c.BeginLayer(1, 0);
        Assert.False(c.IsNested);
        c.BeginLayer(2, 14);
        Assert.False(c.IsNested);
        c.BeginLayer(1, 34);
        Assert.True(c.IsNested);
    }

    [Fact]
    public void AbandonedLayersLeaveNothingBehind()
    {
        var c = new PacketContext();
        c.BeginFrame(default, false);
        c.BeginLayer(1, 0);
        c.Add(new FieldHandle(1), 0, 1, 1);
        int before = c.FieldCount;
        c.BeginLayer(2, 1);
        c.Add(new FieldHandle(2), 0, 1, 2);
        c.AbandonLayer(before);

        Assert.Single(c.Layers.ToArray());
        Assert.Single(c.Fields.ToArray());
    }

    [Fact]
    public void TextValuesAndReassembledBytesResolveThroughTheContext()
    {
        var c = new PacketContext();
        c.BeginFrame(default, false);
        c.BeginLayer(1, 0);
        c.AddText(new FieldHandle(5), 0, 0, "LLDP chassis abc");
        c.SwitchToReassembled(new byte[] { 9, 8, 7, 6 });
        c.BeginLayer(2, 0);
        c.Add(new FieldHandle(6), 1, 2);

        Assert.Equal("LLDP chassis abc", c.Text(c.Fields[0]));
        Assert.Equal(FieldSource.Reassembled, c.Fields[1].Source);
        Assert.Equal([8, 7], c.Bytes(c.Fields[1], frame: [1, 2, 3]).ToArray());
        Assert.Equal(FieldSource.Reassembled, c.Layers[1].Source);
    }
}

public class FieldDerivationsTests
{
    // Field ids of a made-up protocol: 0 flags (recorded), 1 and 2 its bits, 3 src, 4 dst (recorded), 5 either side.
    private static FieldDerivations Derivations()
    {
        var d = new FieldDerivations();
        d.AddBitmask(1, parent: 0, mask: 0x10);
        d.AddBitmask(2, parent: 0, mask: 0x03);
        d.AddEither(5, first: 3, second: 4);
        return d;
    }

    private static PacketContext Context()
    {
        var c = new PacketContext { Derivations = Derivations() };
        c.BeginFrame(default, wantsDetail: false);
        return c;
    }

    [Fact]
    public void BitmaskFieldsFollowTheirParentWithItsBytesAndTheirBits()
    {
        var c = Context();
        c.BeginLayer(protocol: 0, offset: 14);
        c.Add(new FieldHandle(0), 2, 1, 0x13);
        c.Add(new FieldHandle(7), 3, 1, 9);

        Assert.Equal(2, c.RecordedFields.Length);
        Assert.Equal(
            [new FieldValue(0, 0, 16, 1, 0x13), new FieldValue(1, 0, 16, 1, 1), new FieldValue(2, 0, 16, 1, 3), new FieldValue(7, 0, 17, 1, 9)],
            c.Fields.ToArray());
    }

    [Fact]
    public void EitherFieldsFollowTheLaterSideInEitherOrderOfRecording()
    {
        var c = Context();
        c.BeginLayer(0, 0);
        c.Add(new FieldHandle(4), 0, 6, 40); // destination first, as Ethernet records them
        c.Add(new FieldHandle(3), 6, 6, 30);
        c.BeginLayer(1, 14);
        c.Add(new FieldHandle(3), 12, 4, 31); // source first, as IPv4 records them
        c.Add(new FieldHandle(4), 16, 4, 41);

        Assert.Equal(
            [
                new FieldValue(4, 0, 0, 6, 40), new FieldValue(3, 0, 6, 6, 30), new FieldValue(5, 0, 6, 6, 30), new FieldValue(5, 0, 0, 6, 40),
                new FieldValue(3, 1, 26, 4, 31), new FieldValue(4, 1, 30, 4, 41), new FieldValue(5, 1, 26, 4, 31), new FieldValue(5, 1, 30, 4, 41),
            ],
            c.Fields.ToArray());
        Assert.True(c.TryGet(new FieldHandle(5), out var last));
        Assert.Equal(41UL, last.Value);
    }

    [Fact]
    public void AnEitherFieldNeedsBothSidesInTheSameLayer()
    {
        var c = Context();
        c.BeginLayer(0, 0);
        c.Add(new FieldHandle(3), 0, 4, 30);
        c.BeginLayer(1, 4);
        c.Add(new FieldHandle(4), 0, 4, 40);

        Assert.DoesNotContain(c.Fields.ToArray(), f => f.Field == 5);
        Assert.False(c.TryGet(new FieldHandle(5), out _));
    }

    [Fact]
    public void TheExpansionFollowsLaterAddsAndAbandonedLayers()
    {
        var c = Context();
        c.BeginLayer(0, 0);
        c.Add(new FieldHandle(0), 0, 1, 0x10);
        Assert.Equal(3, c.Fields.Length);
        int before = c.FieldCount;
        c.BeginLayer(1, 1);
        c.Add(new FieldHandle(0), 0, 1, 0x00);
        Assert.Equal(6, c.Fields.Length);
        c.AbandonLayer(before);
        Assert.Equal(3, c.Fields.Length);
        Assert.True(c.TryGet(new FieldHandle(1), out var bit));
        Assert.Equal(1UL, bit.Value);

        c.BeginFrame(default, false);
        Assert.Equal(0, c.Fields.Length);
    }

    [Fact]
    public void WithoutDerivationsFieldsAreTheRecordedOnes()
    {
        var c = new PacketContext { Derivations = new FieldDerivations() };
        Assert.Null(c.Derivations);
        c.BeginFrame(default, false);
        c.BeginLayer(0, 0);
        c.Add(new FieldHandle(0), 0, 1, 0x10);
        Assert.Equal(c.RecordedFields.ToArray(), c.Fields.ToArray());
    }
}

public class FieldWriterTests
{
    [Fact]
    public void WritesWhatAddWouldAndGrowsPastItsFirstRoom()
    {
        var viaAdd = new PacketContext();
        var viaWriter = new PacketContext();
        foreach (var c in new[] { viaAdd, viaWriter })
        {
            c.BeginFrame(default, false);
            c.BeginLayer(0, 0);
            c.Add(new FieldHandle(9), 0, 1, 1);
            c.SwitchToReassembled(new byte[400]);
            c.BeginLayer(1, 20);
        }

        var w = viaWriter.BeginFields(expected: 2);
        for (int i = 0; i < 300; i++)
        {
            w.Add(new FieldHandle(i % 5), i, 2, (ulong)i);
            viaAdd.Add(new FieldHandle(i % 5), i, 2, (ulong)i);
        }

        Assert.Equal(300, w.Count);
        Assert.Equal(1, viaWriter.FieldCount); // nothing is seen before End
        w.End();

        Assert.Equal(viaAdd.Fields.ToArray(), viaWriter.Fields.ToArray());
        Assert.Equal(FieldSource.Reassembled, viaWriter.Fields[^1].Source);
        Assert.Equal(319, viaWriter.Fields[^1].Offset);
    }

    [Fact]
    public void RecordingThroughTheContextWhileAWriterIsOpenIsRefused()
    {
        var c = new PacketContext();
        c.BeginFrame(default, false);
        c.BeginLayer(0, 0);

        Assert.Throws<InvalidOperationException>(() =>
        {
            var w = c.BeginFields();
            w.Add(new FieldHandle(1), 0, 1);
            c.Add(new FieldHandle(2), 0, 1);
            w.End();
        });
    }
}

public class InternetChecksumEquivalenceTests
{
    /// <summary>The straightforward RFC 1071 loop: 16-bit big-endian words, carries folded at the end.</summary>
    private static ushort Reference(ReadOnlySpan<byte> data, uint initial)
    {
        ulong sum = initial;
        int i = 0;
        for (; i + 1 < data.Length; i += 2)
            sum += (uint)(data[i] << 8 | data[i + 1]);
        if (i < data.Length)
            sum += (uint)data[i] << 8;
        while (sum >> 16 != 0)
            sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }

    [Fact]
    public void TheWideSumEqualsTheByteByByteDefinitionForEveryLengthAndContent()
    {
        var random = new Random(1071);
        for (int length = 0; length < 200; length++)
        {
            for (int trial = 0; trial < 20; trial++)
            {
                var data = new byte[length];
                if (trial % 3 == 0)
                    Array.Fill(data, (byte)0xFF); // maximal carries
                else
                    random.NextBytes(data);
                uint initial = (uint)random.Next(0, 0x3FFFF);
                Assert.Equal(Reference(data, initial), InternetChecksum.Compute(data, initial));
            }
        }
    }
}
