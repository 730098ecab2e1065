using System.Net;

namespace PcapForge.Scan.Targets;

/// <summary>One address to scan, with the target the user wrote that named it.</summary>
/// <param name="Address">The address connected to.</param>
/// <param name="HostName">The host name it was resolved from; null for an address or CIDR target.</param>
/// <param name="Spec">The target as given on the command line.</param>
public sealed record ScanTarget(IPAddress Address, string? HostName, string Spec)
{
    /// <summary>The other addresses the host name resolved to, which are not scanned (nmap says the same).</summary>
    public IReadOnlyList<IPAddress> OtherAddresses { get; init; } = [];

    /// <summary>The address as text, IPv6 without brackets (the <c>host</c> column, as <c>flows.resp_h</c>).</summary>
    public string AddressText => Address.ToString();
}

/// <summary>The addresses a list of targets expanded to, with what was left out and why.</summary>
/// <param name="Targets">Addresses to scan, in the order named, each once.</param>
/// <param name="Notes">Addresses of a CIDR block that were left out (network, broadcast), one line each.</param>
/// <param name="Unresolved">Host names that did not resolve, with the resolver's message.</param>
public sealed record TargetList(IReadOnlyList<ScanTarget> Targets, IReadOnlyList<string> Notes, IReadOnlyList<string> Unresolved);
