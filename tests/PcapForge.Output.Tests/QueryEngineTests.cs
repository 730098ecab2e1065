using PcapForge.Abstractions.Records;
using PcapForge.Query;

namespace PcapForge.Output.Tests;

/// <summary>Finding the tables of datasets, the views over them, and the output formats.</summary>
public class QueryEngineTests
{
    private static readonly RecordTableDescriptor Flows = new("flows", "flows",
    [
        new("ts", ColumnType.Timestamp, ""),
        new("s", ColumnType.String, ""),
        new("n", ColumnType.Int64, ""),
        new("x", ColumnType.Double, ""),
        new("b", ColumnType.Boolean, ""),
        new("tags", ColumnType.StringList, ""),
    ]);

    private static readonly RecordTableDescriptor Packets = new("packets", "packets", [new("ts", ColumnType.Timestamp, ""), new("frame", ColumnType.Int64, "")]);

    private static readonly RecordTableDescriptor Http = new("http", "a plugin's table", [new("ts", ColumnType.Timestamp, ""), new("method", ColumnType.String, "")]);

    private static readonly RecordTableDescriptor Captures = new("captures", "no ts", [new("capture_id", ColumnType.String, "")]);

    private const long Nanos = 1_700_000_000_123_456_789;

    /// <summary>Writes a dataset with three flows (see <see cref="FormatRows"/>), packets 1..n one nanosecond apart, one http row, one capture.</summary>
    private static void WriteDataset(string outPath, int packets = 2, bool partition = false)
    {
        using var writer = DatasetWriter.Create(new DatasetOptions(outPath, PartitionByDate: partition), [Flows, Packets, Http, Captures]);
        foreach (var row in FormatRows)
            writer.Table("flows").Append(row);
        for (int i = 1; i <= packets; i++)
            writer.Table("packets").Append([Nanos + i, (long)i]);
        writer.Table("http").Append([Nanos, "GET"]);
        writer.Table("captures").Append(["c1"]);
        writer.Complete();
    }

    private static readonly object?[][] FormatRows =
    [
        [Nanos, "a,\"b\"", 1L, 0.5, true, new[] { "x", "y" }],
        [null, "", null, null, null, null],
        [-1L, "tab\there\nnl", -20L, 1e20, false, Array.Empty<string>()],
    ];

    private static string Run(QueryEngine engine, string sql, QueryFormat format = QueryFormat.Csv)
    {
        var output = new StringWriter();
        engine.Run(sql, format, output);
        return output.ToString();
    }

    private static List<string> Names(QueryEngine engine) => engine.Tables.Select(t => t.Name).ToList();

    [Fact]
    public void AnOutputFileBringsItsSiblingsAndIsTheFlowsTable()
    {
        using var dir = new TempDirectory();
        WriteDataset(dir["run.parquet"]);
        using var engine = QueryEngine.Open([dir["run.parquet"]]);

        Assert.Equal(["captures", "flows", "http", "packets"], Names(engine));
        Assert.Equal("n\n3\n", Run(engine, "SELECT count(*) AS n FROM flows"));
        Assert.Equal("method\nGET\n", Run(engine, "SELECT method FROM http"));
        Assert.Equal("table,rows,columns\ncaptures,1,[capture_id]\nflows,3,\"[ts, s, n, x, b, tags]\"\nhttp,1,\"[ts, method]\"\npackets,2,\"[ts, frame]\"\n",
            Summary(engine, QueryFormat.Csv));
    }

    [Fact]
    public void ASiblingNamedAloneIsOnlyItsTableAndALoneParquetFileIsNamedByItsFileName()
    {
        using var dir = new TempDirectory();
        WriteDataset(dir["run.parquet"]);
        using (var engine = QueryEngine.Open([dir["run.packets.parquet"]]))
            Assert.Equal(["packets"], Names(engine));

        File.Copy(dir["run.packets.parquet"], dir["notes-2024.parquet"]);
        using (var engine = QueryEngine.Open([dir["notes-2024.parquet"]]))
        {
            Assert.Equal(["notes-2024"], Names(engine));
            Assert.Equal("frame\n1\n2\n", Run(engine, "SELECT frame FROM \"notes-2024\""));
        }
    }

    [Fact]
    public void ADirectoryHoldsOneFilePerTableOrHiveFoldersWhosePartitionKeyIsAColumn()
    {
        using var dir = new TempDirectory();
        WriteDataset(dir["plain/"]);
        WriteDataset(dir["hive"], packets: 3, partition: true);
        // A folder that is not a Hive table (a file outside key=value folders) is not taken as one.
        Directory.CreateDirectory(dir["plain/misc/sub"]);
        File.Copy(dir["plain/packets.parquet"], dir["plain/misc/sub/x.parquet"]);

        using (var engine = QueryEngine.Open([dir["plain"]]))
        {
            Assert.Equal(["captures", "flows", "http", "packets"], Names(engine));
            Assert.Equal("n\n2\n", Run(engine, "SELECT count(*) AS n FROM packets"));
        }

        using (var engine = QueryEngine.Open([dir["hive"]]))
        {
            Assert.Equal(["captures", "flows", "http", "packets"], Names(engine));
            Assert.Equal(["hive/packets"], engine.Tables.Single(t => t.Name == "packets").HiveFolders.Select(f => Path.GetRelativePath(dir.Path, f)));
            Assert.Equal("frame,date\n1,2023-11-14\n2,2023-11-14\n3,2023-11-14\n", Run(engine, "SELECT frame, date FROM packets ORDER BY frame"));
            Assert.Equal("n,dates\n3,\"[NULL, 1969-12-31, 2023-11-14]\"\n", Run(engine, "SELECT count(*) AS n, list(DISTINCT date ORDER BY date NULLS FIRST) AS dates FROM flows"));
            Assert.Equal("capture_id\nc1\n", Run(engine, "SELECT * FROM captures"));
        }

        // With a second partitioned run whose packets table is empty (no date folders), and the plain dataset.
        WriteDataset(dir["hive2"], packets: 0, partition: true);
        using (var engine = QueryEngine.Open([dir["hive"], dir["hive2"], dir["plain"]]))
        {
            Assert.Equal("n,dated\n5,3\n", Run(engine, "SELECT count(*) AS n, count(date) AS dated FROM packets"));
            Assert.Equal("n\n3\n", Run(engine, "SELECT count(*) AS n FROM captures"));
        }
    }

    [Fact]
    public void SeveralDatasetsAreOneViewPerTableUnitedByColumnName()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir["runs"]);
        WriteDataset(dir["runs/a.parquet"], packets: 2);
        WriteDataset(dir["runs/b.parquet"], packets: 3);
        var wider = new RecordTableDescriptor("packets", "a later version", [new("frame", ColumnType.Int64, ""), new("vlan", ColumnType.Int32, "")]);
        using (var writer = DatasetWriter.Create(new DatasetOptions(dir["later/"]), [wider]))
        {
            writer.Table("packets").Append([100L, 7]);
            writer.Complete();
        }

        using (var engine = QueryEngine.Open([dir["runs/a.parquet"], dir["runs/b.parquet"], dir["later"]]))
        {
            Assert.Equal("n,frames,vlans\n6,109,7\n", Run(engine, "SELECT count(*) AS n, sum(frame) AS frames, sum(vlan) AS vlans FROM packets"));
            Assert.Equal("n\n6\n", Run(engine, "SELECT count(*) AS n FROM flows"));
        }

        // A glob matches both runs; each file is taken as if named, and no file twice.
        using (var engine = QueryEngine.Open([dir["runs/*.parquet"]]))
        {
            Assert.Equal(["captures", "flows", "http", "packets"], Names(engine));
            Assert.Equal("n\n5\n", Run(engine, "SELECT count(*) AS n FROM packets"));
        }
    }

    [Fact]
    public void MissingOrUnreadableInputsAreInputErrorsNamingThem()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<QueryException>(() => QueryEngine.Open([dir["nope.parquet"]]));
        Assert.True(e.IsInputError);
        Assert.Contains(dir["nope.parquet"], e.Message);

        e = Assert.Throws<QueryException>(() => QueryEngine.Open([dir["*.parquet"]]));
        Assert.True(e.IsInputError);
        Assert.Contains("no Parquet file matches", e.Message);

        e = Assert.Throws<QueryException>(() => QueryEngine.Open([dir.Path]));
        Assert.True(e.IsInputError);
        Assert.Contains($"no Parquet files in '{dir.Path}'", e.Message);

        File.WriteAllText(dir["broken.parquet"], "not parquet at all");
        e = Assert.Throws<QueryException>(() => QueryEngine.Open([dir["broken.parquet"]]));
        Assert.True(e.IsInputError);
        Assert.Contains("'broken'", e.Message);
        Assert.Contains(dir["broken.parquet"], e.Message);
    }

    [Fact]
    public void SqlThatDuckDbRejectsIsAQueryExceptionWithItsMessage()
    {
        using var dir = new TempDirectory();
        WriteDataset(dir["run.parquet"]);
        using var engine = QueryEngine.Open([dir["run.parquet"]]);

        var e = Assert.Throws<QueryException>(() => Run(engine, "SELEC 1"));
        Assert.False(e.IsInputError);
        Assert.StartsWith("Parser Error: syntax error at or near \"SELEC\"", e.Message);
        e = Assert.Throws<QueryException>(() => Run(engine, "SELECT no_such_column FROM flows"));
        Assert.StartsWith("Binder Error: Referenced column \"no_such_column\" not found", e.Message);
        e = Assert.Throws<QueryException>(() => Run(engine, "SELECT * FROM dns"));
        Assert.StartsWith("Catalog Error: Table with name dns does not exist", e.Message);
    }

    [Fact]
    public void Csv()
    {
        Assert.Equal(
            "ts,s,n,x,b,tags\n" +
            "2023-11-14T22:13:20.123456789Z,\"a,\"\"b\"\"\",1,0.5,true,\"[x, y]\"\n" +
            ",\"\",,,,\n" +
            "1969-12-31T23:59:59.999999999Z,\"tab\there\nnl\",-20,1E+20,false,[]\n",
            FormatFlows(QueryFormat.Csv));
    }

    [Fact]
    public void Tsv()
    {
        Assert.Equal(
            "ts\ts\tn\tx\tb\ttags\n" +
            "2023-11-14T22:13:20.123456789Z\ta,\"b\"\t1\t0.5\ttrue\t[x, y]\n" +
            "\t\t\t\t\t\n" +
            "1969-12-31T23:59:59.999999999Z\ttab\\there\\nnl\t-20\t1E+20\tfalse\t[]\n",
            FormatFlows(QueryFormat.Tsv));
    }

    [Fact]
    public void JsonLines()
    {
        Assert.Equal(
            "{\"ts\":\"2023-11-14T22:13:20.123456789Z\",\"s\":\"a,\\\"b\\\"\",\"n\":1,\"x\":0.5,\"b\":true,\"tags\":[\"x\",\"y\"]}\n" +
            "{\"ts\":null,\"s\":\"\",\"n\":null,\"x\":null,\"b\":null,\"tags\":null}\n" +
            "{\"ts\":\"1969-12-31T23:59:59.999999999Z\",\"s\":\"tab\\there\\nnl\",\"n\":-20,\"x\":1E+20,\"b\":false,\"tags\":[]}\n",
            FormatFlows(QueryFormat.Json));
    }

    [Fact]
    public void TableAlignsColumnsRightAlignsNumbersAndShowsNullAsDash()
    {
        Assert.Equal(
            "ts                              s              n    x      b      tags\n" +
            "------------------------------  -------------  ---  -----  -----  ------\n" +
            "2023-11-14T22:13:20.123456789Z  a,\"b\"            1    0.5  true   [x, y]\n" +
            "-                                              -    -      -      -\n" +
            "1969-12-31T23:59:59.999999999Z  tab\\there\\nnl  -20  1E+20  false  []\n" +
            "(3 rows)\n",
            FormatFlows(QueryFormat.Table));
    }

    [Fact]
    public void ParquetOutputKeepsTypesAndNanoseconds()
    {
        using var dir = new TempDirectory();
        WriteDataset(dir["run.parquet"]);
        using (var engine = QueryEngine.Open([dir["run.parquet"]]))
            engine.CopyToParquet("SELECT ts, s, tags FROM flows WHERE ts IS NOT NULL;", dir["result.bin"]);

        Assert.Equal([("ts", "TIMESTAMP_NS"), ("s", "VARCHAR"), ("tags", "VARCHAR[]")], Duck.Describe(dir["result.bin"]));
        Assert.Equal(["1700000000123456789 a,\"b\" [x, y]", "-1 tab\there\nnl []"],
            Duck.Rows($"SELECT epoch_ns(ts), s, tags FROM read_parquet('{dir["result.bin"]}')").Select(r => string.Join(" ", r.Select(Duck.Show))));
    }

    [Fact]
    public void TimestampsKeepTheirNanosecondsAndTheOrderAndDuplicateNamesOfTheQuery()
    {
        using var dir = new TempDirectory();
        WriteDataset(dir["run.parquet"], packets: 3);
        using var engine = QueryEngine.Open([dir["run.parquet"]]);

        Assert.Equal(
            "frame,ts,frame,t2\n" +
            "3,2023-11-14T22:13:20.123456792Z,3,2023-11-14T22:13:20.123456000Z\n" +
            "2,2023-11-14T22:13:20.123456791Z,2,2023-11-14T22:13:20.123456000Z\n" +
            "1,2023-11-14T22:13:20.123456790Z,1,2023-11-14T22:13:20.123456000Z\n",
            Run(engine, "SELECT frame, ts, frame, ts::TIMESTAMPTZ AS t2 FROM packets ORDER BY frame DESC -- newest first"));
    }

    [Fact]
    public void StatementsThatAreNotQueriesRunAndOnlyResultsWithColumnsArePrinted()
    {
        using var dir = new TempDirectory();
        WriteDataset(dir["run.parquet"]);
        using var engine = QueryEngine.Open([dir["run.parquet"]]);

        Assert.Equal("answer\n42\n", Run(engine, "SET threads = 1; SELECT 42 AS answer;"));
        Assert.Equal("column_name,column_type\nts,TIMESTAMP_NS\nframe,BIGINT\n", Run(engine, "SELECT column_name, column_type FROM (DESCRIBE packets)"));
    }

    private static string FormatFlows(QueryFormat format)
    {
        using var dir = new TempDirectory();
        WriteDataset(dir["run.parquet"]);
        using var engine = QueryEngine.Open([dir["run.parquet"]]);
        return Run(engine, "SELECT * FROM flows", format);
    }

    private static string Summary(QueryEngine engine, QueryFormat format)
    {
        var output = new StringWriter();
        engine.WriteSummary(format, output);
        return output.ToString();
    }
}
