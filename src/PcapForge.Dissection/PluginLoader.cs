using System.Composition.Hosting;
using System.Reflection;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissection;

/// <summary>A dissector found in a plugin, with the DLL it came from.</summary>
public sealed record LoadedDissector(IDissector? Dissector, string Id, int Priority, string Source)
{
    /// <summary>A stream dissector (HTTP, SSH…) instead of a per-packet one; then <see cref="Dissector"/> is null.</summary>
    public IStreamDissector? Stream { get; init; }

    public LoadedDissector(IStreamDissector stream, string id, int priority, string source)
        : this((IDissector?)null, id, priority, source) => Stream = stream;
}

/// <summary>A plugin (or one of its dissectors) that was skipped, and why.</summary>
public sealed record PluginProblem(string Source, string Reason)
{
    public override string ToString() => $"{Source}: {Reason}";
}

/// <summary>
/// Finds dissectors: every *.dll in the given folders is loaded in its own <see cref="PluginLoadContext"/> and
/// composed with System.Composition; exports of <see cref="IDissector"/> marked with
/// <see cref="DissectorExportAttribute"/> are created. A bad plugin is reported and skipped: the rest load.
/// </summary>
public static class PluginLoader
{
    /// <summary>The plugins folder beside the running executable.</summary>
    public static string DefaultFolder => Path.Combine(AppContext.BaseDirectory, "plugins");

    public static (List<LoadedDissector> Dissectors, List<PluginProblem> Problems) Load(IEnumerable<string> folders)
    {
        var dissectors = new List<LoadedDissector>();
        var problems = new List<PluginProblem>();
        foreach (string folder in folders.Distinct())
        {
            if (!Directory.Exists(folder))
                continue;
            // A plugin DLL directly in the folder, or in a subfolder of its own with its dependencies and .deps.json
            // (how the built-in plugins ship). DLLs that do not reference the contract are dependencies, not plugins.
            var dlls = Directory.GetFiles(folder, "*.dll")
                .Concat(Directory.GetDirectories(folder).SelectMany(d => Directory.GetFiles(d, "*.dll")))
                .ToArray();
            Array.Sort(dlls, StringComparer.Ordinal);
            foreach (string dll in dlls)
                LoadOne(dll, dissectors, problems);
        }

        return (dissectors, problems);
    }

    private static void LoadOne(string dll, List<LoadedDissector> dissectors, List<PluginProblem> problems)
    {
        Assembly assembly;
        try
        {
            AssemblyName.GetAssemblyName(dll); // throws BadImageFormatException for a file that is not a .NET assembly
            assembly = new PluginLoadContext(dll).LoadFromAssemblyPath(Path.GetFullPath(dll));
        }
        catch (BadImageFormatException)
        {
            problems.Add(new PluginProblem(dll, "not a .NET assembly; skipped"));
            return;
        }
        catch (Exception e) when (e is FileLoadException or IOException)
        {
            problems.Add(new PluginProblem(dll, $"cannot be loaded: {e.Message}"));
            return;
        }

        if (!ReferencesContract(assembly))
            return; // a dependency of a plugin (or an unrelated DLL), not a plugin itself

        CompositionHost container;
        IEnumerable<Lazy<IDissector, IDictionary<string, object>>> exports;
        IEnumerable<Lazy<IStreamDissector, IDictionary<string, object>>> streamExports;
        try
        {
            container = new ContainerConfiguration().WithAssembly(assembly).CreateContainer();
            exports = container.GetExports<Lazy<IDissector, IDictionary<string, object>>>().ToList();
            streamExports = container.GetExports<Lazy<IStreamDissector, IDictionary<string, object>>>().ToList();
        }
        catch (Exception e) when (e is ReflectionTypeLoadException or TypeLoadException or FileNotFoundException or System.Composition.Hosting.CompositionFailedException)
        {
            problems.Add(new PluginProblem(dll, $"cannot be composed: {Flatten(e)}"));
            return;
        }

        foreach (var export in exports)
            Add(export.Metadata, () => new LoadedDissector(export.Value, Id(export.Metadata), Priority(export.Metadata), dll));
        foreach (var export in streamExports)
            Add(export.Metadata, () => new LoadedDissector(export.Value, Id(export.Metadata), Priority(export.Metadata), dll));

        void Add(IDictionary<string, object> metadata, Func<LoadedDissector> construct)
        {
            string id = Id(metadata);
            int version = metadata.TryGetValue(nameof(DissectorExportAttribute.ContractVersion), out var v) && v is int n ? n : 0;
            if (version != DissectorContract.Version)
            {
                problems.Add(new PluginProblem(dll, $"dissector '{id}' was built against contract version {version}; this host speaks version {DissectorContract.Version}; skipped"));
                return;
            }

            try
            {
                dissectors.Add(construct());
            }
            catch (Exception e)
            {
                problems.Add(new PluginProblem(dll, $"dissector '{id}' failed to construct: {Flatten(e)}; skipped"));
            }
        }
    }

    private static string Id(IDictionary<string, object> metadata) =>
        metadata.TryGetValue(nameof(DissectorExportAttribute.Id), out var i) ? i as string ?? "?" : "?";

    private static int Priority(IDictionary<string, object> metadata) =>
        metadata.TryGetValue(nameof(DissectorExportAttribute.Priority), out var p) && p is int pr ? pr : 0;

    private static bool ReferencesContract(Assembly assembly) =>
        assembly.GetReferencedAssemblies().Any(a => a.Name == "PcapForge.Abstractions");

    private static string Flatten(Exception e)
    {
        while (e.InnerException is not null && e is System.Reflection.TargetInvocationException or System.Composition.Hosting.CompositionFailedException)
            e = e.InnerException;
        return $"{e.GetType().Name}: {e.Message}";
    }
}
