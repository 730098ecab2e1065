using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using PcapForge.Abstractions;
using PcapForge.TestSupport;

namespace PcapForge.Capture.Tests;

/// <summary>
/// Block-level conformance: every pcapng file of ../shared/pcaps against <c>expected/*.pcapng-blocks.txt</c>, the block
/// sequence listed by a minimal walker written independently of this reader (offset, section, byte order, type,
/// length; IDB link type, snaplen and if_tsresol; EPB interface, raw timestamp, caplen, origlen; SPB origlen).
/// Each EPB and SPB must come out as exactly one frame, with the interface, lengths and a timestamp computed here
/// from ts_raw and the IDB's if_tsresol; each IDB as one interface; each SHB as one section. Custom Blocks are not
/// frames (tshark 4.0 lists them as frames, capinfos and this reader do not).
/// </summary>
public class PcapNgBlocksConformanceTests
{
    public static TheoryData<CaptureFile> WalkedCaptures()
    {
        var data = new TheoryData<CaptureFile>();
        foreach (string file in PcapNgBlockWalk.WalkedFiles())
            data.Add(new CaptureFile(file));
        return data;
    }

    [SharedPcapsTheory]
    [MemberData(nameof(WalkedCaptures))]
    public void EveryBlockIsReadAsTheIndependentWalkerListedIt(CaptureFile capture)
    {
        string file = capture.Name;
        var walk = PcapNgBlockWalk.Load(file);
        var read = ReadResult.Of(SharedCorpus.CapturePath(file));

        // Sections: one per well-framed SHB, in file order, with its byte order and version.
        var shbs = walk.Blocks.Where(b => b.Kind == "SHB" && !b.Damaged).ToList();
        Assert.Equal(shbs.Count, read.Sections.Count);
        for (int i = 0; i < shbs.Count; i++)
        {
            var (major, minor) = shbs[i].Version;
            SectionInfo section = read.Sections[i];
            Assert.Equal(i, section.Index);
            Assert.Equal(shbs[i].Offset, section.FileOffset);
            Assert.Equal(shbs[i].BigEndian ? ByteOrder.BigEndian : ByteOrder.LittleEndian, section.ByteOrder);
            Assert.Equal((major, minor), (section.MajorVersion, section.MinorVersion));
        }

        // Interfaces: one per IDB, numbered across sections, ids restarting in each section.
        var idbs = walk.Interfaces;
        Assert.Equal(idbs.Count, read.Interfaces.Count);
        for (int i = 0; i < idbs.Count; i++)
        {
            var expected = idbs[i];
            InterfaceInfo actual = read.Interfaces[i];
            string where = $"IDB at offset {expected.Offset}";
            Assert.True(expected.Offset == actual.FileOffset, $"{where}: reader's interface {i} is at offset {actual.FileOffset}");
            Assert.True(expected.Section == actual.Section, $"{where}: section {expected.Section}, reader says {actual.Section}");
            Assert.True(expected.Id == actual.Id, $"{where}: if_id {expected.Id}, reader says {actual.Id}");
            Assert.True(expected.LinkType == actual.LinkType, $"{where}: link type {expected.LinkType}, reader says {actual.LinkType}");
            Assert.True(expected.SnapLength == actual.SnapLength, $"{where}: snaplen {expected.SnapLength}, reader says {actual.SnapLength}");
            Assert.True(TimestampResolution.FromTsResolByte(expected.TsResol) == actual.Resolution,
                $"{where}: if_tsresol 0x{expected.TsResol:x2}, reader says {actual.Resolution}");
            Assert.True(expected.TsResolExplicit == actual.ResolutionExplicit, $"{where}: if_tsresol present {expected.TsResolExplicit}, reader says {actual.ResolutionExplicit}");
        }

        // Frames: one per EPB/SPB, in block order.
        var frames = walk.Frames;
        Assert.True(frames.Count == read.Frames.Count,
            $"{file}: the walker lists {frames.Count} EPB/SPB, the reader gave {read.Frames.Count} frames");
        byte[] bytes = File.ReadAllBytes(SharedCorpus.CapturePath(file));
        for (int i = 0; i < frames.Count; i++)
        {
            AssertFrame(frames[i], read.Frames[i].Info, i + 1, read.Frames[i].Data.Length);

            // The frame's bytes are the block's packet data: after 28 bytes of EPB header, or 12 of SPB header.
            long dataOffset = frames[i].Offset + (frames[i].Kind == "EPB" ? 28 : 12);
            Assert.Equal(dataOffset, read.Frames[i].Info.DataOffset);
            Assert.True(bytes.AsSpan((int)dataOffset, frames[i].CapLen).SequenceEqual(read.Frames[i].Data), $"frame {i + 1}: data differs from the file's bytes at {dataOffset}");
        }

        // Block counts kept per section: Custom Blocks, Decryption Secrets Blocks, blocks of types the reader skips.
        for (int s = 0; s < shbs.Count; s++)
        {
            var inSection = walk.Blocks.Where(b => b.Section == s && !b.Damaged).ToList();
            Assert.Equal(inSection.Count(b => b.Kind is "CB" or "DCB"), read.Sections[s].CustomBlocks);
            Assert.Equal(inSection.Count(b => b.Kind == "DSB"), read.Sections[s].DecryptionSecrets.Count);
            Assert.Equal(inSection.Count(b => !PcapNgBlockWalk.InterpretedKinds.Contains(b.Kind)), read.Sections[s].UnknownBlocks);
        }

        // Interface Statistics Blocks land on the interface they name (the last one wins), with their times.
        var statistics = walk.ExpectedStatistics(bytes);
        for (int i = 0; i < read.Interfaces.Count; i++)
        {
            InterfaceStatistics? actual = read.Interfaces[i].Statistics;
            if (!statistics.TryGetValue(i, out var expected))
            {
                Assert.Null(actual);
                continue;
            }

            Assert.NotNull(actual);
            Assert.True((expected.TimestampNs, expected.StartNs, expected.EndNs) == (actual.TimestampNs, actual.StartTimeNs, actual.EndTimeNs),
                $"interface {i}: ISB times {expected} ({(expected.Microseconds ? "microseconds, as dumpcap 4.0 writes them" : "interface units")}), " +
                $"reader says {actual.TimestampNs}, {actual.StartTimeNs}, {actual.EndTimeNs}");
        }

        // Anomalies: exactly those the walked damage (and the dumpcap ISB quirk) call for.
        var expectedAnomalies = walk.ExpectedAnomalies().ToHashSet(StringComparer.Ordinal);
        if (statistics.Values.Any(s => s.Microseconds))
            expectedAnomalies.Add("pcapng.isb_microsecond_timestamps");
        Assert.Equal(expectedAnomalies.Order(StringComparer.Ordinal), read.AnomalyNames.Distinct().Order(StringComparer.Ordinal));
        var outOfRange = frames.Select((f, i) => (f, Number: (long)i + 1)).Where(p => p.f.TimestampOutOfRange).Select(p => (long?)p.Number);
        Assert.Equal(outOfRange, read.Anomalies.Where(a => a.Name == "pcapng.timestamp_out_of_range").Select(a => a.Frame));
        Assert.Equal(walk.Blocks.Any(b => b.Truncated), read.StoppedEarly && read.AnomalyNames.Contains("pcapng.truncated_block"));
    }

    [SharedPcapsFact]
    public void EveryPcapNgCaptureHasABlockListing()
    {
        // Files are pcapng by content, not by name: two pcapng files here are called .pcap.
        var pcapng = SharedCorpus.CaptureFiles().Where(f =>
        {
            using var s = File.OpenRead(SharedCorpus.CapturePath(f));
            Span<byte> magic = stackalloc byte[4];
            return s.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4 && magic.SequenceEqual(new byte[] { 0x0A, 0x0D, 0x0D, 0x0A });
        });
        Assert.Equal(pcapng.Order(StringComparer.Ordinal), PcapNgBlockWalk.WalkedFiles().Order(StringComparer.Ordinal));
    }

    private static void AssertFrame(WalkedFrame expected, FrameInfo actual, long number, int dataLength)
    {
        string where = $"frame {number} ({expected.Kind} at offset {expected.Offset})";
        Assert.True(expected.Offset == actual.FileOffset, $"{where}: reader's frame {number} is at offset {actual.FileOffset}");
        Assert.Equal(number, actual.Number);
        Assert.True(expected.Interface.Section == actual.Section, $"{where}: section {expected.Interface.Section}, reader says {actual.Section}");
        Assert.True(expected.Interface.Id == actual.InterfaceId, $"{where}: if_id {expected.Interface.Id}, reader says {actual.InterfaceId}");
        Assert.True(expected.Interface.Index == actual.InterfaceIndex, $"{where}: interface index {expected.Interface.Index}, reader says {actual.InterfaceIndex}");
        Assert.True(expected.Interface.LinkType == actual.LinkType, $"{where}: link type {expected.Interface.LinkType}, reader says {actual.LinkType}");
        Assert.True(expected.CapLen == actual.CapturedLength, $"{where}: caplen {expected.CapLen}, reader says {actual.CapturedLength}");
        Assert.Equal(actual.CapturedLength, dataLength);
        Assert.True(expected.OrigLen == actual.OriginalLength, $"{where}: origlen {expected.OrigLen}, reader says {actual.OriginalLength}");
        Assert.True(expected.TimestampNs.HasValue == actual.HasTimestamp,
            $"{where}: {(expected.TimestampNs.HasValue ? "has a timestamp" : expected.TimestampOutOfRange ? "timestamp does not fit in 64-bit nanoseconds" : "SPB: no timestamp")}, reader says HasTimestamp={actual.HasTimestamp}");
        if (expected.TimestampNs is long ns)
        {
            Assert.True(ns == actual.TimestampNs,
                $"{where}: ts_raw {expected.RawTimestamp} at if_tsresol 0x{expected.Interface.TsResol:x2} is {Timestamps.ToIso8601(ns)}, reader says {Timestamps.ToIso8601(actual.TimestampNs)}");
        }
    }
}

/// <summary>One line of a <c>*.pcapng-blocks.txt</c> listing.</summary>
internal sealed record WalkedBlock(long Offset, int Section, bool BigEndian, string Kind, uint Type, uint Length, string Detail)
{
    /// <summary>The walker found the file ending inside the block.</summary>
    public bool Truncated => Detail.StartsWith("TRUNCATED", StringComparison.Ordinal);

    /// <summary>The block's trailing length disagrees with its leading one.</summary>
    public bool TrailerMismatch => Detail.Contains("TRAILING_LEN_MISMATCH", StringComparison.Ordinal);

    public bool Damaged => Truncated || TrailerMismatch;

    /// <summary>The token after <paramref name="name"/> in the detail column.</summary>
    public string Field(string name)
    {
        string[] tokens = Detail.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int i = Array.IndexOf(tokens, name);
        return i >= 0 && i + 1 < tokens.Length ? tokens[i + 1] : throw new InvalidDataException($"block at {Offset}: no '{name}' in \"{Detail}\"");
    }

    public ulong Number(string name) => ulong.Parse(Field(name), CultureInfo.InvariantCulture);

    public int InterfaceId => (int)Number("if_id");

    public (int Major, int Minor) Version
    {
        get
        {
            string[] v = Field("version").Split('.');
            return (int.Parse(v[0], CultureInfo.InvariantCulture), int.Parse(v[1], CultureInfo.InvariantCulture));
        }
    }
}

/// <summary>An IDB as the walker listed it, with its index across the file.</summary>
internal sealed record WalkedInterface(int Index, int Section, int Id, long Offset, int LinkType, uint SnapLength, byte TsResol, bool TsResolExplicit);

/// <summary>The times of an interface's last ISB, and whether they are in microseconds despite the interface's resolution.</summary>
internal sealed record ExpectedStatistics(long? TimestampNs, long? StartNs, long? EndNs, bool Microseconds);

/// <summary>A frame the walker's EPB or SPB calls for, with the timestamp computed here.</summary>
internal sealed record WalkedFrame(string Kind, long Offset, WalkedInterface Interface, int CapLen, long OrigLen, ulong? RawTimestamp, long? TimestampNs)
{
    /// <summary>An EPB whose timestamp is past what 64-bit nanoseconds since 1970 can hold (the year 2262).</summary>
    public bool TimestampOutOfRange => RawTimestamp is not null && TimestampNs is null;
}

/// <summary>A parsed <c>*.pcapng-blocks.txt</c>, and what a reader should make of it.</summary>
internal sealed class PcapNgBlockWalk
{
    private const string Suffix = ".pcapng-blocks.txt";

    /// <summary>Block kinds the reader interprets; any other kind is counted as unknown.</summary>
    public static readonly HashSet<string> InterpretedKinds = ["SHB", "IDB", "PB", "SPB", "NRB", "ISB", "EPB", "DSB", "CB", "DCB"];

    private PcapNgBlockWalk(string file, List<WalkedBlock> blocks)
    {
        File = file;
        Blocks = blocks;
        var interfaces = new List<WalkedInterface>();
        var frames = new List<WalkedFrame>();
        foreach (var b in blocks.Where(b => !b.Damaged))
        {
            switch (b.Kind)
            {
                case "IDB":
                    string resol = b.Field("if_tsresol");
                    bool explicitResol = !resol.StartsWith("default", StringComparison.Ordinal);
                    byte tsresol = explicitResol ? byte.Parse(resol.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture) : (byte)6;
                    int id = interfaces.Count(i => i.Section == b.Section);
                    Assert.True(id == b.InterfaceId, $"{file}: IDB at {b.Offset} is listed as if_id {b.InterfaceId}, but it is the section's IDB number {id}");
                    interfaces.Add(new WalkedInterface(interfaces.Count, b.Section, id, b.Offset, (int)b.Number("linktype"), (uint)b.Number("snaplen"), tsresol, explicitResol));
                    break;
                case "EPB":
                {
                    var iface = Find(interfaces, b.Section, b.InterfaceId);
                    ulong raw = b.Number("ts_raw");
                    frames.Add(new WalkedFrame("EPB", b.Offset, iface, (int)b.Number("caplen"), (long)b.Number("origlen"), raw, ToNanoseconds(raw, iface.TsResol)));
                    break;
                }
                case "SPB":
                {
                    // Section 4.4: the captured length is the original length cut to interface 0's snaplen (when set);
                    // the block's data area, padded to 4 bytes, holds at least that much.
                    var iface = Find(interfaces, b.Section, 0);
                    long orig = (long)b.Number("origlen");
                    long cap = Math.Min(orig, (long)b.Number("data_bytes"));
                    if (iface.SnapLength != 0)
                        cap = Math.Min(cap, iface.SnapLength);
                    frames.Add(new WalkedFrame("SPB", b.Offset, iface, (int)cap, orig, null, null));
                    break;
                }
                case "PB":
                    throw new InvalidDataException($"{file}: obsolete Packet Block at {b.Offset}; this listing's PB format is not known to the test");
            }
        }

        Interfaces = interfaces;
        Frames = frames;
    }

    public string File { get; }
    public IReadOnlyList<WalkedBlock> Blocks { get; }
    public IReadOnlyList<WalkedInterface> Interfaces { get; }
    public IReadOnlyList<WalkedFrame> Frames { get; }

    public WalkedInterface InterfaceOf(int section, int id) => Find(Interfaces, section, id);

    /// <summary>Capture file names that have a block listing.</summary>
    public static IEnumerable<string> WalkedFiles()
    {
        if (TestData.SharedPcaps is not { } dir)
            return [];
        return Directory.GetFiles(Path.Combine(dir, "expected"), "*" + Suffix)
            .Select(p => Path.GetFileName(p)[..^Suffix.Length])
            .Order(StringComparer.Ordinal);
    }

    public static PcapNgBlockWalk Load(string file)
    {
        var blocks = new List<WalkedBlock>();
        foreach (string line in System.IO.File.ReadLines(SharedCorpus.ExpectedPath(file, Suffix)))
        {
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            string[] c = line.Split('\t');
            if (c.Length != 7)
                throw new InvalidDataException($"{file}: expected 7 tab-separated columns in \"{line}\"");
            blocks.Add(new WalkedBlock(
                long.Parse(c[0], CultureInfo.InvariantCulture),
                int.Parse(c[1], CultureInfo.InvariantCulture),
                c[2] switch { "LE" => false, "BE" => true, _ => throw new InvalidDataException($"byte order '{c[2]}'") },
                c[3],
                uint.Parse(c[4].AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                uint.Parse(c[5], CultureInfo.InvariantCulture),
                c[6]));
        }

        return new PcapNgBlockWalk(file, blocks);
    }

    /// <summary>
    /// The anomaly names the listed damage calls for: a cut block (pcapng.truncated_block), a trailing length that
    /// disagrees (pcapng.block_length_mismatch, then pcapng.resynchronized or, with no well-framed block after it,
    /// pcapng.resync_failed), an SHB version other than 1.0/1.2, and EPB timestamps past 64-bit nanoseconds.
    /// </summary>
    public IEnumerable<string> ExpectedAnomalies()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < Blocks.Count; i++)
        {
            var b = Blocks[i];
            if (b.Truncated)
                names.Add("pcapng.truncated_block");
            if (b.TrailerMismatch)
            {
                names.Add("pcapng.block_length_mismatch");
                names.Add(Blocks.Skip(i + 1).Any(n => !n.Damaged) ? "pcapng.resynchronized" : "pcapng.resync_failed");
            }

            if (b.Kind == "SHB" && !b.Damaged && b.Version is not ((1, 0) or (1, 2)))
                names.Add("pcapng.unsupported_version");
        }

        if (Frames.Any(f => f.TimestampOutOfRange))
            names.Add("pcapng.timestamp_out_of_range");
        return names;
    }

    /// <summary>
    /// What the last well-framed ISB of each interface (by index) says, read from the file's bytes (the listing gives
    /// only the interface id): its timestamp and isb_starttime/isb_endtime, in nanoseconds. dumpcap 4.0 writes these
    /// in microseconds whatever if_tsresol says: where the ISB time, read in the interface's units, is more than a year
    /// from the interface's last frame before it, but read in microseconds is within a day of it, it is microseconds.
    /// </summary>
    public Dictionary<int, ExpectedStatistics> ExpectedStatistics(byte[] file)
    {
        const long Day = 86_400L * 1_000_000_000;
        var lastFrame = new Dictionary<int, long>();
        var byOffset = Frames.ToDictionary(f => f.Offset);
        var result = new Dictionary<int, ExpectedStatistics>();
        foreach (var b in Blocks.Where(b => !b.Damaged))
        {
            if (b.Kind == "EPB" && byOffset[b.Offset] is { TimestampNs: long frameNs } frame)
                lastFrame[frame.Interface.Index] = frameNs;
            if (b.Kind != "ISB")
                continue;

            var iface = InterfaceOf(b.Section, b.InterfaceId);
            uint U32(long at) => b.BigEndian ? BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan((int)at)) : BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan((int)at));
            ushort U16(long at) => b.BigEndian ? BinaryPrimitives.ReadUInt16BigEndian(file.AsSpan((int)at)) : BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan((int)at));
            ulong HighLow(long at) => ((ulong)U32(at) << 32) | U32(at + 4);

            ulong raw = HighLow(b.Offset + 12);
            bool micro = iface.TsResol is not 6 && (iface.TsResol & 0x80) == 0 && lastFrame.TryGetValue(iface.Index, out long last)
                         && !(ToNanoseconds(raw, iface.TsResol) is long asInterface && Math.Abs(asInterface - last) < 365 * Day)
                         && ToNanoseconds(raw, 6) is long asMicro && Math.Abs(asMicro - last) < Day;
            byte resol = micro ? (byte)6 : iface.TsResol;

            long? start = null, end = null;
            long end_ = b.Offset + b.Length - 4;
            for (long at = b.Offset + 20; at + 4 <= end_;)
            {
                ushort code = U16(at), length = U16(at + 2);
                if (code == 0 || at + 4 + length > end_)
                    break;
                if (code == 2 && length == 8)
                    start = ToNanoseconds(HighLow(at + 4), resol);
                if (code == 3 && length == 8)
                    end = ToNanoseconds(HighLow(at + 4), resol);
                at += 4 + ((length + 3) & ~3);
            }

            result[iface.Index] = new ExpectedStatistics(ToNanoseconds(raw, resol), start, end, micro);
        }

        return result;
    }

    /// <summary>
    /// ts_raw units to nanoseconds since 1970, exactly (truncated toward zero below a nanosecond); null when the
    /// result does not fit in a signed 64-bit nanosecond count.
    /// </summary>
    public static long? ToNanoseconds(ulong raw, byte tsresol)
    {
        int exponent = tsresol & 0x7F;
        BigInteger unitsPerSecond = (tsresol & 0x80) != 0 ? BigInteger.One << exponent : BigInteger.Pow(10, exponent);
        BigInteger ns = (BigInteger)raw * 1_000_000_000 / unitsPerSecond;
        return ns <= long.MaxValue ? (long)ns : null;
    }

    private static WalkedInterface Find(IReadOnlyList<WalkedInterface> interfaces, int section, int id) =>
        interfaces.SingleOrDefault(i => i.Section == section && i.Id == id)
        ?? throw new InvalidDataException($"no IDB with if_id {id} in section {section}");
}
