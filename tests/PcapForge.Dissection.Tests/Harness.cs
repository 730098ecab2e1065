using PcapForge.Abstractions;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissection.Tests;

/// <summary>What the engine made of one frame, as text: layers, field values (tshark-style), anomalies.</summary>
internal sealed record Dissected(List<string> Layers, List<(string Field, string Value)> Fields, List<string> Anomalies, string Info)
{
    /// <summary>Every value of a field, in the order added (tshark's occurrence=a).</summary>
    public string[] All(string field) => Fields.Where(f => f.Field == field).Select(f => f.Value).ToArray();

    /// <summary>The single value of a field; fails when absent or repeated.</summary>
    public string One(string field) => Assert.Single(All(field));

    public bool Has(string field) => Fields.Any(f => f.Field == field);
}

/// <summary>Builds an engine from dissector instances (no plugin loading) and dissects bytes.</summary>
internal sealed class Harness
{
    private readonly DissectionEngine _engine;
    private readonly PacketContext _context = new();

    public Harness(params IDissector[] dissectors)
        : this(new Dictionary<string, bool>(), dissectors)
    {
    }

    /// <summary>An engine with dissector preferences set (tshark's -o name:value).</summary>
    public Harness(IReadOnlyDictionary<string, bool> preferences, params IDissector[] dissectors)
    {
        var problems = new List<PluginProblem>();
        var registry = DissectorRegistry.Build(dissectors.Select(d => new LoadedDissector(d, Id(d), 0, "test")), problems, preferences);
        Assert.Empty(problems);
        _engine = new DissectionEngine(registry);
    }

    public DissectorRegistry Registry => _engine.Registry;

    private static string Id(IDissector d) =>
        ((DissectorExportAttribute)Attribute.GetCustomAttribute(d.GetType(), typeof(DissectorExportAttribute))!).Id;

    public Dissected Dissect(byte[] frame, int linkType, bool detail = true, long originalLength = -1)
    {
        var info = new FrameInfo
        {
            Number = 1,
            LinkType = linkType,
            CapturedLength = frame.Length,
            OriginalLength = originalLength < 0 ? frame.Length : originalLength,
            HasTimestamp = true,
        };
        var engineAnomalies = new AnomalyCollector();
        _engine.Dissect(new Frame(info, frame), _context, detail, engineAnomalies);
        var r = _engine.Registry;
        var layers = _context.Layers.ToArray().Select(l => r.Protocols[l.Protocol].Id).ToList();
        var fields = new List<(string, string)>();
        foreach (var f in _context.Fields)
            fields.Add((r.Fields[f.Field].FilterName, FieldFormatter.Format(r.Fields[f.Field], f, _context, frame)));
        var anomalies = _context.Anomalies.Select(a => r.Anomalies[a.Anomaly].Name)
            .Concat(engineAnomalies.Kept.Select(a => a.Name)).ToList();
        return new Dissected(layers, fields, anomalies, _context.Info.ToString());
    }
}
