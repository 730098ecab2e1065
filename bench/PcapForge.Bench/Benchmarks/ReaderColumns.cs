using System.Collections.Concurrent;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace PcapForge.Bench.Benchmarks;

/// <summary>Adds the reader columns to the default configuration.</summary>
public sealed class ReaderBenchConfig : ManualConfig
{
    public ReaderBenchConfig()
    {
        AddColumn(ReaderColumns.All);
        // Keep the default output in ms (a pass over a gigabyte takes hundreds of them).
        SummaryStyle = BenchmarkDotNet.Reports.SummaryStyle.Default.WithTimeUnit(Perfolizer.Horology.TimeUnit.Millisecond);
    }
}

/// <summary>
/// Columns computed in the host from the measured mean and allocation: the file read, its size, its frame count,
/// throughput in GB/s (10^9 bytes of file per second, from the mean) and allocated bytes per frame.
/// </summary>
public static class ReaderColumns
{
    public static readonly IColumn[] All =
    [
        new Column("File", "Capture file read by the benchmark", (_, c) => Path.GetFileName(File(c))),
        new Column("Size", "File size in GB (10^9 bytes)", (_, c) => $"{Size(c) / 1e9:0.000} GB", numeric: true),
        new Column("Frames", "Frames in the file", (_, c) => Frames(c).ToString("N0"), numeric: true),
        new Column("GB/s", "File bytes read per second (10^9 B/s), from the mean", (s, c) => Throughput(s, c) is double t ? $"{t:0.00}" : "?", numeric: true),
        new Column("Alloc/frame", "Allocated bytes per operation divided by the frames read (per-open costs included)",
            (s, c) => AllocatedPerFrame(s, c) is double a ? $"{a:0.0000} B" : "?", numeric: true),
    ];

    private static readonly ConcurrentDictionary<string, long> FrameCounts = new();

    public static string File(BenchmarkCase c)
    {
        string path = ReaderBenchmarks.FileFor(c.Descriptor.WorkloadMethod.Name);
        return path;
    }

    public static long Size(BenchmarkCase c) => System.IO.File.Exists(File(c)) ? new FileInfo(File(c)).Length : 0;

    /// <summary>Counted once per file in the host (a pass with the same reader), not inside the measured run.</summary>
    public static long Frames(BenchmarkCase c) =>
        FrameCounts.GetOrAdd(File(c), path => System.IO.File.Exists(path) ? FrameLoop.ReadFile(path).Frames : 0);

    public static double? MeanNs(Summary s, BenchmarkCase c) => s[c]?.ResultStatistics?.Mean;

    public static double? Throughput(Summary s, BenchmarkCase c) => MeanNs(s, c) is double ns && ns > 0 ? Size(c) / ns : null;

    public static long? AllocatedPerOperation(Summary s, BenchmarkCase c) => s[c]?.GcStats.GetBytesAllocatedPerOperation(c);

    public static double? AllocatedPerFrame(Summary s, BenchmarkCase c) =>
        AllocatedPerOperation(s, c) is long a && Frames(c) is long f and > 0 ? (double)a / f : null;

    private sealed class Column(string name, string legend, Func<Summary, BenchmarkCase, string> value, bool numeric = false) : IColumn
    {
        public string Id => nameof(ReaderColumns) + "." + name;
        public string ColumnName => name;
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => numeric;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => legend;
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => value(summary, benchmarkCase);
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => value(summary, benchmarkCase);
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public bool IsAvailable(Summary summary) => true;
    }
}
