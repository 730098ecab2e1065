using PcapForge.Abstractions;
using PcapForge.Capture.Writing;

namespace PcapForge.Cli.Tests;

/// <summary>Plugins found at start-up (MEF), a third-party plugin dropped into a folder, and the packets view.</summary>
public class PluginAndPacketsTests
{
    private static string ToyPluginFolder => Path.Combine(AppContext.BaseDirectory, "toy-plugin");

    /// <summary>A pcap of one Ethernet/IPv4/UDP frame to port 31337 carrying a Toy message, and one to port 9 (no dissector).</summary>
    internal static string WriteToyCapture()
    {
        string path = Path.Combine(Path.GetTempPath(), $"pcapforge-toy-{Guid.NewGuid():N}.pcap");
        using var stream = File.Create(path);
        using var w = new PcapWriter(stream, LinkTypes.Ethernet, 65535, nanoseconds: false);
        w.WritePacket(1_700_000_000_000_000_000, Frame(31337, [0x70, 0xF0, 0x05, 0, 0, 0, 42]), 49);
        w.WritePacket(1_700_000_000_500_000_000, Frame(9, [1, 2, 3]), 45);
        w.Complete();
        return path;
    }

    private static byte[] Frame(ushort port, byte[] payload)
    {
        var udp = new byte[8 + payload.Length];
        udp[0] = 0x30; udp[1] = 0x39;
        udp[2] = (byte)(port >> 8); udp[3] = (byte)port;
        udp[5] = (byte)udp.Length;
        payload.CopyTo(udp, 8);
        var ip = Convert.FromHexString("45000000000140004011" + "0000" + "0a000001" + "0a000002");
        ip[3] = (byte)(20 + udp.Length);
        uint sum = 0;
        for (int i = 0; i < 20; i += 2)
            sum += (uint)(ip[i] << 8 | ip[i + 1]);
        while (sum >> 16 != 0)
            sum = (sum & 0xFFFF) + (sum >> 16);
        ip[10] = (byte)(~sum >> 8);
        ip[11] = (byte)~sum;
        return Convert.FromHexString("020000000002020000000001" + "0800").Concat(ip).Concat(udp).ToArray();
    }

    [Fact]
    public void BuiltInDissectorsAreLoadedFromThePluginsFolder()
    {
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "plugins", "PcapForge.Dissectors.Core", "PcapForge.Dissectors.Core.dll")));
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "plugins", "PcapForge.Dissectors.Fallback", "PacketDotNet.dll")));
        var (exit, output, error) = CliRunner.Run("dissectors", "list");

        Assert.Equal(0, exit);
        Assert.Equal("", error);
        foreach (var id in new[] { "eth", "vlan", "ip", "ipv6", "tcp", "udp" })
            Assert.Contains(output.Split('\n'), l => l.StartsWith(id + "\t", StringComparison.Ordinal) && l.EndsWith("PcapForge.Dissectors.Core.dll", StringComparison.Ordinal));
        foreach (var id in new[] { "arp", "icmp", "gre", "geneve" })
            Assert.Contains(output.Split('\n'), l => l.StartsWith(id + "\t", StringComparison.Ordinal) && l.EndsWith("PcapForge.Dissectors.Link.dll", StringComparison.Ordinal));
        foreach (var id in new[] { "lldp", "igmp", "ospf" })
            Assert.Contains(output.Split('\n'), l => l.StartsWith(id + "\t", StringComparison.Ordinal) && l.EndsWith("PcapForge.Dissectors.Fallback.dll", StringComparison.Ordinal));
    }

    [Fact]
    public void AThirdPartyPluginDroppedIntoAFolderIsLoadedAndAFutureContractIsSkippedByName()
    {
        var (exit, output, error) = CliRunner.Run("--plugins", ToyPluginFolder, "fields", "list", "--protocol", "toy");

        Assert.Equal(0, exit);
        Assert.Contains("toy.opcode\tFT_UINT8\ttoy\tOpcode", output);
        Assert.Contains("toy.counter\tFT_UINT32", output);
        Assert.Contains("PcapForge.ToyPlugin.dll", error);
        Assert.Contains("'toyfuture' was built against contract version 99", error);
    }

    [Fact]
    public void TheToyPluginDecodesItsPortInThePacketsView()
    {
        string capture = WriteToyCapture();
        try
        {
            var (exit, output, _) = CliRunner.Run("--plugins", ToyPluginFolder, "packets", capture);
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);

            Assert.Equal(0, exit);
            Assert.Equal(2, lines.Length);
            Assert.Matches(@"^\s+1\s+0\.000000\s+10\.0\.0\.1 → 10\.0\.0\.2\s+TOY\s+49 Toy opcode 5$", lines[0]);
            Assert.Matches(@"^\s+2\s+0\.500000\s+10\.0\.0\.1 → 10\.0\.0\.2\s+UDP\s+45 12345 → 9 Len=3$", lines[1]);

            var (_, tree, _) = CliRunner.Run("--plugins", ToyPluginFolder, "packets", capture, "--frame", "1");
            Assert.Contains("Toy Protocol (toy), offset 42, 7 bytes", tree);
            Assert.Contains("    toy.counter (Counter): 42  [45+4]", tree);
            Assert.Contains("    udp.dstport (Destination Port): 31337  [36+2]", tree);
        }
        finally
        {
            File.Delete(capture);
        }
    }

    [Fact]
    public void WithoutThePluginTheSameFrameStopsAtUdp()
    {
        string capture = WriteToyCapture();
        try
        {
            var (_, output, _) = CliRunner.Run("packets", capture, "-c", "1");
            Assert.Contains(" UDP ", output);
            Assert.DoesNotContain("TOY", output);
        }
        finally
        {
            File.Delete(capture);
        }
    }

    [Fact]
    public void AFileThatIsNotADotNetAssemblyIsReportedAndSkipped()
    {
        string dir = Directory.CreateTempSubdirectory("pcapforge-plugins-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "broken.dll"), "not a PE file");
            var (exit, output, error) = CliRunner.Run("--plugins", dir, "dissectors", "list");

            Assert.Equal(0, exit);
            Assert.Contains("broken.dll: not a .NET assembly; skipped", error);
            Assert.Contains("tcp\t", output);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}

/// <summary>Golden: the packets view (one line per frame) of every capture the project recorded.</summary>
public class PacketsGoldenTests
{
    public static TheoryData<string> OwnCaptures()
    {
        var data = new TheoryData<string>();
        foreach (var f in PcapForge.TestSupport.TestData.Captures(PcapForge.TestSupport.TestData.OwnCaptures))
        {
            if (!f.EndsWith(".gz", StringComparison.Ordinal) && !f.EndsWith(".zst", StringComparison.Ordinal))
                data.Add(Path.GetFileName(f));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(OwnCaptures))]
    public void PacketsViewOfOwnCapture(string name)
    {
        var (exit, output, error) = CliRunner.Run("packets", Path.Combine(PcapForge.TestSupport.TestData.OwnCaptures, name));

        Assert.Equal(0, exit);
        Assert.Equal("", error);
        PcapForge.TestSupport.Golden.Verify(output, name);
    }
}

public class PacketsFieldsTests
{
    [Fact]
    public void FieldsAreTabSeparatedWithOccurrencesJoinedAsTsharkPrintsThem()
    {
        // tshark -r mixed-2ifaces.pcapng -Y 'icmp.type == 3' -T fields -E occurrence=a -E aggregator=,
        //        -e ip.src -e ip.dst -e udp.dstport -e icmp.type  →  the error and the header it quotes.
        var (exit, output, error) = CliRunner.Run("packets", Path.Combine(PcapForge.TestSupport.TestData.OwnCaptures, "mixed-2ifaces.pcapng"),
            "-Y", "icmp.type == 3", "-e", "ip.src", "-e", "ip.dst", "-e", "udp.dstport", "-e", "icmp.type", "--header");

        Assert.Equal(0, exit);
        Assert.Equal("ip.src\tip.dst\tudp.dstport\ticmp.type\n10.203.0.2,10.203.0.1\t10.203.0.1,10.203.0.2\t9\t3\n", output.Replace("\r\n", "\n"));
        Assert.Contains("anomaly: pcapng.isb_microsecond_timestamps", error); // file anomalies go to stderr, not into the data
    }

    [Fact]
    public void AnUnknownFieldIsAUsageError()
    {
        var (exit, _, error) = CliRunner.Run("packets", Path.Combine(PcapForge.TestSupport.TestData.OwnCaptures, "mixed-2ifaces.pcapng"), "-e", "http.host");
        Assert.Equal(1, exit);
        Assert.Contains("no dissector declares the field 'http.host'", error);
    }
}
