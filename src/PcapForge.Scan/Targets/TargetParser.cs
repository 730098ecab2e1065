using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace PcapForge.Scan.Targets;

/// <summary>
/// Turns the targets of the command line into addresses: IPv4 and IPv6 addresses (IPv6 optionally in brackets, with a
/// zone for link-local), CIDR blocks of either (<c>127.0.0.0/30</c>, <c>fd00::/120</c>, <c>name/28</c>), and host
/// names resolved by the system resolver (getaddrinfo: /etc/hosts, then DNS as nsswitch.conf says). Only those
/// addresses are ever scanned. Refused with a <see cref="ScanUsageException"/>: broadcast and multicast addresses
/// (<see cref="AddressPolicy"/>), blocks larger than <see cref="MaxAddresses"/> in all, and nmap's octet ranges
/// (<c>10.0.0-3.1</c>), which are not supported.
/// </summary>
public sealed class TargetParser
{
    /// <summary>The default bound on the addresses of one scan: a /20 of IPv4, plenty for the hosts one operator names.</summary>
    public const int DefaultMaxAddresses = 4096;

    /// <summary>Most addresses all targets may expand to.</summary>
    public int MaxAddresses { get; init; } = DefaultMaxAddresses;

    /// <summary>Scan a host name's IPv6 address when it has one (nmap's -6); otherwise its IPv4 address first.</summary>
    public bool PreferIpv6 { get; init; }

    /// <summary>The resolver (the system's by default; tests give their own).</summary>
    public Func<string, CancellationToken, Task<IPAddress[]>> Resolve { get; init; } = Dns.GetHostAddressesAsync;

    /// <summary>The directed broadcast addresses of the local subnets (by default read from the interfaces).</summary>
    public IReadOnlyCollection<IPAddress>? LocalBroadcasts { get; init; }

    public async Task<TargetList> ExpandAsync(IEnumerable<string> specs, CancellationToken cancel)
    {
        var broadcasts = LocalBroadcasts ?? AddressPolicy.LocalBroadcasts();
        var targets = new List<ScanTarget>();
        var seen = new HashSet<IPAddress>();
        var notes = new List<string>();
        var unresolved = new List<string>();
        foreach (string raw in specs)
        {
            string spec = raw.Trim();
            if (spec.Length == 0)
                throw new ScanUsageException("an empty target");
            string hostPart = spec;
            int? prefix = null;
            int slash = spec.LastIndexOf('/');
            if (slash >= 0)
            {
                hostPart = spec[..slash];
                string bits = spec[(slash + 1)..];
                if (bits.Length == 0 || bits.Length > 3 || !bits.All(char.IsAsciiDigit))
                    throw new ScanUsageException($"'{spec}': the prefix length after '/' must be a number (127.0.0.0/30, fd00::/120)");
                prefix = int.Parse(bits, NumberStyles.None, CultureInfo.InvariantCulture);
            }

            IPAddress address;
            string? hostName = null;
            IReadOnlyList<IPAddress> others = [];
            if (TryParseAddress(hostPart, out var literal))
            {
                address = literal;
            }
            else
            {
                CheckHostName(spec, hostPart);
                IPAddress[] resolved;
                try
                {
                    resolved = await Resolve(hostPart, cancel).ConfigureAwait(false);
                }
                catch (SocketException e)
                {
                    unresolved.Add($"failed to resolve \"{hostPart}\": {e.Message}");
                    continue;
                }

                var usable = resolved.Where(a => a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6).ToList();
                if (usable.Count == 0)
                {
                    unresolved.Add($"failed to resolve \"{hostPart}\": no IPv4 or IPv6 address");
                    continue;
                }

                var preferred = PreferIpv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
                address = usable.FirstOrDefault(a => a.AddressFamily == preferred) ?? usable[0];
                others = usable.Where(a => !a.Equals(address)).Distinct().ToList();
                hostName = hostPart;
            }

            if (address.IsIPv4MappedToIPv6 && prefix is null)
                address = address.MapToIPv4();
            if (address.IsIPv6LinkLocal && address.ScopeId == 0)
                throw new ScanUsageException($"'{spec}' is a link-local address, which needs the interface it is on (fe80::1%eth0, RFC 4007 §11)");
            if (prefix is null)
            {
                Refuse(spec, address, broadcasts);
                if (seen.Add(address))
                    targets.Add(new ScanTarget(address, hostName, spec) { OtherAddresses = others });
                continue;
            }

            ExpandBlock(spec, address, prefix.Value, hostName, broadcasts, targets, seen, notes);
        }

        return new TargetList(targets, notes, unresolved);
    }

    private void ExpandBlock(string spec, IPAddress address, int prefix, string? hostName, IReadOnlyCollection<IPAddress> broadcasts,
        List<ScanTarget> targets, HashSet<IPAddress> seen, List<string> notes)
    {
        var family = address.AddressFamily;
        int bits = Cidr.Bits(family);
        if (prefix > bits)
            throw new ScanUsageException($"'{spec}': an {(bits == 32 ? "IPv4" : "IPv6")} prefix is at most /{bits}");
        var size = Cidr.Size(family, prefix);
        int room = MaxAddresses - targets.Count;
        if (size > room)
            throw new ScanUsageException($"'{spec}' has {size:N0} addresses; a scan takes at most {MaxAddresses:N0} in all (use a longer prefix)");

        var first = Cidr.FirstAddress(address, prefix);
        // The whole block is refused when its first address is (a multicast block, 0.0.0.0/8 …): any other address
        // in it is of the same kind, as those ranges are larger than the largest block accepted.
        Refuse(spec, first, broadcasts);
        UInt128 start = Cidr.ToNumber(first);
        long scope = family == AddressFamily.InterNetworkV6 ? address.ScopeId : 0;
        int count = (int)size;
        var skipped = new List<string>();
        for (int i = 0; i < count; i++)
        {
            var a = Cidr.FromNumber(start + (UInt128)i, family, scope);
            if (family == AddressFamily.InterNetwork && prefix <= 30 && (i == 0 || i == count - 1))
            {
                // RFC 919/922: the all-zeros host is the network itself, the all-ones host is its directed broadcast.
                // Neither names one host, so neither is contacted (/31 and /32 have no such addresses, RFC 3021).
                skipped.Add($"{a} ({(i == 0 ? "network" : "broadcast")} address)");
                continue;
            }

            if (family == AddressFamily.InterNetworkV6 && prefix <= 126 && i == 0)
            {
                // RFC 4291 §2.6.1: the all-zeros interface id is the Subnet-Router anycast address, not a host
                // (RFC 6164 exempts /127).
                skipped.Add($"{a} (subnet-router anycast address)");
                continue;
            }

            if (AddressPolicy.Refusal(a, broadcasts) is { } reason)
            {
                skipped.Add($"{a} ({reason})");
                continue;
            }

            if (seen.Add(a))
                targets.Add(new ScanTarget(a, hostName, spec));
        }

        if (skipped.Count > 0)
            notes.Add($"{spec}: not scanned: {string.Join(", ", skipped)}");
    }

    private static void Refuse(string spec, IPAddress address, IReadOnlyCollection<IPAddress> broadcasts)
    {
        if (AddressPolicy.Refusal(address, broadcasts) is { } reason)
        {
            string what = spec == address.ToString() ? $"'{spec}'" : $"'{spec}' ({address})";
            throw new ScanUsageException($"{what} is {reason}; a scan contacts single hosts only");
        }
    }

    /// <summary>
    /// An IPv4 address in dotted-quad form (the only form accepted, so that <c>10.1</c> is not silently 10.0.0.1) or
    /// an IPv6 address, bare or in brackets, with an optional <c>%zone</c>.
    /// </summary>
    public static bool TryParseAddress(string text, out IPAddress address)
    {
        address = IPAddress.None;
        if (text.StartsWith('[') && text.EndsWith(']'))
            text = text[1..^1];
        if (text.Contains(':'))
        {
            if (!IPAddress.TryParse(text, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
                return false;
            address = v6;
            return true;
        }

        var parts = text.Split('.');
        if (parts.Length != 4 || parts.Any(p => p.Length is 0 or > 3 || !p.All(char.IsAsciiDigit)))
            return false;
        var bytes = new byte[4];
        for (int i = 0; i < 4; i++)
        {
            int octet = int.Parse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture);
            if (octet > 255)
                return false;
            bytes[i] = (byte)octet;
        }

        address = new IPAddress(bytes);
        return true;
    }

    /// <summary>
    /// Only a syntactically valid host name (RFC 1123 §2.1: labels of letters, digits and hyphens, at most 63
    /// characters, 253 in all) is handed to the resolver, so a mistyped address or an nmap range never becomes a DNS
    /// query.
    /// </summary>
    private static void CheckHostName(string spec, string name)
    {
        var labels = name.TrimEnd('.').Split('.');
        if (labels.Length == 4 && labels.All(l => l.Length > 0 && l.All(c => char.IsAsciiDigit(c) || c is '-' or ',' or '*')))
            throw new ScanUsageException($"'{spec}': nmap's octet ranges are not supported; name the addresses, or a CIDR block such as 10.0.0.0/30");
        bool valid = name.Length is > 0 and <= 253 && labels.All(l => l.Length is > 0 and <= 63
            && l.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') && l[0] != '-' && l[^1] != '-');
        if (!valid || labels.All(l => l.All(char.IsAsciiDigit)))
            throw new ScanUsageException($"'{spec}' is not an IPv4 or IPv6 address, a CIDR block or a host name");
    }
}
