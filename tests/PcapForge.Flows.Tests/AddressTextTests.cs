using System.Net;

namespace PcapForge.Flows.Tests;

/// <summary>
/// IpAddress128.Format, which writes the address columns without allocating, against System.Net.IPAddress's text
/// (RFC 5952 for IPv6), which the columns carried before: the same text for every address tried.
/// </summary>
public class AddressTextTests
{
    private static string Formatted(IpAddress128 address, bool v4)
    {
        Span<char> text = stackalloc char[IpAddress128.MaxTextLength];
        return new string(text[..address.Format(text, v4)]);
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("10.0.0.1")]
    [InlineData("192.168.100.255")]
    [InlineData("255.255.255.255")]
    public void IPv4_is_dotted_quad(string text)
    {
        var address = IpAddress128.FromV4(IPAddress.Parse(text).GetAddressBytes());
        Assert.Equal(text, Formatted(address, v4: true));
    }

    [Theory]
    [InlineData("::")]
    [InlineData("::1")]
    [InlineData("2001:db8::1")]
    [InlineData("2001:db8:0:0:1:0:0:1")]
    [InlineData("2001:0:0:1::1")]
    [InlineData("fe80::1:2:3:4")]
    [InlineData("1::")]
    [InlineData("1:2:3:4:5:6:7:8")]
    [InlineData("1:0:2:3:4:5:6:7")]
    [InlineData("::ffff:192.0.2.1")]
    [InlineData("::192.0.2.1")]
    [InlineData("::ffff:0:192.0.2.1")]
    [InlineData("fe80::5efe:192.0.2.1")]
    [InlineData("64:ff9b::192.0.2.33")]
    public void IPv6_is_what_IPAddress_prints(string text)
    {
        var parsed = IPAddress.Parse(text);
        Assert.Equal(parsed.ToString(), Formatted(IpAddress128.FromV6(parsed.GetAddressBytes()), v4: false));
    }

    /// <summary>Random addresses with many zero groups (runs of every length and place), the same on every run.</summary>
    [Fact]
    public void Two_hundred_thousand_random_IPv6_addresses_print_as_IPAddress_prints_them()
    {
        var random = new Random(5952);
        Span<byte> bytes = stackalloc byte[16];
        for (int n = 0; n < 200_000; n++)
        {
            random.NextBytes(bytes);
            for (int group = 0; group < 8; group++)
            {
                int pick = random.Next(4);
                if (pick < 2)
                    bytes[2 * group] = bytes[2 * group + 1] = 0; // half the groups zero
                else if (pick == 2)
                    bytes[2 * group] = 0; // a short group
            }

            var expected = new IPAddress(bytes).ToString();
            Assert.Equal(expected, Formatted(IpAddress128.FromV6(bytes), v4: false));
        }
    }
}
