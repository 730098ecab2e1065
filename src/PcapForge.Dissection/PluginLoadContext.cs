using System.Reflection;
using System.Runtime.Loader;

namespace PcapForge.Dissection;

/// <summary>
/// One load context per plugin DLL: the plugin's own dependencies resolve beside it, while the contract
/// (PcapForge.Abstractions) and MEF's attribute assembly come from the host, so that the types match.
/// </summary>
internal sealed class PluginLoadContext : AssemblyLoadContext
{
    private static readonly HashSet<string> Shared = new(StringComparer.OrdinalIgnoreCase)
    {
        "PcapForge.Abstractions",
        "System.Composition.AttributedModel",
        "System.Composition.Runtime",
        "System.Composition.Hosting",
        "System.Composition.TypedParts",
        "System.Composition.Convention",
    };

    private readonly AssemblyDependencyResolver _resolver;

    public PluginLoadContext(string pluginPath)
        : base(name: Path.GetFileNameWithoutExtension(pluginPath), isCollectible: false)
    {
        _resolver = new AssemblyDependencyResolver(pluginPath);
    }

    protected override Assembly? Load(AssemblyName name)
    {
        if (name.Name is not null && Shared.Contains(name.Name))
            return null; // the host's copy
        string? path = _resolver.ResolveAssemblyToPath(name);
        return path is null ? null : LoadFromAssemblyPath(path);
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        string? path = _resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
        return path is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
    }
}
