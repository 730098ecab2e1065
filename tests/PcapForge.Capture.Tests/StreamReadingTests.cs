using PcapForge.Abstractions;
using PcapForge.Capture.Writing;
using PcapForge.TestSupport;

namespace PcapForge.Capture.Tests;

/// <summary>
/// A capture read from a stream as it is written (a live capture's pipe): the same frames as from the file, however
/// the stream cuts its reads; a failing stream ends the data with an anomaly; statistics blocks written at the end
/// are read back.
/// </summary>
public class StreamReadingTests
{
    /// <summary>A stream that hands out at most a few bytes per read, as a pipe fed frame by frame does.</summary>
    private sealed class TrickleStream(byte[] data, int seed, int failAfter = int.MaxValue) : Stream
    {
        private readonly Random _random = new(seed);
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_position >= failAfter)
                throw new IOException("the pipe broke");
            int n = Math.Min(Math.Min(buffer.Length, _random.Next(1, 8)), Math.Min(data.Length, failAfter) - _position);
            data.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static List<(long Ts, byte[] Data, long Original, uint? Flags)> Frames(CaptureReader reader)
    {
        var frames = new List<(long, byte[], long, uint?)>();
        while (reader.TryReadNext(out Frame f))
            frames.Add((f.Info.TimestampNs, f.Data.ToArray(), f.Info.OriginalLength, f.Info.Flags));
        return frames;
    }

    [Theory]
    [InlineData("http-keepalive-veth.pcap", 1)]
    [InlineData("mixed-2ifaces.pcapng", 2)]
    [InlineData("ssh-session.pcapng", 3)]
    public void A_capture_read_from_a_trickling_stream_gives_the_frames_of_the_file(string name, int seed)
    {
        string path = Path.Combine(TestData.OwnCaptures, name);
        List<(long, byte[], long, uint?)> expected;
        var fileAnomalies = new List<Anomaly>();
        using (var file = CaptureReader.Open(path, new CaptureReaderOptions { Anomalies = new Sink(fileAnomalies) }))
            expected = Frames(file);
        var streamAnomalies = new List<Anomaly>();
        using var reader = CaptureReader.Open(new TrickleStream(File.ReadAllBytes(path), seed), name,
            new CaptureReaderOptions { Anomalies = new Sink(streamAnomalies) });
        var got = Frames(reader);
        Assert.Equal(expected.Count, got.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Item1, got[i].Item1);
            Assert.Equal(expected[i].Item2, got[i].Item2);
            Assert.Equal(expected[i].Item3, got[i].Item3);
        }

        // The same notes about the file's contents (an SHB option, an ISB time), at the same offsets.
        Assert.Equal(fileAnomalies.Select(a => $"{a.Name} {a.FileOffset} {a.Detail}"), streamAnomalies.Select(a => $"{a.Name} {a.FileOffset} {a.Detail}"));
        Assert.Equal(0, reader.FileSize);
    }

    [Fact]
    public void A_stream_that_fails_ends_the_data_with_an_anomaly_and_keeps_the_frames_before()
    {
        string path = Path.Combine(TestData.OwnCaptures, "mixed-2ifaces.pcapng");
        byte[] bytes = File.ReadAllBytes(path);
        int all;
        using (var file = CaptureReader.Open(path))
            all = Frames(file).Count;
        var anomalies = new List<Anomaly>();
        using var reader = CaptureReader.Open(new TrickleStream(bytes, 4, failAfter: bytes.Length / 2), "pipe",
            new CaptureReaderOptions { Anomalies = new Sink(anomalies) });
        int got = Frames(reader).Count;
        Assert.InRange(got, 1, all - 1);
        Assert.Contains(anomalies, a => a.Name == "capture.stream_error" && a.Detail.Contains("the pipe broke", StringComparison.Ordinal));
    }

    [Fact]
    public void A_stream_that_is_not_a_capture_is_refused_naming_it()
    {
        var e = Assert.Throws<CaptureFormatException>(() => CaptureReader.Open(new MemoryStream("GET / HTTP/1.1\r\n"u8.ToArray()), "the pipe"));
        Assert.Contains("the pipe", e.Message, StringComparison.Ordinal);
        Assert.Contains("not a pcap or pcapng", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Interface_statistics_written_at_the_end_are_read_back_with_their_times()
    {
        var stream = new MemoryStream();
        using (var writer = new PcapNgWriter(stream, leaveOpen: true))
        {
            writer.WriteSectionHeader(userApplication: "test");
            writer.AddInterface(new InterfaceDescription(LinkTypes.Ethernet, 262144) { Name = "veth0" });
            writer.AddInterface(new InterfaceDescription(LinkTypes.Raw, 1500) { Name = "tun0", Resolution = TimestampResolution.Microseconds });
            byte[] frame = new byte[60];
            writer.WritePacket(0, 1_700_000_000_123_456_789, frame, 60, flags: 1 | (1 << 2));
            writer.Flush();
            writer.WriteInterfaceStatistics(0, 1_700_000_005_000_000_001, new InterfaceCounters
            {
                StartTimeNs = 1_700_000_000_000_000_007,
                EndTimeNs = 1_700_000_005_000_000_001,
                Received = 12,
                DroppedByOs = 3,
                DeliveredToUser = 1,
            });
            writer.WriteInterfaceStatistics(1, 1_700_000_005_000_001_000, new InterfaceCounters { Received = 0, DroppedByInterface = 2, AcceptedByFilter = 0 });
            writer.Complete();
        }

        stream.Position = 0;
        using var reader = CaptureReader.Open(stream, "memory");
        var frames = Frames(reader);
        Assert.Single(frames);
        Assert.Equal(1u | (1 << 2), frames[0].Flags);
        var s0 = reader.Interfaces[0].Statistics!;
        Assert.Equal(1_700_000_005_000_000_001, s0.TimestampNs);
        Assert.Equal(1_700_000_000_000_000_007, s0.StartTimeNs);
        Assert.Equal(1_700_000_005_000_000_001, s0.EndTimeNs);
        Assert.Equal(12ul, s0.ReceivedPackets);
        Assert.Equal(3ul, s0.DroppedByOs);
        Assert.Equal(1ul, s0.DeliveredToUser);
        Assert.Null(s0.DroppedByInterface);
        var s1 = reader.Interfaces[1].Statistics!;
        // Microsecond interface: the time is written in its units.
        Assert.Equal(1_700_000_005_000_001_000, s1.TimestampNs);
        Assert.Equal(0ul, s1.ReceivedPackets);
        Assert.Equal(2ul, s1.DroppedByInterface);
        Assert.Equal(0ul, s1.AcceptedByFilter);
        Assert.Equal(0, reader.AnomalyCount);
    }

    private sealed class Sink(List<Anomaly> list) : IAnomalySink
    {
        public void Report(Anomaly anomaly) => list.Add(anomaly);
    }
}
