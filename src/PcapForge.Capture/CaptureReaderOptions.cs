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

    /// <summary>Size of the memory-mapped window over an uncompressed file.</summary>
    public long WindowSize { get; init; } = DefaultWindowSize;
}
