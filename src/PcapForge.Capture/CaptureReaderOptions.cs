using PcapForge.Abstractions;

namespace PcapForge.Capture;

/// <summary>How a <see cref="CaptureReader"/> reads.</summary>
public sealed record CaptureReaderOptions
{
    /// <summary>
    /// Default size of the memory-mapped window: large enough that remapping costs nothing measurable, small enough
    /// to bound resident memory (bench/README.md: 16 MiB reads as fast as 64 MiB, 7.2 GB/s, with peak RSS 49 MiB
    /// instead of 96 MiB).
    /// </summary>
    public const long DefaultWindowSize = 16L * 1024 * 1024;

    /// <summary>Where anomalies go as they are found. Null: they are only counted.</summary>
    public IAnomalySink? Anomalies { get; init; }

    /// <summary>
    /// Bound on the bytes of an uncompressed file kept mapped and resident: the size of each mapped window, or, where
    /// the whole file is mapped at once (64-bit Linux), about how far behind the cursor pages are kept.
    /// </summary>
    public long WindowSize { get; init; } = DefaultWindowSize;

    /// <summary>
    /// Map the whole file once and drop pages behind the cursor, where the platform allows it (64-bit Linux); false
    /// maps windows everywhere. For tests of the windowed path.
    /// </summary>
    internal bool WholeFileMapping { get; init; } = true;
}
