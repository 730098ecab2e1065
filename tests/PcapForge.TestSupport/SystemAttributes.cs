using System.Diagnostics;
using Xunit;

namespace PcapForge.TestSupport;

/// <summary>What the machine running the tests offers: Linux, root, programs on PATH.</summary>
public static class TestSystem
{
    public static bool IsLinux => OperatingSystem.IsLinux();

    /// <summary>Effective uid 0 (from /proc/self/status, so no native call is needed).</summary>
    public static bool IsRoot { get; } = ReadEffectiveUid() == 0;

    /// <summary>The full path of a program on PATH, or null.</summary>
    public static string? Which(string program)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string path = Path.Combine(dir, program);
            if (File.Exists(path))
                return path;
        }

        return null;
    }

    /// <summary>Runs a program to its end and returns its exit code and what it printed.</summary>
    public static (int Exit, string Out, string Err) Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output, error.GetAwaiter().GetResult());
    }

    private static int ReadEffectiveUid()
    {
        try
        {
            string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            var fields = line?[4..].Split('\t', StringSplitOptions.RemoveEmptyEntries);
            return fields is { Length: > 1 } && int.TryParse(fields[1], out int uid) ? uid : -1;
        }
        catch (IOException)
        {
            return -1;
        }
    }
}

/// <summary>A fact that needs Linux and the named programs on PATH; skipped with a message naming what is missing.</summary>
public sealed class LinuxToolsFactAttribute : FactAttribute
{
    public LinuxToolsFactAttribute(params string[] programs)
    {
        if (!TestSystem.IsLinux)
            Skip = "needs Linux (/proc)";
        else if (programs.FirstOrDefault(p => TestSystem.Which(p) is null) is { } missing)
            Skip = $"'{missing}' is not installed; the comparison with it is skipped";
    }
}

/// <summary>A fact that needs root on Linux (and the named programs); skipped with a message otherwise.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute(params string[] programs)
    {
        if (!TestSystem.IsLinux)
            Skip = "needs Linux (/proc)";
        else if (!TestSystem.IsRoot)
            Skip = "needs root; skipped";
        else if (programs.FirstOrDefault(p => TestSystem.Which(p) is null) is { } missing)
            Skip = $"'{missing}' is not installed; skipped";
    }
}
