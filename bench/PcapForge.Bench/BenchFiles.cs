namespace PcapForge.Bench;

/// <summary>
/// Where the benchmarks find their captures. <c>PCAPFORGE_BENCH_FILE</c> names the pcapng file (default
/// <c>bench/data/bench-1g.pcapng</c>), <c>PCAPFORGE_BENCH_PCAP_FILE</c> the classic pcap one (default: the pcapng
/// path with the extension <c>.pcap</c>). Relative paths are taken from the repository root (the folder holding
/// PcapForge.sln) when there is one above the current folder or the program, else from the current folder.
/// </summary>
public static class BenchFiles
{
    public const string PcapNgVariable = "PCAPFORGE_BENCH_FILE";
    public const string PcapVariable = "PCAPFORGE_BENCH_PCAP_FILE";
    public const string WindowVariable = "PCAPFORGE_BENCH_WINDOW_MIB";
    public const string DefaultPcapNg = "bench/data/bench-1g.pcapng";

    public static string PcapNg => Resolve(Environment.GetEnvironmentVariable(PcapNgVariable) is { Length: > 0 } v ? v : DefaultPcapNg);

    public static string Pcap => Resolve(Environment.GetEnvironmentVariable(PcapVariable) is { Length: > 0 } v ? v : Path.ChangeExtension(PcapNg, ".pcap"));

    /// <summary>Makes both paths absolute in this process's environment, so BenchmarkDotNet's child processes (which start elsewhere) see the same files.</summary>
    public static void Pin()
    {
        string ng = PcapNg, pcap = Pcap;
        Environment.SetEnvironmentVariable(PcapNgVariable, ng);
        Environment.SetEnvironmentVariable(PcapVariable, pcap);
    }

    public static string Resolve(string path)
    {
        if (Path.IsPathRooted(path))
            return path;
        string? root = FindRoot(Environment.CurrentDirectory) ?? FindRoot(AppContext.BaseDirectory);
        return Path.GetFullPath(path, root ?? Environment.CurrentDirectory);
    }

    private static string? FindRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PcapForge.sln")))
                return dir.FullName;
        }

        return null;
    }
}
