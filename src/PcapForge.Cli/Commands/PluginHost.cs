using PcapForge.Dissection;

namespace PcapForge.Cli.Commands;

/// <summary>
/// Loads the dissector plugins once per run: the <c>plugins/</c> folder beside the executable and any folders
/// given with <c>--plugins</c>. Problems (a DLL that is not .NET, another contract version, a duplicate protocol)
/// are printed as warnings naming the DLL; the run goes on with the rest.
/// </summary>
public sealed class PluginHost
{
    private readonly Console _console;
    private DissectionEngine? _engine;

    public PluginHost(Console console) => _console = console;

    /// <summary>Extra plugin folders (from --plugins), set before the first use.</summary>
    public List<string> ExtraFolders { get; } = new();

    /// <summary>Dissector preferences (from -o name:value), set before the first use.</summary>
    public Dictionary<string, bool> Preferences { get; } = new(StringComparer.Ordinal);

    public DissectionEngine Engine => _engine ??= Load();

    private DissectionEngine Load()
    {
        var folders = new List<string> { PluginLoader.DefaultFolder };
        folders.AddRange(ExtraFolders);
        var (dissectors, problems) = PluginLoader.Load(folders);
        var registry = DissectorRegistry.Build(dissectors, problems, Preferences);
        foreach (var p in problems)
            _console.Error.WriteLine($"pcapforge: warning: plugin {p}");
        foreach (var name in Preferences.Keys.Where(n => !registry.Preferences.Any(p => p.Name == n)))
            _console.Error.WriteLine($"pcapforge: warning: no dissector has the preference '{name}' (see 'pcapforge dissectors preferences')");
        return new DissectionEngine(registry);
    }
}
