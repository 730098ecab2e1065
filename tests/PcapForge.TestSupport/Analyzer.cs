using PcapForge.Abstractions.Dissection;
using PcapForge.Abstractions.Records;
using PcapForge.Capture.Writing;
using PcapForge.Dissection;
using PcapForge.Output;

using System.Reflection;
using PcapForge.Flows;
using Xunit;

namespace PcapForge.TestSupport;

/// <summary>Rows the analysis wrote, by table; each row as column name → value.</summary>
public sealed class MemoryRows : IRowSink
{
    public Dictionary<string, List<Dictionary<string, object?>>> Tables { get; } = new();

    public List<Dictionary<string, object?>> this[string table] => Tables.TryGetValue(table, out var rows) ? rows : [];

    public void Write(TableRow written)
    {
        var table = written.Table;
        var values = written.ToValues();
        Assert.Equal(table.Columns.Count, values.Length);
        var row = new Dictionary<string, object?>();
        for (int i = 0; i < values.Length; i++)
            row[table.Columns[i].Name] = values[i];
        if (!Tables.TryGetValue(table.Name, out var rows))
            Tables[table.Name] = rows = new();
        rows.Add(row);
    }
}

/// <summary>Runs the analysis with every dissector plugin the test project references (loaded from their assemblies, no plugin folder).</summary>
public static class Analyzer
{
    private static readonly Lazy<DissectorRegistry> RegistryOf = new(() => BuildRegistry(null));

    /// <summary>The registry of every referenced plugin, with preference values as given by <c>-o name:value</c>.</summary>
    private static DissectorRegistry BuildRegistry(IReadOnlyDictionary<string, bool>? preferences)
    {
        // Every dissector plugin the test project references (they are copied beside it), and the toy plugin.
        var assemblies = Directory.GetFiles(AppContext.BaseDirectory, "PcapForge.Dissectors.*.dll")
            .Append(Path.Combine(AppContext.BaseDirectory, "PcapForge.ToyPlugin.dll"))
            .Where(File.Exists)
            .Order(StringComparer.Ordinal)
            .Select(path => Assembly.Load(AssemblyName.GetAssemblyName(path)))
            .ToArray();
        var types = assemblies.SelectMany(a => a.GetTypes()).ToList();
        var loaded = types
            .Select(t => (Type: t, Export: (DissectorExportAttribute?)Attribute.GetCustomAttribute(t, typeof(DissectorExportAttribute))))
            .Where(p => p.Export is { ContractVersion: DissectorContract.Version } && typeof(IDissector).IsAssignableFrom(p.Type))
            .Select(p => new LoadedDissector((IDissector)Activator.CreateInstance(p.Type)!, p.Export!.Id, p.Export.Priority, p.Type.Assembly.Location))
            .ToList();
        loaded.AddRange(types
            .Select(t => (Type: t, Export: (StreamDissectorExportAttribute?)Attribute.GetCustomAttribute(t, typeof(StreamDissectorExportAttribute))))
            .Where(p => p.Export is not null)
            .Select(p => new LoadedDissector((IStreamDissector)Activator.CreateInstance(p.Type)!, p.Export!.Id, p.Export.Priority, p.Type.Assembly.Location)));
        var problems = new List<PluginProblem>();
        var registry = DissectorRegistry.Build(loaded, problems, preferences);
        Assert.Empty(problems);
        return registry;
    }

    /// <summary>The registry of every referenced plugin and the toy plugin, with default preferences.</summary>
    public static DissectorRegistry Registry => RegistryOf.Value;

    /// <summary>The record tables of the loaded plugins, as written (with flow_uid and capture_id).</summary>
    public static IReadOnlyList<RecordTableDescriptor> RecordTables => RegistryOf.Value.RecordTables;

    public static MemoryRows Run(string path, AnalysisOptions? options = null) => Run(path, RegistryOf.Value, options);

    /// <summary>Runs with dissector preferences set (tshark's <c>-o name:TRUE</c>); the plugins are instantiated afresh.</summary>
    public static MemoryRows Run(string path, IReadOnlyDictionary<string, bool> preferences, AnalysisOptions? options = null) =>
        Run(path, BuildRegistry(preferences), options);

    private static MemoryRows Run(string path, DissectorRegistry registry, AnalysisOptions? options)
    {
        var rows = new MemoryRows();
        new CaptureAnalysis(new DissectionEngine(registry), rows, options ?? new AnalysisOptions { HashInput = false }).Run(path);
        return rows;
    }

    /// <summary>Writes frames (Ethernet) to a temporary pcap and analyses it.</summary>
    public static MemoryRows Run(IEnumerable<(long Ts, byte[] Frame)> frames, AnalysisOptions? options = null)
    {
        string path = Path.Combine(Path.GetTempPath(), $"pcapforge-flows-{Guid.NewGuid():N}.pcap");
        try
        {
            using (var stream = File.Create(path))
            using (var writer = new PcapWriter(stream, 1))
            {
                foreach (var (ts, frame) in frames)
                    writer.WritePacket(ts, frame, frame.Length);
                writer.Complete();
            }

            return Run(path, options);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
