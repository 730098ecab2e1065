namespace PcapForge.Abstractions.Dissection;

/// <summary>
/// Where an IPv6 routing extension header (RFC 8200 section 4.4) names the packet's final destination. The Core
/// plugin's IPv6 dissector and the host's partition of a capture between threads both need it, and must agree: the
/// flow key is built from it.
/// </summary>
public static class Ipv6Routing
{
    private const int TypeOffset = 2, SegmentsLeftOffset = 3, Addresses = 8, AddressLength = 16;

    /// <summary>Type 2, Mobile IPv6 (RFC 6275): one address, the mobile node's home address.</summary>
    private const byte MobileIpv6 = 2;

    /// <summary>
    /// Offset in <paramref name="header"/> (a whole routing header) of the final destination when segments are left:
    /// the last address of a type 0 (RFC 2460, deprecated by RFC 5095 but still seen) or type 2 header, or Segment
    /// List[0] of a segment routing header (type 4, RFC 8754 section 2). Null when no segment is left (the fixed
    /// header's destination is then the final one), for another type, or for a header too short for it. The
    /// upper-layer checksum is computed over this address (RFC 8200 section 8.1).
    /// </summary>
    public static int? FinalDestination(ReadOnlySpan<byte> header)
    {
        if (header.Length < Addresses || header[SegmentsLeftOffset] == 0)
            return null;
        switch (header[TypeOffset])
        {
            case 0 or MobileIpv6:
                int count = header[1] / 2;
                return count > 0 && Addresses + count * AddressLength <= header.Length ? Addresses + (count - 1) * AddressLength : null;
            case 4:
                return Addresses + AddressLength <= header.Length ? Addresses : null;
            default:
                return null;
        }
    }

    /// <summary>
    /// <see cref="FinalDestination"/> when it is the destination a flow is keyed on: a source route's (types 0 and 4).
    /// Not type 2: its home address is the final destination of the packets to the mobile node, while the node's own
    /// packets back carry its care-of address as their source (the home address is in a destination option), so keyed
    /// on the home address the two directions would not meet.
    /// </summary>
    public static int? FlowDestination(ReadOnlySpan<byte> header) =>
        header.Length > TypeOffset && header[TypeOffset] == MobileIpv6 ? null : FinalDestination(header);
}
