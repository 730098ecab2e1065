using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text.RegularExpressions;
using PcapForge.Abstractions;
using PcapForge.TestSupport;
using Xunit.Abstractions;

namespace PcapForge.Capture.Tests;

/// <summary>
/// Conformance against the public corpus: for every capture in ../shared/pcaps, the frame count, the link types and
/// the first and last timestamps (to the nanosecond) agree with what <c>capinfos -M -T</c> of Wireshark 4.0.17 printed
/// (<c>expected/*.capinfos.txt</c>), and so do file type, time precision, snaplen (classic pcap) and data size.
/// Where they do not, <see cref="Divergences"/> says what differs, why this reader is right, and asserts what the
/// reader does instead; a divergence not in the table, or an entry whose divergence is gone, fails the test.
/// Damaged files (<see cref="Damaged"/>) must yield their anomaly, not an exception, and every frame before the damage.
/// </summary>
public class CapinfosConformanceTests
{
    public static TheoryData<CaptureFile> Captures()
    {
        var data = new TheoryData<CaptureFile>();
        foreach (string file in SharedCorpus.CaptureFiles())
            data.Add(new CaptureFile(file));
        return data;
    }

    public static TheoryData<CaptureFile> DamagedCaptures()
    {
        var data = new TheoryData<CaptureFile>();
        if (TestData.SharedPcaps is not null)
        {
            foreach (string file in Damaged.Keys.Order(StringComparer.Ordinal))
                data.Add(new CaptureFile(file));
        }

        return data;
    }

    [SharedPcapsTheory]
    [MemberData(nameof(Captures))]
    public void FrameCountLinkTypesAndTimeSpanAgreeWithCapinfos(CaptureFile capture)
    {
        string file = capture.Name;
        var capinfos = CapinfosReport.Load(file);
        var seen = Observed.Of(file); // must not throw: every file here is a capture, damaged or not
        AssertSummaryIsMadeOfTheFrames(seen);

        var differs = Fields.None;
        var report = new List<string>();
        if (capinfos.Refused)
        {
            differs |= Fields.Refused;
            report.Add($"capinfos printed no values: {string.Join(" ", capinfos.Messages)}");
        }
        else
        {
            Assert.Equal(file, capinfos.Value("File name"));
            if (capinfos.Packets != seen.Frames.Count)
            {
                differs |= Fields.Packets;
                report.Add($"packets: capinfos {capinfos.Packets}, reader {seen.Frames.Count}");
            }

            if (!capinfos.Start.Matches(seen.Summary.FirstTimestampNs))
            {
                differs |= Fields.Start;
                report.Add($"start: capinfos \"{capinfos.Start.Text}\", reader {Show(seen.Summary.FirstTimestampNs)}");
            }

            if (!capinfos.End.Matches(seen.Summary.LastTimestampNs))
            {
                differs |= Fields.End;
                report.Add($"end: capinfos \"{capinfos.End.Text}\", reader {Show(seen.Summary.LastTimestampNs)}");
            }

            if (!EncapsulationAgrees(capinfos, seen, out string linkDetail))
            {
                differs |= Fields.LinkTypes;
                report.Add($"link types: {linkDetail}");
            }

            AssertFileTypePrecisionAndSizes(capinfos, seen);
        }

        Divergences.TryGetValue(file, out Divergence? known);
        var listed = known?.Fields ?? Fields.None;
        Assert.True(differs == listed,
            $"{file}: the reader differs from capinfos in [{differs}], the divergence table lists [{listed}]. " +
            (report.Count == 0 ? "Nothing differs any more: remove the entry." : string.Join("; ", report)) +
            " Every divergence needs an entry saying why this reader is right.");
        known?.AssertReader(seen);

        if (!Damaged.ContainsKey(file))
        {
            Assert.True(seen.Read.Anomalies.Count == 0, $"{file} is not in the damaged table but gave: {string.Join("; ", seen.Read.Anomalies)}");
            Assert.False(seen.Read.StoppedEarly);

            // Classic pcap, record by record, against an independent walk of the same bytes (pcapng: PcapNgBlocksConformanceTests).
            if (seen.Read.Format == CaptureFormat.Pcap)
            {
                var records = PcapRecordWalk.Read(SharedCorpus.CapturePath(file));
                Assert.Equal(records.Count, seen.Frames.Count);
                for (int i = 0; i < records.Count; i++)
                {
                    var (info, data) = seen.Frames[i];
                    Assert.True((records[i].Offset, records[i].TimestampNs, records[i].CapLen, records[i].OrigLen) ==
                                (info.FileOffset, info.TimestampNs, info.CapturedLength, info.OriginalLength),
                        $"frame {i + 1}: the walk has record {records[i]}, the reader {info.FileOffset} {info.TimestampNs} {info.CapturedLength} {info.OriginalLength}");
                    Assert.Equal(records[i].Data, data);
                }
            }
        }
    }

    [SharedPcapsTheory]
    [MemberData(nameof(DamagedCaptures))]
    public void DamagedFileYieldsItsAnomalyAndEveryFrameBeforeTheDamage(CaptureFile capture)
    {
        string file = capture.Name;
        Damage damage = Damaged[file];
        var seen = Observed.Of(file); // no exception: damage is reported, not thrown

        Assert.Equal(damage.Anomalies.Order(StringComparer.Ordinal), seen.Read.AnomalyNames.Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(damage.StoppedEarly, seen.Read.StoppedEarly);
        Assert.Equal(damage.Frames, seen.Frames.Count);

        // The first frame an anomaly is about is the first damaged one.
        var frameNumbers = seen.Read.Anomalies.Where(a => a.Frame is not null).Select(a => a.Frame!.Value).ToList();
        if (frameNumbers.Count > 0)
            Assert.Equal(damage.FramesBeforeDamage + 1, frameNumbers.Min());

        // capinfos says how many packets it read before the damage stopped it.
        var capinfos = CapinfosReport.Load(file);
        if (capinfos.PacketsBeforeError is int before)
            Assert.Equal(before, damage.FramesBeforeDamage);

        // Every frame before the damage is delivered, as an independent walk of the same bytes finds it ...
        if (seen.Read.Format == CaptureFormat.Pcap)
        {
            var records = PcapRecordWalk.Read(SharedCorpus.CapturePath(file));
            Assert.True(records.Count >= damage.FramesBeforeDamage, $"the record walk finds only {records.Count} records before the damage");
            for (int i = 0; i < damage.FramesBeforeDamage; i++)
            {
                var (info, data) = seen.Frames[i];
                Assert.Equal(records[i].Offset, info.FileOffset);
                Assert.Equal(records[i].TimestampNs, info.TimestampNs);
                Assert.Equal(records[i].CapLen, info.CapturedLength);
                Assert.Equal(records[i].OrigLen, info.OriginalLength);
                Assert.Equal(records[i].Data, data);
            }
        }
        else
        {
            var walked = PcapNgBlockWalk.Load(file).Frames;
            Assert.True(walked.Count >= damage.FramesBeforeDamage, $"the block walk finds only {walked.Count} packets before the damage");
            for (int i = 0; i < damage.FramesBeforeDamage; i++)
            {
                var info = seen.Frames[i].Info;
                Assert.Equal(walked[i].Offset, info.FileOffset);
                Assert.Equal(walked[i].TimestampNs, info.HasTimestamp ? info.TimestampNs : null);
                Assert.Equal(walked[i].CapLen, info.CapturedLength);
                Assert.Equal(walked[i].OrigLen, info.OriginalLength);
            }
        }

        // ... and as the intact file the damaged one was made from has it.
        if (damage.IntactTwin is string twinFile)
        {
            var twin = Observed.Of(twinFile);
            Assert.Empty(twin.Read.Anomalies);
            for (int i = 0; i < damage.FramesBeforeDamage; i++)
            {
                var (a, b) = (seen.Frames[i], twin.Frames[i]);
                Assert.Equal(b.Info.FileOffset, a.Info.FileOffset);
                Assert.Equal(b.Info.TimestampNs, a.Info.TimestampNs);
                Assert.Equal(b.Info.CapturedLength, a.Info.CapturedLength);
                Assert.Equal(b.Info.OriginalLength, a.Info.OriginalLength);
                if (damage.TwinDataDiffersAt?.Contains(i + 1) != true)
                    Assert.Equal(b.Data, a.Data);
            }
        }
    }

    [SharedPcapsFact]
    public void EveryCaptureHasReferenceDataAndEveryTableEntryNamesACapture()
    {
        var captures = SharedCorpus.CaptureFiles().ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(captures);
        foreach (string file in captures)
            Assert.True(File.Exists(SharedCorpus.ExpectedPath(file, ".capinfos.txt")), $"{file} has no expected/{file}.capinfos.txt");
        foreach (string path in Directory.GetFiles(Path.Combine(SharedCorpus.Folder, "expected"), "*.capinfos.txt"))
            Assert.Contains(Path.GetFileName(path)[..^".capinfos.txt".Length], captures);
        Assert.All(Divergences.Keys, f => Assert.Contains(f, captures));
        Assert.All(Damaged.Keys, f => Assert.Contains(f, captures));
        Assert.All(Damaged.Values.Select(d => d.IntactTwin).OfType<string>(), f => Assert.Contains(f, captures));

        // Every file named broken-* is in the damaged table (a file outside it must read without any anomaly).
        Assert.All(captures.Where(f => f.StartsWith("broken-", StringComparison.Ordinal)), f => Assert.True(Damaged.ContainsKey(f), $"{f} is not in the damaged table"));
    }

    [Fact]
    public void CapinfosTimesConvertToExactNanoseconds()
    {
        Assert.Equal(1_607_454_603_986_596_000L, (long)CapinfosTime.Parse("2020-12-08 19:10:03.986596").Nanoseconds!);
        Assert.Equal(1_766_361_926_167_647_291L, (long)CapinfosTime.Parse("2025-12-22 00:05:26.167647291").Nanoseconds!);
        Assert.Equal(1_000_001_234L, (long)CapinfosTime.Parse("1970-01-01 00:00:01.000001234").Nanoseconds!);
        Assert.Equal(4_323_283_200L * 1_000_000_000, (long)CapinfosTime.Parse("2107-01-01 00:00:00.000000").Nanoseconds!);
        Assert.Equal(DateTimeOffset.Parse("1999-03-11T13:45:02Z", CultureInfo.InvariantCulture).ToUnixTimeSeconds() * 1_000_000_000 + 141_757_000,
            (long)CapinfosTime.Parse("1999-03-11 13:45:02.141757").Nanoseconds!);

        // Beyond DateTime's year 9999 and beyond 64-bit nanoseconds: still exact.
        Assert.Equal(new BigInteger(18_446_744_073_204L) * 1_000_000_000 + 126_329_000, CapinfosTime.Parse("586524-01-19 07:53:24.126329").Nanoseconds);

        // Not times: n/a, and the out-of-range fractions capinfos prints as they are.
        Assert.True(CapinfosTime.Parse("n/a").NotApplicable);
        Assert.Null(CapinfosTime.Parse("2014-12-09 17:16:10.1000000").Nanoseconds);
        Assert.Null(CapinfosTime.Parse("2014-12-09 17:16:10.-2147483648").Nanoseconds);
        Assert.False(CapinfosTime.Parse("2014-12-09 17:16:10.1000000").Matches(null));
        Assert.True(CapinfosTime.Parse("n/a").Matches(null));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Known divergences from capinfos (Wireshark 4.0.17), and a few agreements worth spelling out.
    // Each entry: which fields differ, what capinfos says, what this reader does instead, why the reader is right,
    // and an assertion of exactly what the reader does.
    //
    // | file                                              | differs          | capinfos                                   | this reader                                                       |
    // |---------------------------------------------------|------------------|--------------------------------------------|-------------------------------------------------------------------|
    // | broken-pcap-bad-record-length-smtp.pcap           | refused          | stops after 18 (3,925,868,813-byte record) | 199 frames: record_length_invalid + resynchronized (+3 bytes)     |
    // | broken-pcap-bad-record-length-tls.pcap            | refused          | stops after 6 (4,325,376-byte record)      | 14 frames: record_length_invalid + resynchronized (-2 bytes)      |
    // | broken-pcap-major-version-1.pcap                  | refused          | "major version 1 unsupported"              | 1 frame, pcap.unsupported_version                                 |
    // | broken-pcap-linktype-reserved-bits.pcap           | refused          | "reserved field not zero"                  | 0 frames (header only), pcap.linktype_reserved_bits, NULL         |
    // | broken-pcapng-shb-version-0.1.pcapng              | refused          | "unknown SHB version 0.1"                  | 1 frame, pcapng.unsupported_version                               |
    // | broken-pcapng-shb-option-too-long.pcapng          | refused          | "not enough data ... option 12336"         | 0 frames, block_length_mismatch + resync_failed (all trailers bad)|
    // | pcap-linktype-284-unknown-to-tshark.pcap          | refused          | "network type 284 unknown"                 | 8 frames of DSA_TAG_DSA, no anomaly                               |
    // | broken-pcap-usec-out-of-range.pcap                | end              | "17:16:10.1000000" (not a time)            | 17:51:57.483648, timestamp_fraction_out_of_range x2               |
    // | broken-pcap-nsec-out-of-range.pcap                | end              | "17:16:10.-2147483648" (not a time)        | 17:16:12.147483648, timestamp_fraction_out_of_range x2            |
    // | pcapng-comments-ether-sll-nsec.pcapng             | start, end       | year 586524 for both                       | 2015-01-29 .. 2061-09-21; 100 frames timestamp_out_of_range       |
    // | pcapng-suite-*-test011/012/016/018/100/101/102/201/202 | start, end  | n/a (some packets are SPBs)                | span of the EPB timestamps; SPB frames have no timestamp          |
    // | pcapng-suite-{le,be}-test010-spb-only.pcapng      | (agrees)         | 4 packets, n/a                             | 4 frames, none with a timestamp                                   |
    // | test018/102/202 custom blocks                     | (agrees)         | CB/DCB not counted                         | CB/DCB not frames, counted in SectionInfo.CustomBlocks            |
    // | http-ipv6-4streams-rawip.pcap                     | (agrees)         | rawip                                      | link type 12 as written (BSD DLT_RAW), not rewritten to 101       |
    // ---------------------------------------------------------------------------------------------------------

    private static readonly Dictionary<string, Divergence> Divergences = BuildDivergences();

    private static Dictionary<string, Divergence> BuildDivergences()
    {
        var table = new Dictionary<string, Divergence>(StringComparer.Ordinal)
        {
            ["broken-pcap-bad-record-length-smtp.pcap"] = new(Fields.Refused,
                Capinfos: "\"An error occurred after reading 18 packets\": record 19's header claims 3,925,868,813 bytes; no values",
                Reader: "199 frames. pcap.record_length_invalid at offset 3695 (frame 19), pcap.resynchronized 3 bytes on at 3698; " +
                        "frames 19-199 are those of the intact twin smtp-data-rejected.pcap, 3 bytes later in the file",
                Why: "Upstream hand-edited 8 bytes into 11 inside frame 18 without fixing its caplen, so every later header sits 3 bytes " +
                     "further on. The 181 records after it are intact and chain to the end of the file: they are real traffic, and the " +
                     "twin proves it packet by packet.",
                AssertReader: o =>
                {
                    var twin = Observed.Of("smtp-data-rejected.pcap");
                    var twinCapinfos = CapinfosReport.Load("smtp-data-rejected.pcap");
                    Assert.Equal(199, o.Frames.Count);
                    Assert.Equal(twinCapinfos.Packets, o.Frames.Count);
                    Assert.True(twinCapinfos.Start.Matches(o.Summary.FirstTimestampNs));
                    Assert.True(twinCapinfos.End.Matches(o.Summary.LastTimestampNs));
                    var invalid = Assert.Single(o.Read.Anomalies, a => a.Name == "pcap.record_length_invalid");
                    Assert.Equal((19L, 3695L), (invalid.Frame, invalid.FileOffset));
                    Assert.Equal(3698, Assert.Single(o.Read.Anomalies, a => a.Name == "pcap.resynchronized").FileOffset);
                    Assert.False(o.Read.StoppedEarly);
                    for (int i = 0; i < 199; i++)
                    {
                        var (a, b) = (o.Frames[i].Info, twin.Frames[i].Info);
                        Assert.Equal((b.TimestampNs, b.CapturedLength, b.OriginalLength), (a.TimestampNs, a.CapturedLength, a.OriginalLength));
                        Assert.Equal(b.FileOffset + (i < 18 ? 0 : 3), a.FileOffset);
                        if (i != 17)
                            Assert.Equal(twin.Frames[i].Data, o.Frames[i].Data);
                    }

                    // Frame 18 holds the edit (file offset 2522, its byte 341): the same up to there, not after.
                    Assert.Equal(2522 - 341, o.Frames[17].Info.DataOffset);
                    Assert.Equal(twin.Frames[17].Data[..341], o.Frames[17].Data[..341]);
                    Assert.NotEqual(twin.Frames[17].Data, o.Frames[17].Data);
                }),

            ["broken-pcap-bad-record-length-tls.pcap"] = new(Fields.Refused,
                Capinfos: "\"An error occurred after reading 6 packets\": record 7's header claims a 4,325,376-byte packet; no values",
                Reader: "14 frames. pcap.record_length_invalid at offset 5035 (frame 7); pcap.resynchronized 2 bytes back at 5033 (frame 6's " +
                        "caplen 4274 overstates its data by 2 bytes, delivered with it); frames 7-14 chain to the last byte of the file",
                Why: "The header capinfos trips on is read 2 bytes late. At 5033 there is a plausible record whose successors chain " +
                     "exactly to the end of the file, all within 2 s of frame 6: 8 real packets capinfos drops.",
                AssertReader: o =>
                {
                    Assert.Equal(14, o.Frames.Count);
                    Assert.Equal(new long[] { 24, 114, 204, 286, 663, 745, 5033, 5115, 5204, 5286, 5368, 5462, 5544, 5626 }, o.Frames.Select(f => f.Info.FileOffset));
                    Assert.Equal(4274, o.Frames[5].Info.CapturedLength);
                    var last = o.Frames[^1].Info;
                    Assert.Equal(new FileInfo(SharedCorpus.CapturePath(o.File)).Length, last.DataOffset + last.CapturedLength);
                    var invalid = Assert.Single(o.Read.Anomalies, a => a.Name == "pcap.record_length_invalid");
                    Assert.Equal((7L, 5035L), (invalid.Frame, invalid.FileOffset));
                    Assert.Equal(5033, Assert.Single(o.Read.Anomalies, a => a.Name == "pcap.resynchronized").FileOffset);
                    // Frame 2's own header says 761195582 s (1994): that is the file, not the resynchronisation.
                    Assert.Equal(Ns("1994-02-14 03:13:02.033594"), o.Summary.FirstTimestampNs);
                    Assert.Equal(Ns("2015-04-20 08:20:26.031227"), o.Summary.LastTimestampNs);
                    var recovered = o.Frames.Skip(5).Select(f => f.Info.TimestampNs).ToList();
                    Assert.Equal(recovered.Order(), recovered);
                }),

            ["broken-pcap-major-version-1.pcap"] = new(Fields.Refused,
                Capinfos: "\"contains record data that capinfos doesn't support\" (pcap: major version 1 unsupported)",
                Reader: "pcap.unsupported_version (offset 4); records read as 2.4: 1 frame of 490 bytes, 2012-06-06 12:40:23.226395, " +
                        "Ethernet, ending exactly at the end of the file",
                Why: "Only the version field is odd; the record layout is that of 2.4 and the one record fills the file exactly. " +
                     "The packet is readable; the anomaly says the version was not 2.x.",
                AssertReader: o =>
                {
                    Assert.Equal(4, Assert.Single(o.Read.Anomalies).FileOffset);
                    var f = Assert.Single(o.Frames).Info;
                    Assert.Equal((24L, 490, 490L), (f.FileOffset, f.CapturedLength, f.OriginalLength));
                    Assert.Equal(Ns("2012-06-06 12:40:23.226395"), f.TimestampNs);
                    Assert.Equal(LinkTypes.Ethernet, f.LinkType);
                    Assert.Equal(530, f.DataOffset + f.CapturedLength);
                    Assert.Equal((1, 4), (o.Read.Sections[0].MajorVersion, o.Read.Sections[0].MinorVersion));
                }),

            ["broken-pcap-linktype-reserved-bits.pcap"] = new(Fields.Refused,
                Capinfos: "\"contains record data that capinfos doesn't support\" (network type reserved field not zero (0x00300000))",
                Reader: "pcap.linktype_reserved_bits (offset 20); link type from bits 0-15: 0 (NULL); the 24-byte file has no records: 0 frames",
                Why: "draft-ietf-opsawg-pcap section 5.1 reserves bits 16-25; they do not change what bits 0-15 say. " +
                     "That is worth an anomaly, not a refusal.",
                AssertReader: o =>
                {
                    Assert.Equal(20, Assert.Single(o.Read.Anomalies).FileOffset);
                    Assert.Empty(o.Frames);
                    Assert.Equal(LinkTypes.Null, Assert.Single(o.Read.Interfaces).LinkType);
                }),

            ["broken-pcapng-shb-version-0.1.pcapng"] = new(Fields.Refused,
                Capinfos: "\"contains record data that capinfos doesn't support\" (pcapng: unknown SHB version 0.1)",
                Reader: "pcapng.unsupported_version; the section is read as 1.0: 1 frame (EPB at offset 84, 142 bytes, " +
                        "2014-02-20 13:28:51.311277, Ethernet), as the independent walker lists it",
                Why: "The blocks after the SHB are well-framed 1.0 blocks (see its .pcapng-blocks.txt); the version number alone " +
                     "does not make them unreadable.",
                AssertReader: o =>
                {
                    Assert.Equal("pcapng.unsupported_version", Assert.Single(o.Read.Anomalies).Name);
                    Assert.Equal((0, 1), (o.Read.Sections[0].MajorVersion, o.Read.Sections[0].MinorVersion));
                    var f = Assert.Single(o.Frames).Info;
                    Assert.Equal((84L, 142, LinkTypes.Ethernet), (f.FileOffset, f.CapturedLength, f.LinkType));
                    Assert.Equal(Ns("2014-02-20 13:28:51.311277"), f.TimestampNs);
                }),

            ["broken-pcapng-shb-option-too-long.pcapng"] = new(Fields.Refused,
                Capinfos: "\"appears to be damaged or corrupt\" (pcapng: Not enough data to handle option of length 12336)",
                Reader: "pcapng.block_length_mismatch at offset 0 (SHB total length 52, trailing copy 0x30303030), then " +
                        "pcapng.resync_failed: no well-framed block anywhere. 0 sections, 0 interfaces, 0 frames, StoppedEarly",
                Why: "A fuzzed file: the walker finds the trailing length of every block (SHB, IDB, EPB) overwritten with 0x30303030, " +
                     "so nothing in it can be trusted. Neither gives a packet; the reader returns normally and names the framing check that failed.",
                AssertReader: o =>
                {
                    var mismatch = Assert.Single(o.Read.Anomalies, a => a.Name == "pcapng.block_length_mismatch");
                    Assert.Equal(0, mismatch.FileOffset);
                    Assert.Contains("808464432", mismatch.Detail, StringComparison.Ordinal);
                    Assert.Empty(o.Frames);
                    Assert.Empty(o.Read.Sections);
                    Assert.Empty(o.Read.Interfaces);
                    Assert.True(o.Read.StoppedEarly);
                }),

            ["pcap-linktype-284-unknown-to-tshark.pcap"] = new(Fields.Refused,
                Capinfos: "\"contains record data that capinfos doesn't support\" (pcap: network type 284 unknown or unsupported)",
                Reader: "8 frames of link type 284 (LINKTYPE_DSA_TAG_DSA), no anomaly, 1970-01-01 22:21:39.544060 to 22:21:44.560415 " +
                        "(the capturing clock was not set)",
                Why: "The file is well-formed; 284 is registered at tcpdump.org and only missing from wiretap 4.0's table. " +
                     "Not dissecting a link type is no reason not to deliver its frames.",
                AssertReader: o =>
                {
                    Assert.Equal(8, o.Frames.Count);
                    Assert.All(o.Frames, f => Assert.Equal(LinkTypes.DsaTagDsa, f.Info.LinkType));
                    Assert.Equal(Ns("1970-01-01 22:21:39.544060"), o.Summary.FirstTimestampNs);
                    Assert.Equal(Ns("1970-01-01 22:21:44.560415"), o.Summary.LastTimestampNs);
                }),

            ["broken-pcap-usec-out-of-range.pcap"] = new(Fields.End,
                Capinfos: "End time \"2014-12-09 17:16:10.1000000\": record 2's usec field 1000000 printed as a 7-digit fraction; " +
                          "record 3's 2147483648 usec, times 1000 in a 32-bit nanosecond field, wrapped to 0",
                Reader: "pcap.timestamp_fraction_out_of_range on frames 2 and 3; the whole seconds in the field are carried: " +
                        "17:16:11.000000 and 17:16:10 + 2147.483648 s = 17:51:57.483648, the latest",
                Why: "\"10.1000000\" is not a time, and capinfos ordered the records by a wrapped value. The reader keeps the " +
                     "field's exact value, without overflow, and flags each record whose field is out of range.",
                AssertReader: o =>
                {
                    AssertTimes(o, "2014-12-09 17:16:09.999999", "2014-12-09 17:16:11.000000", "2014-12-09 17:51:57.483648");
                    Assert.Equal(new long?[] { 2, 3 }, o.Read.Anomalies.Where(a => a.Name == "pcap.timestamp_fraction_out_of_range").Select(a => a.Frame));
                    Assert.Equal(Ns("2014-12-09 17:51:57.483648"), o.Summary.LastTimestampNs);
                }),

            ["broken-pcap-nsec-out-of-range.pcap"] = new(Fields.End,
                Capinfos: "End time \"2014-12-09 17:16:10.-2147483648\": record 3's nsec field 2147483648 read as a signed " +
                          "32-bit -2147483648 (and ordered above record 2's 10 s + 1000000000 ns by an overflowing subtraction)",
                Reader: "pcap.timestamp_fraction_out_of_range on frames 2 and 3; carried: 17:16:11.000000000 and 17:16:12.147483648, the latest",
                Why: "A negative fraction is not a time. The reader keeps the field's exact unsigned value and flags it.",
                AssertReader: o =>
                {
                    AssertTimes(o, "2014-12-09 17:16:09.999999999", "2014-12-09 17:16:11.000000000", "2014-12-09 17:16:12.147483648");
                    Assert.Equal(new long?[] { 2, 3 }, o.Read.Anomalies.Where(a => a.Name == "pcap.timestamp_fraction_out_of_range").Select(a => a.Frame));
                }),

            ["pcapng-comments-ether-sll-nsec.pcapng"] = new(Fields.Start | Fields.End,
                Capinfos: "Start \"586524-01-19 07:53:24.126329\", End \"586524-01-19 07:53:24.277451\": the 100 EPBs of interface 1 " +
                          "(LINUX_SLL, microseconds) have ts_raw just under 2^64 (e.g. 2^64 - 505274165), year 586524 read unsigned. " +
                          "Its start/end keep them over the 59 packets of 2015 (consistent with comparing seconds as a truncated 32-bit int)",
                Reader: "those 100 frames have HasTimestamp = false and one pcapng.timestamp_out_of_range each (past 2262, not a 64-bit " +
                        "nanosecond count); the span is that of the 59 Ethernet frames: 2015-01-29 10:39:58.578402281 to " +
                        "2061-09-21 12:39:57.938836488 (frame 2's own ts_raw)",
                Why: "Even on its own unsigned reading capinfos' Start is wrong: 2015 is earlier than 586524. The reader reports the " +
                     "values that are times, and flags the ones that cannot be one.",
                AssertReader: o =>
                {
                    var untimed = o.Frames.Where(f => !f.Info.HasTimestamp).ToList();
                    Assert.Equal(100, untimed.Count);
                    Assert.All(untimed, f => Assert.Equal((1, LinkTypes.LinuxSll), (f.Info.InterfaceIndex, f.Info.LinkType)));
                    Assert.Equal(100, o.Read.Anomalies.Count(a => a.Name == "pcapng.timestamp_out_of_range"));
                    Assert.Equal(100, o.Summary.FramesWithoutTimestamp);
                    Assert.Equal(Ns("2015-01-29 10:39:58.578402281"), o.Summary.FirstTimestampNs);
                    Assert.Equal(Ns("2061-09-21 12:39:57.938836488"), o.Summary.LastTimestampNs);
                }),

            // Agreements worth spelling out.
            ["http-ipv6-4streams-rawip.pcap"] = new(Fields.None,
                Capinfos: "rawip",
                Reader: "link type 12, as written in the header (BSD's DLT_RAW), not rewritten to LINKTYPE_RAW 101",
                Why: "wiretap maps 12, 14 and 101 to one encapsulation; the reader reports the number the file holds.",
                AssertReader: o => Assert.All(o.Frames, f => Assert.Equal(LinkTypes.RawBsd12, f.Info.LinkType))),
        };

        // SPB-only files: both say there is no time span.
        foreach (string file in new[] { "pcapng-suite-le-test010-spb-only.pcapng", "pcapng-suite-be-test010-spb-only.pcapng" })
        {
            table[file] = new(Fields.None,
                Capinfos: "4 packets, Start and End n/a",
                Reader: "4 frames from Simple Packet Blocks, none with a timestamp; FirstTimestampNs and LastTimestampNs null",
                Why: "An SPB carries no timestamp (draft-ietf-opsawg-pcapng section 4.4).",
                AssertReader: o =>
                {
                    Assert.Equal(4, o.Frames.Count);
                    Assert.All(o.Frames, f => Assert.False(f.Info.HasTimestamp));
                    Assert.Null(o.Summary.FirstTimestampNs);
                });
        }

        // Files mixing SPBs with EPBs: capinfos prints n/a as soon as one packet lacks a time stamp.
        const string Day = "2012-06-29 07:28:25.";
        AddSpbMix(table, "pcapng-suite-le-test011-spb-epb-mix.pcapng", spbs: 2, customBlocks: 0, Day + "298858", Day + "300858");
        AddSpbMix(table, "pcapng-suite-le-test012-spb-snaplen.pcapng", spbs: 2, customBlocks: 0, "1970-01-01 00:00:00.000000", "1970-01-01 00:00:00.000000");
        AddSpbMix(table, "pcapng-suite-le-test016-nrb.pcapng", spbs: 2, customBlocks: 0, Day + "298858", Day + "300858");
        AddSpbMix(table, "pcapng-suite-le-test018-custom-blocks.pcapng", spbs: 2, customBlocks: 4, Day + "298858", Day + "300858");
        AddSpbMix(table, "pcapng-suite-le-test100-nrb-advanced.pcapng", spbs: 2, customBlocks: 0, Day + "298858", Day + "301858");
        AddSpbMix(table, "pcapng-suite-le-test101-isb.pcapng", spbs: 1, customBlocks: 0, Day + "298858", Day + "301858");
        AddSpbMix(table, "pcapng-suite-le-test102-all-blocks.pcapng", spbs: 1, customBlocks: 3, Day + "298858", Day + "301858");
        AddSpbMix(table, "pcapng-suite-be-test102-all-blocks.pcapng", spbs: 1, customBlocks: 3, Day + "298858", Day + "301858");
        AddSpbMix(table, "pcapng-suite-le-test201-3-shb-isb.pcapng", spbs: 1, customBlocks: 0, Day + "298858", Day + "301858");
        AddSpbMix(table, "pcapng-suite-le-test202-mixed-endian-sections.pcapng", spbs: 2, customBlocks: 3, Day + "298858", Day + "301858");
        AddSpbMix(table, "pcapng-suite-be-test202-mixed-endian-sections.pcapng", spbs: 2, customBlocks: 3, Day + "298858", Day + "301858");
        return table;
    }

    private static void AddSpbMix(Dictionary<string, Divergence> table, string file, int spbs, int customBlocks, string first, string last)
    {
        string custom = customBlocks == 0 ? "" :
            $" Its {customBlocks} Custom Blocks are not packets: capinfos does not count them (tshark 4.0 lists them as frames), " +
            "the reader does not deliver them and counts them in SectionInfo.CustomBlocks.";
        table[file] = new(Fields.Start | Fields.End,
            Capinfos: $"Start and End n/a: capinfos prints n/a when any packet lacks a time stamp ({spbs} Simple Packet Block(s))",
            Reader: $"the {spbs} SPB frame(s) have HasTimestamp = false; First/Last are the earliest and latest EPB timestamps, {first} to {last}",
            Why: "An SPB has no timestamp, but the EPBs beside it do: their span is still the capture's time span, and " +
                 "FramesWithoutTimestamp says how many frames it leaves out." + custom,
            AssertReader: o =>
            {
                Assert.Equal(spbs, o.Frames.Count(f => !f.Info.HasTimestamp));
                Assert.Equal(spbs, o.Summary.FramesWithoutTimestamp);
                Assert.Equal(Ns(first), o.Summary.FirstTimestampNs);
                Assert.Equal(Ns(last), o.Summary.LastTimestampNs);
                Assert.Equal(customBlocks, o.Read.Sections.Sum(s => s.CustomBlocks));
            });
    }

    // ---------------------------------------------------------------------------------------------------------
    // Every file that yields an anomaly (the damaged ones, and one writer quirk); any other file must yield none.
    // For each: the anomalies (distinct names, exactly), the frames before the damage (all of which must be delivered as
    // an independent walk of the bytes finds them, and as the intact twin has them), the total frames, and whether
    // reading stops there.
    // ---------------------------------------------------------------------------------------------------------

    private static readonly Dictionary<string, Damage> Damaged = new[]
    {
        new Damage("broken-pcap-bad-record-length-smtp.pcap", ["pcap.record_length_invalid", "pcap.resynchronized"],
            FramesBeforeDamage: 18, Frames: 199, StoppedEarly: false, IntactTwin: "smtp-data-rejected.pcap", TwinDataDiffersAt: [18]),
        new Damage("broken-pcap-bad-record-length-tls.pcap", ["pcap.record_length_invalid", "pcap.resynchronized"],
            FramesBeforeDamage: 6, Frames: 14, StoppedEarly: false),
        new Damage("broken-pcap-caplen-exceeds-snaplen.pcap", ["pcap.caplen_exceeds_snaplen"],
            FramesBeforeDamage: 0, Frames: 1, StoppedEarly: false),
        new Damage("broken-pcap-cut-mid-packet.pcap", ["pcap.truncated_record"],
            FramesBeforeDamage: 19, Frames: 19, StoppedEarly: true, IntactTwin: "ssh-openssh-debian.pcap"),
        new Damage("broken-pcap-cut-mid-record-header.pcap", ["pcap.truncated_record_header"],
            FramesBeforeDamage: 19, Frames: 19, StoppedEarly: true, IntactTwin: "ssh-openssh-debian.pcap"),
        // Not damaged despite its name: a valid file header and no records.
        new Damage("broken-pcap-header-only.pcap", [], FramesBeforeDamage: 0, Frames: 0, StoppedEarly: false),
        new Damage("broken-pcap-linktype-reserved-bits.pcap", ["pcap.linktype_reserved_bits"], FramesBeforeDamage: 0, Frames: 0, StoppedEarly: false),
        new Damage("broken-pcap-major-version-1.pcap", ["pcap.unsupported_version"], FramesBeforeDamage: 0, Frames: 1, StoppedEarly: false),
        new Damage("broken-pcap-nsec-out-of-range.pcap", ["pcap.timestamp_fraction_out_of_range"], FramesBeforeDamage: 1, Frames: 3, StoppedEarly: false),
        new Damage("broken-pcap-usec-out-of-range.pcap", ["pcap.timestamp_fraction_out_of_range"], FramesBeforeDamage: 1, Frames: 3, StoppedEarly: false),
        new Damage("broken-pcapng-cut-mid-block.pcapng", ["pcapng.truncated_block"],
            FramesBeforeDamage: 10, Frames: 10, StoppedEarly: true, IntactTwin: "http-get-post-keepalive.pcapng"),
        new Damage("broken-pcapng-shb-option-too-long.pcapng", ["pcapng.block_length_mismatch", "pcapng.resync_failed"],
            FramesBeforeDamage: 0, Frames: 0, StoppedEarly: true),
        new Damage("broken-pcapng-shb-version-0.1.pcapng", ["pcapng.unsupported_version"], FramesBeforeDamage: 0, Frames: 1, StoppedEarly: false),
        // Frames 60-159 (interface 1) carry timestamps near 2^64 microseconds; and as in the next file, dumpcap 4.0 wrote
        // interface 0's ISB times in microseconds although its if_tsresol is 9 (nanoseconds).
        new Damage("pcapng-comments-ether-sll-nsec.pcapng", ["pcapng.timestamp_out_of_range", "pcapng.isb_microsecond_timestamps"],
            FramesBeforeDamage: 59, Frames: 159, StoppedEarly: false),
        // Not damaged, but a writer quirk worth its anomaly: the ISB after the 10 frames ("Counters provided by dumpcap")
        // says 1499949083573276, microseconds 6 s after the last frame, on an interface whose if_tsresol is 9.
        new Damage("pcapng-vsock-nsec.pcapng", ["pcapng.isb_microsecond_timestamps"], FramesBeforeDamage: 10, Frames: 10, StoppedEarly: false),
    }.ToDictionary(d => d.File, StringComparer.Ordinal);

    // ---------------------------------------------------------------------------------------------------------

    /// <summary>capinfos' encapsulation names (wiretap's short names) and the LINKTYPE values wiretap maps to each.</summary>
    private static readonly Dictionary<string, int[]> Encapsulations = new(StringComparer.Ordinal)
    {
        ["ether"] = [LinkTypes.Ethernet],
        ["null"] = [LinkTypes.Null],
        // wiretap reads LINKTYPE_RAW and the DLT_RAW values BSD (12) and OpenBSD (14) wrote into files as one encapsulation.
        ["rawip"] = [LinkTypes.RawBsd12, LinkTypes.RawBsd14, LinkTypes.Raw],
        ["rawip4"] = [LinkTypes.Ipv4],
        ["rawip6"] = [LinkTypes.Ipv6],
        ["ieee-802-11"] = [LinkTypes.Ieee80211],
        ["ieee-802-11-radiotap"] = [LinkTypes.Ieee80211Radiotap],
        ["ppi"] = [LinkTypes.Ppi],
        ["linux-sll"] = [LinkTypes.LinuxSll],
        ["linux-sll2"] = [LinkTypes.LinuxSll2],
        ["netlink"] = [LinkTypes.Netlink],
        ["nflog"] = [LinkTypes.NetfilterLog],
        ["dbus"] = [LinkTypes.DBus],
        ["vsock"] = [LinkTypes.VsockLinux],
    };

    private static bool EncapsulationAgrees(CapinfosReport capinfos, Observed seen, out string detail)
    {
        string encapsulation = capinfos.Value("File encapsulation");
        var linkTypes = seen.Read.Interfaces.Select(i => i.LinkType).ToList();
        detail = $"capinfos \"{encapsulation}\", reader interfaces [{string.Join(", ", linkTypes)}]";

        // pcapng: the interfaces are the IDBs the independent walker lists, in order.
        if (seen.Read.Format == CaptureFormat.PcapNg)
        {
            var walked = PcapNgBlockWalk.Load(seen.File).Interfaces.Select(i => i.LinkType).ToList();
            detail += $", walked IDBs [{string.Join(", ", walked)}]";
            if (!linkTypes.SequenceEqual(walked))
                return false;
        }
        else if (linkTypes.Count != 1 || linkTypes[0] != PcapHeaderLinkType(SharedCorpus.CapturePath(seen.File)))
        {
            return false;
        }

        switch (encapsulation)
        {
            case "unknown":
                return linkTypes.Count == 0;
            case "per-packet":
                return linkTypes.Distinct().Count() > 1;
            default:
                if (!Encapsulations.TryGetValue(encapsulation, out int[]? types))
                    throw new InvalidDataException($"capinfos encapsulation \"{encapsulation}\" has no LINKTYPE mapping in this test; add it");
                return linkTypes.Count > 0 && linkTypes.All(types.Contains);
        }
    }

    private static void AssertFileTypePrecisionAndSizes(CapinfosReport capinfos, Observed seen)
    {
        string type = capinfos.Value("File type");
        Assert.Equal(type switch
        {
            "pcap" or "nsecpcap" => CaptureFormat.Pcap,
            "pcapng" => CaptureFormat.PcapNg,
            _ => throw new InvalidDataException($"capinfos file type \"{type}\""),
        }, seen.Read.Format);

        var resolutions = seen.Read.Interfaces.Select(i => i.Resolution).Distinct().ToList();
        switch (capinfos.Value("File time precision"))
        {
            case "microseconds":
                Assert.Equal([TimestampResolution.Microseconds], resolutions);
                Assert.NotEqual("nsecpcap", type);
                break;
            case "nanoseconds":
                Assert.Equal([TimestampResolution.Nanoseconds], resolutions);
                break;
            case "per-packet":
                Assert.True(resolutions.Count > 1, $"per-packet precision, but the reader's interfaces all have {string.Join(", ", resolutions)}");
                break;
            case "UNKNOWN":
                Assert.Empty(seen.Read.Interfaces);
                break;
            case var other:
                throw new InvalidDataException($"capinfos time precision \"{other}\"");
        }

        // "Data size" is the sum of the original (on-the-wire) lengths.
        Assert.Equal(long.Parse(capinfos.Value("Data size (bytes)"), CultureInfo.InvariantCulture), seen.Summary.OriginalBytes);
        Assert.Equal(long.Parse(capinfos.Value("File size (bytes)"), CultureInfo.InvariantCulture), new FileInfo(SharedCorpus.CapturePath(seen.File)).Length);
        if (seen.Read.Format == CaptureFormat.Pcap)
            Assert.Equal(capinfos.Value("Packet size limit"), seen.Read.Interfaces[0].SnapLength.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(capinfos.Sections, seen.Read.Sections.Count);
    }

    /// <summary>The summary (what <c>pcapforge info</c> prints) is made of the same frames the reader delivers.</summary>
    private static void AssertSummaryIsMadeOfTheFrames(Observed seen)
    {
        var stamped = seen.Frames.Where(f => f.Info.HasTimestamp).Select(f => f.Info.TimestampNs).ToList();
        Assert.Equal(seen.Frames.Count, seen.Summary.Frames);
        Assert.Equal(stamped.Count == 0 ? null : stamped.Min(), seen.Summary.FirstTimestampNs);
        Assert.Equal(stamped.Count == 0 ? null : stamped.Max(), seen.Summary.LastTimestampNs);
        Assert.Equal(seen.Frames.Count - stamped.Count, seen.Summary.FramesWithoutTimestamp);
        Assert.Equal(seen.Frames.Sum(f => f.Info.OriginalLength), seen.Summary.OriginalBytes);
        Assert.Equal(seen.Frames.Sum(f => (long)f.Info.CapturedLength), seen.Summary.CapturedBytes);
        Assert.Equal(seen.Read.StoppedEarly, seen.Summary.StoppedEarly);
        Assert.Equal(seen.Read.AnomalyNames, seen.Summary.Anomalies.Kept.Select(a => a.Name));
        Assert.Equal(seen.Read.Interfaces.Count, seen.Summary.Interfaces.Count);
    }

    private static int PcapHeaderLinkType(string path)
    {
        byte[] header = new byte[24];
        using (var s = File.OpenRead(path))
            s.ReadExactly(header);
        bool bigEndian = BinaryPrimitives.ReadUInt32LittleEndian(header) is 0xD4C3B2A1 or 0x4D3CB2A1;
        uint field = bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(20)) : BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(20));
        return (int)(field & 0xFFFF);
    }

    private static void AssertTimes(Observed seen, params string[] times) =>
        Assert.Equal(times.Select(t => (long?)Ns(t)), seen.Frames.Select(f => f.Info.HasTimestamp ? f.Info.TimestampNs : (long?)null));

    /// <summary>A time written as capinfos prints it, in nanoseconds.</summary>
    private static long Ns(string capinfosTime) =>
        (long)(CapinfosTime.Parse(capinfosTime).Nanoseconds ?? throw new ArgumentException($"not a time: {capinfosTime}"));

    private static string Show(long? ns) => ns is long v ? Timestamps.ToIso8601(v) : "none";
}

/// <summary>What differs from capinfos.</summary>
[Flags]
internal enum Fields
{
    None = 0,

    /// <summary>capinfos printed an error and no values for the file.</summary>
    Refused = 1,
    Packets = 2,
    Start = 4,
    End = 8,
    LinkTypes = 16,
}

/// <summary>A known divergence from capinfos (or, with <see cref="Fields.None"/>, an agreement worth explaining).</summary>
internal sealed record Divergence(Fields Fields, string Capinfos, string Reader, string Why, Action<Observed> AssertReader);

/// <summary>A damaged capture: what it must yield.</summary>
/// <param name="File">Capture file name.</param>
/// <param name="Anomalies">The distinct anomaly names it must yield, exactly.</param>
/// <param name="FramesBeforeDamage">Frames before the first damaged record or block: all must be delivered intact.</param>
/// <param name="Frames">Frames delivered in all.</param>
/// <param name="StoppedEarly">Whether the damage stops reading.</param>
/// <param name="IntactTwin">The undamaged capture the file was made from, when there is one.</param>
/// <param name="TwinDataDiffersAt">Frame numbers (1-based) whose bytes differ from the twin's by construction: the damage is inside them.</param>
internal sealed record Damage(string File, string[] Anomalies, int FramesBeforeDamage, int Frames, bool StoppedEarly,
    string? IntactTwin = null, int[]? TwinDataDiffersAt = null);

/// <summary>
/// A capture's file name as theory data. xunit cuts string arguments in test names to 50 characters; this prints the
/// whole name, so every case of a theory shows its file.
/// </summary>
public sealed class CaptureFile : IXunitSerializable
{
    /// <summary>For the deserializer.</summary>
    public CaptureFile() => Name = "";

    public CaptureFile(string name) => Name = name;

    public string Name { get; private set; }

    public void Deserialize(IXunitSerializationInfo info) => Name = info.GetValue<string>(nameof(Name));

    public void Serialize(IXunitSerializationInfo info) => info.AddValue(nameof(Name), Name);

    public override string ToString() => Name;
}

/// <summary>Paths into ../shared/pcaps.</summary>
internal static class SharedCorpus
{
    public static string Folder => TestData.SharedPcaps ?? throw new InvalidOperationException(TestData.SharedMissing);

    public static string CapturePath(string file) => Path.Combine(Folder, file);

    public static string ExpectedPath(string file, string suffix) => Path.Combine(Folder, "expected", file + suffix);

    /// <summary>Capture file names in the folder, in name order; none when the folder is absent.</summary>
    public static IEnumerable<string> CaptureFiles() =>
        TestData.SharedPcaps is { } dir ? TestData.Captures(dir).Select(p => Path.GetFileName(p)) : [];
}

/// <summary>One capture as this reader sees it: every frame, and the summary.</summary>
internal sealed class Observed
{
    private Observed(string file, ReadResult read, CaptureSummary summary)
    {
        File = file;
        Read = read;
        Summary = summary;
    }

    public string File { get; }
    public ReadResult Read { get; }
    public CaptureSummary Summary { get; }
    public List<(FrameInfo Info, byte[] Data)> Frames => Read.Frames;

    public static Observed Of(string file)
    {
        string path = SharedCorpus.CapturePath(file);
        return new Observed(file, ReadResult.Of(path), CaptureSummary.Read(path, maxAnomalies: 10_000));
    }
}

/// <summary>A parsed <c>capinfos -M -T</c> output: error messages, then a header line and (unless it refused) a value line.</summary>
internal sealed class CapinfosReport
{
    private static readonly Regex ErrorAfter = new(@"An error occurred after reading (\d+) packets", RegexOptions.CultureInvariant);

    private const int SectionColumns = 4;

    private CapinfosReport(IReadOnlyList<string> messages, IReadOnlyDictionary<string, string>? values, int sections)
    {
        Messages = messages;
        Values = values;
        Sections = sections;
    }

    /// <summary>Number of sections capinfos printed per-section values for (1 for classic pcap).</summary>
    public int Sections { get; }

    public IReadOnlyList<string> Messages { get; }
    public IReadOnlyDictionary<string, string>? Values { get; }
    public bool Refused => Values is null;

    public long Packets => long.Parse(Value("Number of packets"), CultureInfo.InvariantCulture);
    public CapinfosTime Start => CapinfosTime.Parse(Value("Start time"));
    public CapinfosTime End => CapinfosTime.Parse(Value("End time"));

    /// <summary>From "An error occurred after reading N packets": how far capinfos got before the damage.</summary>
    public int? PacketsBeforeError => Messages.Select(m => ErrorAfter.Match(m)).Where(m => m.Success)
        .Select(m => (int?)int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).FirstOrDefault();

    public string Value(string column) =>
        Values is null ? throw new InvalidOperationException("capinfos printed no values") :
        Values.TryGetValue(column, out string? v) ? v : throw new KeyNotFoundException($"no capinfos column \"{column}\"");

    public static CapinfosReport Load(string file)
    {
        string[] lines = File.ReadAllLines(SharedCorpus.ExpectedPath(file, ".capinfos.txt"));
        int header = Array.FindIndex(lines, l => l.StartsWith("File name\t", StringComparison.Ordinal));
        if (header < 0)
            throw new InvalidDataException($"{file}.capinfos.txt has no header line");
        var messages = lines[..header].Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        string[] columns = lines[header].Split('\t');
        Dictionary<string, string>? values = null;
        int sections = 0;
        if (header + 1 < lines.Length && lines[header + 1].Length > 0)
        {
            // The last four columns (capture hardware, OS, application, comment) are per section: a file of n
            // sections has n - 1 more groups of four values after them.
            string[] cells = lines[header + 1].Split('\t');
            if (cells.Length < columns.Length || (cells.Length - columns.Length) % SectionColumns != 0)
                throw new InvalidDataException($"{file}.capinfos.txt: {columns.Length} columns but {cells.Length} values");
            values = columns.Zip(cells).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal);
            sections = 1 + (cells.Length - columns.Length) / SectionColumns;
        }

        return new CapinfosReport(messages, values, sections);
    }
}

/// <summary>
/// A time as capinfos prints it: UTC, <c>yyyy-mm-dd hh:mm:ss.fraction</c> with 6 fraction digits for a microsecond
/// packet and 9 for a nanosecond one, so the printed value is exact. "n/a" means no time; a fraction of any other
/// shape (capinfos prints out-of-range fields as they are: <c>.1000000</c>, <c>.-2147483648</c>) is not a time.
/// Converted with integer arithmetic, for any year.
/// </summary>
internal readonly record struct CapinfosTime(string Text, BigInteger? Nanoseconds)
{
    private static readonly Regex Shape = new(@"^(\d+)-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(-?\d+)$", RegexOptions.CultureInvariant);

    public bool NotApplicable => Text == "n/a";

    /// <summary>True when capinfos printed this very time, or n/a where the reader has none.</summary>
    public bool Matches(long? readerNs) => readerNs is long ns ? Nanoseconds == ns : NotApplicable;

    public static CapinfosTime Parse(string text)
    {
        if (text == "n/a")
            return new CapinfosTime(text, null);
        var m = Shape.Match(text);
        if (!m.Success)
            throw new FormatException($"not a capinfos time: \"{text}\"");
        string fraction = m.Groups[7].Value;
        if (fraction.Length is not (6 or 9) || fraction[0] == '-')
            return new CapinfosTime(text, null);

        long Part(int i) => long.Parse(m.Groups[i].Value, CultureInfo.InvariantCulture);
        BigInteger seconds = (BigInteger)DaysFromCivil(Part(1), Part(2), Part(3)) * 86_400 + Part(4) * 3600 + Part(5) * 60 + Part(6);
        long subsecond = long.Parse(fraction, CultureInfo.InvariantCulture) * (fraction.Length == 6 ? 1000 : 1);
        return new CapinfosTime(text, seconds * 1_000_000_000 + subsecond);
    }

    /// <summary>Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).</summary>
    private static long DaysFromCivil(long year, long month, long day)
    {
        year -= month <= 2 ? 1 : 0;
        long era = (year >= 0 ? year : year - 399) / 400;
        long yearOfEra = year - era * 400;
        long dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
        long dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
        return era * 146_097 + dayOfEra - 719_468;
    }
}

/// <summary>A classic pcap record found by <see cref="PcapRecordWalk"/>.</summary>
internal sealed record PcapRecord(long Offset, long TimestampNs, int CapLen, long OrigLen, byte[] Data);

/// <summary>
/// A minimal walk of a classic pcap file, independent of the reader: records one after the other, up to the first
/// header cut short, data cut short, or caplen above 262144 (wiretap's limit, where capinfos stops too).
/// </summary>
internal static class PcapRecordWalk
{
    public static List<PcapRecord> Read(string path)
    {
        byte[] b = File.ReadAllBytes(path);
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(b);
        bool bigEndian = magic is 0xD4C3B2A1 or 0x4D3CB2A1;
        bool nanos = magic is 0xA1B23C4D or 0x4D3CB2A1;
        uint U32(int at) => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(at)) : BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at));

        var records = new List<PcapRecord>();
        int pos = 24;
        while (pos + 16 <= b.Length)
        {
            uint capLen = U32(pos + 8);
            if (capLen > 262_144 || pos + 16 + capLen > b.Length)
                break;
            long ns = U32(pos) * 1_000_000_000L + U32(pos + 4) * (nanos ? 1L : 1000L);
            records.Add(new PcapRecord(pos, ns, (int)capLen, U32(pos + 12), b.AsSpan(pos + 16, (int)capLen).ToArray()));
            pos += 16 + (int)capLen;
        }

        return records;
    }
}
