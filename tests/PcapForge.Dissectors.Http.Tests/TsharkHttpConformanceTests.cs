using System.Text;
using Xunit.Abstractions;

namespace PcapForge.Dissectors.Http.Tests;

/// <summary>
/// The <c>http</c> table against tshark 4.0.17 (issue 5): per TCP connection, the requests' method, URI, Host and
/// User-Agent (<c>http.request.method/uri/host</c>, <c>http.user_agent</c>) and the response codes
/// (<c>http.response.code</c>, a 1xx included) agree value for value and in order. tshark's references are
/// <c>../shared/pcaps/expected/&lt;capture&gt;.http-requests.txt</c> and <c>.http-responses.txt</c> for the public
/// corpus, and <c>Conformance/testdata/</c> (tests/conformance/tshark-http.sh) for testdata/. Every capture is
/// analysed: one where tshark saw no HTTP must give no row either. A connection is its client address and port and
/// its server port; a response row of tshark, which has no client port, is placed by its <c>tcp.stream</c> (the
/// stream of a request row, or else the stream-th TCP flow in order of first frame). Each known difference is listed
/// in <see cref="Divergences"/> with its reason; an entry that explains nothing any more fails the test.
/// </summary>
public class TsharkHttpConformanceTests(ITestOutputHelper output)
{
    /// <summary>(capture, difference as the test names it) → why it differs from tshark.</summary>
    private static readonly Dictionary<(string Capture, string Item), string> Divergences = Known();

    private static Dictionary<(string, string), string> Known()
    {
        const string truncated = "the capture ends inside this response's body: tshark lists a response only once its body is reassembled; we keep the status line read (and report http.truncated_message)";
        const string ssdp = "SSDP M-SEARCH requests are HTTP over UDP (port 1900), which tshark's http filter shows; the http table is HTTP over TCP";
        const string lateRetransmission = "a hole in a response body is filled by retransmissions that come out of order later: tshark's single-pass reassembly never completes that body and does not list the response; ours fills the hole";
        const string notAMethod = "the client's method is the non-ASCII bytes c3 83 c3 82 c3 83, neither a token nor a registered method: the heuristic rejects the connection, where tshark decodes port 80 as HTTP and lists the server's 400/405";
        var known = new Dictionary<(string, string), string>
        {
            [("broken-pcapng-cut-mid-block.pcapng", "172.16.16.128:1989->80 responses")] = "the file is cut inside the second response's body: " + truncated,
            [("mixed-many-protocols.pcap", "10.0.0.1:55193->80 requests")] = "the capture starts mid-connection with two TCP keep-alive probes (one byte 0x00 each, already acknowledged) that the reassembler delivers as stream data, so the client's first byte is not HTTP and the flow is rejected (an engine matter: keep-alive probes should not be delivered)",
            [("mixed-many-protocols.pcap", "10.0.0.1:55193->80 responses")] = "as for its requests: the connection was rejected after a keep-alive probe's byte",
            [("mixed-many-protocols.pcap", "10.0.0.1:55282->80 responses")] = "the server's FIN comes before its last data segment (a retransmission): tshark's reassembly never completes the 302, ours does",
            [("mixed-many-protocols.pcap", "10.0.0.1:55297->80 responses")] = "a body segment is missing and others arrive out of order: tshark never completes the body; we skip the gap by length and keep the response",
            [("mixed-many-protocols.pcap", "udp requests")] = ssdp,
            [("mixed-ndpi-1kxun-lan.pcap", "udp requests")] = ssdp,
            [("mixed-web-browsing-4.6k-pkts.pcap", "10.0.0.4:49682->5005 requests")] = "a UPnP SUBSCRIBE (GENA, HTTP syntax) to port 5005, which tshark does not decode as HTTP; we find it by content",
            [("mixed-web-browsing-4.6k-pkts.pcap", "10.0.0.6:44152->80 responses")] = lateRetransmission,
            [("mixed-web-browsing-4.6k-pkts.pcap", "10.0.0.6:44153->80 responses")] = lateRetransmission,
            [("mpls-mixed-vlan.pcap", "10.20.80.1:50343->80 requests")] = "an HTTP/0.9 exchange ('GET /' answered by a bare HTML body, no status line): the server's first bytes are not HTTP/, so the heuristic rejects the connection; HTTP/0.9 is not parsed",
            [("pcap-rawip-101-v4-v6.pcap", "2001:618:400::5199:cc70:35997->80 responses")] = truncated,
            [("tcp-gap-ooo-http.pcap", "192.168.122.155:51001->80 responses")] = "a segment of the first response's body was never captured: tshark's reassembly stops there and lists none of the later responses; we skip the gap by length and read all three",
            [("tcp-retrans-dupack-ooo.pcap", "172.17.96.143:59221->4000 responses")] = "tshark lists two of the server's responses twice, once more for their fast retransmissions (frames 42 and 86); reassembly keeps one copy",
        };
        foreach (int port in new[] { 49613, 35664, 38314, 46200, 49354, 49370, 60148 })
            known[("mixed-ndpi-1kxun-lan.pcap", $"{(port == 49613 ? "192.168.115.8" : "192.168.2.126")}:{port}->80 responses")] = truncated;
        foreach (int port in new[] { 46572, 46573, 46574, 46575, 46576 })
            known[("http-methods-chunked.pcap", $"128.2.6.136:{port}->80 responses")] = notAMethod;
        return known;
    }

    private sealed record Request(string Method, string Host, string Uri, string UserAgent)
    {
        public override string ToString() => $"{Method} {Uri} host={Host} ua={UserAgent}";
    }

    /// <summary>What one side says about one connection: requests and response codes in order.</summary>
    private sealed class Connection
    {
        public List<Request> Requests { get; } = new();
        public List<string> Codes { get; } = new();
    }

    /// <summary>tshark's rows of one capture, by connection key.</summary>
    private static Dictionary<string, Connection> Theirs(string requestsFile, string responsesFile, Func<int, string, int, string?> streamKey)
    {
        var result = new Dictionary<string, Connection>();
        var streams = new Dictionary<string, string>();
        foreach (var row in Read(requestsFile))
        {
            // In a tunnel (VXLAN, Teredo) every IP header's source is listed: the innermost, last, is the client's.
            string client = (row["ip.src"].Length > 0 ? row["ip.src"] : row["ipv6.src"]).Split(',')[^1];
            // No TCP port: HTTP over UDP (SSDP), which tshark's http filter also shows.
            string key = row["tcp.srcport"].Length == 0 ? "udp" : Key(client, int.Parse(row["tcp.srcport"]), int.Parse(row["tcp.dstport"]));
            streams.TryAdd(row["tcp.stream"], key);
            // Several requests in one frame (pipelining) are aggregated with commas: split them again.
            var methods = row["http.request.method"].Split(',');
            string[] Part(string field)
            {
                var parts = row[field].Split(',');
                return parts.Length == methods.Length ? parts : Enumerable.Repeat(row[field], methods.Length).ToArray();
            }

            var hosts = Part("http.host");
            var uris = Part("http.request.uri");
            var agents = Part("http.user_agent");
            var c = Get(result, key);
            for (int i = 0; i < methods.Length; i++)
                c.Requests.Add(new Request(methods[i], hosts[i], uris[i], agents[i]));
        }

        foreach (var row in Read(responsesFile))
        {
            string stream = row["tcp.stream"];
            string server = (row["ip.src"].Length > 0 ? row["ip.src"] : row["ipv6.src"]).Split(',')[^1];
            string key = stream.Length == 0 ? "udp"
                : streams.GetValueOrDefault(stream) ?? streamKey(int.Parse(stream), server, int.Parse(row["tcp.srcport"].Split(',')[^1])) ?? $"tcp.stream {stream}";
            Get(result, key).Codes.AddRange(row["http.response.code"].Split(','));
        }

        return result;
    }

    private sealed record Flow(string OrigH, int OrigP, string RespH, int RespP)
    {
        public string Key => TsharkHttpConformanceTests.Key(OrigH, OrigP, RespP);

        /// <summary>The key when the originator is the server (a capture that starts mid-connection with the server's packet).</summary>
        public string Reversed => TsharkHttpConformanceTests.Key(RespH, RespP, OrigP);
    }

    /// <summary>Our rows of one capture, by the flow's key, and every TCP flow in order of first frame.</summary>
    private static (Dictionary<string, Connection> Connections, List<Flow> TcpFlows) Ours(string capture)
    {
        var rows = Analyzer.Run(capture);
        var flows = rows["flows"].Where(f => (string)f["proto"]! == "tcp").OrderBy(f => (long)f["first_frame"]!).ToList();
        var tcp = flows.Select(f => new Flow((string)f["orig_h"]!, (int)f["orig_p"]!, (string)f["resp_h"]!, (int)f["resp_p"]!)).ToList();
        var keys = flows.Select((f, i) => (Uid: (string)f["flow_uid"]!, tcp[i].Key)).ToDictionary(p => p.Uid, p => p.Key);
        var order = flows.Select((f, i) => (Uid: (string)f["flow_uid"]!, Index: i)).ToDictionary(p => p.Uid, p => p.Index);
        var result = new Dictionary<string, Connection>();
        foreach (var r in rows["http"].OrderBy(r => order[(string)r["flow_uid"]!]).ThenBy(r => (int)r["trans_depth"]!))
        {
            var c = Get(result, keys[(string)r["flow_uid"]!]);
            if (r["method"] is string method)
                c.Requests.Add(new Request(method, (string?)r["host"] ?? "", (string?)r["uri"] ?? "", (string?)r["user_agent"] ?? ""));
            if (r["info_code"] is int info && !Equals(r["info_code"], r["status_code"]))
                c.Codes.Add(info.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (r["status_code"] is int code)
                c.Codes.Add(code.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return (result, tcp);
    }

    private static string Key(string client, int clientPort, int serverPort) => $"{client}:{clientPort}->{serverPort}";

    private static Connection Get(Dictionary<string, Connection> map, string key) =>
        map.TryGetValue(key, out var c) ? c : map[key] = new Connection();

    /// <summary>The rows of a tshark -T fields file (header line first; '#' lines are comments), or none when it is absent.</summary>
    private static IEnumerable<Dictionary<string, string>> Read(string path)
    {
        if (!File.Exists(path))
            yield break;
        string[]? header = null;
        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith('#') || line.Length == 0)
                continue;
            var cells = line.Split('\t');
            if (header is null)
            {
                header = cells;
                continue;
            }

            yield return header.Select((h, i) => (h, v: i < cells.Length ? cells[i] : "")).ToDictionary(p => p.h, p => p.v);
        }
    }

    /// <summary>Differences for one capture, one line each: "KEY requests: ..." or "KEY responses: ...".</summary>
    private static List<(string Item, string Detail)> Compare(string capture, string requestsFile, string responsesFile)
    {
        var (ours, tcpFlows) = Ours(capture);
        // A tshark response whose stream has no request: the one flow with that server endpoint, or else the
        // stream-th flow (tshark numbers TCP connections in order of first frame).
        var theirs = Theirs(requestsFile, responsesFile, (stream, server, port) =>
        {
            var candidates = tcpFlows.Where(f => (f.RespH == server && f.RespP == port) || (f.OrigH == server && f.OrigP == port)).ToList();
            var flow = candidates.Count == 1 ? candidates[0] : stream < tcpFlows.Count ? tcpFlows[stream] : null;
            return flow is null ? null : flow.OrigH == server && flow.OrigP == port ? flow.Reversed : flow.Key;
        });
        // Our flows whose originator is the server are keyed the other way round where tshark has that key.
        foreach (var flow in tcpFlows)
        {
            if (ours.Remove(flow.Key, out var c) )
            {
                if (!theirs.ContainsKey(flow.Key) && theirs.ContainsKey(flow.Reversed))
                    ours[flow.Reversed] = c;
                else
                    ours[flow.Key] = c;
            }
        }

        var problems = new List<(string, string)>();
        foreach (var key in theirs.Keys.Union(ours.Keys).Order(StringComparer.Ordinal))
        {
            var t = theirs.GetValueOrDefault(key) ?? new Connection();
            var o = ours.GetValueOrDefault(key) ?? new Connection();
            if (!t.Requests.SequenceEqual(o.Requests))
                problems.Add(($"{key} requests", Difference(t.Requests, o.Requests)));
            if (!t.Codes.SequenceEqual(o.Codes))
                problems.Add(($"{key} responses", Difference(t.Codes, o.Codes)));
        }

        return problems;
    }

    private static string Difference<T>(List<T> theirs, List<T> ours)
    {
        int i = 0;
        while (i < theirs.Count && i < ours.Count && Equals(theirs[i], ours[i]))
            i++;
        return $"tshark has {theirs.Count}, we have {ours.Count}; first difference at {i}: tshark "
               + (i < theirs.Count ? $"'{theirs[i]}'" : "nothing") + ", ours " + (i < ours.Count ? $"'{ours[i]}'" : "nothing");
    }

    private void Check(string captures, Func<string, string> reference)
    {
        var report = new StringBuilder();
        var explained = new HashSet<(string, string)>();
        int compared = 0;
        foreach (var capture in TestData.Captures(captures).Where(f => !f.EndsWith(".gz", StringComparison.Ordinal) && !f.EndsWith(".zst", StringComparison.Ordinal)))
        {
            string name = Path.GetFileName(capture);
            List<(string Item, string Detail)> problems;
            try
            {
                problems = Compare(capture, reference(name) + ".http-requests.txt", reference(name) + ".http-responses.txt");
            }
            catch (IOException e)
            {
                // Not a readable capture (the broken-file corpus): tshark has no HTTP for those either, or the
                // divergence list says why.
                problems = File.Exists(reference(name) + ".http-requests.txt") ? [("*", $"unreadable: {e.Message}")] : [];
            }

            compared++;
            foreach (var (item, detail) in problems)
            {
                if (Divergences.TryGetValue((name, item), out string? why) || Divergences.TryGetValue((name, "*"), out why))
                {
                    explained.Add(Divergences.ContainsKey((name, item)) ? (name, item) : (name, "*"));
                    output.WriteLine($"{name} {item}: known: {why} ({detail})");
                    continue;
                }

                report.AppendLine($"{name} {item}: {detail}");
            }
        }

        output.WriteLine($"{compared} captures compared");
        Assert.True(compared > 0, $"no captures in {captures}");
        Assert.True(report.Length == 0, "HTTP differs from tshark's:\n" + report);
        var stale = Divergences.Keys.Where(k => TestData.Captures(captures).Any(c => Path.GetFileName(c) == k.Capture) && !explained.Contains(k)).ToList();
        Assert.True(stale.Count == 0, "Divergences that explain nothing any more: " + string.Join(", ", stale));
    }

    [Fact]
    public void Own_captures_agree_with_tshark() =>
        Check(TestData.OwnCaptures, name => Path.Combine(TestData.RepositoryRoot, "tests", "PcapForge.Dissectors.Http.Tests", "Conformance", "testdata", name));

    [SharedPcapsFact]
    public void Public_captures_agree_with_tshark() =>
        Check(TestData.SharedPcaps!, name => Path.Combine(TestData.SharedPcaps!, "expected", name));
}
