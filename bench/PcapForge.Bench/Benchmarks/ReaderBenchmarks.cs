using BenchmarkDotNet.Attributes;
using PcapForge.Capture;

namespace PcapForge.Bench.Benchmarks;

/// <summary>
/// One operation = open the capture, read every frame's header fields, dispose. The file should be in the page
/// cache (run-reader-bench.sh cats it first), so this measures the reader, not the disk. Throughput (GB/s of file
/// per second) and allocation per frame are added as columns by <see cref="ReaderColumns"/>.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 5)]
[Config(typeof(ReaderBenchConfig))]
public class ReaderBenchmarks
{
    /// <summary>The capture a benchmark method reads, by method name (for the columns, which run in the host process).</summary>
    public static string FileFor(string method) => method == nameof(Pcap) ? BenchFiles.Pcap : BenchFiles.PcapNg;

    private string _pcapNg = "";
    private string _pcap = "";

    [GlobalSetup]
    public void Setup()
    {
        _pcapNg = BenchFiles.PcapNg;
        _pcap = BenchFiles.Pcap;
    }

    [Benchmark(Baseline = true, Description = "pcapng")]
    public long PcapNg() => FrameLoop.ReadFile(_pcapNg).Checksum;

    [Benchmark(Description = "pcap")]
    public long Pcap() => FrameLoop.ReadFile(_pcap).Checksum;
}

/// <summary>
/// The pcapng benchmark with other mapped-window sizes (<see cref="CaptureReaderOptions.WindowSize"/>), to see
/// what the window costs or buys. Not part of the default run: <c>run --filter *WindowSize*</c>.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 5)]
[Config(typeof(ReaderBenchConfig))]
public class WindowSizeBenchmarks
{
    [Params(1, 4, 16, 64, 256, 1024)]
    public int WindowMiB { get; set; }

    private string _pcapNg = "";
    private CaptureReaderOptions _options = new();

    [GlobalSetup]
    public void Setup()
    {
        _pcapNg = BenchFiles.PcapNg;
        _options = new CaptureReaderOptions { WindowSize = WindowMiB * 1024L * 1024 };
    }

    [Benchmark(Description = "pcapng")]
    public long PcapNg() => FrameLoop.ReadFile(_pcapNg, _options).Checksum;
}
