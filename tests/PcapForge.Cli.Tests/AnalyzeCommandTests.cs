using PcapForge.TestSupport;

namespace PcapForge.Cli.Tests;

/// <summary><c>pcapforge analyze</c> end to end: the dataset on disk, read back with DuckDB through <c>pcapforge query</c>.</summary>
public sealed class AnalyzeCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"pcapforge-analyze-{Guid.NewGuid():N}");

    public AnalyzeCommandTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Capture(string name) => Path.Combine(TestData.OwnCaptures, name);

    private static string ToyPluginFolder => Path.Combine(AppContext.BaseDirectory, "toy-plugin");

    [Fact]
    public void Writes_flows_anomalies_and_captures_beside_the_named_file()
    {
        string output = Path.Combine(_dir, "x.parquet");
        var (exit, _, error) = CliRunner.Run("analyze", Capture("mixed-2ifaces.pcapng"), "--out", output);
        Assert.Equal(0, exit);
        Assert.True(File.Exists(output), error);
        Assert.True(File.Exists(Path.Combine(_dir, "x.anomalies.parquet")));
        Assert.True(File.Exists(Path.Combine(_dir, "x.captures.parquet")));
        Assert.False(File.Exists(Path.Combine(_dir, "x.packets.parquet")));
        Assert.Contains("12 flows", error);
        Assert.Empty(Directory.GetFiles(_dir, "*tmp*"));

        var (qexit, text, qerror) = CliRunner.Run("query", output, "--format", "csv",
            "select proto, conn_state, count(*) as n from flows group by all order by proto, conn_state");
        Assert.True(qexit == 0, qerror);
        Assert.Equal("proto,conn_state,n\nicmp,S0,3\nicmp,SF,2\ntcp,SF,2\nudp,S0,1\nudp,SF,4\n", text.Replace("\r\n", "\n"));
    }

    /// <summary>
    /// captures.sha256 is each input's SHA-256, computed beside its analysis; --no-hash leaves it null.
    /// </summary>
    [Fact]
    public void Captures_rows_carry_each_input_sha256_and_none_with_no_hash()
    {
        string[] inputs = [Capture("mixed-2ifaces.pcapng"), Capture("http-keepalive-veth.pcap")];
        string expected = "file,sha256\n" + string.Concat(inputs.Select(f =>
            $"{Path.GetFileName(f)},{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f)))}\n"));
        var (exit, _, error) = CliRunner.Run("analyze", inputs[0], inputs[1], "--out", _dir + "/hashed/");
        Assert.True(exit == 0, error);
        var (qexit, text, qerror) = CliRunner.Run("query", _dir + "/hashed/", "--format", "csv",
            "select parse_filename(path) as file, sha256 from captures order by 1 desc");
        Assert.True(qexit == 0, qerror);
        Assert.Equal(expected, text.Replace("\r\n", "\n"));

        (exit, _, error) = CliRunner.Run("analyze", inputs[0], "--out", _dir + "/plain/", "--no-hash");
        Assert.True(exit == 0, error);
        (qexit, text, qerror) = CliRunner.Run("query", _dir + "/plain/", "--format", "csv", "select sha256 is null as none from captures");
        Assert.True(qexit == 0, qerror);
        Assert.Equal("none\ntrue\n", text.Replace("\r\n", "\n"));
    }

    [Fact]
    public void Column_types_are_the_documented_ones()
    {
        CliRunner.Run("analyze", Capture("http-keepalive-veth.pcap"), "--out", _dir + "/", "--packets");
        var (exit, text, error) = CliRunner.Run("query", _dir + "/", "--format", "csv",
            "select column_name, column_type from (describe flows) where column_name in ('ts','orig_p','duration','orig_bytes','tunnel_parents','start_seen') order by 1");
        Assert.True(exit == 0, error);
        Assert.Equal("column_name,column_type\nduration,DOUBLE\norig_bytes,BIGINT\norig_p,INTEGER\nstart_seen,BOOLEAN\nts,TIMESTAMP_NS\ntunnel_parents,VARCHAR[]\n",
            text.Replace("\r\n", "\n"));
        var (_, joined, _) = CliRunner.Run("query", _dir + "/", "--format", "csv",
            "select count(*) as frames, count(distinct p.flow_uid) as flows from packets p join flows f using (flow_uid)");
        Assert.Equal("frames,flows\n59,1\n", joined.Replace("\r\n", "\n"));
    }

    [Fact]
    public void Plugin_record_tables_are_written_and_joined_to_their_flow()
    {
        string toy = Path.Combine(_dir, "toy.pcap");
        using (var stream = File.Create(toy))
        using (var writer = new Capture.Writing.PcapWriter(stream, 101))
        {
            // Raw IPv4/UDP to the toy port: 0x70F0, opcode 5, counter 7.
            byte[] frame = [0x45, 0, 0, 35, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
                0x13, 0x88, 0x7A, 0x69, 0, 15, 0, 0, 0x70, 0xF0, 5, 0, 0, 0, 7];
            writer.WritePacket(1_000_000_000, frame, frame.Length);
            writer.Complete();
        }

        var (exit, _, error) = CliRunner.Run("--plugins", ToyPluginFolder, "analyze", toy, "--out", _dir + "/out/");
        Assert.True(exit == 0, error);
        var (qexit, text, qerror) = CliRunner.Run("query", _dir + "/out/", "--format", "csv",
            "select t.opcode, t.counter, f.resp_p from toy_messages t join flows f using (flow_uid)");
        Assert.True(qexit == 0, qerror);
        Assert.Equal("opcode,counter,resp_p\n5,7,31337\n", text.Replace("\r\n", "\n"));
    }

    [Fact]
    public void Partitioned_by_date_in_a_hive_tree_that_query_reads()
    {
        string output = _dir + "/hive/";
        var (exit, _, error) = CliRunner.Run("analyze", Capture("mixed-2ifaces.pcapng"), Capture("ssh-session.pcapng"), "--out", output, "--partition-by", "date");
        Assert.True(exit == 0, error);
        var dates = Directory.GetDirectories(Path.Combine(output, "flows")).Select(d => Path.GetFileName(d)!).ToArray();
        Assert.Equal(["date=2026-11-24"], dates);
        var (qexit, text, qerror) = CliRunner.Run("query", output, "--format", "csv",
            "select count(*) as flows, count(distinct capture_id) as captures, min(date) as date from flows");
        Assert.True(qexit == 0, qerror);
        Assert.Equal("flows,captures,date\n13,2,2026-11-24\n", text.Replace("\r\n", "\n"));
    }

    [Fact]
    public void An_existing_output_is_kept_without_force()
    {
        string output = Path.Combine(_dir, "x.parquet");
        File.WriteAllText(output, "precious");
        var (exit, _, error) = CliRunner.Run("analyze", Capture("ssh-session.pcapng"), "--out", output);
        Assert.Equal(1, exit);
        Assert.Contains(output, error);
        Assert.Equal("precious", File.ReadAllText(output));
        Assert.Equal(0, CliRunner.Run("analyze", Capture("ssh-session.pcapng"), "--out", output, "--force").Exit);
        Assert.NotEqual("precious", File.ReadAllText(output));
    }

    [Fact]
    public void Force_replaces_the_whole_dataset_so_a_query_never_reads_two_runs()
    {
        string output = _dir + "/out/";
        Assert.Equal(0, CliRunner.Run("analyze", Capture("mixed-2ifaces.pcapng"), "--out", output, "--packets", "--quiet").Exit);
        Assert.True(File.Exists(Path.Combine(output, "packets.parquet")));

        var (exit, _, error) = CliRunner.Run("analyze", Capture("ssh-session.pcapng"), "--out", output, "--force");
        Assert.True(exit == 0, error);
        Assert.Contains($"removed (earlier run): {Path.Combine(output, "packets.parquet")}", error);
        Assert.False(File.Exists(Path.Combine(output, "packets.parquet")));
        var (qexit, text, qerror) = CliRunner.Run("query", output, "--format", "csv", "select count(*) filter (where table_name = 'packets') as packets, count(*) filter (where table_name = 'flows') as flows from information_schema.tables");
        Assert.True(qexit == 0, qerror);
        Assert.Equal("packets,flows\n0,1\n", text.Replace("\r\n", "\n"));
    }

    [Fact]
    public void A_file_that_is_not_a_capture_is_named_and_nothing_is_written()
    {
        string bogus = Path.Combine(_dir, "notes.txt");
        File.WriteAllText(bogus, "not a capture at all");
        var (exit, _, error) = CliRunner.Run("analyze", bogus, "--out", _dir + "/out/");
        Assert.Equal(2, exit);
        Assert.Contains("notes.txt", error);
        Assert.DoesNotContain("   at ", error);
        Assert.False(Directory.Exists(_dir + "/out") && Directory.GetFiles(_dir + "/out", "*.parquet").Length > 0);
    }

    [Fact]
    public void A_bad_input_among_good_ones_is_reported_and_the_rest_written()
    {
        string bogus = Path.Combine(_dir, "notes.pcap");
        File.WriteAllText(bogus, "not a capture at all");
        var (exit, _, error) = CliRunner.Run("analyze", bogus, Capture("ssh-session.pcapng"), "--out", _dir + "/out/");
        Assert.Equal(2, exit);
        Assert.Contains("notes.pcap", error);
        var (_, text, _) = CliRunner.Run("query", _dir + "/out/", "--format", "csv", "select count(*) as n from captures");
        Assert.Equal("n\n1\n", text.Replace("\r\n", "\n"));
    }

    [Fact]
    public void The_input_is_not_modified()
    {
        string copy = Path.Combine(_dir, "in.pcap");
        File.Copy(Capture("smtp-starttls.pcap"), copy);
        byte[] before = File.ReadAllBytes(copy);
        var time = File.GetLastWriteTimeUtc(copy);
        Assert.Equal(0, CliRunner.Run("analyze", copy, "--out", _dir + "/out/").Exit);
        Assert.Equal(before, File.ReadAllBytes(copy));
        Assert.Equal(time, File.GetLastWriteTimeUtc(copy));
    }
}
