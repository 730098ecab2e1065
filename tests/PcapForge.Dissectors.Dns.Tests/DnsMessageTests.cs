using System.Text;

namespace PcapForge.Dissectors.Dns.Tests;

/// <summary>The public reader (<see cref="DnsMessage"/>, <see cref="DnsMessageReader"/>, <see cref="DnsName"/>, <see cref="DnsRecordData"/>).</summary>
public sealed class DnsMessageTests
{
    [Fact]
    public void Header_fields_are_read_from_their_bits()
    {
        // id 0xbeef; QR, opcode 5 (update), AA, TC, RD, RA, Z=0b101, rcode 3.
        var m = new DnsWire().Header(0xbeef, 0b1_0101_1_1_1_1_101_0011, 1, 2, 3, 4).ToArray();
        Assert.True(DnsHeader.TryParse(m, out var h));
        Assert.Equal(0xbeef, h.Id);
        Assert.True(h.IsResponse);
        Assert.Equal(5, h.Opcode);
        Assert.True(h.Authoritative && h.Truncated && h.RecursionDesired && h.RecursionAvailable);
        Assert.Equal(0b101, h.Z);
        Assert.Equal(3, h.Rcode);
        Assert.Equal((1, 2, 3, 4), (h.QuestionCount, h.AnswerCount, h.AuthorityCount, h.AdditionalCount));
        Assert.False(DnsHeader.TryParse(m.AsSpan(0, 11), out _));
    }

    [Fact]
    public void Compressed_names_are_followed()
    {
        // Question "www.example.com"; answer owner "mail" + pointer to "example.com" (offset 16).
        var w = new DnsWire().Header(1, DnsWire.ResponseFlags, 1, 1).Question("www.example.com", 1);
        int ownerOffset = w.Length;
        w.Label("mail").Pointer(16).U16(1).U16(1).U32(60).U16(4).Bytes([10, 0, 0, 1]);
        var m = w.ToArray();
        Assert.Equal(DnsError.None, DnsName.TryReadString(m, ownerOffset, out string name, out int next));
        Assert.Equal("mail.example.com", name);
        Assert.Equal(ownerOffset + 5 + 2, next); // after the label and the pointer, not after the name pointed to
        Assert.True(DnsMessage.TryParse(m, out var msg));
        Assert.Equal(DnsError.None, msg.Error);
        Assert.Equal("mail.example.com", msg.Answers.Single().Name);
        Assert.Equal("10.0.0.1", msg.Answers.Single().Data);
    }

    [Fact]
    public void Root_and_odd_bytes_have_a_presentation_form()
    {
        var m = new DnsWire().Header(1, 0, 0).Name(".").Label("a.b").Label("c\\d").Bytes([3, (byte)' ', 0x00, 0xff, 0]).ToArray();
        Assert.Equal(DnsError.None, DnsName.TryReadString(m, 12, out string root, out _));
        Assert.Equal(".", root);
        Assert.Equal(DnsError.None, DnsName.TryReadString(m, 13, out string odd, out _));
        Assert.Equal("a\\.b.c\\\\d.\\032\\000\\255", odd);
    }

    public static TheoryData<string, byte[], DnsError> BadNames => new()
    {
        { "pointer to itself", new DnsWire().Header(1, 0, 1).Pointer(12).ToArray(), DnsError.CompressionLoop },
        { "two pointers to each other", new DnsWire().Header(1, 0, 1).Pointer(14).Pointer(12).ToArray(), DnsError.CompressionLoop },
        { "label then pointer back to it", new DnsWire().Header(1, 0, 1).Label("a").Pointer(12).ToArray(), DnsError.NameTooLong },
        { "pointer past the end", new DnsWire().Header(1, 0, 1).Pointer(0x3fff).ToArray(), DnsError.PointerOutOfRange },
        { "pointer cut after one byte", new DnsWire().Header(1, 0, 1).Bytes([0xc0]).ToArray(), DnsError.Truncated },
        { "label type 01", new DnsWire().Header(1, 0, 1).Bytes([0x41, 1, 2, 0]).ToArray(), DnsError.LabelTooLong },
        { "label type 10", new DnsWire().Header(1, 0, 1).Bytes([0x80, 0]).ToArray(), DnsError.LabelTooLong },
        { "label past the end", new DnsWire().Header(1, 0, 1).Bytes([10, (byte)'a', (byte)'b']).ToArray(), DnsError.Truncated },
        { "no root label", new DnsWire().Header(1, 0, 1).Label("abc").ToArray(), DnsError.Truncated },
        { "name of 256 octets", NameOf(Enumerable.Repeat(new string('x', 63), 4)), DnsError.NameTooLong },
    };

    [Theory]
    [MemberData(nameof(BadNames))]
    public void Bad_names_give_an_error_and_never_hang(string what, byte[] message, DnsError expected)
    {
        Assert.True(DnsName.TryRead(message, 12, new byte[DnsName.MaxTextLength], out _, out int next) == expected, what);
        Assert.InRange(next, 12, message.Length);
        Assert.True(DnsMessage.TryParse(message, out var m));
        Assert.Equal(expected, m.Error);
    }

    [Fact]
    public void A_name_of_255_octets_is_legal()
    {
        // 3 labels of 63 + one of 61: 3*64 + 62 + root = 255.
        var m = NameOf([.. Enumerable.Repeat(new string('x', 63), 3), new string('y', 61)]);
        Assert.Equal(DnsError.None, DnsName.TryReadString(m, 12, out string name, out int next));
        Assert.Equal(253, name.Length);
        Assert.Equal(m.Length, next);
    }

    [Fact]
    public void A_long_chain_of_pointers_is_bounded()
    {
        // Every pointer jumps back two bytes: 200 jumps before the root, more than a legal name needs.
        var w = new DnsWire().Header(1, 0, 1).Bytes([0]);
        for (int i = 0; i < 200; i++)
            w.Pointer(w.Length - (i == 0 ? 1 : 2));
        var m = w.ToArray();
        Assert.Equal(DnsError.CompressionLoop, DnsName.TryRead(m, m.Length - 2, default, out _, out _));
        Assert.Equal(DnsError.None, DnsName.TryRead(m, 12 + 1 + 2 * 100, default, out _, out _));
    }

    public static TheoryData<string, ushort, byte[], string> Rdata => new()
    {
        { "A", 1, [192, 0, 2, 1], "192.0.2.1" },
        { "AAAA canonical (RFC 5952)", 28, Convert.FromHexString("20010db8000000000000000000000001"), "2001:db8::1" },
        { "AAAA v4-mapped", 28, Convert.FromHexString("00000000000000000000ffffc0000201"), "::ffff:192.0.2.1" },
        { "CNAME", 5, DnsWire.NameBytes("alias.example.net"), "alias.example.net" },
        { "NS", 2, DnsWire.NameBytes("ns1.example.net"), "ns1.example.net" },
        { "PTR", 12, DnsWire.NameBytes("host.example"), "host.example" },
        { "MX", 15, [0, 10, .. DnsWire.NameBytes("mx.example")], "10 mx.example" },
        { "TXT two strings", 16, [5, .. "hello"u8, 3, (byte)'a', 0x01, (byte)'\\'], "TXT 5 hello TXT 3 a\\x01\\\\" },
        { "TXT empty string", 16, [0], "TXT 0 " },
        { "SOA", 6, [.. DnsWire.NameBytes("ns.example"), .. DnsWire.NameBytes("root.example"), 0, 0, 0, 1, 0, 0, 0x0e, 0x10, 0, 0, 7, 0x08, 0, 9, 0x3a, 0x80, 0, 0, 1, 0x2c],
            "ns.example root.example 1 3600 1800 604800 300" },
        { "SRV", 33, [0, 1, 0, 5, 0x13, 0xc4, .. DnsWire.NameBytes("sip.example")], "1 5 5060 sip.example" },
        { "CAA", 257, [0, 5, .. "issue"u8, .. "ca.example"u8], "0 issue \"ca.example\"" },
        { "unknown type, RFC 3597 generic", 99 + 1000, [1, 2, 0xab], "\\# 3 0102ab" },
        { "empty RDATA", 10, [], "\\# 0" },
    };

    [Theory]
    [MemberData(nameof(Rdata))]
    public void Record_data_as_text(string what, ushort type, byte[] rdata, string expected)
    {
        var m = new DnsWire().Header(7, DnsWire.ResponseFlags, 1, 1).Question("q.example", type).Answer(type, 42, rdata).ToArray();
        Assert.True(DnsMessage.TryParse(m, out var msg), what);
        Assert.Equal(DnsError.None, msg.Error);
        Assert.Equal(expected, msg.Answers.Single().Data);
        Assert.Equal(42u, msg.Answers.Single().Ttl);
    }

    public static TheoryData<string, ushort, byte[], string> BadRdata => new()
    {
        { "A of 3 bytes", 1, [1, 2, 3], "\\# 3 010203" },
        { "AAAA of 4 bytes", 28, [1, 2, 3, 4], "\\# 4 01020304" },
        { "CNAME longer than RDLENGTH says", 5, [3, (byte)'a', (byte)'b'], "\\# 3 036162" },
        { "CNAME with a byte after the name", 5, [.. DnsWire.NameBytes("a.b"), 9], "\\# 6 016101620009" },
        { "MX without a name", 15, [0, 10], "\\# 2 000a" },
        { "TXT string past the end", 16, [9, (byte)'a'], "\\# 2 0961" },
        { "SOA without its numbers", 6, [.. DnsWire.NameBytes("ns"), .. DnsWire.NameBytes("root")], "\\# 10 026e730004726f6f7400" },
        { "CAA tag past the end", 257, [0, 9, (byte)'i'], "\\# 3 000969" },
    };

    [Theory]
    [MemberData(nameof(BadRdata))]
    public void Malformed_record_data_is_an_error_with_text_still_given(string what, ushort type, byte[] rdata, string expected)
    {
        // A second answer after the bad one is still read: RDLENGTH frames each record.
        var m = new DnsWire().Header(7, DnsWire.ResponseFlags, 1, 2).Question("q.example", type).Answer(type, 1, rdata).Answer(1, 2, [10, 0, 0, 9]).ToArray();
        Assert.True(DnsMessage.TryParse(m, out var msg), what);
        Assert.NotEqual(DnsError.None, msg.Error);
        Assert.Equal(expected, msg.Answers[0].Data);
        Assert.Equal("10.0.0.9", msg.Answers[1].Data);
    }

    [Fact]
    public void Counts_that_lie_keep_what_was_read()
    {
        // The header announces 3 answers, the bytes hold 1.
        var m = new DnsWire().Header(9, DnsWire.ResponseFlags, 1, 3).Question("a.example", 1).Answer(1, 5, [1, 1, 1, 1]).ToArray();
        Assert.True(DnsMessage.TryParse(m, out var msg));
        Assert.Equal(DnsError.Truncated, msg.Error);
        Assert.Equal(m.Length, msg.ErrorOffset);
        Assert.Equal("a.example", msg.Questions.Single().Name);
        Assert.Equal("1.1.1.1", msg.Answers.Single().Data);
    }

    [Fact]
    public void Edns_and_sections_are_read()
    {
        var m = new DnsWire().Header(3, DnsWire.ResponseFlags, 1, 1, 1, 1).Question("x.example", 1)
            .Answer(1, 1, [1, 2, 3, 4])
            .Pointer(12).U16(2).U16(1).U32(3600).U16(2).Pointer(12)
            .Bytes([0]).U16(41).U16(1232).U32(0x0100_8000).U16(0).ToArray();
        Assert.True(DnsMessage.TryParse(m, out var msg));
        Assert.Equal(DnsError.None, msg.Error);
        Assert.Single(msg.Answers);
        Assert.Equal("x.example", msg.Authority.Single().Data);
        Assert.Equal(new DnsEdns(1232, 1, 0, true), msg.Edns);
        Assert.Equal("OPT", msg.Additional.Single().TypeName);
        Assert.Equal(0, msg.TrailingBytes);
    }

    [Fact]
    public void Tcp_frames_are_cut_by_their_length()
    {
        var a = DnsWire.Framed(DnsWire.Query(1, "a.example"));
        byte[] stream = [.. a, .. DnsWire.Framed(DnsWire.Query(2, "b.example"))];
        Assert.True(DnsMessage.TryReadTcpFrame(stream, out var first, out int used));
        Assert.Equal(a.Length, used);
        Assert.Equal(a.Length - 2, first.Length);
        Assert.False(DnsMessage.TryReadTcpFrame(stream.AsSpan(0, a.Length - 1), out _, out used));
        Assert.Equal(0, used);
        Assert.False(DnsMessage.TryReadTcpFrame(stream.AsSpan(0, 1), out _, out _));
    }

    [Fact]
    public void Type_class_and_rcode_names_are_zeeks()
    {
        Assert.Equal(("A", "AAAA", "*", "query-1234"), (DnsTypes.TypeName(1), DnsTypes.TypeName(28), DnsTypes.TypeName(255), DnsTypes.TypeName(1234)));
        Assert.Equal(("C_INTERNET", "qclass-32769"), (DnsTypes.ClassName(1), DnsTypes.ClassName(32769)));
        Assert.Equal(("NOERROR", "NXDOMAIN", "rcode-99"), (DnsTypes.RcodeName(0), DnsTypes.RcodeName(3), DnsTypes.RcodeName(99)));
    }

    private static byte[] NameOf(IEnumerable<string> labels)
    {
        var w = new DnsWire().Header(1, 0, 1);
        foreach (var l in labels)
            w.Label(l);
        return w.Bytes([0]).ToArray();
    }

    [Fact]
    public void Garbage_never_throws()
    {
        // Every prefix and every single-byte corruption of a rich response parses without an exception.
        var m = new DnsWire().Header(3, DnsWire.ResponseFlags, 1, 3, 0, 1).Question("x.example", 1)
            .Answer(5, 1, [.. Encoding.ASCII.GetBytes("\u0001y"), 0xc0, 12]).Answer(15, 1, [0, 1, 0xc0, 12]).Answer(16, 1, [2, 65, 66]).Opt(512).ToArray();
        for (int len = 0; len <= m.Length; len++)
            DnsMessage.TryParse(m.AsSpan(0, len), out _);
        for (int i = 0; i < m.Length; i++)
        {
            foreach (byte v in new byte[] { 0x00, 0x3f, 0x40, 0xc0, 0xff })
            {
                var copy = (byte[])m.Clone();
                copy[i] = v;
                DnsMessage.TryParse(copy, out _);
            }
        }
    }
}
