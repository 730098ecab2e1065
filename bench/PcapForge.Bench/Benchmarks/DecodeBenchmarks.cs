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
}

/// <summary>The decode loop, shared by the benchmark and the <c>decode</c> mode.</summary>
public static class Decode
{
    public static DissectionEngine CreateEngine()
    {
        IDissector[] dissectors = [new Ethernet(), new Vlan(), new Ieee8021ad(), new Ipv4(), new Ipv6(), new Tcp(), new Udp()];
        var problems = new List<PluginProblem>();
        var registry = DissectorRegistry.Build(dissectors.Select(d => new LoadedDissector(d,
            ((DissectorExportAttribute)Attribute.GetCustomAttribute(d.GetType(), typeof(DissectorExportAttribute))!).Id, 0, "bench")), problems);
        return new DissectionEngine(registry);
    }

    public static (long Frames, long Fields) Run(string file, DissectionEngine engine, PacketContext context)
    {
        using var reader = CaptureReader.Open(file);
        long frames = 0, fields = 0;
        while (reader.TryReadNext(out Frame frame))
        {
            engine.Dissect(frame, context);
            frames++;
            fields += context.Fields.Length;
        }

        return (frames, fields);
    }

    /// <summary><c>decode FILE</c>: one pass, printing frames per second and bytes allocated per frame.</summary>
    public static int Command(string[] args)
    {
        if (args.Length < 1)
        {
            Console.Error.WriteLine("usage: PcapForge.Bench decode FILE [--repeat N]");
            return 1;
        }

        int repeat = args.Length >= 3 && args[1] == "--repeat" ? int.Parse(args[2]) : 3;
        var engine = CreateEngine();
        var context = new PacketContext();
        for (int i = 0; i < repeat; i++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var sw = Stopwatch.StartNew();
            var (frames, fields) = Run(args[0], engine, context);
            sw.Stop();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Console.WriteLine($"pass={i + 1} frames={frames} fields={fields} seconds={sw.Elapsed.TotalSeconds:F3} frames_per_s={frames / sw.Elapsed.TotalSeconds:F0} allocated={allocated} bytes_per_frame={(double)allocated / frames:F4}");
        }

        return 0;
    }
}
