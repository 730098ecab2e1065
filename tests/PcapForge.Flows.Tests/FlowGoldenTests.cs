using System.Globalization;
using System.Text;
using PcapForge.Output;
using PcapForge.TestSupport;

namespace PcapForge.Flows.Tests;

/// <summary>
/// Golden flows and anomalies for every capture the project recorded (testdata/): each table as sorted, tab-separated
/// text with every column, reviewed line by line when it changes.
/// </summary>
public class FlowGoldenTests
{
    public static TheoryData<string> OwnCaptures()
    {
        var data = new TheoryData<string>();
        foreach (var path in TestData.Captures(TestData.OwnCaptures).Where(p => !p.EndsWith(".gz") && !p.EndsWith(".zst")))
            data.Add(Path.GetFileName(path));
        return data;
    }

    [Theory]
    [MemberData(nameof(OwnCaptures))]
    public void Flows_and_anomalies(string capture)
    {
        var rows = Analyzer.Run(Path.Combine(TestData.OwnCaptures, capture));
        var text = new StringBuilder();
        Render(text, HostTables.Flows, rows["flows"].OrderBy(r => (long)r["first_frame"]!).ThenBy(r => (string)r["flow_uid"]!));
        text.AppendLine();
        Render(text, HostTables.Anomalies, rows["anomalies"].OrderBy(r => r["frame"] as long? ?? 0).ThenBy(r => (string)r["name"]!));
        Golden.Verify(text.ToString(), capture);
    }

    /// <summary>
    /// The application records (http, ssh, smtp, dns… every record table a referenced plugin declares, the toy
    /// plugin's aside) of each capture, in time order. The flows golden above has the service each one confirmed.
    /// </summary>
    [Theory]
    [MemberData(nameof(OwnCaptures))]
    public void Records(string capture)
    {
        var rows = Analyzer.Run(Path.Combine(TestData.OwnCaptures, capture));
        var text = new StringBuilder();
        foreach (var table in Analyzer.RecordTables.Where(t => !t.Name.StartsWith("toy_", StringComparison.Ordinal)).OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            var tableRows = rows[table.Name];
            if (tableRows.Count == 0)
                continue;
            Render(text, table, tableRows
                .OrderBy(r => r.TryGetValue("ts", out var ts) ? ts as long? ?? 0 : 0)
                .ThenBy(r => string.Join('\t', table.Columns.Select(c => Format(r[c.Name]))), StringComparer.Ordinal));
            text.AppendLine();
        }

        Assert.True(text.Length > 0 || !ExpectsRecords(capture), $"{capture} gave no application records");
        Golden.Verify(text.ToString(), capture);
    }

    /// <summary>Captures whose traffic is all (or partly) in protocols with a record table.</summary>
    private static bool ExpectsRecords(string capture) =>
        capture.StartsWith("http", StringComparison.Ordinal) || capture.StartsWith("ssh", StringComparison.Ordinal) ||
        capture.StartsWith("smtp", StringComparison.Ordinal) || capture.StartsWith("dns", StringComparison.Ordinal) ||
        capture.StartsWith("mixed", StringComparison.Ordinal) || capture.StartsWith("loopback", StringComparison.Ordinal);

    internal static void Render(StringBuilder text, Abstractions.Records.RecordTableDescriptor table, IEnumerable<Dictionary<string, object?>> rows)
    {
        text.Append("# ").AppendLine(table.Name);
        text.AppendLine(string.Join('\t', table.Columns.Select(c => c.Name)));
        foreach (var row in rows)
            text.AppendLine(string.Join('\t', table.Columns.Select(c => Format(row[c.Name]))));
    }

    private static string Format(object? value) => value switch
    {
        null => "-",
        double d => d.ToString("0.#########", CultureInfo.InvariantCulture),
        bool b => b ? "T" : "F",
        IEnumerable<string> list when value is not string => string.Join(',', list),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}
