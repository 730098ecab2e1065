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

/// <summary>Which traffic <see cref="CaptureGenerator"/> synthesises.</summary>
public enum TrafficProfile
{
    /// <summary><see cref="TrafficSynthesizer"/>: opaque request/response TCP connections on port 443, 24 at a time.</summary>
    Default,

    /// <summary><see cref="RealisticSynthesizer"/>: HTTP, SSH, SMTP, DNS, ICMP and failed connections over IPv4 and IPv6, thousands at a time.</summary>
    Realistic,
}

/// <summary>A seeded source of frames with non-decreasing timestamps.</summary>
public interface IFrameSynthesizer
{
    /// <summary>Writes the next frame into <paramref name="frame"/> (at least <see cref="PacketBuilder.MaximumFrameLength"/> bytes) and returns its length.</summary>
    int Next(Span<byte> frame, out long timestampNs);

    /// <summary>Connections (flows) started so far.</summary>
    long SessionsStarted { get; }
}

/// <summary>What a generation wrote. <paramref name="Protocols"/> and <paramref name="PeakLiveFlows"/> come from the realistic profile only.</summary>
public sealed record GenerationResult(string Path, long FileSize, long Frames, long Sessions, long SmallFrames, long MidFrames,
    long FullFrames, long FirstTimestampNs, long LastTimestampNs, TimeSpan Elapsed, IReadOnlyList<ProtocolCount>? Protocols = null,
    int PeakLiveFlows = 0);

/// <summary>
/// Writes a synthetic capture of at least a given size with the project's own writers (<see cref="PcapNgWriter"/>,
/// <see cref="PcapWriter"/>), frames from a seeded <see cref="TrafficSynthesizer"/>. The file is written under a
/// temporary name and renamed when complete, so a file at <c>path</c> is always a whole one.
/// </summary>
public static class CaptureGenerator
{
    private delegate void WriteFrame(long timestampNs, ReadOnlySpan<byte> data);

    public const uint SnapLength = 262144;

    public static GenerationResult Generate(string path, long targetBytes, GeneratedFormat format, int seed,
        TrafficProfile profile = TrafficProfile.Default, TrafficOptions? options = null, Action<long, long>? progress = null)
    {
        var clock = Stopwatch.StartNew();
        string full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        string temporary = full + ".partial";
        IFrameSynthesizer synthesizer = profile == TrafficProfile.Realistic
            ? new RealisticSynthesizer(seed)
            : new TrafficSynthesizer(seed, options);
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
                    userApplication: profile == TrafficProfile.Realistic
                        ? $"PcapForge.Bench generate --profile realistic (seed {seed})"
                        : $"PcapForge.Bench generate (seed {seed})");
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
        var realistic = synthesizer as RealisticSynthesizer;
        return new GenerationResult(full, size, frames, realistic?.FlowsCaptured ?? synthesizer.SessionsStarted, small, mid, fullSize, first, last,
            clock.Elapsed, realistic?.Protocols, realistic?.PeakLiveFlows ?? 0);
    }
}
