namespace PcapForge.Dissectors.Dns.Tests;

/// <summary>
/// The dns table against tshark 4.0: for every capture with a reference (../shared/pcaps/expected/*.dns.txt, and
/// Conformance/testdata/*.dns.txt made by tests/conformance/tshark-dns.sh for testdata/), each DNS message tshark
/// lists agrees with our rows value for value: a query's dns.qry.name and dns.qry.type with the row whose
/// query_frame is that frame (query, qtype), a response's name, type and dns.flags.rcode with the row whose
/// response_frame it is. Every difference must be one listed in <see cref="Divergences"/>, and every listed one
/// must still occur.
/// </summary>
public sealed class DnsConformanceTests
{
    /// <summary>Accepted differences (capture, frame, reason), one line each.</summary>
    private static readonly (string Capture, long Frame, string Reason)[] Divergences =
    [
        ("tunnel-gre-ip.pcap", 34, "tshark dissects the query quoted in an ICMP port unreachable; a quote is not a flow's payload, so no row"),
        ("tunnel-gre-ip.pcap", 36, "the same: the retransmitted query quoted in the next ICMP port unreachable"),
        ("ipv6-mixed-1999.pcap", 137, "tshark dissects the response quoted in an ICMPv6 error; a quote is not a flow's payload, so no row"),
    ];

    public static TheoryData<string> SharedCaptures()
    {
        var data = new TheoryData<string>();
        if (TestData.SharedPcaps is { } dir)
        {
            foreach (var f in Directory.GetFiles(Path.Combine(dir, "expected"), "*.dns.txt").Order(StringComparer.Ordinal))
                data.Add(Path.GetFileName(f)[..^".dns.txt".Length]);
        }
        else
        {
            data.Add("(none)");
        }

        return data;
    }

    [SharedPcapsTheory]
    [MemberData(nameof(SharedCaptures))]
    public void Shared_corpus_agrees_with_tshark(string capture) =>
        Compare(capture, Path.Combine(TestData.SharedPcaps!, capture), Path.Combine(TestData.SharedPcaps!, "expected", capture + ".dns.txt"));

    [Theory]
    [InlineData("dns-dig-udp-tcp.pcap")]
    [InlineData("mixed-2ifaces.pcapng")]
    public void Testdata_agrees_with_tshark(string capture)
    {
        var (tshark, rows) = Compare(capture, Path.Combine(TestData.OwnCaptures, capture), TestdataReference(capture));
        // The A and AAAA answers of each response are among tshark's dns.a / dns.aaaa (which also list the
        // authority and additional sections), and every answer the header counts is in the row.
        foreach (var line in tshark.Where(l => l.Responses.Contains("1")))
        {
            var mine = rows.Where(r => (long?)r["response_frame"] == line.Frame).ToList();
            var answers = mine.SelectMany(r => Zip(r, "A").Concat(Zip(r, "AAAA"))).ToList();
            var theirs = line.A.Concat(line.Aaaa).ToList();
            Assert.True(answers.All(theirs.Contains), $"{capture} frame {line.Frame}: [{string.Join(",", answers)}] not within tshark's [{string.Join(",", theirs)}]");
            Assert.Equal(line.AnswerCounts.Sum(), mine.Sum(r => ((IReadOnlyList<string>?)r["answers"])?.Count ?? 0));
        }
    }

    private static IEnumerable<string> Zip(Dictionary<string, object?> row, string type)
    {
        var answers = (IReadOnlyList<string>?)row["answers"] ?? [];
        var types = (IReadOnlyList<string>?)row["answer_types"] ?? [];
        return answers.Where((_, i) => types[i] == type);
    }

    private static string TestdataReference(string capture) =>
        Path.Combine(TestData.RepositoryRoot, "tests", "PcapForge.Dissectors.Dns.Tests", "Conformance", "testdata", capture + ".dns.txt");

    /// <summary>One line of tshark's output: one frame, with the fields of each DNS message in it joined by commas.</summary>
    private sealed record TsharkLine(long Frame, string[] Responses, string[] Rcodes, string[] Names, string[] Types, int[] AnswerCounts, string[] A, string[] Aaaa);

    private static List<TsharkLine> ReadReference(string path)
    {
        var lines = File.ReadAllLines(path).Where(l => !l.StartsWith('#')).ToList();
        var header = lines[0].Split('\t');
        int Col(string name) => Array.IndexOf(header, name);
        string[] List(string[] f, string name) => Col(name) is int i and >= 0 && i < f.Length && f[i].Length > 0 ? f[i].Split(',') : [];
        return lines.Skip(1).Select(l => l.Split('\t')).Select(f => new TsharkLine(
            long.Parse(f[Col("frame.number")]),
            List(f, "dns.flags.response"), List(f, "dns.flags.rcode"), List(f, "dns.qry.name"), List(f, "dns.qry.type"),
            List(f, "dns.count.answers").Select(int.Parse).ToArray(), List(f, "dns.a"), List(f, "dns.aaaa"))).ToList();
    }

    /// <summary>Runs the analysis and compares message by message; returns tshark's lines and our DNS rows (mDNS and LLMNR left out).</summary>
    private static (List<TsharkLine> Tshark, List<Dictionary<string, object?>> Rows) Compare(string capture, string path, string reference)
    {
        var tshark = ReadReference(reference);
        var result = Analyzer.Run(path);
        Assert.DoesNotContain(result["anomalies"], a => (string?)a["name"] == "engine.dissector_exception");

        // tshark's "dns" filter does not match mDNS (5353) or LLMNR (5355): they are other protocols there.
        var multicast = result["flows"].Where(f => f["resp_p"] is 5353 or 5355 || f["orig_p"] is 5353 or 5355).Select(f => (string)f["flow_uid"]!).ToHashSet();
        var rows = result["dns"].Where(r => !multicast.Contains((string)r["flow_uid"]!)).ToList();

        // Our messages per frame: a query as "Q name type", a response as "R name type rcode" (from the row that holds it).
        var ours = new Dictionary<long, List<string>>();
        foreach (var r in rows)
        {
            string name = (string?)r["query"] ?? "", type = r["qtype"]?.ToString() ?? "";
            if (r["query_frame"] is long qf)
                Add(ours, qf, $"Q {name} {type}");
            if (r["response_frame"] is long rf)
                Add(ours, rf, $"R {name} {type} {r["rcode"]}");
        }

        var theirs = new Dictionary<long, List<string>>();
        foreach (var line in tshark)
        {
            int answered = 0;
            for (int m = 0; m < line.Responses.Length; m++)
            {
                string name = m < line.Names.Length ? line.Names[m] : "", type = m < line.Types.Length ? line.Types[m] : "";
                if (line.Responses[m] == "1")
                    Add(theirs, line.Frame, $"R {name} {type} {(answered < line.Rcodes.Length ? line.Rcodes[answered++] : "")}");
                else
                    Add(theirs, line.Frame, $"Q {name} {type}");
            }
        }

        var differences = new List<(long Frame, string Text)>();
        foreach (long frame in ours.Keys.Union(theirs.Keys).Order())
        {
            string a = Canonical(ours, frame), b = Canonical(theirs, frame);
            // Names compare case-insensitively only where the row took the query's spelling for a response (RFC 4343).
            if (!string.Equals(a, b, StringComparison.OrdinalIgnoreCase))
                differences.Add((frame, $"frame {frame}: ours [{a}] tshark [{b}]"));
        }

        var accepted = Divergences.Where(d => d.Capture == capture).ToList();
        var unexplained = differences.Where(d => !accepted.Any(a => a.Frame == d.Frame)).Select(d => d.Text).ToList();
        var stale = accepted.Where(a => !differences.Any(d => d.Frame == a.Frame)).Select(a => $"frame {a.Frame} ({a.Reason})").ToList();
        Assert.True(unexplained.Count == 0, $"{capture}: {unexplained.Count} differences from tshark:\n{string.Join("\n", unexplained.Take(40))}");
        Assert.True(stale.Count == 0, $"{capture}: listed divergences that no longer occur: {string.Join("; ", stale)}");
        Assert.True(tshark.Count == 0 || rows.Count > 0, $"{capture}: tshark lists DNS, we wrote no row");
        return (tshark, rows);
    }

    private static void Add(Dictionary<long, List<string>> map, long frame, string message)
    {
        if (!map.TryGetValue(frame, out var list))
            map[frame] = list = new();
        list.Add(message);
    }

    private static string Canonical(Dictionary<long, List<string>> map, long frame) =>
        map.TryGetValue(frame, out var list) ? string.Join(" | ", list.Order(StringComparer.OrdinalIgnoreCase)) : "-";
}
