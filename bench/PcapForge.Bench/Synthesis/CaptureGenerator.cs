using System.Diagnostics;
using PcapForge.Abstractions;
using PcapForge.Capture.Writing;

namespace PcapForge.Bench.Synthesis;

/// <summary>Which capture format <see cref="CaptureGenerator"/> writes.</summary>
public enum GeneratedFormat
{
    PcapNg,
    Pcap,
}

/// <summary>What a generation wrote.</summary>
public sealed record GenerationResult(string Path, long FileSize, long Frames, long Sessions, long SmallFrames, long MidFrames,
    long FullFrames, long FirstTimestampNs, long LastTimestampNs, TimeSpan Elapsed);

/// <summary>
/// Writes a synthetic capture of at least a given size with the project's own writers (<see cref="PcapNgWriter"/>,
/// <see cref="PcapWriter"/>), frames from a seeded <see cref="TrafficSynthesizer"/>. The file is written under a
/// temporary name and renamed when complete, so a file at <c>path</c> is always a whole one.
/// </summary>
public static class CaptureGenerator
{
    private delegate void WriteFrame(long timestampNs, ReadOnlySpan<byte> data);

    public const uint SnapLength = 262144;

    public static GenerationResult Generate(string path, long targetBytes, GeneratedFormat format, int seed, TrafficOptions? options = null,
        Action<long, long>? progress = null)
    {
        var clock = Stopwatch.StartNew();
        string full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        string temporary = full + ".partial";
        var synthesizer = new TrafficSynthesizer(seed, options);
        byte[] frame = new byte[TrafficSynthesizer.MaxFrameLength];
        long frames = 0, small = 0, mid = 0, fullSize = 0, written, first = 0, last = 0;

        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            WriteFrame write;
            Action complete;
            Func<int, long> recordSize;
            if (format == GeneratedFormat.PcapNg)
            {
                var ng = new PcapNgWriter(stream, leaveOpen: true);
                ng.WriteSectionHeader(hardware: "synthetic",
                    userApplication: $"PcapForge.Bench generate (seed {seed})");
                int id = ng.AddInterface(new InterfaceDescription(LinkTypes.Ethernet, SnapLength) { Name = "eth0" });
                write = (ts, data) => ng.WritePacket(id, ts, data, data.Length);
                complete = ng.Complete;
                recordSize = length => 32 + ((length + 3) & ~3); // EPB: 28-byte header, padded data, trailing length
            }
            else
            {
                var pcap = new PcapWriter(stream, LinkTypes.Ethernet, SnapLength, nanoseconds: true, leaveOpen: true);
                write = (ts, data) => pcap.WritePacket(ts, data, data.Length);
                complete = pcap.Complete;
                recordSize = length => 16 + length;
            }

            written = 0; // the file and section headers come on top of the target
            long nextReport = 256L << 20;
            while (written < targetBytes)
            {
                int length = synthesizer.Next(frame, out long ts);
                write(ts, frame.AsSpan(0, length));
                if (frames == 0)
                    first = ts;
                last = ts;
                frames++;
                if (length <= 100)
                    small++;
                else if (length < PacketBuilder.MaximumFrameLength)
                    mid++;
                else
                    fullSize++;
                written += recordSize(length);
                if (written >= nextReport)
                {
                    progress?.Invoke(written, targetBytes);
                    nextReport += 256L << 20;
                }
            }

            complete();
        }

        File.Move(temporary, full, overwrite: true);
        long size = new FileInfo(full).Length;
        return new GenerationResult(full, size, frames, synthesizer.SessionsStarted, small, mid, fullSize, first, last, clock.Elapsed);
    }
}
