using System.IO.Pipelines;
using System.Runtime.ExceptionServices;
using PcapForge.Dissection;
using PcapForge.Flows;

namespace PcapForge.Live;

/// <summary>
/// The analysis of a live capture, on its own thread: the capture writes its pcapng into <see cref="Input"/>, and
/// <see cref="CaptureAnalysis"/> reads the same bytes through a <see cref="Capture.CaptureReader"/> as it would read
/// the written file, so the dataset is the one <c>analyze</c> gives for that file (but for the capture id). The
/// pipe between them is bounded: an analysis that falls behind makes the capture wait, and the kernel then drops
/// and counts frames, as it does for tcpdump writing to a slow disk, rather than memory growing without bound.
/// </summary>
public sealed class LiveAnalysis
{
    /// <summary>The most the pipe holds before the capture waits; it resumes once half has been read.</summary>
    public const long PipeBytes = 64L * 1024 * 1024;

    private readonly DissectionEngine _engine;
    private readonly IRowSink _output;
    private readonly AnalysisOptions _options;
    private readonly Pipe _pipe = new(new PipeOptions(pauseWriterThreshold: PipeBytes, resumeWriterThreshold: PipeBytes / 2, useSynchronizationContext: false));
    private Thread? _thread;
    private CaptureResult? _result;
    private Exception? _failure;

    public LiveAnalysis(DissectionEngine engine, IRowSink output, AnalysisOptions options)
    {
        _engine = engine;
        _output = output;
        _options = options;
        Input = _pipe.Writer.AsStream();
    }

    /// <summary>Where the capture writes its pcapng.</summary>
    public Stream Input { get; }

    /// <summary>Starts reading; the rows get <paramref name="captureId"/> and the captures row source <c>capture</c> and path <paramref name="path"/>.</summary>
    public void Start(string captureId, string path)
    {
        var input = new CaptureStream(_pipe.Reader.AsStream(), captureId, "capture", path);
        _thread = new Thread(() =>
        {
            try
            {
                _result = new CaptureAnalysis(_engine, _output, _options with { Workers = 1, Progress = null }).Run(input);
            }
            catch (Exception e)
            {
                _failure = e;
                // The capture's writes must not wait for a reader that is gone.
                _pipe.Reader.Complete(e);
            }
        })
        {
            IsBackground = true,
            Name = "pcapforge capture analysis",
        };
        _thread.Start();
    }

    /// <summary>Ends the input and waits for the analysis to write its last rows; rethrows what made it fail.</summary>
    public CaptureResult Finish()
    {
        Input.Dispose();
        _thread?.Join();
        if (_failure is not null)
            ExceptionDispatchInfo.Throw(_failure);
        return _result ?? throw new InvalidOperationException("the analysis was not started");
    }
}
