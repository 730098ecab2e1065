using PcapForge.Abstractions.Records;

namespace PcapForge.Output.Tests;

/// <summary>The dataset writer, read back with DuckDB: values, types, layout, temporary files, refusals.</summary>
public class DatasetWriterTests
{
    /// <summary>Every column type; a list before a timestamp, so the footer rewrite must count the list's three schema elements.</summary>
    private static readonly RecordTableDescriptor AllTypes = new("flows", "Every column type",
    [
        new("ts", ColumnType.Timestamp, "a timestamp"),
        new("tags", ColumnType.StringList, "a list"),
        new("last_ts", ColumnType.Timestamp, "another timestamp, after the list"),
        new("n32", ColumnType.Int32, "int"),
        new("n64", ColumnType.Int64, "long"),
        new("x", ColumnType.Double, "double"),
        new("s", ColumnType.String, "string"),
        new("b", ColumnType.Boolean, "bool"),
    ]);

    private static readonly RecordTableDescriptor Packets = new("packets", "Frames",
    [
        new("ts", ColumnType.Timestamp, "time"),
        new("frame", ColumnType.Int64, "number"),
    ]);

    private static readonly RecordTableDescriptor Captures = new("captures", "Inputs, no ts column",
    [
        new("capture_id", ColumnType.String, "id"),
        new("first_ts", ColumnType.Timestamp, "first"),
    ]);

    /// <summary>2023-11-14T22:13:20.123456789Z: the last three digits are lost by anything that goes through DateTime or microseconds.</summary>
    private const long Nanos = 1_700_000_000_123_456_789;

    private static readonly object?[][] AllTypesRows =
    [
        [Nanos, new[] { "a", "b" }, -1L, -7, 5, 0.1, "héllo, \"world\"", true],
        [null, null, null, null, null, null, null, null],
        [0L, new List<string> { "", null!, "z" }, 4_102_444_800_000_000_001, int.MaxValue, long.MinValue, -1.5e300, "", false],
        [1L, Array.Empty<string>(), Nanos, int.MinValue, long.MaxValue, double.NaN, "\t\n", null],
    ];

    /// <summary><see cref="AllTypesRows"/> as DuckDB reads them back (<see cref="ReadAllTypes"/>).</summary>
    private static readonly string[] AllTypesShown =
    [
        "1700000000123456789 | [a, b] | -1 | -7 | 5 | 0.1 | héllo, \"world\" | True",
        "NULL | NULL | NULL | NULL | NULL | NULL | NULL | NULL",
        "0 | [, NULL, z] | 4102444800000000001 | 2147483647 | -9223372036854775808 | -1.5E+300 |  | False",
        "1 | [] | 1700000000123456789 | -2147483648 | 9223372036854775807 | NaN | \t\n | NULL",
    ];

    private static List<string> ReadAllTypes(string path) =>
        Duck.Rows($"SELECT epoch_ns(ts), tags, epoch_ns(last_ts), n32, n64, x, s, b FROM read_parquet('{path}')")
            .Select(r => string.Join(" | ", r.Select(Duck.Show))).ToList();

    private static IReadOnlyList<string> WriteAllTypes(string outPath)
    {
        using var writer = DatasetWriter.Create(new DatasetOptions(outPath), [AllTypes]);
        var table = writer.Table("flows");
        foreach (var row in AllTypesRows)
            table.Append(row);
        Assert.Equal(AllTypesRows.Length, table.Rows);
        return writer.Complete();
    }

    [Fact]
    public void EveryColumnTypeReadsBackFromDuckDbWithItsValuesAndNulls()
    {
        using var dir = new TempDirectory();
        string path = dir["all.parquet"];
        Assert.Equal([path], WriteAllTypes(path));

        Assert.Equal(AllTypesShown, ReadAllTypes(path));
        Assert.Equal("2023-11-14 22:13:20.123456789", Duck.Scalar($"SELECT ts::VARCHAR FROM read_parquet('{path}') LIMIT 1"));
    }

    /// <summary>
    /// Strings and string lists are copied into growing character chunks that are reused from one row group to the next
    /// (ColumnBuffers.CharArena): every value must come back as written across chunk boundaries, several row groups,
    /// nulls, empty strings and values too long for a chunk.
    /// </summary>
    [Fact]
    public void StringsComeBackWhole_AcrossCharacterChunksAndRowGroups()
    {
        var table = new RecordTableDescriptor("flows", "Strings of every length (the flows table: the file at the --out path)",
        [
            new("n", ColumnType.Int64, "row"),
            new("s", ColumnType.String, "a string"),
            new("l", ColumnType.StringList, "a list"),
        ]);
        static string? Value(int i) => i % 7 == 3 ? null
            : i % 1000 == 999 ? new string((char)('a' + i % 26), 70_000 + i)
            : i % 11 == 5 ? ""
            : $"v{i}-" + new string((char)('A' + i % 26), i % 300);
        const int rows = 6000;
        using var dir = new TempDirectory();
        string path = dir["s.parquet"];
        using (var writer = DatasetWriter.Create(new DatasetOptions(path, RowGroupRows: 2500), [table]))
        {
            for (int i = 0; i < rows; i++)
                writer.Table("flows").Append([(long)i, Value(i), i % 5 == 0 ? null : new[] { Value(i + 1), "x", Value(i + 2) }]);
            writer.Complete();
        }

        var back = Duck.Rows($"SELECT n, s, l FROM read_parquet('{path}') ORDER BY n");
        Assert.Equal(rows, back.Count);
        for (int i = 0; i < rows; i++)
        {
            Assert.Equal(Value(i), back[i][1] as string);
            if (i % 5 == 0)
                Assert.Null(back[i][2]);
            else
                Assert.Equal(new[] { Value(i + 1), "x", Value(i + 2) }, ((System.Collections.IEnumerable)back[i][2]!).Cast<object?>().Select(o => o as string));
        }

        Assert.Equal(3L, Convert.ToInt64(Duck.Scalar($"SELECT count(DISTINCT row_group_id) FROM parquet_metadata('{path}')")));
    }

    /// <summary>The character chunks are filled again by the next row group instead of being made anew.</summary>
    [Fact]
    public void CharacterChunksAreReusedByTheNextRowGroup()
    {
        var arena = new CharArena();
        string[] values = Enumerable.Range(0, 3000).Select(i => $"value {i} " + new string('x', i % 97)).ToArray();
        for (int round = 0; round < 3; round++)
        {
            var kept = values.Select(v => arena.Add(v)).ToArray();
            Assert.Equal(values, kept.Select(m => m.ToString()));
            Assert.Equal(values[^1], arena.Add(values[^1].AsSpan(), values[^1]).ToString());
            long capacity = arena.Capacity;
            arena.Clear();
            if (round > 0)
                Assert.Equal(capacity, arena.Capacity);
            Assert.True(capacity < 2 * values.Sum(v => (long)v.Length) + 64 * 1024, $"{capacity} characters held");
        }

        // A value longer than the chunk being filled moves on to a chunk with room; a huge one is kept as its string.
        string huge = new('h', 70_000);
        Assert.True(ReferenceEquals(huge, GetString(arena.Add(huge.AsSpan(), huge))));
        Assert.Equal(new string('y', 40_000), arena.Add(new string('y', 40_000)).ToString());
    }

    private static string? GetString(ReadOnlyMemory<char> memory) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetString(memory, out string? text, out _, out _) ? text : null;

    [Fact]
    public void DuckDbSeesEachColumnTypeAsTheSchemaCommandSaysAndEveryColumnIsNullable()
    {
        using var dir = new TempDirectory();
        string path = dir["all.parquet"];
        WriteAllTypes(path);

        var described = Duck.Describe(path);
        Assert.Equal(AllTypes.Columns.Select(c => (c.Name, ParquetColumnTypes.DuckDbType(c.Type))), described);
        Assert.Equal(["TIMESTAMP_NS", "VARCHAR[]", "TIMESTAMP_NS", "INTEGER", "BIGINT", "DOUBLE", "VARCHAR", "BOOLEAN"], described.Select(d => d.Type));

        var schema = Duck.Rows($"SELECT name, type, logical_type, repetition_type FROM parquet_schema('{path}') WHERE name IN ('ts', 'last_ts', 's', 'tags', 'list', 'element')")
            .ToDictionary(r => (string)r[0]!, r => r.Skip(1).Select(Duck.Show).ToArray());
        Assert.Equal("INT64", schema["ts"][0]);
        Assert.Contains("TimestampType(isAdjustedToUTC=0, unit=TimeUnit(MILLIS=<null>, MICROS=<null>, NANOS=NanoSeconds()))", schema["ts"][1]);
        Assert.Equal(schema["ts"], schema["last_ts"]);
        Assert.Equal(["BYTE_ARRAY", "StringType()", "OPTIONAL"], schema["s"]);
        Assert.Equal("ListType()", schema["tags"][1]);
        Assert.Equal("REPEATED", schema["list"][2]);
        Assert.Equal(["BYTE_ARRAY", "StringType()", "OPTIONAL"], schema["element"]);
        Assert.All(schema.Where(s => s.Key != "list"), s => Assert.Equal("OPTIONAL", s.Value[2]));
    }

    [Fact]
    public void ColumnsAreZstdCompressedWithStatisticsInTheColumnsOwnUnit()
    {
        using var dir = new TempDirectory();
        string path = dir["all.parquet"];
        WriteAllTypes(path);

        var meta = Duck.Rows($"SELECT path_in_schema, compression, stats_min_value, stats_max_value, stats_null_count FROM parquet_metadata('{path}')");
        Assert.Equal(8, meta.Count);
        Assert.All(meta, m => Assert.Equal("ZSTD", m[1]));
        var ts = meta.Single(m => (string)m[0]! == "ts");
        Assert.Equal("1970-01-01 00:00:00", ts[2]);
        Assert.Equal("2023-11-14 22:13:20.123456789", ts[3]);
        Assert.Equal(1L, ts[4]);
        var n32 = meta.Single(m => (string)m[0]! == "n32");
        Assert.Equal(["-2147483648", "2147483647"], new[] { n32[2], n32[3] });
    }

    /// <summary>
    /// A string column of few distinct values is dictionary-encoded (Parquet.Net writes strings PLAIN unless the column
    /// is hinted); one of unique values fails the sample and stays PLAIN; the values read back are the same.
    /// </summary>
    [Fact]
    public void FewDistinctStringsAreDictionaryEncodedAndUniqueOnesPlain()
    {
        using var dir = new TempDirectory();
        var table = new RecordTableDescriptor("conns", "Dictionary test",
            [new("state", ColumnType.String, ""), new("uid", ColumnType.String, "")]);
        string path = dir["d.conns.parquet"];
        using (var writer = DatasetWriter.Create(new DatasetOptions(dir["d.parquet"]), [table]))
        {
            var conns = writer.Table("conns");
            for (int i = 0; i < 5000; i++)
                conns.Append([i % 3 == 0 ? "SF" : i % 3 == 1 ? "REJ" : null, $"C{i:x8}"]);
            writer.Complete();
        }

        var encodings = Duck.Rows($"SELECT path_in_schema, encodings FROM parquet_metadata('{path}')")
            .ToDictionary(r => (string)r[0]!, r => (string)r[1]!);
        Assert.Contains("DICTIONARY", encodings["state"]);
        Assert.DoesNotContain("DICTIONARY", encodings["uid"]);
        Assert.Equal(1667L, Duck.Scalar($"SELECT count(*) FROM '{path}' WHERE state = 'SF'"));
        Assert.Equal(1666L, Duck.Scalar($"SELECT count(*) FROM '{path}' WHERE state IS NULL"));
        Assert.Equal(5000L, Duck.Scalar($"SELECT count(DISTINCT uid) FROM '{path}'"));
    }

    [Fact]
    public void WideRowsAreWrittenBeforeTheRowCountWhenTheirBufferedBytesReachTheBound()
    {
        using var dir = new TempDirectory();
        var wide = new RecordTableDescriptor("notes", "Wide rows", [new("text", ColumnType.String, "")]);
        string text = new('x', 64 * 1024); // about 128 KiB buffered per row
        int perGroup = (int)(BufferBudget.Bytes / (32 + 2L * text.Length)) + 1;
        string path = dir["w.notes.parquet"];
        using (var writer = DatasetWriter.Create(new DatasetOptions(dir["w.parquet"]), [wide]))
        {
            var table = writer.Table("notes");
            for (int i = 0; i < perGroup * 2 + 10; i++)
                table.Append([text]);
            writer.Complete();
        }

        Assert.Equal(new object[] { (long)perGroup, (long)perGroup, 10L },
            Duck.Rows($"SELECT DISTINCT row_group_id, row_group_num_rows FROM parquet_metadata('{path}') ORDER BY 1").Select(r => r[1]));
    }

    /// <summary>
    /// The bound is shared by the tables of a dataset: two tables of wide rows reach it together, before either holds
    /// what one alone would buffer, and the one being appended to writes its group then; a small table interleaved with them (holding
    /// less than an eighth of the bound) keeps its rows in one group rather than being cut into tiny ones.
    /// </summary>
    [Fact]
    public void TheBufferBoundIsSharedByTheTablesAndCutsOnlyTheTablesThatHoldTheBytes()
    {
        using var dir = new TempDirectory();
        var wide = new RecordTableDescriptor("notes", "Wide rows", [new("text", ColumnType.String, "")]);
        var wide2 = new RecordTableDescriptor("notes2", "Wide rows", [new("text", ColumnType.String, "")]);
        var small = new RecordTableDescriptor("ticks", "Small rows", [new("n", ColumnType.Int64, "")]);
        string text = new('x', 64 * 1024);
        int alone = (int)(BufferBudget.Bytes / (32 + 2L * text.Length)) + 1;
        int rows = alone * 2;
        using (var writer = DatasetWriter.Create(new DatasetOptions(dir.Path), [wide, wide2, small]))
        {
            for (int i = 0; i < rows; i++)
            {
                writer.Table("notes").Append([text]);
                writer.Table("notes2").Append([text]);
                writer.Table("ticks").Append([(long)i]);
            }

            writer.Complete();
        }

        List<long> RowGroups(string table) => Duck.Rows(
            $"SELECT DISTINCT row_group_id, row_group_num_rows FROM parquet_metadata('{dir[table + ".parquet"]}') ORDER BY 1").Select(r => (long)r[1]!).ToList();
        foreach (string table in new[] { "notes", "notes2" })
        {
            var groups = RowGroups(table);
            Assert.Equal(rows, groups.Sum());
            // Alone, each table would write two groups of `alone` rows; sharing the bound, it writes more, smaller ones.
            Assert.True(groups.Count > 2, $"{table}: {string.Join(",", groups)}");
            Assert.All(groups, g => Assert.True(g < alone, $"{table}: {string.Join(",", groups)}"));
        }

        Assert.Equal([(long)rows], RowGroups("ticks"));
    }

    /// <summary>
    /// A full disk while row groups are written in the background: the error surfaces as an OutputException naming the
    /// file, and nothing is left behind, neither at the final path nor under a temporary name.
    /// </summary>
    [PcapForge.TestSupport.RootFact("mount", "umount")]
    public void AFullDiskIsAnOutputErrorAndLeavesNoFile()
    {
        using var dir = new TempDirectory();
        string mountPoint = dir["small"];
        Directory.CreateDirectory(mountPoint);
        using (var mount = System.Diagnostics.Process.Start("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", mountPoint]))
        {
            mount.WaitForExit();
            Assert.Equal(0, mount.ExitCode);
        }

        try
        {
            var table = new RecordTableDescriptor("flows", "Incompressible rows", [new("text", ColumnType.String, "")]);
            var random = new Random(7);
            string path = Path.Combine(mountPoint, "full.parquet");
            var e = Assert.Throws<OutputException>(() =>
            {
                using var writer = DatasetWriter.Create(new DatasetOptions(path, RowGroupRows: 64), [table]);
                for (int i = 0; i < 4000; i++)
                    writer.Table("flows").Append([string.Create(1000, random, static (chars, r) => { for (int k = 0; k < chars.Length; k++) chars[k] = (char)r.Next(0x4e00, 0x9fff); })]);
                writer.Complete();
            });
            Assert.Contains("full.parquet", e.Message);
            Assert.Empty(Directory.GetFileSystemEntries(mountPoint));
        }
        finally
        {
            using var umount = System.Diagnostics.Process.Start("umount", [mountPoint]);
            umount.WaitForExit();
        }
    }

    [Fact]
    public void RowsAreWrittenInRowGroupsOfTheGivenSizeAndFiltersOnTimestampsSkipNoMatchingRows()
    {
        using var dir = new TempDirectory();
        string path = dir["p.packets.parquet"];
        using (var writer = DatasetWriter.Create(new DatasetOptions(dir["p.parquet"], RowGroupRows: 1000), [Packets]))
        {
            var table = writer.Table("packets");
            for (long i = 0; i < 2500; i++)
                table.Append([Nanos + i, i]);
            Assert.Equal([path], writer.Complete());
        }

        Assert.Equal(3L, Duck.Scalar($"SELECT count(DISTINCT row_group_id) FROM parquet_metadata('{path}')"));
        Assert.Equal([1000L, 1000L, 500L], Duck.Rows($"SELECT DISTINCT row_group_id, row_group_num_rows FROM parquet_metadata('{path}') ORDER BY 1").Select(r => r[1]));
        // Row groups 0 and 1 lie wholly before the bound; only their statistics let DuckDB skip them, and the
        // count must still be exact.
        Assert.Equal(501L, Duck.Scalar($"SELECT count(*) FROM read_parquet('{path}') WHERE ts >= make_timestamp_ns({Nanos + 1999})"));
        Assert.Equal(1999L, Duck.Scalar($"SELECT max(frame) FROM read_parquet('{path}') WHERE ts = make_timestamp_ns({Nanos + 1999})"));
    }

    [Fact]
    public void NoFileIsAtTheFinalPathBeforeCompleteOnlyAHiddenTemporaryFile()
    {
        using var dir = new TempDirectory();
        string path = dir["run.parquet"];
        using var writer = DatasetWriter.Create(new DatasetOptions(path), [AllTypes, Packets]);
        writer.Table("packets").Append([Nanos, 1L]);

        Assert.False(File.Exists(path));
        Assert.False(File.Exists(dir["run.packets.parquet"]));
        Assert.Equal([$".run.packets.parquet.tmp-{Environment.ProcessId}", $".run.parquet.tmp-{Environment.ProcessId}"], dir.Files());

        var paths = writer.Complete();
        Assert.Equal([path, dir["run.packets.parquet"]], paths);
        Assert.Equal(["run.packets.parquet", "run.parquet"], dir.Files());
        Assert.Equal(1L, Duck.Scalar($"SELECT count(*) FROM '{dir["run.packets.parquet"]}'"));
    }

    [Fact]
    public void DisposeWithoutCompleteLeavesNothingBehindNotEvenTheDirectoriesItMade()
    {
        using var dir = new TempDirectory();
        string output = dir["out/nested/"];
        using (var writer = DatasetWriter.Create(new DatasetOptions(output), [AllTypes, Packets]))
        {
            writer.Table("packets").Append([Nanos, 1L]);
            Assert.Equal(2, dir.Files().Count);
        }

        Assert.Empty(dir.Files());
        Assert.False(Directory.Exists(dir["out"]));

        using (var writer = DatasetWriter.Create(new DatasetOptions(dir.Path, PartitionByDate: true), [Packets, Captures]))
        {
            writer.Table("packets").Append([Nanos, 1L]);
            writer.Table("captures").Append(["c", null]);
        }

        Assert.Empty(Directory.EnumerateFileSystemEntries(dir.Path));
    }

    [Fact]
    public void AnExistingOutputIsNotReplacedWithoutForceAndIsWithIt()
    {
        using var dir = new TempDirectory();
        string path = dir["run.parquet"];
        File.WriteAllText(dir["run.packets.parquet"], "earlier");

        var e = Assert.Throws<OutputException>(() => DatasetWriter.Create(new DatasetOptions(path), [AllTypes, Packets]));
        Assert.Contains(dir["run.packets.parquet"], e.Message);
        Assert.Contains("--force", e.Message);
        Assert.Equal("earlier", File.ReadAllText(dir["run.packets.parquet"]));
        Assert.Equal(["run.packets.parquet"], dir.Files());

        using (var writer = DatasetWriter.Create(new DatasetOptions(path, Force: true), [AllTypes, Packets]))
            writer.Complete();
        Assert.Equal(0L, Duck.Scalar($"SELECT count(*) FROM '{dir["run.packets.parquet"]}'"));
    }

    [Fact]
    public void AFileOutputPutsFlowsAtThePathAndEveryOtherTableBesideItEvenWithoutRows()
    {
        using var dir = new TempDirectory();
        var http = new RecordTableDescriptor("http", "plugin table", [new("ts", ColumnType.Timestamp, ""), new("flow_uid", ColumnType.String, "")]);
        using var writer = DatasetWriter.Create(new DatasetOptions(dir["case 1.parquet"]), [AllTypes, Packets, http]);
        Assert.Equal(DatasetLayoutKind.File, writer.Layout);
        var paths = writer.Complete();

        Assert.Equal([dir["case 1.parquet"], dir["case 1.packets.parquet"], dir["case 1.http.parquet"]], paths);
        Assert.Equal(0L, Duck.Scalar($"SELECT count(*) FROM '{dir["case 1.http.parquet"]}'"));
        Assert.Equal([("ts", "TIMESTAMP_NS"), ("flow_uid", "VARCHAR")], Duck.Describe(dir["case 1.http.parquet"]));
    }

    [Theory]
    [InlineData("out/")]
    [InlineData("out")]
    [InlineData("existing.parquet")]
    public void ADirectoryOutputHoldsOneFilePerTable(string relative)
    {
        using var dir = new TempDirectory();
        if (relative == "existing.parquet")
            Directory.CreateDirectory(dir[relative]);
        using var writer = DatasetWriter.Create(new DatasetOptions(dir[relative]), [AllTypes, Packets]);
        Assert.Equal(DatasetLayoutKind.Directory, writer.Layout);
        writer.Complete();

        string folder = relative.TrimEnd('/');
        Assert.Equal([$"{folder}/flows.parquet", $"{folder}/packets.parquet"], dir.Files());
    }

    [Fact]
    public void PartitionsByTheUtcDateOfTsWithNullsInHivesDefaultPartitionAndTablesWithoutTsUnsplit()
    {
        using var dir = new TempDirectory();
        var anomalies = new RecordTableDescriptor("anomalies", "no rows", [new("ts", ColumnType.Timestamp, ""), new("name", ColumnType.String, "")]);
        using (var writer = DatasetWriter.Create(new DatasetOptions(dir.Path, PartitionByDate: true, RowGroupRows: 2), [Packets, Captures, anomalies]))
        {
            Assert.Equal(DatasetLayoutKind.PartitionedByDate, writer.Layout);
            var packets = writer.Table("packets");
            packets.Append([Nanos, 1L]);                                    // 2023-11-14
            packets.Append([1_700_006_400_000_000_000 - 1, 2L]);             // 2023-11-14T23:59:59.999999999
            packets.Append([1_700_006_400_000_000_000, 3L]);                 // 2023-11-15T00:00:00
            packets.Append([-1L, 4L]);                                       // 1969-12-31
            packets.Append([null, 5L]);
            packets.Append([Nanos + 1, 6L]);
            writer.Table("captures").Append(["c1", Nanos]);
            var paths = writer.Complete();
            Assert.Equal(6, paths.Count);
        }

        Assert.Equal(
        [
            "anomalies/part-00000.parquet",
            "captures/part-00000.parquet",
            "packets/date=1969-12-31/part-00000.parquet",
            "packets/date=2023-11-14/part-00000.parquet",
            "packets/date=2023-11-15/part-00000.parquet",
            "packets/date=__HIVE_DEFAULT_PARTITION__/part-00000.parquet",
        ], dir.Files());

        var rows = Duck.Rows($"SELECT frame, date::VARCHAR FROM read_parquet('{dir["packets"]}/**/*.parquet', hive_partitioning = true) ORDER BY frame");
        Assert.Equal(["1 2023-11-14", "2 2023-11-14", "3 2023-11-15", "4 1969-12-31", "5 NULL", "6 2023-11-14"],
            rows.Select(r => $"{r[0]} {Duck.Show(r[1])}"));
        Assert.Equal(2L, Duck.Scalar($"SELECT count(DISTINCT row_group_id) FROM parquet_metadata('{dir["packets/date=2023-11-14/part-00000.parquet"]}')"));
    }

    [Fact]
    public void PartitionsOfAnEarlierRunAreRefusedWithoutForceAndReplacedWithIt()
    {
        using var dir = new TempDirectory();
        using (var writer = DatasetWriter.Create(new DatasetOptions(dir.Path, PartitionByDate: true), [Packets]))
        {
            writer.Table("packets").Append([0L, 1L]);
            writer.Complete();
        }

        var e = Assert.Throws<OutputException>(() => DatasetWriter.Create(new DatasetOptions(dir.Path, PartitionByDate: true), [Packets]));
        Assert.Contains(dir["packets"], e.Message);

        using (var writer = DatasetWriter.Create(new DatasetOptions(dir.Path, Force: true, PartitionByDate: true), [Packets]))
        {
            writer.Table("packets").Append([Nanos, 2L]);
            writer.Complete();
        }

        Assert.Equal(["packets/date=2023-11-14/part-00000.parquet"], dir.Files());
    }

    /// <summary>Writes one empty dataset with these tables at <paramref name="outPath"/>.</summary>
    private static IReadOnlyList<string> WriteEmpty(string outPath, bool force, bool partition, params RecordTableDescriptor[] tables)
    {
        using var writer = DatasetWriter.Create(new DatasetOptions(outPath, Force: force, PartitionByDate: partition), tables);
        return writer.Complete();
    }

    private static readonly RecordTableDescriptor Http = new("http", "a plugin's table", [new("ts", ColumnType.Timestamp, "time")]);

    [Fact]
    public void ForceReplacesTheWholeEarlierDatasetAndLeavesOtherFilesAlone()
    {
        using var dir = new TempDirectory();
        WriteEmpty(dir.Path, force: false, partition: false, AllTypes, Packets, Http);
        // Files of the user's that look like tables by their name only: not Parquet, and Parquet without our footer key.
        File.WriteAllText(dir["notes.parquet"], "not parquet");
        Duck.Rows($"COPY (SELECT 1 AS x) TO '{dir["mine.parquet"]}' (FORMAT parquet)");
        File.WriteAllText(dir["readme.txt"], "kept");

        using var writer = DatasetWriter.Create(new DatasetOptions(dir.Path, Force: true), [AllTypes]);
        writer.Complete();

        // Without the deletion, a query of the directory would read packets and http of the earlier run beside these flows.
        Assert.Equal([dir["http.parquet"], dir["packets.parquet"]], writer.Removed.Order(StringComparer.Ordinal));
        Assert.Equal(["flows.parquet", "mine.parquet", "notes.parquet", "readme.txt"], dir.Files());
        Assert.Equal("flows", Duck.Scalar($"SELECT value::VARCHAR FROM parquet_kv_metadata('{dir["flows.parquet"]}') WHERE key::VARCHAR = 'pcapforge.table'"));
    }

    [Fact]
    public void ForceWithAFileOutputRemovesOnlyThatDatasetsEarlierSiblings()
    {
        using var dir = new TempDirectory();
        WriteEmpty(dir["run.parquet"], force: false, partition: false, AllTypes, Packets, Http);
        WriteEmpty(dir["other.parquet"], force: false, partition: false, AllTypes, Packets);

        using var writer = DatasetWriter.Create(new DatasetOptions(dir["run.parquet"], Force: true), [AllTypes, Packets]);
        writer.Complete();

        Assert.Equal([dir["run.http.parquet"]], writer.Removed);
        Assert.Equal(["other.packets.parquet", "other.parquet", "run.packets.parquet", "run.parquet"], dir.Files());
    }

    [Fact]
    public void ForceNeverFollowsALinkOutOfTheOutput()
    {
        using var dir = new TempDirectory();
        WriteEmpty(dir["elsewhere"], force: false, partition: true, Packets);          // another dataset
        Directory.CreateDirectory(dir["out"]);
        Directory.CreateSymbolicLink(dir["out/packets"], dir["elsewhere/packets"]);   // looks like out's packets table
        File.CreateSymbolicLink(dir["out/anomalies.parquet"], dir["elsewhere/packets/part-00000.parquet"]);

        using var writer = DatasetWriter.Create(new DatasetOptions(dir["out"], Force: true), [AllTypes]);
        writer.Complete();

        Assert.Empty(writer.Removed);
        Assert.True(File.Exists(dir["elsewhere/packets/part-00000.parquet"]));
    }

    [Fact]
    public void ForceLeavesAnotherDatasetsFilesThatOnlyLookLikeSiblings()
    {
        using var dir = new TempDirectory();
        // capture.2024_05_01.parquet is the flows file of the dataset capture.2024_05_01, not a table of capture.parquet.
        WriteEmpty(dir["capture.2024_05_01.parquet"], force: false, partition: false, AllTypes, Captures);
        WriteEmpty(dir["capture.parquet"], force: false, partition: false, AllTypes, Packets);
        // A damaged file whose footer would send a Parquet reader into a loop: PAR1, 10 bytes, length 10, PAR1.
        File.WriteAllBytes(dir["capture.broken.parquet"], [.. "PAR1"u8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 0, 0, 0, .. "PAR1"u8]);

        using var writer = DatasetWriter.Create(new DatasetOptions(dir["capture.parquet"], Force: true), [Captures]);
        writer.Complete();

        // This run writes no flows: the earlier run's capture.parquet (flows) and its packets go, the others stay.
        Assert.Equal([dir["capture.packets.parquet"], dir["capture.parquet"]], writer.Removed.Order(StringComparer.Ordinal));
        Assert.Equal(["capture.2024_05_01.captures.parquet", "capture.2024_05_01.parquet", "capture.broken.parquet", "capture.captures.parquet"], dir.Files());
    }

    [Fact]
    public void ForceAcrossLayoutsRemovesTheEarlierLayoutsFilesAndTheFoldersLeftEmpty()
    {
        using var dir = new TempDirectory();
        using (var writer = DatasetWriter.Create(new DatasetOptions(dir.Path, PartitionByDate: true), [Packets, Captures]))
        {
            writer.Table("packets").Append([Nanos, 1L]);
            writer.Complete();
        }

        WriteEmpty(dir.Path, force: true, partition: false, Packets);
        Assert.Equal(["packets.parquet"], dir.Files());
        Assert.Equal(["packets.parquet"], Directory.EnumerateFileSystemEntries(dir.Path).Select(Path.GetFileName));

        WriteEmpty(dir.Path, force: true, partition: true, Captures);
        Assert.Equal(["captures/part-00000.parquet"], dir.Files());
    }

    [Fact]
    public void ProblemsWithTheOutputAreOutputExceptionsNamingThePath()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<OutputException>(() => DatasetWriter.Create(new DatasetOptions(dir["x.parquet"], PartitionByDate: true), [Packets]));
        Assert.Contains(dir["x.parquet"], e.Message);

        e = Assert.Throws<OutputException>(() => DatasetWriter.Create(new DatasetOptions(dir["missing/x.parquet"]), [Packets]));
        Assert.Contains(dir["missing"], e.Message);

        File.WriteAllText(dir["file"], "");
        e = Assert.Throws<OutputException>(() => DatasetWriter.Create(new DatasetOptions(dir["file/out/"]), [Packets]));
        Assert.Contains(dir["file/out/"], e.Message);

        Directory.CreateDirectory(dir["d/packets.parquet"]);
        e = Assert.Throws<OutputException>(() => DatasetWriter.Create(new DatasetOptions(dir["d"], Force: true), [Packets]));
        Assert.Contains(dir["d/packets.parquet"], e.Message);
        Assert.Equal(["file"], dir.Files());
    }

    [Fact]
    public void ValuesOfTheWrongTypeAreRefusedNamingTableColumnAndBothTypes()
    {
        using var dir = new TempDirectory();
        using var writer = DatasetWriter.Create(new DatasetOptions(dir["x.parquet"]), [AllTypes]);
        var table = writer.Table("flows");

        Assert.True(table.TryValidate([null, null, null, null, null, null, null, null], out string? problem));
        Assert.Null(problem);
        Assert.False(table.TryValidate([1L], out problem));
        Assert.Equal("table 'flows': expected 8 values (one per column), got 1", problem);
        Assert.False(table.TryValidate([null, null, null, 5L, null, null, null, null], out problem));
        Assert.Equal("table 'flows', column 'n32' (Int32): expected int, got Int64", problem);
        Assert.False(table.TryValidate([DateTime.UtcNow, null, null, null, null, null, null, null], out problem));
        Assert.Equal("table 'flows', column 'ts' (Timestamp): expected long (nanoseconds since the Unix epoch), got DateTime", problem);
        Assert.False(table.TryValidate([null, "a", null, null, null, null, null, null], out problem));
        Assert.Contains("column 'tags' (StringList): expected IReadOnlyList<string>, got String", problem);
        Assert.False(table.TryValidate([null, null, null, null, null, 1f, null, null], out problem));
        Assert.Contains("column 'x' (Double): expected double, got Single", problem);

        var e = Assert.Throws<ArgumentException>(() => table.Append([null, null, null, null, "5", null, null, null]));
        Assert.StartsWith("table 'flows', column 'n64' (Int64): expected long or int, got String", e.Message);
        Assert.Equal(0, table.Rows);

        e = Assert.Throws<ArgumentException>(() => writer.Table("http"));
        Assert.Contains("'http'", e.Message);
        Assert.Contains("flows", e.Message);
    }

    /// <summary>
    /// The typed path (TableRow, what the analysis and the plugins' BeginRow use): the same values as the boxed rows of
    /// <see cref="EveryColumnTypeReadsBackFromDuckDbWithItsValuesAndNulls"/>, set through one reused row, strings given as
    /// a string, as characters and as UTF-8; a column set in one row must not leak into the next.
    /// </summary>
    [Fact]
    public void TypedRowsReadBackAsTheBoxedOnesAndOneRowIsReusedWithoutLeaks()
    {
        using var dir = new TempDirectory();
        string path = dir["typed.parquet"];
        using (var writer = DatasetWriter.Create(new DatasetOptions(path), [AllTypes]))
        {
            var table = writer.Table("flows");
            var row = new TableRow(AllTypes);
            row.Set(0, Nanos).Set(1, new[] { "a", "b" }).Set(2, -1L).Set(3, -7).Set(4, 5).Set(5, 0.1).Set(6, "héllo, \"world\"").Set(7, true);
            table.Append(row);
            row.Clear();
            table.Append(row);
            row.Clear();
            Assert.True(row.TrySet(0, 0L));
            Assert.True(row.TrySet(1, new List<string?> { "", null, "z" }));
            Assert.True(row.TrySet(2, 4_102_444_800_000_000_001));
            Assert.True(row.TrySet(3, int.MaxValue));
            Assert.True(row.TrySet(4, long.MinValue));
            Assert.True(row.TrySet(5, -1.5e300));
            Assert.True(row.TrySetText(6, "".AsSpan()));
            Assert.True(row.TrySet(7, false));
            table.Append(row);
            row.Clear();
            row.Set(0, 1L).Set(1, Array.Empty<string>()).Set(2, Nanos).Set(3, int.MinValue).Set(4, long.MaxValue).Set(5, double.NaN);
            Assert.True(row.TrySetUtf8(6, "\t\n"u8));
            table.Append(row);
            writer.Complete();
        }

        Assert.Equal(AllTypesShown, ReadAllTypes(path));
    }

    /// <summary>
    /// Threads appending at once, each through an appender of its own (the analysis' workers): every row arrives whole,
    /// in row groups of its thread; an appender disposed early has its last rows written then, one left open has them
    /// written when the dataset completes.
    /// </summary>
    [Fact]
    public void AppendersOfSeveralThreadsWriteEveryRowWhole()
    {
        var table = new RecordTableDescriptor("flows", "rows of two threads",
        [
            new("ts", ColumnType.Timestamp, "row"),
            new("who", ColumnType.String, "thread"),
            new("note", ColumnType.String, "text"),
        ]);
        const int perThread = 5_000;
        using var dir = new TempDirectory();
        string path = dir["t.parquet"];
        using (var writer = DatasetWriter.Create(new DatasetOptions(path, RowGroupRows: 1000), [table]))
        {
            var target = writer.Table("flows");
            var appenders = new[] { target.CreateAppender(), target.CreateAppender() };
            Parallel.For(0, 2, t =>
            {
                var row = new TableRow(table);
                for (int i = 0; i < perThread; i++)
                {
                    row.Clear();
                    row.Set(0, (long)(t * perThread + i)).Set(1, $"t{t}");
                    Assert.True(row.TrySetText(2, $"row {i} of {t} {new string('z', i % 50)}".AsSpan()));
                    appenders[t].Append(row);
                }

                if (t == 0)
                    appenders[t].Dispose();
            });
            Assert.Equal(2 * perThread, target.Rows);
            writer.Complete();
        }

        var rows = Duck.Rows($"SELECT epoch_ns(ts), who, note FROM '{path}' ORDER BY 1");
        Assert.Equal(2 * perThread, rows.Count);
        for (int n = 0; n < rows.Count; n++)
        {
            int t = n / perThread, i = n % perThread;
            Assert.Equal($"{n} t{t} row {i} of {t} {new string('z', i % 50)}", string.Join(" ", rows[n].Select(Duck.Show)));
        }

        // A row group holds one thread's rows: 5 groups of 1000 each.
        Assert.Equal(10L, Convert.ToInt64(Duck.Scalar($"SELECT count(DISTINCT row_group_id) FROM parquet_metadata('{path}')")));
        Assert.Equal(0L, Convert.ToInt64(Duck.Scalar(
            $"SELECT count(*) FROM (SELECT file_row_number // 1000 AS g FROM read_parquet('{path}', file_row_number = true) GROUP BY g HAVING count(DISTINCT who) > 1)")));
    }

    /// <summary>
    /// Each capture of a run gets new appenders (one per worker); the rows the earlier ones still hold are filled further
    /// by the later ones, so a run over many captures does not end each of them in a small row group per worker.
    /// </summary>
    [Fact]
    public void RowsLeftByAppendersThatAreDoneGoIntoTheNextAppendersRowGroups()
    {
        var table = new RecordTableDescriptor("flows", "rows of four captures", [new("n", ColumnType.Int64, "row")]);
        using var dir = new TempDirectory();
        string path = dir["c.parquet"];
        using (var writer = DatasetWriter.Create(new DatasetOptions(path, RowGroupRows: 1000), [table]))
        {
            var target = writer.Table("flows");
            var row = new TableRow(table);
            long n = 0;
            for (int capture = 0; capture < 4; capture++)
            {
                var appenders = new[] { target.CreateAppender(), target.CreateAppender() };
                foreach (var appender in appenders)
                {
                    for (int i = 0; i < 300; i++)
                        appender.Append(row.Set(0, n++));
                }

                foreach (var appender in appenders)
                    appender.Dispose();
            }

            writer.Complete();
        }

        // 2,400 rows: two builders of 1,000 rows written when full, the 400 left in two groups at the end (not 8 of 300).
        Assert.Equal(2400L, Convert.ToInt64(Duck.Scalar($"SELECT count(DISTINCT n) FROM '{path}'")));
        Assert.Equal([200L, 200L, 1000L, 1000L], Duck.Rows($"SELECT row_group_num_rows FROM parquet_metadata('{path}') ORDER BY 1")
            .Select(r => Convert.ToInt64(r[0])));
    }

    [Fact]
    public void TypedSettersTakeOnlyWhatTheColumnTakesAndTheHostsSettersSayWhy()
    {
        var row = new TableRow(AllTypes);
        Assert.False(row.TrySet(3, 5L));                 // n32 is Int32: no long
        Assert.True(row.TrySet(4, 5));                   // n64 is Int64: an int widens
        Assert.True(row.TrySet(0, 5));                   // so does a Timestamp
        Assert.False(row.TrySet(5, 1));                  // x is Double: no int
        Assert.False(row.TrySet(1, "a"));                // tags is a list
        Assert.False(row.TrySetUtf8(3, "5"u8));          // text only into a String column
        Assert.False(row.TrySet(8, 1L));                 // no such column
        Assert.False(row.TrySet(-1, "x"));
        var e = Assert.Throws<ArgumentException>(() => row.Set(3, 5L));
        Assert.Equal("table 'flows', column 'n32' (Int32): expected int, got Int64", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => row.Set(8, (string?)null));

        // Invalid UTF-8 becomes U+FFFD, as the boxed path's Encoding.UTF8.GetString does; staged text survives another set.
        Assert.True(row.TrySetUtf8(6, [0x61, 0xFF, 0x62]));
        Assert.True(row.TrySetText(6, "ignored".AsSpan()));
        Assert.True(row.TrySetUtf8(6, "ok \u00e9"u8));
        Assert.Equal("ok \u00e9", row[6]);
        Assert.True(row.TrySetUtf8(6, [0x61, 0xFF, 0x62]));
        Assert.Equal("a\uFFFDb", row[6]);
        Assert.Equal(new object?[] { 5L, null, null, null, 5L, null, "a\uFFFDb", null }, row.ToValues());
    }

    [Fact]
    public void TheCallerMayReuseItsArrayAndListsAfterAppend()
    {
        using var dir = new TempDirectory();
        string path = dir["x.parquet"];
        using (var writer = DatasetWriter.Create(new DatasetOptions(path), [AllTypes]))
        {
            var table = writer.Table("flows");
            var values = new object?[8];
            var tags = new List<string>();
            for (int i = 0; i < 3; i++)
            {
                tags.Clear();
                tags.Add($"t{i}");
                values[0] = (long)i;
                values[1] = tags;
                values[6] = $"s{i}";
                table.Append(values);
            }

            writer.Complete();
        }

        Assert.Equal(["0 [t0] s0", "1 [t1] s1", "2 [t2] s2"],
            Duck.Rows($"SELECT epoch_ns(ts), tags, s FROM '{path}'").Select(r => string.Join(" ", r.Select(Duck.Show))));
    }

    [Fact]
    public void TheHostsTablesAreWrittenWithTheTypesTheSchemaCommandShows()
    {
        using var dir = new TempDirectory();
        using (var writer = DatasetWriter.Create(new DatasetOptions(dir.Path), HostTables.All))
            writer.Complete();

        foreach (var table in HostTables.All)
        {
            Assert.Equal(table.Columns.Select(c => (c.Name, ParquetColumnTypes.DuckDbType(c.Type))), Duck.Describe(dir[table.Name + ".parquet"]));
            Assert.Equal(0L, Duck.Scalar($"SELECT count(*) FROM '{dir[table.Name + ".parquet"]}'"));
        }
    }

    [Fact]
    public void AfterCompleteTheWriterTakesNoMoreRows()
    {
        using var dir = new TempDirectory();
        using var writer = DatasetWriter.Create(new DatasetOptions(dir["x.parquet"]), [Packets]);
        writer.Complete();
        Assert.Throws<InvalidOperationException>(() => writer.Table("packets").Append([1L, 1L]));
        Assert.Throws<InvalidOperationException>(() => writer.Complete());
    }
}
