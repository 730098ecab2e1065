using PcapForge.Abstractions;

namespace PcapForge.Capture;

/// <summary>
/// What <c>pcapforge info</c> reports of one capture (a capinfos-like summary): format, sections, interfaces,
/// frame and byte counts, time span, comments and anomalies. Made by reading every frame once.
/// </summary>
public sealed class CaptureSummary
{
    private CaptureSummary(CaptureReader reader, AnomalyCollector anomalies)
    {
        Path = reader.Path;
        FileSize = reader.FileSize;
        Format = reader.Format;
        Compression = reader.Compression;
        Anomalies = anomalies;
    }

    public string Path { get; }
    public long FileSize { get; }
    public CaptureFormat Format { get; }
    public CaptureCompression Compression { get; }
    public IReadOnlyList<SectionInfo> Sections { get; private set; } = [];
    public IReadOnlyList<InterfaceInfo> Interfaces { get; private set; } = [];

    /// <summary>Frames per interface, indexed like <see cref="Interfaces"/>.</summary>
    public IReadOnlyList<long> FramesPerInterface { get; private set; } = [];

    public long Frames { get; private set; }
    public long CapturedBytes { get; private set; }
    public long OriginalBytes { get; private set; }

    /// <summary>Frames with fewer bytes captured than were on the wire.</summary>
    public long TruncatedFrames { get; private set; }

    /// <summary>Frames without a timestamp (pcapng Simple Packet Blocks, or a timestamp out of range).</summary>
    public long FramesWithoutTimestamp { get; private set; }

    /// <summary>Earliest timestamp (as capinfos' "Start time"); null when no frame has one.</summary>
    public long? FirstTimestampNs { get; private set; }

    /// <summary>Latest timestamp (as capinfos' "End time").</summary>
    public long? LastTimestampNs { get; private set; }

    /// <summary>True when every timestamp is at or after the one before it.</summary>
    public bool? StrictTimeOrder { get; private set; }

    public long MinCapturedLength { get; private set; }
    public long MaxCapturedLength { get; private set; }

    /// <summary>Frame comments (pcapng opt_comment on packet blocks): frame number and text.</summary>
    public IReadOnlyList<(long Frame, string Comment)> FrameComments { get; private set; } = [];

    public AnomalyCollector Anomalies { get; }

    /// <summary>True when damage stopped reading before the end of the file.</summary>
    public bool StoppedEarly { get; private set; }

    /// <summary>Duration between the earliest and latest timestamps, in nanoseconds.</summary>
    public long? DurationNs => FirstTimestampNs is long f && LastTimestampNs is long l ? l - f : null;

    /// <summary>Reads the whole capture. Throws <see cref="CaptureFormatException"/> if it is not one.</summary>
    public static CaptureSummary Read(string path, int maxAnomalies = 1000, CaptureReaderOptions? options = null)
    {
        var anomalies = new AnomalyCollector(maxAnomalies);
        using var reader = CaptureReader.Open(path, (options ?? new CaptureReaderOptions()) with { Anomalies = anomalies });
        var summary = new CaptureSummary(reader, anomalies);
        summary.Consume(reader);
        return summary;
    }

    private void Consume(CaptureReader reader)
    {
        var perInterface = new List<long>();
        var comments = new List<(long, string)>();
        long frames = 0, captured = 0, original = 0, truncated = 0, noTs = 0;
        long min = long.MaxValue, max = long.MinValue, previous = long.MinValue;
        long minCap = long.MaxValue, maxCap = 0;
        bool ordered = true, anyTs = false;
        while (reader.TryReadNext(out Frame frame))
        {
            FrameInfo info = frame.Info;
            frames++;
            captured += info.CapturedLength;
            original += info.OriginalLength;
            minCap = Math.Min(minCap, info.CapturedLength);
            maxCap = Math.Max(maxCap, info.CapturedLength);
            if (info.IsTruncated)
                truncated++;
            while (perInterface.Count <= info.InterfaceIndex)
                perInterface.Add(0);
            perInterface[info.InterfaceIndex]++;
            if (info.Comments is { } c)
            {
                foreach (var text in c)
                    comments.Add((info.Number, text));
            }

            if (!info.HasTimestamp)
            {
                noTs++;
                continue;
            }

            anyTs = true;
            long ts = info.TimestampNs;
            if (ts < previous)
                ordered = false;
            previous = ts;
            min = Math.Min(min, ts);
            max = Math.Max(max, ts);
        }

        while (perInterface.Count < reader.Interfaces.Count)
            perInterface.Add(0);
        Sections = reader.Sections.ToArray();
        Interfaces = reader.Interfaces.ToArray();
        FramesPerInterface = perInterface;
        Frames = frames;
        CapturedBytes = captured;
        OriginalBytes = original;
        TruncatedFrames = truncated;
        FramesWithoutTimestamp = noTs;
        FirstTimestampNs = anyTs ? min : null;
        LastTimestampNs = anyTs ? max : null;
        StrictTimeOrder = anyTs ? ordered : null;
        MinCapturedLength = frames == 0 ? 0 : minCap;
        MaxCapturedLength = maxCap;
        FrameComments = comments;
        StoppedEarly = reader.StoppedEarly;
    }
}
