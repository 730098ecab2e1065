using System.Runtime.InteropServices;

namespace PcapForge.Cli.Tests;

/// <summary>
/// A plugin published ReadyToRun runs its precompiled code. A plugin references the contract without shipping it
/// (Private="false", ExcludeAssets="runtime"), so the SDK left it out of crossgen2's references: every method of a
/// type that touches a contract type was left out of the image and jitted at each start. Directory.Build.targets
/// hands crossgen2 the contract; this test publishes the toy plugin as bench/ publishes the built-in ones and asks the
/// runtime which of its methods it had to compile.
/// </summary>
public class ReadyToRunPluginTests
{
    [Fact]
    public void APluginPublishedReadyToRunIsNotJittedAtStartUp()
    {
        string root = Directory.CreateTempSubdirectory("pcapforge-r2r-").FullName;
        string capture = PluginAndPacketsTests.WriteToyCapture();
        try
        {
            string published = Path.Combine(root, "plugins", "PcapForge.ToyPlugin");
            string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
            var (exit, output, error) = CliBuild.Run(dotnet,
            [
                "publish", Path.Combine(TestData.RepositoryRoot, "tests", "PcapForge.ToyPlugin", "PcapForge.ToyPlugin.csproj"),
                "-c", "Release", "-r", RuntimeInformation.RuntimeIdentifier, "--self-contained", "false",
                "-p:PublishReadyToRun=true", "-o", published, "-nologo",
                // Its own build and intermediate folders: nothing of the repository's build is reused or overwritten.
                "--artifacts-path", Path.Combine(root, "artifacts"),
            ], TimeSpan.FromMinutes(5));
            Assert.True(exit == 0, $"dotnet publish failed ({exit}):\n{output}\n{error}");

            // Control: the plugin as built (IL only) is jitted, so the JIT's summary does list its methods.
            var jitted = ToyMethodsJitted(Path.Combine(AppContext.BaseDirectory, "toy-plugin"), capture, root, "il");
            Assert.Contains(jitted, m => m.Contains("ToyDissector:Declare", StringComparison.Ordinal));

            var precompiled = ToyMethodsJitted(published, capture, root, "r2r");
            // Dissect returns DissectResult, a struct of the contract, by value: crossgen2 compiles no method whose
            // signature carries another assembly's struct (its layout may change), so Dissect is jitted either way.
            var tier0 = precompiled.Where(m => m.Contains("[Tier0", StringComparison.Ordinal) && !m.Contains(":Dissect(", StringComparison.Ordinal)).ToList();
            Assert.True(tier0.Count == 0, "jitted although published ReadyToRun:\n" + string.Join('\n', tier0));
        }
        finally
        {
            File.Delete(capture);
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Runs `packets` on the toy capture with the plugins of <paramref name="plugins"/>: the toy plugin's methods the JIT compiled.</summary>
    private static List<string> ToyMethodsJitted(string plugins, string capture, string root, string name)
    {
        string summary = Path.Combine(root, $"jit-{name}.txt");
        var (exit, output, error) = CliBuild.Run(CliBuild.Executable, ["--plugins", plugins, "packets", capture], environment: new Dictionary<string, string>
        {
            ["DOTNET_JitStdOutFile"] = summary,
            ["DOTNET_JitDisasmSummary"] = "1",
        });
        Assert.True(exit == 0, error);
        Assert.Contains(" TOY ", output); // the toy dissector ran
        var lines = File.ReadAllLines(summary);
        Assert.Contains(lines, l => l.Contains("PcapForge.Cli.Program:", StringComparison.Ordinal)); // the summary is complete
        return lines.Where(l => l.Contains("PcapForge.ToyPlugin.", StringComparison.Ordinal)).ToList();
    }
}
