using PcapForge.Abstractions;

namespace PcapForge.Capture;

/// <summary>How a <see cref="CaptureReader"/> reads.</summary>
public sealed record CaptureReaderOptions
{
    /// <summary>Default size of the memory-mapped window: large enough that remapping costs nothing measurable, small enough to bound resident memory.</summary>
    public const long DefaultWindowSize = 64L * 1024 * 1024;

    /// <summary>Where anomalies go as they are found. Null: they are only counted.</summary>
    public IAnomalySink? Anomalies { get; init; }

    /// <summary>Size of the memory-mapped window over an uncompressed file.</summary>
    public long WindowSize { get; init; } = DefaultWindowSize;
}
