using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using PcapForge.Abstractions;
using PcapForge.Abstractions.Dissection;
using PcapForge.Capture;
using PcapForge.Dissection;
using PcapForge.Dissectors.Core;

namespace PcapForge.Bench.Benchmarks;

/// <summary>
/// L2–L4 decoding of every frame of the benchmark capture on one core: the reader plus the dissection engine with
/// the built-in Ethernet, VLAN, IPv4, IPv6, TCP and UDP dissectors (no display, no output). Frames per second is
/// the file's frame count divided by the mean; allocation per frame is B/op divided by it.
/// <para>
/// <c>decode L2-L4</c> counts the values the dissectors recorded (<see cref="PacketContext.RecordedFields"/>), as a
/// flow table reading <c>ip.src</c> or <c>tcp.flags</c> would. <c>decode L2-L4, all fields</c> reads
/// <see cref="PacketContext.Fields"/> instead, which also computes the derived ones (<c>tcp.flags.syn</c>,
/// <c>ip.addr</c>…), as the display filter and the packets view do: the difference is their cost.
/// </para>
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 5)]
public class DecodeBenchmarks
{
    private string _file = "";
    private DissectionEngine _engine = null!;
    private PacketContext _context = null!;

    [GlobalSetup]
    public void Setup()
    {
        _file = BenchFiles.PcapNg;
        _engine = Decode.CreateEngine();
        _context = new PacketContext();
    }

    [Benchmark(Description = "decode L2-L4")]
    public long DecodeAll() => Decode.Run(_file, _engine, _context).Fields;

    [Benchmark(Description = "decode L2-L4, all fields")]
    public long DecodeAllFields() => Decode.Run(_file, _engine, _context, allFields: true).Fields;
}

/// <summary>The decode loop, shared by the benchmark and the <c>decode</c> mode.</summary>
public static class Decode
{
    /// <param name="checkChecksums">Verify TCP and UDP checksums (tshark's <c>-o tcp.check_checksum:TRUE</c>), which reads every payload byte.</param>
    public static DissectionEngine CreateEngine(bool checkChecksums = false)
    {
        IDissector[] dissectors = [new Ethernet(), new Vlan(), new Ieee8021ad(), new Ipv4(), new Ipv6(), new Tcp(), new Udp()];
        var problems = new List<PluginProblem>();
        var preferences = new Dictionary<string, bool> { ["tcp.check_checksum"] = checkChecksums, ["udp.check_checksum"] = checkChecksums };
        var registry = DissectorRegistry.Build(dissectors.Select(d => new LoadedDissector(d,
            ((DissectorExportAttribute)Attribute.GetCustomAttribute(d.GetType(), typeof(DissectorExportAttribute))!).Id, 0, "bench")), problems, preferences);
        return new DissectionEngine(registry);
    }

    /// <summary>One pass; <paramref name="allFields"/> reads every field, derived ones included, instead of the recorded ones.</summary>
    public static (long Frames, long Fields) Run(string file, DissectionEngine engine, PacketContext context, bool allFields = false)
    {
        using var reader = CaptureReader.Open(file);
        long frames = 0, fields = 0;
        while (reader.TryReadNext(out Frame frame))
        {
            engine.Dissect(frame, context);
            frames++;
            fields += allFields ? context.Fields.Length : context.RecordedFields.Length;
        }

        return (frames, fields);
    }

    /// <summary><c>decode FILE</c>: one pass, printing frames per second and bytes allocated per frame.</summary>
    public static int Command(string[] args)
    {
        if (args.Length < 1)
        {
            Console.Error.WriteLine("usage: PcapForge.Bench decode FILE [--repeat N] [--all-fields] [--check-checksums]");
            return 1;
        }

        int repeat = args.Length >= 3 && args[1] == "--repeat" ? int.Parse(args[2]) : 3;
        bool allFields = args.Contains("--all-fields");
        var engine = CreateEngine(checkChecksums: args.Contains("--check-checksums"));
        var context = new PacketContext();
        for (int i = 0; i < repeat; i++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            var (frames, fields) = Run(args[0], engine, context, allFields);
            sw.Stop();
            // CPU time next to wall time: on a shared machine a pass can wait for a core, which only the wall clock sees.
            double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Console.WriteLine($"pass={i + 1} frames={frames} fields={fields} seconds={sw.Elapsed.TotalSeconds:F3} cpu_seconds={cpuSeconds:F3} frames_per_s={frames / sw.Elapsed.TotalSeconds:F0} allocated={allocated} bytes_per_frame={(double)allocated / frames:F4}");
        }

        return 0;
    }
}
