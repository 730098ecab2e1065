using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissectors.Smtp.Tests;

/// <summary>SmtpDissector.Probe: refuses only what the parser rejects, and the openings that cannot be SMTP.</summary>
public class SmtpProbeTests
{
    private static readonly StreamHarness Harness = new(new SmtpDissector(), "smtp");

    [Fact]
    public void The_probe_refuses_only_first_bytes_the_parser_rejects_too()
    {
        int refused = Harness.AssertProbeNoStricterThanParser(ProbeSamples.WithPrefixes());
        Assert.True(refused > 100, $"the probe refused {refused} samples");
    }

    [Fact]
    public void A_server_starts_with_a_reply_code_and_a_client_with_EHLO_or_HELO()
    {
        Assert.True(Harness.Probe(StreamDirection.FromResponder, "220 mail.example ESMTP\r\n"));
        Assert.True(Harness.Probe(StreamDirection.FromResponder, "22"));
        Assert.True(Harness.Probe(StreamDirection.FromOriginator, "EHLO client\r\n"));
        Assert.True(Harness.Probe(StreamDirection.FromOriginator, "helo client\r\n"));
        Assert.False(Harness.Probe(StreamDirection.FromResponder, "HTTP/1.1 200 OK\r\n"));
        Assert.False(Harness.Probe(StreamDirection.FromResponder, "SSH-2.0-OpenSSH_9.2\r\n"));
        Assert.False(Harness.Probe(StreamDirection.FromOriginator, "GET / HTTP/1.1\r\n"));
        Assert.False(Harness.Probe(StreamDirection.FromOriginator, "SSH-2.0-OpenSSH_9.2\r\n"));
    }
}
