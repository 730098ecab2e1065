using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using PcapForge.Bench;
using PcapForge.Bench.Benchmarks;
using PcapForge.Bench.Synthesis;
using PcapForge.Capture;

// PcapForge.Bench: `generate` makes a synthetic capture, `run` hands over to BenchmarkDotNet, `iterate` reads a
// capture once and reports (for /usr/bin/time -v, which measures the whole process), `decode` does the same for
// the L2–L4 decode loop.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

string mode = args.Length > 0 ? args[0] : "help";
string[] rest = args.Skip(1).ToArray();
try
{
    return mode switch
    {
        "generate" => Commands.Generate(rest),
        "run" => Commands.Run(rest),
        "iterate" => Commands.Iterate(rest),
        "decode" => PcapForge.Bench.Benchmarks.Decode.Command(rest),
        _ => Commands.Help(mode is "help" or "--help" or "-h" ? 0 : 2),
    };
}
catch (UsageException e)
{
    Console.Error.WriteLine($"PcapForge.Bench {mode}: {e.Message}");
    return 2;
}

internal sealed class UsageException(string message) : Exception(message);

internal static class Commands
{
    public static int Help(int exit)
    {
        (exit == 0 ? Console.Out : Console.Error).WriteLine("""
            usage:
              PcapForge.Bench generate --out FILE --size-gb N [--format pcap|pcapng] [--seed 42] [--profile default|realistic]
                  Synthesise a capture of at least N GiB (N may be fractional) with PcapForge's writers.
                  The format defaults to the file's extension (.pcap: classic pcap, nanosecond timestamps; else pcapng).
                  Profiles: default (Ethernet/IPv4/TCP request/response on port 443, 24 connections at a time) or realistic
                  (HTTP, SSH, SMTP, DNS, ICMP, refused and unanswered connections over IPv4 and IPv6, thousands at a time).
              PcapForge.Bench run [BenchmarkDotNet arguments, e.g. --filter *ReaderBenchmarks*]
                  Run the benchmarks. PCAPFORGE_BENCH_FILE names the pcapng capture (default bench/data/bench-1g.pcapng),
                  PCAPFORGE_BENCH_PCAP_FILE the pcap one (default: same name, .pcap). PCAPFORGE_BENCH_RESULTS=FILE
                  appends one tab-separated line per benchmark (for scripts).
              PcapForge.Bench iterate FILE [--window-mib N] [--repeat N]
                  Read every frame of FILE once (or N times) with the benchmark's loop and print frames, bytes, GB/s,
                  allocation and the process's peak resident memory (VmHWM).
              PcapForge.Bench decode FILE [--repeat N] [--all-fields] [--check-checksums]
                  Decode every frame of FILE to L4 with the Core dissectors, N times (default 3), and print frames per
                  second, wall and CPU seconds and bytes allocated per frame; --all-fields also lists the derived fields,
                  --check-checksums verifies TCP and UDP checksums (tcp.check_checksum:TRUE).
            """);
        return exit;
    }

    public static int Generate(string[] args)
    {
        string? output = null;
        double sizeGb = 0;
        int seed = 42;
        GeneratedFormat? format = null;
        var profile = TrafficProfile.Default;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new UsageException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--out": output = Value(); break;
                case "--size-gb": sizeGb = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--seed": seed = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--profile":
                    profile = Value().ToLowerInvariant() switch
                    {
                        "default" => TrafficProfile.Default,
                        "realistic" => TrafficProfile.Realistic,
                        var p => throw new UsageException($"unknown profile '{p}' (default or realistic)"),
                    };
                    break;
                case "--format":
                    format = Value().ToLowerInvariant() switch
                    {
                        "pcap" => GeneratedFormat.Pcap,
                        "pcapng" => GeneratedFormat.PcapNg,
                        var f => throw new UsageException($"unknown format '{f}' (pcap or pcapng)"),
                    };
                    break;
                default: throw new UsageException($"unknown argument '{args[i]}'");
            }
        }

        if (output is null || sizeGb <= 0)
            throw new UsageException("--out FILE and --size-gb N (> 0) are required");
        format ??= output.EndsWith(".pcap", StringComparison.OrdinalIgnoreCase) ? GeneratedFormat.Pcap : GeneratedFormat.PcapNg;
        long target = (long)(sizeGb * (1L << 30));
        Console.WriteLine($"generating {output}: {format}, {profile} profile, at least {target:N0} bytes, seed {seed}");
        var result = CaptureGenerator.Generate(output, target, format.Value, seed, profile,
            progress: (done, total) => Console.Error.Write($"\r  {done * 100.0 / total:0}% "));
        Console.Error.WriteLine();
        double seconds = (result.LastTimestampNs - result.FirstTimestampNs) / 1e9;
        Console.WriteLine($"""
              file      {result.Path}
              size      {result.FileSize:N0} bytes
              frames    {result.Frames:N0} ({result.Sessions:N0} {(result.Protocols is null ? "TCP connections started" : $"flows, at most {result.PeakLiveFlows:N0} open at once")})
              sizes     <=100 B: {Percent(result.SmallFrames)}, 101-1513 B: {Percent(result.MidFrames)}, 1514 B: {Percent(result.FullFrames)}
              span      {seconds:0.000} s of capture time
              took      {result.Elapsed.TotalSeconds:0.0} s ({result.FileSize / result.Elapsed.TotalSeconds / 1e6:0} MB/s)
            """);
        if (result.Protocols is { } protocols)
        {
            Console.WriteLine($"  {"protocol",-15} {"flows",10} {"frames",12} {"bytes",15} {"% bytes",8} {"IPv6 frames",12}");
            foreach (var p in protocols)
                Console.WriteLine($"  {p.Protocol,-15} {p.Flows,10:N0} {p.Frames,12:N0} {p.Bytes,15:N0} {p.Bytes * 100.0 / protocols.Sum(x => x.Bytes),8:0.0} {p.Ipv6Frames,12:N0}");
        }

        return 0;

        string Percent(long n) => $"{n:N0} ({n * 100.0 / Math.Max(1, result.Frames):0.0}%)";
    }

    public static int Run(string[] args)
    {
        BenchFiles.Pin();
        foreach (var path in new[] { BenchFiles.PcapNg, BenchFiles.Pcap })
        {
            if (!File.Exists(path))
                Console.Error.WriteLine($"warning: {path} does not exist; generate it first (see bench/README.md)");
        }

        var summaries = BenchmarkSwitcher.FromAssembly(typeof(ReaderBenchmarks).Assembly).Run(args).ToArray();
        if (Environment.GetEnvironmentVariable("PCAPFORGE_BENCH_RESULTS") is { Length: > 0 } results)
            AppendResults(results, summaries);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }

    /// <summary>One line per benchmark: class, method, parameters, file, size, frames, mean ns, stddev ns, GB/s, allocated B/op, B/frame.</summary>
    private static void AppendResults(string path, IEnumerable<Summary> summaries)
    {
        using var w = new StreamWriter(path, append: true);
        foreach (var summary in summaries)
        {
            foreach (var c in summary.BenchmarksCases)
            {
                var report = summary[c];
                if (report?.ResultStatistics is not { } stats)
                    continue;
                string parameters = c.HasParameters ? c.Parameters.PrintInfo : "-";
                w.WriteLine(string.Join('\t',
                    c.Descriptor.Type.Name, c.Descriptor.WorkloadMethod.Name, parameters, ReaderColumns.File(c), ReaderColumns.Size(c),
                    ReaderColumns.Frames(c), stats.Mean.ToString("0"), stats.StandardDeviation.ToString("0"),
                    (ReaderColumns.Throughput(summary, c) ?? 0).ToString("0.000"), ReaderColumns.AllocatedPerOperation(summary, c) ?? -1,
                    (ReaderColumns.AllocatedPerFrame(summary, c) ?? -1).ToString("0.000000")));
            }
        }
    }

    public static int Iterate(string[] args)
    {
        string? path = null;
        int repeat = 1;
        long? window = null;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new UsageException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--repeat": repeat = Math.Max(1, int.Parse(Value(), CultureInfo.InvariantCulture)); break;
                case "--window-mib": window = long.Parse(Value(), CultureInfo.InvariantCulture) * 1024 * 1024; break;
                default:
                    if (path is not null || args[i].StartsWith("--", StringComparison.Ordinal))
                        throw new UsageException($"unknown argument '{args[i]}'");
                    path = args[i];
                    break;
            }
        }

        if (path is null)
            throw new UsageException("a capture FILE is required");
        var options = window is long w ? new CaptureReaderOptions { WindowSize = w } : new CaptureReaderOptions();
        long size = new FileInfo(path).Length;
        for (int pass = 1; pass <= repeat; pass++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            int gen0 = GC.CollectionCount(0);
            var clock = Stopwatch.StartNew();
            LoopResult result;
            long loopAllocated;
            using (var reader = CaptureReader.Open(path, options))
            {
                long afterOpen = GC.GetAllocatedBytesForCurrentThread();
                result = FrameLoop.ReadAll(reader);
                loopAllocated = GC.GetAllocatedBytesForCurrentThread() - afterOpen;
            }

            clock.Stop();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            double seconds = clock.Elapsed.TotalSeconds;
            // key=value so that scripts can pick figures out; one line per pass.
            Console.WriteLine(string.Join(' ',
                $"pass={pass}", $"file={path}", $"size={size}", $"frames={result.Frames}", $"captured_bytes={result.CapturedBytes}",
                $"seconds={seconds:0.0000}", $"gb_per_s={size / seconds / 1e9:0.000}", $"frames_per_s={result.Frames / seconds:0}",
                $"allocated_bytes={allocated}", $"loop_allocated_bytes={loopAllocated}",
                $"loop_bytes_per_frame={(double)loopAllocated / Math.Max(1, result.Frames):0.000000}",
                $"gen0_collections={GC.CollectionCount(0) - gen0}", $"checksum={result.Checksum}",
                $"vm_hwm_kib={ProcStatus("VmHWM")}", $"vm_rss_kib={ProcStatus("VmRSS")}"));
        }

        return 0;
    }

    /// <summary>A kB figure from /proc/self/status (Linux), or -1.</summary>
    private static long ProcStatus(string key)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith(key + ":", StringComparison.Ordinal))
                    return long.Parse(line[(key.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }
        catch (IOException)
        {
        }

        return -1;
    }
}
