using System.Net;
using System.Net.Sockets;
using PcapForge.Scan;
using PcapForge.Scan.Targets;

namespace PcapForge.Scan.Tests;

/// <summary>Targets into addresses: literals, CIDR blocks, names through a resolver the test controls, and what is refused.</summary>
public sealed class TargetParserTests
{
    private readonly List<string> _lookups = [];

    private TargetParser Parser(int max = TargetParser.DefaultMaxAddresses, bool ipv6 = false, params IPAddress[] localBroadcasts) => new()
    {
        MaxAddresses = max,
        PreferIpv6 = ipv6,
        LocalBroadcasts = localBroadcasts,
        Resolve = (name, _) =>
        {
            _lookups.Add(name);
            return name switch
            {
                "dual.test" => Task.FromResult(new[] { IPAddress.Parse("::1"), IPAddress.Parse("127.0.0.1"), IPAddress.Parse("127.0.0.2") }),
                "v6only.test" => Task.FromResult(new[] { IPAddress.Parse("fd00::5") }),
                "group.test" => Task.FromResult(new[] { IPAddress.Parse("239.1.2.3") }),
                _ => Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound)),
            };
        },
    };

    private static async Task<List<string>> Addresses(TargetParser parser, params string[] specs) =>
        (await parser.ExpandAsync(specs, CancellationToken.None)).Targets.Select(t => t.AddressText).ToList();

    [Fact]
    public async Task AddressesAreTakenAsTheyAreAndOnce()
    {
        Assert.Equal(["127.0.0.1", "::1", "fe80::1%1"], await Addresses(Parser(), "127.0.0.1", "[::1]", "::1", "127.0.0.1", "fe80::1%1"));
        Assert.Empty(_lookups);
    }

    [Fact]
    public async Task AnIpv4BlockLeavesOutItsNetworkAndBroadcastAddresses()
    {
        var list = await Parser().ExpandAsync(["127.0.0.0/30"], CancellationToken.None);
        Assert.Equal(["127.0.0.1", "127.0.0.2"], list.Targets.Select(t => t.AddressText));
        Assert.Equal("127.0.0.0/30: not scanned: 127.0.0.0 (network address), 127.0.0.3 (broadcast address)", Assert.Single(list.Notes));
        Assert.All(list.Targets, t => Assert.Equal("127.0.0.0/30", t.Spec));

        // Any address inside the block names the block; /31 and /32 have no network or broadcast address (RFC 3021).
        Assert.Equal(["127.0.0.5", "127.0.0.6"], await Addresses(Parser(), "127.0.0.6/30"));
        Assert.Equal(["127.0.0.4", "127.0.0.5"], await Addresses(Parser(), "127.0.0.5/31"));
        Assert.Equal(["127.0.0.9"], await Addresses(Parser(), "127.0.0.9/32"));
        Assert.Equal(254, (await Addresses(Parser(), "127.1.2.3/24")).Count);
    }

    [Fact]
    public async Task AnIpv6BlockLeavesOutItsSubnetRouterAnycastAddress()
    {
        Assert.Equal(["fd00::1", "fd00::2", "fd00::3"], await Addresses(Parser(), "fd00::/126"));
        Assert.Equal(["fd00::", "fd00::1"], await Addresses(Parser(), "fd00::1/127"));
        Assert.Equal(["::1"], await Addresses(Parser(), "::1/128"));
    }

    [Fact]
    public async Task BlocksAreBoundedInAll()
    {
        // A /28 (16 addresses, 14 scanned) fits a bound of 16; a /27 does not.
        Assert.Equal(14, (await Addresses(Parser(max: 16), "127.0.0.0/28")).Count);
        var e = await Assert.ThrowsAsync<ScanUsageException>(() => Addresses(Parser(max: 16), "127.0.0.0/27"));
        Assert.Equal("'127.0.0.0/27' has 32 addresses; a scan takes at most 16 in all (use a longer prefix)", e.Message);
        // The bound is over all targets together.
        e = await Assert.ThrowsAsync<ScanUsageException>(() => Addresses(Parser(max: 16), "127.0.0.0/29", "127.0.1.0/28"));
        Assert.Contains("at most 16 in all", e.Message);
        e = await Assert.ThrowsAsync<ScanUsageException>(() => Addresses(Parser(), "10.0.0.0/8"));
        Assert.Equal("'10.0.0.0/8' has 16,777,216 addresses; a scan takes at most 4,096 in all (use a longer prefix)", e.Message);
        e = await Assert.ThrowsAsync<ScanUsageException>(() => Addresses(Parser(), "fd00::/64"));
        Assert.Contains("18,446,744,073,709,551,616 addresses", e.Message);
        await Assert.ThrowsAsync<ScanUsageException>(() => Addresses(Parser(), "127.0.0.1/33"));
        await Assert.ThrowsAsync<ScanUsageException>(() => Addresses(Parser(), "::1/129"));
        await Assert.ThrowsAsync<ScanUsageException>(() => Addresses(Parser(), "127.0.0.1/x"));
    }

    [Theory]
    [InlineData("224.0.0.1", "is a multicast address")]
    [InlineData("239.255.255.250", "is a multicast address")]
    [InlineData("224.0.0.0/28", "is a multicast address")]
    [InlineData("ff02::1", "is a multicast address")]
    [InlineData("ff05::/124", "is a multicast address")]
    [InlineData("::ffff:224.0.0.1", "is a multicast address")]
    [InlineData("255.255.255.255", "is the limited broadcast address")]
    [InlineData("0.0.0.0", "'this network'")]
    [InlineData("0.0.0.0/30", "'this network'")]
    [InlineData("::", "is the unspecified address")]
    [InlineData("192.0.2.255", "is the broadcast address of a local subnet")]
    public async Task BroadcastAndMulticastAreRefused(string target, string reason)
    {
        var parser = Parser(localBroadcasts: IPAddress.Parse("192.0.2.255"));
        var e = await Assert.ThrowsAsync<ScanUsageException>(() => Addresses(parser, "127.0.0.1", target));
        Assert.Contains(reason, e.Message);
        Assert.EndsWith("a scan contacts single hosts only", e.Message);
    }

    [Fact]
    public void TheLocalSubnetsGiveTheirBroadcastAddresses()
    {
        // Whatever this machine's interfaces are, none of their broadcast addresses is an address of an interface.
        var broadcasts = AddressPolicy.LocalBroadcasts();
        Assert.DoesNotContain(IPAddress.Loopback, broadcasts);
        Assert.Equal(IPAddress.Parse("192.0.2.255"), Cidr.LastAddress(IPAddress.Parse("192.0.2.17"), 24));
        Assert.Equal(IPAddress.Parse("10.0.0.3"), Cidr.LastAddress(IPAddress.Parse("10.0.0.1"), 30));
    }

    [Fact]
    public async Task NamesResolveToTheirIpv4AddressUnlessIpv6IsAsked()
    {
        var list = await Parser().ExpandAsync(["dual.test"], CancellationToken.None);
        var target = Assert.Single(list.Targets);
        Assert.Equal("127.0.0.1", target.AddressText);
        Assert.Equal("dual.test", target.HostName);
        Assert.Equal(["::1", "127.0.0.2"], target.OtherAddresses.Select(a => a.ToString()));

        Assert.Equal(["::1"], await Addresses(Parser(ipv6: true), "dual.test"));
        Assert.Equal(["fd00::5"], await Addresses(Parser(), "v6only.test"));
        Assert.Equal(["fd00::5", "fd00::6", "fd00::7"], await Addresses(Parser(), "v6only.test/126"));
    }

    [Fact]
    public async Task ANameThatResolvesToMulticastIsRefused()
    {
        var e = await Assert.ThrowsAsync<ScanUsageException>(() => Addresses(Parser(), "group.test"));
        Assert.Equal("'group.test' (239.1.2.3) is a multicast address; a scan contacts single hosts only", e.Message);
    }

    [Fact]
    public async Task AnUnresolvedNameIsReportedAndTheOthersStay()
    {
        var list = await Parser().ExpandAsync(["nosuch.test", "127.0.0.1"], CancellationToken.None);
        Assert.Equal(["127.0.0.1"], list.Targets.Select(t => t.AddressText));
        Assert.StartsWith("failed to resolve \"nosuch.test\"", Assert.Single(list.Unresolved));
    }

    [Theory]
    [InlineData("10.0.0-3.1", "octet ranges are not supported")]
    [InlineData("10.0.0.*", "octet ranges are not supported")]
    [InlineData("10.1", "is not an IPv4 or IPv6 address")]
    [InlineData("300.1.1.1.1", "is not an IPv4 or IPv6 address")]
    [InlineData("host name", "is not an IPv4 or IPv6 address")]
    [InlineData("-bad.test", "is not an IPv4 or IPv6 address")]
    [InlineData("fd00::zz", "is not an IPv4 or IPv6 address")]
    [InlineData("fe80::1", "is a link-local address, which needs the interface it is on")]
    public async Task WhatIsNeitherAnAddressNorAHostNameNeverReachesTheResolver(string target, string message)
    {
        var e = await Assert.ThrowsAsync<ScanUsageException>(() => Addresses(Parser(), target));
        Assert.Contains(message, e.Message);
        Assert.Empty(_lookups);
    }

    [Fact]
    public void DottedQuadsOnlyAreIpv4Addresses()
    {
        Assert.True(TargetParser.TryParseAddress("127.0.0.1", out var a));
        Assert.Equal(IPAddress.Loopback, a);
        Assert.False(TargetParser.TryParseAddress("127.1", out _));
        Assert.False(TargetParser.TryParseAddress("256.0.0.1", out _));
        Assert.True(TargetParser.TryParseAddress("[fd00::1]", out a));
        Assert.Equal(AddressFamily.InterNetworkV6, a.AddressFamily);
    }
}
