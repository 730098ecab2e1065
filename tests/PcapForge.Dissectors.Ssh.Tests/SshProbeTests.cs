using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissectors.Ssh.Tests;

/// <summary>SshDissector.Probe: refuses only what the parser rejects, and the openings that cannot be SSH.</summary>
public class SshProbeTests
{
    private static readonly StreamHarness Harness = new(new SshDissector(), "ssh");

    [Fact]
    public void The_probe_refuses_only_first_bytes_the_parser_rejects_too()
    {
        int refused = Harness.AssertProbeNoStricterThanParser(ProbeSamples.WithPrefixes());
        Assert.True(refused > 100, $"the probe refused {refused} samples");
    }

    [Fact]
    public void A_client_must_start_with_SSH_and_a_server_with_text()
    {
        Assert.True(Harness.Probe(StreamDirection.FromOriginator, "SSH-2.0-OpenSSH_9.2\r\n"));
        Assert.True(Harness.Probe(StreamDirection.FromOriginator, "SS"));
        Assert.True(Harness.Probe(StreamDirection.FromResponder, "SSH-2.0-OpenSSH_9.2\r\n"));
        // RFC 4253 §4.2: a server may send other lines of text before its identification string.
        Assert.True(Harness.Probe(StreamDirection.FromResponder, "Welcome\r\n"));
        Assert.False(Harness.Probe(StreamDirection.FromOriginator, "GET / HTTP/1.1\r\n"));
        Assert.False(Harness.Probe(StreamDirection.FromOriginator, "EHLO x\r\n"));
        Assert.False(Harness.Probe(StreamDirection.FromResponder, [0x16, 0x03, 0x01, 0x02, 0x00]));
    }
}
