using System.Text.Json;
using PcapForge.Abstractions.Dissection;
using PcapForge.Abstractions.Records;
using PcapForge.Cli.Commands;
using PcapForge.Dissection;
using PcapForge.Output;

namespace PcapForge.Cli.Tests;

/// <summary><c>pcapforge query</c> and <c>pcapforge schema</c> through the command line: arguments, exit codes, messages, files.</summary>
public sealed class QueryAndSchemaCommandTests : IDisposable
{
    private static readonly RecordTableDescriptor Packets = new("packets", "frames",
        [new("ts", ColumnType.Timestamp, ""), new("frame", ColumnType.Int64, ""), new("proto", ColumnType.String, "")]);

    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"pcapforge-query-{Guid.NewGuid():N}");

    public QueryAndSchemaCommandTests()
    {
        Directory.CreateDirectory(_dir);
        using var writer = DatasetWriter.Create(new DatasetOptions(Path.Combine(_dir, "run.parquet")), [HostTables.Flows, Packets]);
        writer.Table("packets").Append([1_700_000_000_123_456_789L, 1L, "tcp"]);
        writer.Table("packets").Append([1_700_000_000_123_456_790L, 2L, null]);
        writer.Complete();
    }

    private string Run => Path.Combine(_dir, "run.parquet");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void AssertNoStackTrace(string error)
    {
        Assert.DoesNotContain("   at ", error);
        Assert.DoesNotContain("Exception", error);
        Assert.DoesNotContain("internal error", error);
    }

    [Theory]
    [InlineData("SELEC frame FROM packets", "Parser Error: syntax error at or near \"SELEC\"")]
    [InlineData("SELECT no_such FROM packets", "Binder Error: Referenced column \"no_such\" not found")]
    [InlineData("SELECT * FROM dns", "Catalog Error: Table with name dns does not exist!")]
    public void SqlThatDuckDbRejectsExits1WithItsMessageAndNoStackTrace(string sql, string message)
    {
        var (exit, output, error) = CliRunner.Run("query", Run, sql);

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Equal("", output);
        Assert.StartsWith("pcapforge: query: " + message, error);
        AssertNoStackTrace(error);
    }

    [Fact]
    public void AMissingDatasetExits2NamingIt()
    {
        string missing = Path.Combine(_dir, "missing.parquet");
        var (exit, output, error) = CliRunner.Run("query", Run, missing, "SELECT 1 AS x");

        Assert.Equal(ExitCodes.InputError, exit);
        Assert.Equal("", output);
        Assert.Equal($"pcapforge: query: no such file or directory: '{missing}'\n", error.Replace("\r\n", "\n"));

        // A last argument without a space is a dataset, so a mistyped path is reported as such, not as bad SQL.
        (exit, _, error) = CliRunner.Run("query", Run, missing);
        Assert.Equal(ExitCodes.InputError, exit);
        Assert.Contains(missing, error);
    }

    [Fact]
    public void WithoutSqlTheTablesAreListedWithRowCountsAndColumns()
    {
        var (exit, output, error) = CliRunner.Run("query", Run, "--format", "tsv");

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Equal("", error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("table\trows\tcolumns", lines[0]);
        Assert.StartsWith("flows\t0\t[ts, flow_uid, orig_h, orig_p, ", lines[1]);
        Assert.Equal("packets\t2\t[ts, frame, proto]", lines[2]);
        Assert.Equal(3, lines.Length);
    }

    [Fact]
    public void TheDefaultFormatIsATableWithNanosecondTimestamps()
    {
        var (exit, output, error) = CliRunner.Run("query", Run, "SELECT ts, frame, proto FROM packets ORDER BY frame");

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Equal("", error);
        Assert.Equal(
            "ts                              frame  proto\n" +
            "------------------------------  -----  -----\n" +
            "2023-11-14T22:13:20.123456789Z      1  tcp\n" +
            "2023-11-14T22:13:20.123456790Z      2  -\n" +
            "(2 rows)\n", output);
    }

    [Fact]
    public void OutputGoesToTheFileUnderATemporaryNameAndSqlMayComeFromAFile()
    {
        string sqlFile = Path.Combine(_dir, "q.sql");
        File.WriteAllText(sqlFile, "-- frames, newest first\nSELECT frame, proto FROM packets ORDER BY frame DESC;\n");
        string csv = Path.Combine(_dir, "out.csv");
        File.WriteAllText(csv, "an earlier result");

        var (exit, output, error) = CliRunner.Run("query", Run, "--file", sqlFile, "--format", "csv", "-o", csv);

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Equal("", output + error);
        Assert.Equal("frame,proto\n2,\n1,tcp\n", File.ReadAllText(csv));
        Assert.Empty(Directory.EnumerateFiles(_dir, ".*"));

        (exit, _, error) = CliRunner.Run("query", Run, "--file", Path.Combine(_dir, "none.sql"));
        Assert.Equal(ExitCodes.InputError, exit);
        Assert.Contains("none.sql", error);
    }

    [Fact]
    public void AFailedQueryLeavesNoOutputFile()
    {
        string json = Path.Combine(_dir, "out.json");
        var (exit, _, error) = CliRunner.Run("query", Run, "SELECT nope FROM packets", "--format", "json", "-o", json);

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.StartsWith("pcapforge: query: Binder Error", error);
        Assert.False(File.Exists(json));
        Assert.Empty(Directory.EnumerateFiles(_dir, ".*"));
    }

    [Fact]
    public void ParquetOutputNeedsAFileAndCanBeQueriedAgain()
    {
        var (exit, _, error) = CliRunner.Run("query", Run, "SELECT * FROM packets", "--format", "parquet");
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Equal("pcapforge: query: --format parquet needs an output file (-o FILE)\n", error.Replace("\r\n", "\n"));

        string result = Path.Combine(_dir, "result.parquet");
        (exit, _, error) = CliRunner.Run("query", Run, "SELECT frame, ts FROM packets WHERE proto = 'tcp'", "--format", "parquet", "-o", result);
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Equal("", error);

        var (_, output, _) = CliRunner.Run("query", result, "SELECT * FROM result", "--format", "json");
        Assert.Equal("{\"frame\":1,\"ts\":\"2023-11-14T22:13:20.123456789Z\"}\n", output);
    }

    [Fact]
    public void TheLastArgumentIsSqlWhenItIsNoExistingPathAndHasASpace()
    {
        string spaced = Path.Combine(_dir, "a dir");
        Directory.CreateDirectory(spaced);

        AssertSplit(["x.parquet", "SELECT 1"], fromFile: false, ["x.parquet"], "SELECT 1");
        AssertSplit(["x.parquet", "y.parquet"], fromFile: false, ["x.parquet", "y.parquet"], null);
        AssertSplit(["x.parquet", spaced], fromFile: false, ["x.parquet", spaced], null);
        AssertSplit(["x.parquet", "SELECT 1"], fromFile: true, ["x.parquet", "SELECT 1"], null);

        var (exit, _, error) = CliRunner.Run("query", "SELECT 1");
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.StartsWith("pcapforge: query: no dataset given", error);
    }

    private static void AssertSplit(string[] arguments, bool fromFile, string[] datasets, string? sql)
    {
        var split = QueryCommand.Split(arguments, fromFile);
        Assert.Equal(datasets, split.Datasets);
        Assert.Equal(sql, split.Sql);
    }

    [Fact]
    public void SchemaListsEveryHostAndFrontendTableWithDuckDbTypesAndDescriptions()
    {
        var (exit, output, error) = CliRunner.Run("schema");

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Equal("", error);
        var lines = output.Split('\n');
        Assert.Equal(["flows", "packets", "anomalies", "captures", "sockets", "scan"],
            lines.Where(l => l.Length > 0 && l[0] != ' ').Select(l => l[..l.IndexOf(':')]));
        Assert.Equal("flows: One row per bidirectional flow (Zeek's conn.log)", lines[0]);
        Assert.Equal("  ts                  TIMESTAMP_NS  Time of the flow's first packet", lines[1]);
        Assert.Contains("  tunnel_parents      VARCHAR[]     flow_uid of the tunnel flow (GRE, VXLAN, IP-in-IP…) this flow was carried in", lines);
        Assert.Contains("  orig_p              INTEGER       Originator's port; for ICMP the message type, as in Zeek", lines);
    }

    [Fact]
    public void SchemaOfOneTableAsJsonCarriesBothTypes()
    {
        var (exit, output, _) = CliRunner.Run("schema", "anomalies", "--format", "json");

        Assert.Equal(ExitCodes.Ok, exit);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var table = Assert.Single(lines);
        using var json = JsonDocument.Parse(table);
        Assert.Equal("anomalies", json.RootElement.GetProperty("table").GetString());
        var columns = json.RootElement.GetProperty("columns").EnumerateArray().ToList();
        Assert.Equal(HostTables.Anomalies.Columns.Select(c => c.Name), columns.Select(c => c.GetProperty("name").GetString()));
        Assert.Equal("TIMESTAMP_NS", columns[0].GetProperty("type").GetString());
        Assert.Equal("INT64 TIMESTAMP(NANOS, isAdjustedToUTC=false)", columns[0].GetProperty("parquet_type").GetString());
        Assert.Equal("BIGINT", columns[1].GetProperty("type").GetString());
    }

    [Fact]
    public void SchemaOfAnUnknownTableExits1NamingTheKnownOnes()
    {
        var (exit, output, error) = CliRunner.Run("schema", "dns");

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Equal("", output);
        Assert.Equal("pcapforge: schema: no table 'dns' (tables: flows, packets, anomalies, captures, sockets, scan)\n", error.Replace("\r\n", "\n"));
    }

    [Fact]
    public void SchemaShowsAPluginsRecordTableWithTheColumnsTheHostAdds()
    {
        var registry = DissectorRegistry.Build([new LoadedDissector(new RecordingDissector(), "rec", 0, "rec.dll")], []);
        var output = new StringWriter();
        var command = new SchemaCommand(new Console(output, new StringWriter()), new PluginHost(new Console(output, output)));

        Assert.Equal(ExitCodes.Ok, command.Run(SchemaCommand.AllTables(registry), "rec_log", json: false));
        Assert.Equal(
            "rec_log (declared by the rec dissector): One row per request\n" +
            "  ts          TIMESTAMP_NS  When it was sent\n" +
            "  flow_uid    VARCHAR       The flow this record belongs to (joins flows.flow_uid)\n" +
            "  names       VARCHAR[]     Names asked for\n" +
            "  capture_id  VARCHAR       The capture this record comes from (joins captures.capture_id)\n",
            output.ToString().Replace("\r\n", "\n"));
    }

    /// <summary>A dissector that only declares a record table.</summary>
    private sealed class RecordingDissector : IDissector
    {
        public void Declare(IDissectorSetup setup)
        {
            setup.Protocol("rec", "Records", "declares a table");
            setup.RecordTable("rec_log", "One row per request",
                new ColumnDescriptor("ts", ColumnType.Timestamp, "When it was sent"),
                new ColumnDescriptor("names", ColumnType.StringList, "Names asked for"));
        }

        public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data) => DissectResult.NotMine;
    }
}
