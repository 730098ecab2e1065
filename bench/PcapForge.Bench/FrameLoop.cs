using System.Runtime.CompilerServices;
using PcapForge.Abstractions;
using PcapForge.Capture;

namespace PcapForge.Bench;

/// <summary>What one pass over a capture saw; <see cref="Checksum"/> depends on every frame's header fields.</summary>
public readonly record struct LoopResult(long Frames, long CapturedBytes, long Checksum);

/// <summary>
/// The loop every reader benchmark runs: every frame, every header field a consumer typically reads
/// (timestamp, captured and original length, link type, interface), folded into a result so the JIT cannot
/// drop any of it. The frame bytes are not touched beyond their length: this measures the reader, not a dissector.
/// </summary>
public static class FrameLoop
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static LoopResult ReadAll(CaptureReader reader)
    {
        long frames = 0, captured = 0, original = 0, timestamps = 0, other = 0;
        while (reader.TryReadNext(out Frame frame))
        {
            frames++;
            captured += frame.Info.CapturedLength;
            original += frame.Info.OriginalLength;
            timestamps ^= frame.Info.TimestampNs;
            other += frame.Info.LinkType + frame.Info.InterfaceIndex + frame.Data.Length;
        }

        return new LoopResult(frames, captured, captured + original + other ^ timestamps);
    }

    /// <summary>Opens, reads every frame, disposes: one benchmark operation.</summary>
    public static LoopResult ReadFile(string path, CaptureReaderOptions? options = null)
    {
        using var reader = CaptureReader.Open(path, options);
        return ReadAll(reader);
    }
}
