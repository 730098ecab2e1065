using System.Security.Cryptography;
using Xunit.Abstractions;
using static PcapForge.Dissectors.Ssh.Tests.SshWire;

namespace PcapForge.Dissectors.Ssh.Tests;

/// <summary>
/// The ssh table against tshark 4.0 over real captures: <c>ssh.protocol</c> (both identification strings) and
/// <c>ssh.message_code</c> (the unencrypted messages of each side) from ../shared/pcaps/expected/, and HASSH,
/// HASSHServer and the host key from Conformance/*.ssh-kex.tsv (tests/conformance/tshark-ssh.sh). Sessions are
/// matched to tshark's TCP streams by their two ports. Every accepted divergence is listed with its reason.
/// </summary>
public class SshConformanceTests(ITestOutputHelper output)
{
    /// <summary>Every capture of ../shared/pcaps with an expected/*.ssh-banners.txt or *.ssh-kex.txt (checked by <see cref="The_list_holds_every_capture_with_an_ssh_reference"/>).</summary>
    public static readonly TheoryData<string> SharedCaptures =
    [
        "broken-pcap-cut-mid-packet.pcap", "broken-pcap-cut-mid-record-header.pcap", "ipv6-mixed-1999.pcap", "ssh-1.99-dh-gex-2006.pcap",
        "ssh-bruteforce-11-conns.pcap", "ssh-on-port-80.pcap", "ssh-openssh-curve25519.pcap", "ssh-openssh-debian.pcap", "ssh-tcp-duplicates.pcap",
        "tunnel-gre-ip.pcap",
    ];

    /// <summary>
    /// Captures whose ssh.message_code list differs from the record's, and why. Nothing else may differ; an entry
    /// that excuses nothing fails.
    /// </summary>
    private static readonly Dictionary<string, string> MessageCodeDivergences = new()
    {
        ["ssh-tcp-duplicates.pcap"] =
            "every segment was captured four times: tshark dissects each retransmitted copy again (20 ×4, 30 ×4), the engine's reassembly delivers the bytes once; "
            + "compared after dropping tshark frames that repeat the previous frame of the same direction",
    };

    private static string Shared(string name) => Path.Combine(TestData.SharedPcaps!, name);

    private static string Expected(string name) => Path.Combine(TestData.SharedPcaps!, "expected", name);

    [SharedPcapsFact]
    public void The_list_holds_every_capture_with_an_ssh_reference()
    {
        var withReference = Directory.GetFiles(Path.Combine(TestData.SharedPcaps!, "expected"))
            .Select(f => Path.GetFileName(f))
            .Where(f => f.EndsWith(".ssh-banners.txt", StringComparison.Ordinal) || f.EndsWith(".ssh-kex.txt", StringComparison.Ordinal))
            .Select(f => f[..f.LastIndexOf(".ssh-", StringComparison.Ordinal)])
            .Distinct()
            .Order(StringComparer.Ordinal);
        Assert.Equal(withReference, ((IEnumerable<object[]>)SharedCaptures).Select(c => (string)c[0]).Order(StringComparer.Ordinal));
    }

    [SharedPcapsTheory]
    [MemberData(nameof(SharedCaptures))]
    public void Identification_strings_agree_with_tshark(string capture)
    {
        var sessions = Sessions(Shared(capture));
        var banners = Tsv(Expected(capture + ".ssh-banners.txt"));
        var streams = banners.GroupBy(b => b["tcp.stream"]).ToList();
        // One record per connection tshark saw SSH on, and none elsewhere.
        Assert.Equal(streams.Count, sessions.Count);
        foreach (var stream in streams)
        {
            var session = Find(sessions, stream.First());
            foreach (var banner in stream)
            {
                string column = int.Parse(banner["tcp.srcport"]) == session.OrigPort ? "client" : "server";
                output.WriteLine($"{capture} stream {stream.Key} frame {banner["frame.number"]}: {column} '{banner["ssh.protocol"]}'");
                Assert.Equal(banner["ssh.protocol"], session.Row[column]);
            }
        }
    }

    [SharedPcapsTheory]
    [MemberData(nameof(SharedCaptures))]
    public void Kex_message_codes_agree_with_tshark(string capture)
    {
        var sessions = Sessions(Shared(capture));
        var banners = Tsv(Expected(capture + ".ssh-banners.txt"));
        var kex = Tsv(Expected(capture + ".ssh-kex.txt"));
        bool excused = MessageCodeDivergences.TryGetValue(capture, out string? reason);
        bool differs = false;
        foreach (var stream in banners.GroupBy(b => b["tcp.stream"]))
        {
            var session = Find(sessions, stream.First());
            foreach (bool client in new[] { true, false })
            {
                var frames = kex.Where(k => k["tcp.stream"] == stream.Key && int.Parse(k["tcp.srcport"]) == (client ? session.OrigPort : session.RespPort))
                    .Select(k => k["ssh.message_code"]).ToList();
                var expected = frames.SelectMany(f => f.Split(',')).ToList();
                var got = (IReadOnlyList<string>?)session.Row[client ? "client_kex_messages" : "server_kex_messages"] ?? [];
                output.WriteLine($"{capture} stream {stream.Key} {(client ? "client" : "server")}: tshark [{string.Join(",", expected)}], record [{string.Join(",", got)}]");
                if (expected.SequenceEqual(got))
                    continue;
                differs = true;
                Assert.True(excused, $"{capture} stream {stream.Key}: tshark [{string.Join(",", expected)}], record [{string.Join(",", got)}]");
                var deduplicated = frames.Where((f, i) => i == 0 || frames[i - 1] != f).SelectMany(f => f.Split(','));
                Assert.Equal(deduplicated, got);
            }
        }

        Assert.True(!excused || differs, $"stale divergence for {capture}: {reason}");
    }

    public static TheoryData<string, string> KexReferences()
    {
        var data = new TheoryData<string, string>();
        string conformance = Path.Combine(AppContext.BaseDirectory, "Conformance");
        foreach (string folder in new[] { "testdata", "shared" })
        {
            foreach (string file in Directory.GetFiles(Path.Combine(conformance, folder), "*.ssh-kex.tsv").Order(StringComparer.Ordinal))
                data.Add(folder, Path.GetFileName(file)[..^".ssh-kex.tsv".Length]);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(KexReferences))]
    public void Hassh_and_host_key_agree_with_tshark(string folder, string capture)
    {
        string? directory = folder == "testdata" ? TestData.OwnCaptures : TestData.SharedPcaps;
        if (directory is null)
        {
            output.WriteLine(TestData.SharedMissing);
            return;
        }

        var sessions = Sessions(Path.Combine(directory, capture));
        var rows = Tsv(Path.Combine(AppContext.BaseDirectory, "Conformance", folder, capture + ".ssh-kex.tsv"));
        int compared = 0;
        foreach (var row in rows)
        {
            var session = Find(sessions, row);
            if (row["ssh.kex.hassh"].Length > 0)
            {
                Assert.Equal(row["ssh.kex.hassh"], session.Row["hassh"]);
                Assert.Equal(row["ssh.kex.hassh_algorithms"], session.Row["hassh_algorithms"]);
                compared++;
            }

            if (row["ssh.kex.hasshserver"].Length > 0)
            {
                Assert.Equal(row["ssh.kex.hasshserver"], session.Row["hasshserver"]);
                Assert.Equal(row["ssh.kex.hasshserver_algorithms"], session.Row["hasshserver_algorithms"]);
                compared++;
            }

            if (row["ssh.host_key.type"].Length > 0)
            {
                Assert.Equal(row["ssh.host_key.type"], session.Row["host_key_type"]);
                if (HostKeyBlob(row) is { } blob)
                {
                    Assert.Equal(int.Parse(row["ssh.host_key.length"]), blob.Length);
                    Assert.Equal("SHA256:" + Convert.ToBase64String(SHA256.HashData(blob)).TrimEnd('='), session.Row["host_key_sha256"]);
                    Assert.Equal(string.Join(":", MD5.HashData(blob).Select(b => b.ToString("x2"))), session.Row["host_key"]);
                }
                else
                {
                    // A certificate: tshark 4.0 reads it as a plain key (its "EdDSA public key" is the certificate's
                    // nonce), so the blob cannot be rebuilt from its fields; Zeek's baseline gives the fingerprint.
                    Assert.True(ZeekHostKeys.TryGetValue(capture, out string? zeek), $"no reference for the {row["ssh.host_key.type"]} host key of {capture}");
                    Assert.Equal(zeek, session.Row["host_key"]);
                }

                compared++;
            }

            output.WriteLine($"{capture} frame {row["frame.number"]}: agrees");
        }

        // SSH-1 (ipv6-mixed-1999.pcap): tshark shows no KEXINIT or host key fields, so there is nothing to compare.
        Assert.True(compared > 0 || capture == "ipv6-mixed-1999.pcap", "nothing compared");
    }

    /// <summary>Every capture of testdata/ and ../shared/pcaps (the compressed copies too: they must give the same).</summary>
    public static TheoryData<string, string> AllCaptures()
    {
        var data = new TheoryData<string, string>();
        foreach (string file in TestData.Captures(TestData.OwnCaptures))
            data.Add("testdata", Path.GetFileName(file));
        if (TestData.SharedPcaps is { } shared)
        {
            foreach (string file in TestData.Captures(shared))
                data.Add("shared", Path.GetFileName(file));
        }

        return data;
    }

    /// <summary>
    /// No SSH record where tshark sees no SSH, and one per connection where it does: the heuristic runs on every TCP
    /// flow of every capture (HTTP, SMTP, TLS, DNS over TCP, the 500-connection volume capture...) and must neither
    /// claim nor throw on any. For ../shared/pcaps the count is that of tshark's streams in expected/*.ssh-banners.txt;
    /// for testdata/ that of the streams in Conformance/testdata/*.ssh-kex.tsv (made for the captures in which tshark
    /// finds ssh.protocol).
    /// </summary>
    [Theory]
    [MemberData(nameof(AllCaptures))]
    public void Ssh_records_exist_exactly_where_tshark_sees_ssh(string folder, string capture)
    {
        string directory = folder == "testdata" ? TestData.OwnCaptures : TestData.SharedPcaps!;
        string uncompressed = capture.EndsWith(".gz", StringComparison.Ordinal) || capture.EndsWith(".zst", StringComparison.Ordinal) ? Path.GetFileNameWithoutExtension(capture) : capture;
        string reference = folder == "testdata"
            ? Path.Combine(AppContext.BaseDirectory, "Conformance", "testdata", uncompressed + ".ssh-kex.tsv")
            : Expected(uncompressed + ".ssh-banners.txt");
        int expected = File.Exists(reference) ? Tsv(reference).Select(r => r["tcp.stream"]).Distinct().Count() : 0;
        var rows = Analyzer.Run(Path.Combine(directory, capture));
        Assert.DoesNotContain(rows["anomalies"], a => (string)a["name"]! == "engine.dissector_exception");
        Assert.Equal(expected, rows["ssh"].Count);
        Assert.Equal(expected, rows["flows"].Count(f => ((string?)f["service"])?.Split(',').Contains("ssh") == true));
    }

    /// <summary>
    /// The OpenSSH session of testdata/ (ed25519 host key made by record.sh): the fingerprint computed outside
    /// PcapForge from tshark's ssh.host_key.eddsa.key, and the rest of the record.
    /// </summary>
    [Fact]
    public void The_recorded_openssh_session_is_fully_described()
    {
        var rows = Analyzer.Run(Path.Combine(TestData.OwnCaptures, "ssh-session.pcapng"));
        Assert.Equal("ssh", Assert.Single(rows["flows"])["service"]);
        var ssh = Assert.Single(rows["ssh"]);
        Assert.DoesNotContain(rows["anomalies"], a => ((string)a["name"]!).StartsWith("ssh.", StringComparison.Ordinal) || (string)a["name"]! == "engine.dissector_exception");
        Assert.Equal("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10", ssh["client"]);
        Assert.Equal("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10", ssh["server"]);
        Assert.Equal("OpenSSH_9.2p1", ssh["server_software"]);
        Assert.Equal("Debian-2+deb12u10", ssh["server_comments"]);
        Assert.Equal(2, ssh["version"]);
        // OpenSSH 9.2 lists sntrup761x25519-sha512 before its @openssh.com alias; the client's order decides (RFC 4253 §7.1).
        Assert.Equal("sntrup761x25519-sha512", ssh["kex_alg"]);
        Assert.Equal("ssh-ed25519", ssh["host_key_alg"]);
        Assert.Equal("ssh-ed25519", ssh["host_key_type"]);
        Assert.Equal(Ed25519Sha256, ssh["host_key_sha256"]);
        Assert.Equal(Ed25519Md5, ssh["host_key"]);
        Assert.Equal("472b5de333ad665af5cbf10ff892c4df", ssh["hassh"]);
        Assert.Equal("425d29fe50d8e4f5e37efb6e24bcf660", ssh["hasshserver"]);
        Assert.Equal(["20", "30", "21"], (IReadOnlyList<string>)ssh["client_kex_messages"]!);
        Assert.Equal(["20", "31", "21"], (IReadOnlyList<string>)ssh["server_kex_messages"]!);
        Assert.Equal(true, ssh["client_newkeys"]);
        Assert.Equal(true, ssh["server_newkeys"]);
        Assert.True((long)ssh["encrypted_bytes_orig"]! > 0);
        Assert.True((long)ssh["encrypted_bytes_resp"]! > 0);
        output.WriteLine(string.Join("\n", ssh.Select(kv => $"{kv.Key} = {StreamRun.Format(kv.Value)}")));
    }

    /// <summary>
    /// Zeek's ssh.log host_key (MD5 of K_S) for host keys tshark's fields cannot rebuild. ssh-openssh-curve25519.pcap is
    /// Zeek's testing/btest/Traces/ssh/ssh_kex_curve25519.pcap; the value is its baseline
    /// testing/btest/Baseline/scripts.base.protocols.ssh.curve25519_kex/ssh.log (zeek/zeek c85d6d61120c).
    /// </summary>
    private static readonly Dictionary<string, string> ZeekHostKeys = new()
    {
        ["ssh-openssh-curve25519.pcap"] = "e4:b1:8e:ca:6e:0e:e5:3c:7e:a4:0e:70:34:9d:b2:b1",
    };

    /// <summary>
    /// The Zeek ssh.log columns of ssh-openssh-curve25519.pcap against Zeek's own baseline for that trace (see
    /// <see cref="ZeekHostKeys"/>): version, client, server and the negotiated algorithms.
    /// </summary>
    [SharedPcapsFact]
    public void Zeek_columns_agree_with_zeeks_baseline()
    {
        var row = Assert.Single(Sessions(Shared("ssh-openssh-curve25519.pcap"))).Row;
        Assert.Equal(2, row["version"]);
        Assert.Equal("SSH-2.0-OpenSSH_7.4", row["client"]);
        Assert.Equal("SSH-2.0-OpenSSH_7.5", row["server"]);
        Assert.Equal("chacha20-poly1305@openssh.com", row["cipher_alg"]);
        Assert.Equal("hmac-sha2-512-etm@openssh.com", row["mac_alg"]);
        Assert.Equal("none", row["compression_alg"]);
        Assert.Equal("curve25519-sha256", row["kex_alg"]);
        Assert.Equal("ssh-ed25519-cert-v01@openssh.com", row["host_key_alg"]);
        Assert.Equal("e4:b1:8e:ca:6e:0e:e5:3c:7e:a4:0e:70:34:9d:b2:b1", row["host_key"]);
    }

    /// <summary>The K_S blob rebuilt from tshark's host key fields (RFC 4253 §6.6 ssh-rsa/ssh-dss, RFC 5656 §3.1, RFC 8709 §4); null for certificates.</summary>
    private static byte[]? HostKeyBlob(Dictionary<string, string> row)
    {
        string type = row["ssh.host_key.type"];
        byte[] F(string field) => Str(Convert.FromHexString(row[field]));
        return type switch
        {
            "ssh-rsa" => Concat(Str(type), F("ssh.host_key.rsa.e"), F("ssh.host_key.rsa.n")),
            "ssh-dss" => Concat(Str(type), F("ssh.host_key.dsa.p"), F("ssh.host_key.dsa.q"), F("ssh.host_key.dsa.g"), F("ssh.host_key.dsa.y")),
            "ssh-ed25519" => Concat(Str(type), F("ssh.host_key.eddsa.key")),
            _ when type.Contains("-cert-", StringComparison.Ordinal) => null,
            _ when type.StartsWith("ecdsa-sha2-", StringComparison.Ordinal) => Concat(Str(type), Str(row["ssh.host_key.ecdsa.id"]), F("ssh.host_key.ecdsa.q")),
            _ => throw new InvalidOperationException($"no rebuild for host key type {type}"),
        };
    }

    private sealed record Session(int OrigPort, int RespPort, Dictionary<string, object?> Row);

    /// <summary>The ssh records of a capture, with their flow's ports; fails on an exception of the dissector.</summary>
    private static List<Session> Sessions(string path)
    {
        var rows = Analyzer.Run(path);
        Assert.DoesNotContain(rows["anomalies"], a => (string)a["name"]! == "engine.dissector_exception");
        var flows = rows["flows"].ToDictionary(f => (string)f["flow_uid"]!);
        return rows["ssh"].Select(r =>
        {
            var flow = flows[(string)r["flow_uid"]!];
            return new Session(Convert.ToInt32(flow["orig_p"]), Convert.ToInt32(flow["resp_p"]), r);
        }).ToList();
    }

    /// <summary>The session of a tshark row, by its two ports.</summary>
    private static Session Find(List<Session> sessions, Dictionary<string, string> row)
    {
        int a = int.Parse(row["tcp.srcport"]), b = int.Parse(row["tcp.dstport"]);
        return Assert.Single(sessions, s => (s.OrigPort == a && s.RespPort == b) || (s.OrigPort == b && s.RespPort == a));
    }

    /// <summary>A tshark -T fields file: '#' lines skipped, the header names the columns.</summary>
    private static List<Dictionary<string, string>> Tsv(string path)
    {
        var lines = File.ReadAllLines(path).Where(l => !l.StartsWith('#')).ToList();
        var header = lines[0].Split('\t');
        return lines.Skip(1).Where(l => l.Length > 0).Select(l =>
        {
            var cells = l.Split('\t');
            return header.Select((h, i) => (h, v: i < cells.Length ? cells[i] : "")).ToDictionary(p => p.h, p => p.v);
        }).ToList();
    }
}
