using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissectors.Dns.Tests;

/// <summary>DnsDissector.Probe: on port 53 it takes everything; elsewhere only what can be a DNS message.</summary>
public class DnsProbeTests
{
    private static readonly StreamHarness Heuristic = new(new DnsDissector(), "dns");
    private static readonly StreamHarness OnPort = new(new DnsDissector(), "dns") { OfferedByPort = true };

    [Fact]
    public void The_probe_refuses_only_first_bytes_the_parser_rejects_too()
    {
        int udp = Heuristic.AssertProbeNoStricterThanParser(ProbeSamples.WithPrefixes(), datagram: true);
        int tcp = Heuristic.AssertProbeNoStricterThanParser(ProbeSamples.WithPrefixes());
        Assert.True(udp > 100 && tcp > 10, $"the probe refused {udp} datagrams and {tcp} TCP starts");
        Assert.Equal(0, OnPort.AssertProbeNoStricterThanParser(ProbeSamples.WithPrefixes(), datagram: true));
    }

    [Fact]
    public void Off_its_port_the_probe_takes_DNS_messages_and_refuses_text()
    {
        var query = ProbeSamples.Openings.First(o => o.Length > 20 && o[2] == 0x01 && o[3] == 0x00);
        Assert.True(Heuristic.Probe(StreamDirection.FromOriginator, query, datagram: true));
        Assert.True(Heuristic.Probe(StreamDirection.FromOriginator, [(byte)(query.Length >> 8), (byte)query.Length, .. query]));
        Assert.False(Heuristic.Probe(StreamDirection.FromOriginator, "GET / HTTP/1.1\r\n\r\n", datagram: true));
        Assert.True(OnPort.Probe(StreamDirection.FromOriginator, "GET / HTTP/1.1\r\n\r\n", datagram: true));
    }
}
