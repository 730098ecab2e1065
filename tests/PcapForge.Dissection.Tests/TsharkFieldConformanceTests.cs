using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text;
using PcapForge.Abstractions;
using PcapForge.Abstractions.Dissection;
using PcapForge.Capture;
using PcapForge.Dissectors.Core;
using PcapForge.Dissectors.Link;
using PcapForge.TestSupport;
using Xunit.Abstractions;

namespace PcapForge.Dissection.Tests;

/// <summary>
/// Field conformance against <c>tshark -T fields</c>: for every frame of every capture of testdata/ and
/// ../shared/pcaps, the values of <see cref="ComparedFields"/> (all occurrences, in order, as tshark's
/// <c>-E occurrence=a -E aggregator=,</c> joins them) agree with what tshark printed. tshark's output is stored in
/// <c>Conformance/{testdata,shared}/&lt;capture&gt;.fields.tsv.gz</c>, its version and command on the first line;
/// <c>tests/conformance/tshark-fields.sh</c> regenerates it (TCP desegmentation and IP defragmentation off, so that
/// tshark's fields are per-frame ones).
/// <para>
/// Frames whose link type has no dissector in <see cref="Dissectors"/> are not compared (the output says how many);
/// they will be once the dissector joins the list. Every other difference fails the test unless an entry of
/// <see cref="Divergences"/> explains it; an entry that explains nothing any more fails too, so the table shrinks as
/// dissectors are written.
/// </para>
/// </summary>
public class TsharkFieldConformanceTests
{
    /// <summary>
    /// The dissectors the engine is built from: the single list to edit when a dissector is added. PcapForge.Dissectors.Core
    /// (eth, vlan, ip, ipv6, tcp, udp) and PcapForge.Dissectors.Link (sll/sll2, null/loop, raw IP for link types
    /// 101/228/229/12/14, llc/snap, mpls, arp, 802.11/radiotap/ppi, icmp, icmpv6, gre, vxlan), which this test project
    /// references. Frames of a link type no dissector here attaches to are not compared (each case's output says how many);
    /// in the corpus that is D-Bus (231), Linux netlink (253) and vsock (271):
    /// add their dissector here and their frames are compared. When a dissector joins, the "dissector not yet written"
    /// entries of <see cref="Divergences"/> it resolves fail as stale: remove them.
    /// </summary>
    private static IDissector[] Dissectors() =>
    [
        // PcapForge.Dissectors.Core
        new Ethernet(), new Vlan(), new Ieee8021ad(), new Ipv4(), new Ipv6(), new Tcp(), new Udp(),
        // PcapForge.Dissectors.Link
        new LinuxSll(), new NullLoopback(), new RawIp(), new Llc(), new Mpls(), new Arp(), new Ieee80211(), new Radiotap(),
        new Ppi(), new Icmp(), new Icmpv6(), new Gre(), new Vxlan(), new Geneve(), new Teredo(), new GtpU(), new CiscoMetaData(),
        new Nflog(),
    ];

    /// <summary>The compared fields, in the column order of the reference files (after frame.number).</summary>
    private static readonly string[] ComparedFields =
    [
        "eth.src", "eth.dst", "vlan.id", "ip.src", "ip.dst", "ip.proto", "ipv6.src", "ipv6.dst",
        "tcp.srcport", "tcp.dstport", "tcp.flags", "tcp.seq_raw", "udp.srcport", "udp.dstport", "icmp.type",
    ];

    /// <summary>Pseudo-field of a mismatch in the frame sequence itself (a frame one side has and the other has not).</summary>
    private const string FrameField = "frame";

    private const string AllFields = "eth.src eth.dst vlan.id ip.src ip.dst ip.proto ipv6.src ipv6.dst tcp.srcport tcp.dstport tcp.flags tcp.seq_raw udp.srcport udp.dstport icmp.type";

    /// <summary>
    /// Known divergences. Each names the capture ("testdata/…" or "shared/…", or "*" for every capture), the fields it
    /// excuses (space-separated), optionally the tshark protocols a frame's frame.protocols must contain (one protocol,
    /// or a colon-separated run of them such as "icmp:ip:tcp") and a frame range, and why the difference is expected.
    /// Nothing else is excused. An entry that excuses nothing fails the test (per capture; "*" entries in
    /// <see cref="NoWildcardDivergenceIsStale"/>).
    /// </summary>
    private static readonly Divergence[] Divergences =
    [
        // ---- protocols no dissector of the list decodes yet: tshark shows the tunnelled packet's headers (a second
        //      ip.src, the inner eth/udp/icmp fields...), the engine stops at the tunnel header.

        // ---- tshark's field naming or behaviour differs, and the engine is right or the difference is by design.
        new("*", "tcp.seq_raw",
            "tshark 4.0 does not add tcp.seq_raw to a TCP header quoted in an ICMP error (it tracks no conversation there and shows the "
            + "sequence number only as tcp.seq, with the same raw value); the engine adds it, with the value of the bytes")
        { Protocol = "icmp:ip:tcp" },
        new("shared/ipv6-dstopts-mobility.pcap", "udp.srcport udp.dstport",
            "frame 1's Destination Options header (length 24) holds an option whose length (144) runs past it: tshark marks it malformed and "
            + "stops; the engine skips the extension header by its own length and decodes the UDP header after it (30000 → 13000), as a host would find it")
        { FirstFrame = 1, LastFrame = 1 },


        // ---- first fragments: with reassembly on (as in the engine), tshark shows a first fragment (offset 0, MF set) as
        //      "Fragmented IP protocol" with no transport fields, and the reassembled datagram's fields in the frame that
        //      completes it. The engine shows the latter too, and also decodes the transport header the first fragment
        //      carries (marked partial), so a fragmented datagram's ports are known even when the rest never arrives.
        new("*", "tcp.srcport tcp.dstport tcp.flags tcp.seq_raw udp.srcport udp.dstport icmp.type",
            "first IPv4 fragment: the engine also decodes the transport header it carries (partial); tshark shows it only after reassembly")
        { Protocol = "ip:data" },
        new("*", "udp.srcport udp.dstport icmp.type tcp.srcport tcp.dstport tcp.flags tcp.seq_raw",
            "first IPv6 fragment: the engine also decodes the transport header it carries (partial); tshark shows it only after reassembly")
        { Protocol = "ipv6.fraghdr:data" },

        // ---- frames that only one side has: the capture reader and tshark 4.0 disagree about damaged or unsupported files
        //      (see CapinfosConformanceTests, which checks the reader's behaviour on each of them).
        new("shared/broken-pcap-bad-record-length-smtp.pcap", FrameField,
            "tshark stops at the record claiming 3,925,868,813 bytes (after 18 frames); the reader reports it and resynchronises (199 frames)") { FirstFrame = 19 },
        new("shared/broken-pcap-bad-record-length-tls.pcap", FrameField,
            "tshark stops at the record claiming 4,325,376 bytes (after 6 frames); the reader reports it and resynchronises (14 frames)") { FirstFrame = 7 },
        new("shared/broken-pcap-major-version-1.pcap", FrameField,
            "tshark refuses pcap major version 1; the reader reads its frame with the anomaly pcap.unsupported_version"),
        new("shared/broken-pcapng-shb-version-0.1.pcapng", FrameField,
            "tshark refuses SHB version 0.1; the reader reads its frame with the anomaly pcapng.unsupported_version"),
        new("shared/pcap-linktype-284-unknown-to-tshark.pcap", FrameField,
            "tshark 4.0 refuses link type 284 (DSA_TAG_DSA), unknown to it; the reader reads the 8 frames (no dissector for 284, so no fields compared)"),
    ];

    /// <summary>
    /// Captures in which tshark 4.0.17 lists each pcapng Custom Block (CB/DCB) as a frame (protocol "data", no fields;
    /// ../shared/pcaps/SOURCES.md, "Custom Blocks are counted as frames"). They are not packets: capinfos does not count
    /// them and the reader does not deliver them (CapinfosConformanceTests). These rows are left out, and tshark's
    /// remaining rows are matched to the reader's frames in order.
    /// </summary>
    private static readonly Dictionary<string, string> TsharkCustomBlockFrames = new()
    {
        ["shared/pcapng-suite-le-test018-custom-blocks.pcapng"] = "4 custom blocks",
        ["shared/pcapng-suite-le-test102-all-blocks.pcapng"] = "3 custom blocks",
        ["shared/pcapng-suite-be-test102-all-blocks.pcapng"] = "3 custom blocks",
        ["shared/pcapng-suite-le-test202-mixed-endian-sections.pcapng"] = "3 custom blocks",
        ["shared/pcapng-suite-be-test202-mixed-endian-sections.pcapng"] = "3 custom blocks",
    };

    private readonly ITestOutputHelper _output;

    public TsharkFieldConformanceTests(ITestOutputHelper output) => _output = output;

    public static TheoryData<string> TestdataReferences() => References("testdata");

    public static TheoryData<string> SharedReferences() => References("shared");

    [Theory]
    [MemberData(nameof(TestdataReferences))]
    public void TestdataCaptureFieldsAgreeWithTshark(string capture) => AssertAgrees("testdata", capture);

    [SharedPcapsTheory]
    [MemberData(nameof(SharedReferences))]
    public void SharedCaptureFieldsAgreeWithTshark(string capture) => AssertAgrees("shared", capture);

    /// <summary>Every capture of testdata/ (compressed copies aside) has a reference file, and every reference file its capture.</summary>
    [Fact]
    public void EveryTestdataCaptureHasAReference() => AssertReferencesMatchCaptures("testdata", TestData.OwnCaptures);

    /// <summary>Every capture of ../shared/pcaps has a reference file, and every reference file its capture.</summary>
    [SharedPcapsFact]
    public void EverySharedCaptureHasAReference() => AssertReferencesMatchCaptures("shared", TestData.SharedPcaps!);

    /// <summary>
    /// Entries for every capture ("*") excuse nothing any more: checked over all captures at once, so only when the
    /// shared corpus is there (entries for one capture are checked by that capture's case).
    /// </summary>
    [SharedPcapsFact]
    public void NoWildcardDivergenceIsStale()
    {
        var used = new HashSet<Divergence>();
        foreach (string set in new[] { "testdata", "shared" })
        {
            foreach (string capture in ReferenceNames(set))
                used.UnionWith(Compare(set, capture).Used);
        }

        var stale = Divergences.Where(d => d.Capture == "*" && !used.Contains(d)).ToList();
        Assert.True(stale.Count == 0, "Divergence entries that no capture needs any more (remove them):\n" + string.Join("\n", stale));
    }

    // ---------------------------------------------------------------- comparison

    private void AssertAgrees(string set, string capture)
    {
        var result = Compare(set, capture);
        _output.WriteLine($"{set}/{capture}: {result.Compared} frames compared, {result.Excused} field differences excused by the divergence table");
        foreach (var (linkType, count) in result.SkippedLinkTypes.OrderBy(p => p.Key))
            _output.WriteLine($"  {count} frames of link type {linkType} not compared: no dissector for it in the list");
        foreach (string note in result.Notes)
            _output.WriteLine("  " + note);

        var stale = Divergences.Where(d => d.Capture == $"{set}/{capture}" && !result.Used.Contains(d)).ToList();
        var problems = new StringBuilder();
        if (result.Mismatches.Count > 0)
        {
            problems.Append($"{result.Mismatches.Count} field values differ from tshark's in {set}/{capture} (capture, frame, field: tshark | ours):\n");
            foreach (var group in result.Mismatches.GroupBy(m => (m.Field, m.Protocols)).Take(40))
            {
                var first = group.First();
                problems.Append($"  {group.Count()} × {first.Field} in frames with protocols {first.Protocols}, frames {Ranges(group.Select(m => m.Frame))}; e.g.\n");
                foreach (var m in group.Take(3))
                    problems.Append($"    {set}/{capture}, frame {m.Frame}, {m.Field}: tshark '{m.Tshark}' | ours '{m.Ours}'\n");
            }
        }

        if (stale.Count > 0)
            problems.Append("Divergence entries for this capture that excuse nothing any more (remove them):\n  " + string.Join("\n  ", stale) + "\n");
        Assert.True(problems.Length == 0, problems.ToString());
    }

    private static void AssertReferencesMatchCaptures(string set, string folder)
    {
        var captures = TestData.Captures(folder).Select(f => Path.GetFileName(f))
            .Where(f => f.EndsWith(".pcap", StringComparison.Ordinal) || f.EndsWith(".pcapng", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(captures, ReferenceNames(set).ToList());
    }

    private static readonly ConcurrentDictionary<string, Lazy<Result>> Results = new();

    /// <summary>Compares one capture with its reference (once per test run: the stale-entry fact reuses the result).</summary>
    private static Result Compare(string set, string capture) =>
        Results.GetOrAdd($"{set}/{capture}", key => new Lazy<Result>(() => Run(set, capture, key))).Value;

    private static Result Run(string set, string capture, string key)
    {
        var reference = Reference.Load(Path.Combine(ReferenceFolder(set), capture + ReferenceSuffix));
        string folder = set == "testdata" ? TestData.OwnCaptures : TestData.SharedPcaps!;
        var engine = Engine.Value;
        var result = new Result();
        var divergences = Divergences.Where(d => d.Capture == "*" || d.Capture == key).ToArray();

        void Differ(long frame, TsharkRow? row, string field, string tshark, string ours)
        {
            string protocols = row?.Protocols ?? "";
            var excuse = divergences.FirstOrDefault(d => d.Covers(frame, field, protocols));
            if (excuse is null)
            {
                result.Mismatches.Add(new Mismatch(frame, field, tshark, ours, protocols));
                return;
            }

            result.Used.Add(excuse);
            result.Excused++;
        }

        if (TsharkCustomBlockFrames.ContainsKey(key))
        {
            int dropped = reference.Rows.RemoveAll(r => r.IsCustomBlock);
            result.Notes.Add($"{dropped} tshark rows are Custom Blocks, not frames (see TsharkCustomBlockFrames); left out");
            if (dropped == 0)
                result.Mismatches.Add(new Mismatch(0, FrameField, "(no Custom Block row)", "", "TsharkCustomBlockFrames lists this capture, but tshark made no Custom Block row: remove the entry"));
        }

        for (int i = 0; i < reference.Rows.Count; i++)
            reference.Rows[i].Ordinal = i + 1;

        int next = 0; // next tshark row
        CaptureReader reader;
        try
        {
            reader = CaptureReader.Open(Path.Combine(folder, capture));
        }
        catch (CaptureFormatException e)
        {
            result.Notes.Add($"the reader refuses the file: {e.Message}");
            foreach (var row in reference.Rows)
                Differ(row.Number, row, FrameField, $"frame {row.Number}", "(the reader refuses the file)");
            return result;
        }

        using (reader)
        {
            var context = new PacketContext();
            var values = new StringBuilder[ComparedFields.Length];
            for (int i = 0; i < values.Length; i++)
                values[i] = new StringBuilder();
            var registry = engine.Registry;
            int[] column = Enumerable.Range(0, registry.Fields.Count).Select(f => Array.IndexOf(ComparedFields, registry.Fields[f].FilterName)).ToArray();

            while (reader.TryReadNext(out var frame))
            {
                long number = frame.Info.Number;
                TsharkRow? row = next < reference.Rows.Count ? reference.Rows[next++] : null;
                bool dissected = LinkTypeDissected(frame.Info.LinkType);
                if (!dissected)
                    result.SkippedLinkTypes[frame.Info.LinkType] = result.SkippedLinkTypes.GetValueOrDefault(frame.Info.LinkType) + 1;
                if (row is null)
                {
                    Differ(number, null, FrameField, "(no such frame: tshark stopped before it)", $"frame {number}");
                    continue;
                }

                if (row.Ordinal != number)
                    Differ(number, row, FrameField, $"frame {row.Number}", $"frame {number}");
                if (!dissected)
                    continue;

                engine.Dissect(frame, context);
                foreach (var v in values)
                    v.Clear();
                foreach (ref readonly var f in context.Fields)
                {
                    int c = column[f.Field];
                    if (c < 0)
                        continue;
                    if (values[c].Length > 0)
                        values[c].Append(',');
                    values[c].Append(FieldFormatter.Format(registry.Fields[f.Field], f, context, frame.Data));
                }

                result.Compared++;
                for (int c = 0; c < ComparedFields.Length; c++)
                {
                    string ours = values[c].ToString();
                    if (ours != row.Values[c])
                        Differ(number, row, ComparedFields[c], row.Values[c], ours);
                }
            }

            for (; next < reference.Rows.Count; next++)
            {
                var row = reference.Rows[next];
                Differ(row.Number, row, FrameField, $"frame {row.Number}", "(no such frame: the reader stopped before it)");
            }
        }

        return result;
    }

    private static readonly Lazy<DissectionEngine> Engine = new(() =>
    {
        var problems = new List<PluginProblem>();
        var registry = DissectorRegistry.Build(
            Dissectors().Select(d => new LoadedDissector(d, ExportId(d), 0, "test")), problems);
        Assert.Empty(problems);
        return new DissectionEngine(registry);
    });

    private static string ExportId(IDissector d) =>
        ((DissectorExportAttribute)Attribute.GetCustomAttribute(d.GetType(), typeof(DissectorExportAttribute))!).Id;

    private static readonly ConcurrentDictionary<int, bool> LinkTypes = new();

    /// <summary>True when a dissector of <see cref="Dissectors"/> attaches to the link type.</summary>
    private static bool LinkTypeDissected(int linkType) =>
        LinkTypes.GetOrAdd(linkType, t => Engine.Value.Registry.Protocols.Any(
            p => p.Attachments.Contains((DissectorRegistry.LinkTypeTable, (long)t))));

    private static string Ranges(IEnumerable<long> frames)
    {
        var sorted = frames.Distinct().Order().ToList();
        var parts = new List<string>();
        for (int i = 0; i < sorted.Count;)
        {
            int j = i;
            while (j + 1 < sorted.Count && sorted[j + 1] == sorted[j] + 1)
                j++;
            parts.Add(i == j ? $"{sorted[i]}" : $"{sorted[i]}-{sorted[j]}");
            i = j + 1;
        }

        return parts.Count > 12 ? string.Join(",", parts.Take(12)) + ",…" : string.Join(",", parts);
    }

    // ---------------------------------------------------------------- reference files

    private const string ReferenceSuffix = ".fields.tsv.gz";

    private static string ReferenceFolder(string set) =>
        Path.Combine(TestData.RepositoryRoot, "tests", "PcapForge.Dissection.Tests", "Conformance", set);

    private static IEnumerable<string> ReferenceNames(string set) =>
        Directory.GetFiles(ReferenceFolder(set), "*" + ReferenceSuffix)
            .Select(f => Path.GetFileName(f)[..^ReferenceSuffix.Length])
            .Order(StringComparer.Ordinal);

    private static TheoryData<string> References(string set)
    {
        var data = new TheoryData<string>();
        foreach (string name in ReferenceNames(set))
            data.Add(name);
        return data;
    }

    /// <summary>One line of tshark's output. <see cref="Ordinal"/>: its place among the rows that are frames (see <see cref="TsharkCustomBlockFrames"/>).</summary>
    private sealed record TsharkRow(long Number, string[] Values, string Protocols)
    {
        public long Ordinal { get; set; }

        /// <summary>A row tshark 4.0 makes of a pcapng Custom Block: protocol "data", none of the compared fields.</summary>
        public bool IsCustomBlock => Protocols == "data" && Values.All(v => v.Length == 0);
    }

    private sealed class Reference
    {
        private const string Header = "frame.number\teth.src\teth.dst\tvlan.id\tip.src\tip.dst\tip.proto\tipv6.src\tipv6.dst\t"
            + "tcp.srcport\ttcp.dstport\ttcp.flags\ttcp.seq_raw\tudp.srcport\tudp.dstport\ticmp.type\tframe.protocols";

        public List<TsharkRow> Rows { get; } = new();

        public static Reference Load(string path)
        {
            var reference = new Reference();
            using var text = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress), Encoding.UTF8);
            string? line;
            bool header = false;
            while ((line = text.ReadLine()) is not null)
            {
                if (line.StartsWith('#'))
                    continue;
                if (!header)
                {
                    Assert.True(line == Header, $"{path}: unexpected header line '{line}'; regenerate with tests/conformance/tshark-fields.sh");
                    header = true;
                    continue;
                }

                string[] cells = line.Split('\t');
                Assert.True(cells.Length == ComparedFields.Length + 2, $"{path}: {cells.Length} columns in '{line}'");
                reference.Rows.Add(new TsharkRow(long.Parse(cells[0]), cells[1..^1], cells[^1]));
            }

            return reference;
        }
    }

    // ---------------------------------------------------------------- results and divergences

    private sealed record Mismatch(long Frame, string Field, string Tshark, string Ours, string Protocols);

    private sealed class Result
    {
        public List<Mismatch> Mismatches { get; } = new();
        public HashSet<Divergence> Used { get; } = new();
        public Dictionary<int, int> SkippedLinkTypes { get; } = new();
        public List<string> Notes { get; } = new();
        public long Compared { get; set; }
        public long Excused { get; set; }
    }

    /// <summary>
    /// A known, explained difference. <paramref name="Capture"/>: "testdata/NAME", "shared/NAME" or "*";
    /// <paramref name="Fields"/>: space-separated field names ("frame" for a frame one side lacks).
    /// </summary>
    private sealed record Divergence(string Capture, string Fields, string Reason)
    {
        /// <summary>Applies only to frames whose tshark frame.protocols (colon-separated) contains this protocol.</summary>
        public string? Protocol { get; init; }

        /// <summary>Applies only to frames from this number on.</summary>
        public long FirstFrame { get; init; } = 1;

        /// <summary>Applies only to frames up to this number.</summary>
        public long LastFrame { get; init; } = long.MaxValue;

        private string[] FieldList => Fields.Split(' ', StringSplitOptions.RemoveEmptyEntries);

        public bool Covers(long frame, string field, string protocols) =>
            frame >= FirstFrame && frame <= LastFrame && FieldList.Contains(field)
            && (Protocol is null || $":{protocols}:".Contains($":{Protocol}:", StringComparison.Ordinal));

        public override string ToString() =>
            $"{Capture}{(FirstFrame > 1 || LastFrame < long.MaxValue ? $" frames {FirstFrame}-{(LastFrame == long.MaxValue ? "" : LastFrame)}" : "")}"
            + $"{(Protocol is null ? "" : $" [{Protocol}]")}: {Fields} — {Reason}";
    }
}
