namespace PcapForge.Dissectors.Dns.Tests;

/// <summary>Rows of real captures, end to end through the engine: the project's own dig/dnsmasq recordings and mDNS/LLMNR of the public corpus.</summary>
public sealed class DnsCaptureTests
{
    private static Dictionary<string, object?> ByQueryFrame(MemoryRows rows, long frame) => rows["dns"].Single(r => (long?)r["query_frame"] == frame);

    private static IReadOnlyList<string>? Answers(Dictionary<string, object?> row) => (IReadOnlyList<string>?)row["answers"];

    [Fact]
    public void Mixed_capture_has_a_over_ipv4_aaaa_over_ipv6_and_nxdomain()
    {
        var rows = Analyzer.Run(Path.Combine(TestData.OwnCaptures, "mixed-2ifaces.pcapng"));
        var dns = rows["dns"];
        Assert.Equal(3, dns.Count);
        var a = ByQueryFrame(rows, 17);
        Assert.Equal(("www.pcapforge.test", "A", "NOERROR", 18L), (a["query"], a["qtype_name"], a["rcode_name"], a["response_frame"]));
        Assert.Equal(["10.203.0.2"], Answers(a)!);
        var aaaa = ByQueryFrame(rows, 19);
        Assert.Equal(("AAAA", 20L), (aaaa["qtype_name"], aaaa["response_frame"]));
        Assert.Equal(["fd00:203::2"], Answers(aaaa)!);
        var nx = ByQueryFrame(rows, 21);
        Assert.Equal(("nosuchhost.pcapforge.test", 3, "NXDOMAIN", 22L), (nx["query"], nx["rcode"], nx["rcode_name"], nx["response_frame"]));
        Assert.Null(Answers(nx));
        Assert.All(dns, r => Assert.InRange((double)r["rtt"]!, 0, 0.1));

        // The IPv6 query's flow is the one over IPv6, and every DNS flow is confirmed.
        var flows = rows["flows"].ToDictionary(f => (string)f["flow_uid"]!);
        Assert.Equal("fd00:203::1", flows[(string)aaaa["flow_uid"]!]["orig_h"]);
        Assert.All(dns, r => Assert.Equal("dns", flows[(string)r["flow_uid"]!]["service"]));
        Assert.DoesNotContain(rows["anomalies"], x => ((string)x["name"]!).StartsWith("dns.", StringComparison.Ordinal));
    }

    [Fact]
    public void Dig_capture_rows_over_udp_and_tcp()
    {
        var rows = Analyzer.Run(Path.Combine(TestData.OwnCaptures, "dns-dig-udp-tcp.pcap"));
        var dns = rows["dns"];
        Assert.DoesNotContain(rows["anomalies"], x => ((string)x["name"]!).StartsWith("dns.", StringComparison.Ordinal));
        Assert.All(dns, r => Assert.NotNull(r["rtt"])); // every query answered, every answer matched

        var cname = dns.Single(r => (string?)r["query"] == "web.pcapforge.test");
        Assert.Equal(["www.pcapforge.test", "10.203.0.2"], Answers(cname)!);
        Assert.Equal(["CNAME", "A"], (IReadOnlyList<string>)cname["answer_types"]!);

        var txt = dns.Single(r => (string?)r["query"] == "info.pcapforge.test");
        Assert.Equal(["TXT 24 PcapForge golden capture TXT 15 a second string"], Answers(txt)!);

        var srv = dns.Single(r => (string?)r["qtype_name"] == "SRV");
        Assert.Equal(["0 10 8888 www.pcapforge.test"], Answers(srv)!);
        Assert.Equal(4096, srv["edns_udp_size"]);

        var refused = dns.Single(r => (string?)r["rcode_name"] == "REFUSED");
        Assert.Equal((true, false), (refused["rejected"], refused["aa"]));

        var tcp = dns.Where(r => (string?)r["proto"] == "tcp").ToList();
        Assert.Equal(5, tcp.Count);
        var axfr = tcp.Single(r => (string?)r["qtype_name"] == "AXFR");
        Assert.Equal(12, Answers(axfr)!.Count);
        Assert.StartsWith("ns1.pcapforge.test hostmaster.pcapforge.test ", Answers(axfr)![0]);
        // SOA and MX on one connection: two rows, one flow.
        Assert.Single(tcp.Where(r => (string?)r["qtype_name"] is "SOA" or "MX").Select(r => r["flow_uid"]).Distinct());
    }

    [SharedPcapsFact]
    public void Mdns_rows_are_written_with_zeek_semantics()
    {
        // mDNS (RFC 6762): queries to the group and answers from each host are different flows, so rows stand alone.
        var rows = Analyzer.Run(Path.Combine(TestData.SharedPcaps!, "http-wikipedia-multi-conn.pcap"));
        var query = ByQueryFrame(rows, 1);
        Assert.Equal(("gemini._sftp-ssh._tcp.local", 33, "SRV", 1, 0), (query["query"], query["qtype"], query["qtype_name"], query["qclass"], query["trans_id"]));
        Assert.Null(query["response_frame"]);
        var response = rows["dns"].Single(r => (long?)r["response_frame"] == 2);
        Assert.Null(response["query"]); // an mDNS announcement carries no question
        // The host's addresses ride in the additional section (tshark: 1 answer, 4 additional), which answers leave out, as Zeek's.
        Assert.Equal(["0 0 22 gemini.local"], Answers(response)!);
        Assert.Equal((1, 0, 4), (response["answer_count"], response["authority_count"], response["additional_count"]));
    }

    [SharedPcapsFact]
    public void Llmnr_queries_are_rows()
    {
        var rows = Analyzer.Run(Path.Combine(TestData.SharedPcaps!, "dns-many-queries.pcap"));
        var wpad = ByQueryFrame(rows, 21);
        Assert.Equal(("wpad", 0xa706, "A"), (wpad["query"], wpad["trans_id"], wpad["qtype_name"]));
    }
}
