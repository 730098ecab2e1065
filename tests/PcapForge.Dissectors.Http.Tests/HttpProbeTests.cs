using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissectors.Http.Tests;

/// <summary>
/// HttpDissector.Probe, the first look the engine takes before making a parser: it refuses only bytes the parser
/// rejects too, and refuses the other protocols' openings so that their flows cost no HTTP parser.
/// </summary>
public class HttpProbeTests
{
    private static readonly StreamHarness Harness = new(new HttpDissector(), "http");

    [Fact]
    public void The_probe_refuses_only_first_bytes_the_parser_rejects_too()
    {
        int refused = Harness.AssertProbeNoStricterThanParser(ProbeSamples.WithPrefixes());
        Assert.True(refused > 100, $"the probe refused {refused} samples");
    }

    [Fact]
    public void The_probe_takes_a_request_or_a_status_line_from_either_side()
    {
        Assert.True(Harness.Probe(StreamDirection.FromOriginator, "GET / HTTP/1.1\r\n"));
        Assert.True(Harness.Probe(StreamDirection.FromResponder, "HTTP/1.1 200 OK\r\n"));
        // The capture missed the start: the server's response comes first from the originator's side, or the roles are swapped.
        Assert.True(Harness.Probe(StreamDirection.FromOriginator, "HTTP/1.1 200 OK\r\n"));
        Assert.True(Harness.Probe(StreamDirection.FromResponder, "GET / HTTP/1.1\r\n"));
        // A first segment too short to tell.
        Assert.True(Harness.Probe(StreamDirection.FromOriginator, "G"));
        Assert.True(Harness.Probe(StreamDirection.FromResponder, "HTT"));
    }

    [Fact]
    public void The_probe_refuses_other_protocols_and_datagrams()
    {
        Assert.False(Harness.Probe(StreamDirection.FromOriginator, "SSH-2.0-OpenSSH_9.2\r\n"));
        Assert.False(Harness.Probe(StreamDirection.FromResponder, "SSH-2.0-OpenSSH_9.2\r\n"));
        Assert.False(Harness.Probe(StreamDirection.FromOriginator, [0x16, 0x03, 0x01, 0x02, 0x00]));
        Assert.False(Harness.Probe(StreamDirection.FromOriginator, "GET / HTTP/1.1\r\n", datagram: true));
    }
}
