namespace PcapForge.TestSupport;

/// <summary>Where the test captures are: the repository's own <c>testdata/</c> and the public corpus in <c>../shared/pcaps</c>.</summary>
public static class TestData
{
    /// <summary>The repository root (the folder with PcapForge.sln), found from this source file's location.</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>The project's own captures.</summary>
    public static string OwnCaptures => Path.Combine(RepositoryRoot, "testdata");

    /// <summary>The public corpus beside the repository, or null when it is absent (tests then skip with a message).</summary>
    public static string? SharedPcaps
    {
        get
        {
            string? env = Environment.GetEnvironmentVariable("PCAPFORGE_SHARED_PCAPS");
            string dir = env ?? Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "pcaps"));
            return Directory.Exists(dir) ? dir : null;
        }
    }

    public const string SharedMissing = "../shared/pcaps is absent (set PCAPFORGE_SHARED_PCAPS to its path); conformance against the public corpus skipped";

    /// <summary>Capture files in a folder (by extension, including compressed ones), in name order.</summary>
    public static IEnumerable<string> Captures(string directory) =>
        Directory.GetFiles(directory)
            .Where(f => f.EndsWith(".pcap", StringComparison.Ordinal) || f.EndsWith(".pcapng", StringComparison.Ordinal)
                        || f.EndsWith(".gz", StringComparison.Ordinal) || f.EndsWith(".zst", StringComparison.Ordinal))
            .OrderBy(f => f, StringComparer.Ordinal);

    /// <summary>
    /// Walks up from the test binaries (tests/X/bin/Release/net10.0/). Source paths are no help: a CI build
    /// (ContinuousIntegrationBuild) maps them to /_/.
    /// </summary>
    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "PcapForge.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException($"PcapForge.sln not found above {AppContext.BaseDirectory}");
    }

    /// <summary>The real path of a source file named by [CallerFilePath], undoing the /_/ mapping of CI builds.</summary>
    public static string SourcePath(string callerFilePath) =>
        callerFilePath.StartsWith("/_/", StringComparison.Ordinal)
            ? Path.Combine(RepositoryRoot, callerFilePath["/_/".Length..])
            : callerFilePath;
}
