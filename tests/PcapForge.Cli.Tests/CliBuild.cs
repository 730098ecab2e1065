using System.Diagnostics;

namespace PcapForge.Cli.Tests;

/// <summary>The CLI's own build output (src/PcapForge.Cli/bin/CONFIG/TFM/), as a user runs it, and external commands.</summary>
internal static class CliBuild
{
    /// <summary>The folder with the pcapforge executable and its plugins/, of the same configuration as these tests.</summary>
    public static string Directory
    {
        get
        {
            var tfm = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            string configuration = tfm.Parent!.Name;
            return Path.Combine(TestData.RepositoryRoot, "src", "PcapForge.Cli", "bin", configuration, tfm.Name);
        }
    }

    public static string Executable => Path.Combine(Directory, "pcapforge");

    /// <summary>Runs a program to its end (killed after <paramref name="timeout"/>), returning its exit code and output.</summary>
    public static (int Exit, string Out, string Err) Run(string file, IEnumerable<string> args, TimeSpan? timeout = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
            start.ArgumentList.Add(a);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not end in time");
        }

        return (process.ExitCode, output.Result, error.Result);
    }
}
