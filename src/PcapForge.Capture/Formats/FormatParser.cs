using PcapForge.Abstractions;
using PcapForge.Capture.Sources;

namespace PcapForge.Capture.Formats;

/// <summary>What the format parsers share: the byte source, the metadata lists and the anomaly sink.</summary>
internal abstract class FormatParser
{
    protected FormatParser(ByteSource source, CaptureState state)
    {
        Source = source;
        State = state;
    }

    protected ByteSource Source { get; }
    protected CaptureState State { get; }

    /// <summary>Offset (in the decompressed data) of the next record or block to read.</summary>
    public abstract long Position { get; }

    /// <summary>Reads the next frame; false at the end of the data or where damage stopped reading.</summary>
    public abstract bool TryReadNext(out Frame frame);

    protected void Report(string scope, string name, long? frame, long offset, string detail) =>
        State.Report(new Anomaly(scope, name, frame, offset, detail));

    /// <summary>Remaining bytes from <paramref name="offset"/>, asking the source for at most <paramref name="atMost"/>.</summary>
    protected long Available(long offset, int atMost) =>
        Source.Length is long len ? len - offset : Source.Read(offset, atMost).Length;
}

/// <summary>Metadata gathered while reading, shared between the reader and its parser.</summary>
internal sealed class CaptureState
{
    public CaptureState(IAnomalySink? sink) => Sink = sink;

    public IAnomalySink? Sink { get; }
    public List<SectionInfo> Sections { get; } = new();
    public List<InterfaceInfo> Interfaces { get; } = new();
    public long FramesRead { get; set; }

    /// <summary>Set when damage made the parser stop before the end of the data.</summary>
    public bool StoppedEarly { get; set; }

    public long AnomalyCount { get; private set; }

    /// <summary>A decompressor failed: the data ends there, and the parser sees a cut file.</summary>
    public void ReportDecompressionError(long offset, string message) =>
        Report(new Anomaly("file", "capture.decompression_error", null, offset, $"decompression failed after {offset} bytes of output: {message}"));

    /// <summary>Reading a plain stream (a live capture's pipe) failed: the data ends there.</summary>
    public void ReportStreamError(long offset, string message) =>
        Report(new Anomaly("file", "capture.stream_error", null, offset, $"reading the stream failed after {offset} bytes: {message}"));

    public void Report(Anomaly anomaly)
    {
        AnomalyCount++;
        Sink?.Report(anomaly);
    }
}
