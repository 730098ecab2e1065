using System.Net;
using System.Text;
using PcapForge.TestSupport;
using Xunit.Abstractions;

namespace PcapForge.Flows.Tests;

/// <summary>
/// Conversations against <c>tshark -q -z conv,tcp -z conv,udp</c> (IP defragmentation on): for every capture of
/// testdata/ and ../shared/pcaps, the set of TCP and UDP conversations, with frames and frame bytes per direction,
/// agrees with tshark's table stored in <c>Conformance/{testdata,shared}/&lt;capture&gt;.conv.tsv</c>
/// (<c>tests/conformance/tshark-conv.sh</c> regenerates them). Both sides are summed per unordered 5-tuple: tshark
/// starts a new TCP conversation when a port pair is reused, PcapForge also on timeouts, and neither split matters
/// for the totals. Each known difference is listed in <see cref="Divergences"/> with its reason; an entry that
/// explains nothing any more fails the test.
/// </summary>
public class TsharkConvConformanceTests(ITestOutputHelper output)
{
    /// <summary>Capture file name → why it differs from tshark.</summary>
    private static readonly Dictionary<string, string> Divergences = new(StringComparer.Ordinal)
    {
        ["broken-pcap-bad-record-length-smtp.pcap"] = "tshark stops at the damaged record; PcapForge resynchronises and reads the rest (199 of 199 frames, capinfos reads 18)",
        ["broken-pcap-bad-record-length-tls.pcap"] = "tshark stops at the damaged record; PcapForge resynchronises (14 frames, capinfos 6)",
        ["broken-pcap-major-version-1.pcap"] = "tshark refuses pcap major version 1; PcapForge reads it (the record layout is the same)",
        ["frag-ipv4-many.pcap"] = "datagrams whose fragments are sent twice: PcapForge reassembles them (first write wins, an anomaly for conflicting bytes), tshark gives up on them, so it counts 6 datagrams where PcapForge counts 15",
        ["frag-ipv4-tcp-5-fragments.pcap"] = "tshark leaves the 5 fragments unreassembled (no TCP conversation); PcapForge's reassembler completes the datagram (to investigate which is right: Zeek's trace)",
        ["ipv6-dstopts-mobility.pcap"] = "tshark takes the Home Address destination option as the source of the conversation; PcapForge keys flows on the fixed header's addresses",
        ["tcp-snaplen68-truncated-header.pcap"] = "a segment whose TCP header the snaplen cut: tshark does not count it in the conversation, PcapForge does (its ports were captured)",
    };

    private static string ConformanceDirectory(string set) =>
        Path.Combine(TestData.RepositoryRoot, "tests", "PcapForge.Flows.Tests", "Conformance", set);

    private readonly record struct Key(string Proto, string A, int PortA, string B, int PortB);

    private sealed record Totals(long FramesAB, long BytesAB, long FramesBA, long BytesBA);

    /// <summary>The endpoints in a fixed order, so both directions of both tools meet.</summary>
    private static (Key Key, bool Swapped) Normalise(string proto, string a, int pa, string b, int pb)
    {
        int c = string.CompareOrdinal(a, b);
        bool swap = c > 0 || (c == 0 && pa > pb);
        return swap ? (new Key(proto, b, pb, a, pa), true) : (new Key(proto, a, pa, b, pb), false);
    }

    private static Dictionary<Key, Totals> Ours(string capture)
    {
        var rows = Analyzer.Run(capture, new AnalysisOptions { HashInput = false });
        var totals = new Dictionary<Key, Totals>();
        foreach (var f in rows["flows"].Where(f => (string)f["proto"]! is "tcp" or "udp"))
        {
            var (key, swapped) = Normalise((string)f["proto"]!, (string)f["orig_h"]!, (int)f["orig_p"]!, (string)f["resp_h"]!, (int)f["resp_p"]!);
            long op = (long)f["orig_pkts"]!, ob = (long)f["orig_frame_bytes"]!, rp = (long)f["resp_pkts"]!, rb = (long)f["resp_frame_bytes"]!;
            if (swapped)
                (op, ob, rp, rb) = (rp, rb, op, ob);
            var t = totals.GetValueOrDefault(key) ?? new Totals(0, 0, 0, 0);
            totals[key] = new Totals(t.FramesAB + op, t.BytesAB + ob, t.FramesBA + rp, t.BytesBA + rb);
        }

        return totals;
    }

    private static string Canonical(IPAddress a) => a.ToString();

    /// <summary>Differences between tshark's conversations and ours for one capture, one line each.</summary>
    private static List<string> Compare(string capture, ConvReferenceFile reference)
    {
        var ours = Ours(capture);
        var theirs = new Dictionary<Key, (long FramesAB, ConvByteCount BytesAB, long FramesBA, ConvByteCount BytesBA)>();
        foreach (var r in reference.Rows)
        {
            var (key, swapped) = Normalise(r.Protocol, Canonical(r.AddressA), r.PortA, Canonical(r.AddressB), r.PortB);
            var v = swapped ? (r.FramesBToA, r.BytesBToA, r.FramesAToB, r.BytesAToB) : (r.FramesAToB, r.BytesAToB, r.FramesBToA, r.BytesBToA);
            if (theirs.TryGetValue(key, out var old))
            {
                // A reused TCP port pair: tshark lists each connection; sum them (ranges add up).
                v = (old.FramesAB + v.Item1, new ConvByteCount(old.BytesAB.Min + v.Item2.Min, old.BytesAB.Max + v.Item2.Max),
                    old.FramesBA + v.Item3, new ConvByteCount(old.BytesBA.Min + v.Item4.Min, old.BytesBA.Max + v.Item4.Max));
            }

            theirs[key] = v;
        }

        var problems = new List<string>();
        foreach (var (key, t) in theirs)
        {
            if (!ours.TryGetValue(key, out var o))
            {
                problems.Add($"missing {key}");
                continue;
            }

            if (o.FramesAB != t.FramesAB || o.FramesBA != t.FramesBA || !t.BytesAB.Contains(o.BytesAB) || !t.BytesBA.Contains(o.BytesBA))
                problems.Add($"differs {key}: ours {o.FramesAB}/{o.BytesAB} {o.FramesBA}/{o.BytesBA}, tshark {t.FramesAB}/{t.BytesAB} {t.FramesBA}/{t.BytesBA}");
        }

        foreach (var key in ours.Keys.Where(k => !theirs.ContainsKey(k)))
            problems.Add($"extra {key}");
        return problems;
    }

    private void Check(string set, string? captures)
    {
        Assert.NotNull(captures);
        var directory = ConformanceDirectory(set);
        var report = new StringBuilder();
        int compared = 0, conversations = 0;
        var explained = new HashSet<string>();
        foreach (var file in Directory.GetFiles(directory).Where(f => f.EndsWith(ConvReference.Suffix) || f.EndsWith(ConvReference.CompressedSuffix)).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(file);
            name = name[..name.IndexOf(ConvReference.Suffix, StringComparison.Ordinal)];
            string capture = Path.Combine(captures, name);
            if (!File.Exists(capture))
                continue;
            var reference = ConvReference.Load(file);
            List<string> problems;
            try
            {
                problems = Compare(capture, reference);
            }
            catch (IOException e)
            {
                problems = reference.Rows.Count == 0 ? [] : [$"unreadable: {e.Message}"];
            }

            compared++;
            conversations += reference.Rows.Count;
            if (problems.Count == 0)
                continue;
            if (Divergences.ContainsKey(name))
            {
                explained.Add(name);
                output.WriteLine($"{name}: {problems.Count} known difference(s): {Divergences[name]}");
                continue;
            }

            report.AppendLine($"{name}:");
            foreach (var p in problems.Take(10))
                report.AppendLine("  " + p);
        }

        output.WriteLine($"{compared} captures, {conversations} tshark conversations compared");
        Assert.True(compared > 0, $"no reference files in {directory}");
        Assert.True(report.Length == 0, "Conversations differ from tshark's:\n" + report);
        if (set == "shared")
        {
            var stale = Divergences.Keys.Where(k => !explained.Contains(k)).ToList();
            Assert.True(stale.Count == 0, "Divergences that explain nothing any more: " + string.Join(", ", stale));
        }
    }

    [Fact]
    public void Own_captures_agree_with_tshark() => Check("testdata", TestData.OwnCaptures);

    [SharedPcapsFact]
    public void Public_captures_agree_with_tshark() => Check("shared", TestData.SharedPcaps);
}
