using System.Text.Json;
using PcapForge.Capture;
using PcapForge.Cli.Commands;
using PcapForge.TestSupport;

namespace PcapForge.Cli.Tests;

public class InfoCommandTests
{
    public static TheoryData<string> OwnCaptures()
    {
        var data = new TheoryData<string>();
        foreach (var f in TestData.Captures(TestData.OwnCaptures))
            data.Add(Path.GetFileName(f));
        return data;
    }

    /// <summary>Golden: the info text of every capture the project recorded (testdata/README.md says how).</summary>
    [Theory]
    [MemberData(nameof(OwnCaptures))]
    public void InfoTextOfOwnCapture(string name)
    {
        var summary = CaptureSummary.Read(Path.Combine(TestData.OwnCaptures, name));
        Golden.Verify(InfoFormatter.FormatText(summary, name), name);
    }

    [Fact]
    public void JsonHasTheDocumentedFieldsOnePerFile()
    {
        var dir = TestData.OwnCaptures;
        var (exit, output, error) = CliRunner.Run("info", "--json", dir);

        Assert.Equal(0, exit);
        // testdata/ also holds record.sh and README.md: skipped with a note each, nothing else on stderr.
        Assert.All(error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.StartsWith("pcapforge info: skipped ", l));
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(TestData.Captures(dir).Count(), lines.Length);
        foreach (var line in lines)
        {
            using var doc = JsonDocument.Parse(line);
            var o = doc.RootElement;
            string file = o.GetProperty("file").GetString()!;
            var summary = CaptureSummary.Read(file);
            Assert.Equal(summary.Frames, o.GetProperty("frames").GetInt64());
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$", o.GetProperty("first_ts").GetString());
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$", o.GetProperty("last_ts").GetString());
            Assert.True(o.GetProperty("format").GetString() is "pcap" or "pcap (nanosecond)" or "pcapng");
            Assert.Equal(summary.Interfaces.Select(i => i.LinkType),
                o.GetProperty("interfaces").EnumerateArray().Select(i => i.GetProperty("link_type").GetInt32()));
            Assert.Equal(JsonValueKind.Array, o.GetProperty("anomalies").ValueKind);
        }
    }

    [Fact]
    public void JsonAnomaliesCarryNameAndOffset()
    {
        var bytes = File.ReadAllBytes(TestData.Captures(TestData.OwnCaptures).First(f => f.EndsWith(".pcap", StringComparison.Ordinal)));
        string path = Path.Combine(Path.GetTempPath(), $"pcapforge-cut-{Guid.NewGuid():N}.pcap");
        File.WriteAllBytes(path, bytes[..^7]);
        try
        {
            var (exit, output, _) = CliRunner.Run("info", "--json", path);

            Assert.Equal(0, exit);
            using var doc = JsonDocument.Parse(output);
            var anomaly = doc.RootElement.GetProperty("anomalies")[0];
            Assert.Equal("pcap.truncated_record", anomaly.GetProperty("name").GetString());
            Assert.True(anomaly.GetProperty("offset").GetInt64() > 24);
            Assert.True(doc.RootElement.GetProperty("stopped_early").GetBoolean());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void NotACaptureExitsWithCode2AndOneClearLineNoStackTrace()
    {
        string path = Path.Combine(Path.GetTempPath(), $"pcapforge-text-{Guid.NewGuid():N}.pcap");
        File.WriteAllText(path, "GET / HTTP/1.1\r\n");
        try
        {
            var (exit, output, error) = CliRunner.Run("info", path);

            Assert.Equal(ExitCodes.InputError, exit);
            Assert.Equal("", output);
            Assert.Single(error.Trim().Split('\n'));
            Assert.Contains(path, error);
            Assert.Contains("not a pcap or pcapng file", error);
            Assert.DoesNotContain("   at ", error);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void MissingFileExitsWithCode2()
    {
        var (exit, _, error) = CliRunner.Run("info", "/nonexistent/capture.pcap");
        Assert.Equal(ExitCodes.InputError, exit);
        Assert.Contains("/nonexistent/capture.pcap: no such file", error);
    }

    [Fact]
    public void DirectorySkipsFilesThatAreNotCapturesAndSaysSo()
    {
        string dir = Directory.CreateTempSubdirectory("pcapforge-dir-").FullName;
        try
        {
            File.Copy(TestData.Captures(TestData.OwnCaptures).First(), Path.Combine(dir, "a.pcapng"));
            File.WriteAllText(Path.Combine(dir, "notes.txt"), "hello");
            var (exit, output, error) = CliRunner.Run("info", dir);

            Assert.Equal(0, exit);
            Assert.Contains("a.pcapng", output);
            Assert.Contains("skipped", error);
            Assert.Contains("notes.txt", error);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void UnknownOptionIsAUsageError()
    {
        var (exit, _, error) = CliRunner.Run("info", "--no-such-option", "x.pcap");
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("--no-such-option", error);
    }
}
