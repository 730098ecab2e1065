using System.CommandLine;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using PcapForge.Abstractions.Records;
using PcapForge.Dissection;
using PcapForge.Output;

namespace PcapForge.Cli.Commands;

/// <summary>
/// <c>pcapforge schema [TABLE] [--format text|json]</c>: every output table (the host's and those the loaded plugins
/// declare) with each column's name, type as DuckDB shows it, and description, like <c>tshark -G fields</c> for the
/// dataset.
/// </summary>
public sealed class SchemaCommand : ICliCommand
{
    private const string Prefix = "pcapforge: schema: ";

    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Console _console;
    private readonly PluginHost _plugins;

    public SchemaCommand(Console console, PluginHost plugins)
    {
        _console = console;
        _plugins = plugins;
    }

    public Command Build()
    {
        var table = new Argument<string?>("table") { Description = "Only this table", Arity = ArgumentArity.ZeroOrOne };
        var format = new Option<string>("--format")
        {
            Description = "text: a block per table; json: one object per table, one per line (JSON Lines)",
            DefaultValueFactory = _ => "text",
        };
        format.AcceptOnlyFromAmong("text", "json");
        var command = new Command("schema", "Describe the output tables: each column's name, type (as DuckDB sees it) and description") { table, format };
        command.SetAction(r => Run(AllTables(_plugins.Engine.Registry), r.GetValue(table), r.GetValue(format) == "json"));
        return command;
    }

    /// <summary>The host's tables, then the plugins' in the order they were declared (with flow_uid and capture_id).</summary>
    internal static IReadOnlyList<RecordTableDescriptor> AllTables(DissectorRegistry registry) => [.. HostTables.All, .. HostTables.Frontends, .. registry.RecordTables];

    internal int Run(IReadOnlyList<RecordTableDescriptor> tables, string? name, bool json)
    {
        if (name is not null)
        {
            var one = tables.FirstOrDefault(t => t.Name == name);
            if (one is null)
            {
                _console.Error.WriteLine($"{Prefix}no table '{name}' (tables: {string.Join(", ", tables.Select(t => t.Name))})");
                return ExitCodes.Usage;
            }

            tables = [one];
        }

        for (int i = 0; i < tables.Count; i++)
        {
            if (json)
            {
                _console.Out.WriteLine(Json(tables[i]));
                continue;
            }

            if (i > 0)
                _console.Out.WriteLine();
            _console.Out.Write(Text(tables[i]));
        }

        return ExitCodes.Ok;
    }

    private static string Text(RecordTableDescriptor table)
    {
        var text = new StringBuilder();
        text.Append(table.Name);
        if (table.Protocol.Length > 0)
            text.Append(" (declared by the ").Append(table.Protocol).Append(" dissector)");
        text.Append(": ").Append(table.Description).Append('\n');
        int nameWidth = table.Columns.Max(c => c.Name.Length);
        int typeWidth = table.Columns.Max(c => ParquetColumnTypes.DuckDbType(c.Type).Length);
        foreach (var column in table.Columns)
        {
            text.Append("  ").Append(column.Name.PadRight(nameWidth))
                .Append("  ").Append(ParquetColumnTypes.DuckDbType(column.Type).PadRight(typeWidth))
                .Append("  ").Append(column.Description).Append('\n');
        }

        return text.ToString();
    }

    private static string Json(RecordTableDescriptor table)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, JsonOptions))
        {
            w.WriteStartObject();
            w.WriteString("table", table.Name);
            w.WriteString("description", table.Description);
            w.WriteString("protocol", table.Protocol);
            w.WriteStartArray("columns");
            foreach (var column in table.Columns)
            {
                w.WriteStartObject();
                w.WriteString("name", column.Name);
                w.WriteString("type", ParquetColumnTypes.DuckDbType(column.Type));
                w.WriteString("parquet_type", ParquetColumnTypes.ParquetType(column.Type));
                w.WriteString("description", column.Description);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
