using System.CommandLine;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Cli.Commands;

/// <summary><c>pcapforge dissectors list</c> and <c>pcapforge fields list [--protocol P]</c> (like <c>tshark -G fields</c>).</summary>
public sealed class DissectorsCommand : ICliCommand
{
    private readonly Console _console;
    private readonly PluginHost _plugins;

    public DissectorsCommand(Console console, PluginHost plugins)
    {
        _console = console;
        _plugins = plugins;
    }

    public Command Build()
    {
        var list = new Command("list", "List the loaded dissectors: protocol id, name, the tables they attach to, and the DLL");
        list.SetAction(_ => ListDissectors());
        var prefs = new Command("preferences", "List the dissector preferences (set with -o name:TRUE|FALSE): name, value in effect, default, description");
        prefs.SetAction(_ => ListPreferences());
        var dissectors = new Command("dissectors", "The dissector plugins") { list, prefs };
        return dissectors;
    }

    /// <summary>The <c>fields</c> verb, registered beside <c>dissectors</c>.</summary>
    public Command BuildFields()
    {
        var protocol = new Option<string?>("--protocol", "-p") { Description = "Only the fields of this protocol" };
        var list = new Command("list", "List every field: filter name, type, protocol, display name, description (tab-separated)") { protocol };
        list.SetAction(r => ListFields(r.GetValue(protocol)));
        return new Command("fields", "The fields dissectors declare") { list };
    }

    private int ListDissectors()
    {
        var r = _plugins.Engine.Registry;
        for (int i = 0; i < r.Protocols.Count; i++)
        {
            var p = r.Protocols[i];
            var attach = p.Attachments.Select(a => a.Table == "ethertype" ? $"{a.Table}=0x{a.Key:x4}" : $"{a.Table}={a.Key}")
                .Concat(p.Heuristics.Select(h => $"heuristic:{h}"));
            _console.Out.WriteLine($"{p.Id}\t{p.Name}\t{string.Join(",", attach)}\t{Path.GetFileName(r.Sources[i])}");
        }

        return ExitCodes.Ok;
    }

    private int ListPreferences()
    {
        foreach (var p in _plugins.Engine.Registry.Preferences)
            _console.Out.WriteLine($"{p.Name}\t{(p.Value ? "TRUE" : "FALSE")}\tdefault {(p.DefaultValue ? "TRUE" : "FALSE")}\t{p.Description}");
        return ExitCodes.Ok;
    }

    private int ListFields(string? protocol)
    {
        var r = _plugins.Engine.Registry;
        if (protocol is not null && r.ProtocolIndex(protocol) < 0)
        {
            _console.Error.WriteLine($"pcapforge fields list: no dissector declares protocol '{protocol}' (see 'pcapforge dissectors list')");
            return ExitCodes.Usage;
        }

        foreach (var f in r.Fields.Where(f => protocol is null || f.Protocol == protocol))
            _console.Out.WriteLine($"{f.FilterName}\t{TypeName(f.Type)}\t{f.Protocol}\t{f.DisplayName}\t{f.Description}");
        return ExitCodes.Ok;
    }

    private static string TypeName(FieldType t) => t switch
    {
        FieldType.None => "FT_NONE",
        FieldType.Boolean => "FT_BOOLEAN",
        FieldType.UInt8 => "FT_UINT8",
        FieldType.UInt16 => "FT_UINT16",
        FieldType.UInt24 => "FT_UINT24",
        FieldType.UInt32 => "FT_UINT32",
        FieldType.UInt64 => "FT_UINT64",
        FieldType.Int32 => "FT_INT32",
        FieldType.Int64 => "FT_INT64",
        FieldType.Ether => "FT_ETHER",
        FieldType.IPv4 => "FT_IPv4",
        FieldType.IPv6 => "FT_IPv6",
        FieldType.Bytes => "FT_BYTES",
        _ => "FT_STRING",
    };
}
