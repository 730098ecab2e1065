using PcapForge.Abstractions;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissectors.Link;

/// <summary>
/// Raw IP: the frame is an IPv4 or IPv6 packet with no link header. LINKTYPE_RAW (101) and the BSD DLT_RAW
/// values found in some files (12, 14) carry either, told apart by the version nibble; LINKTYPE_IPV4 (228) and
/// LINKTYPE_IPV6 (229) carry only one (https://www.tcpdump.org/linktypes.html). The layer is empty: the packet
/// goes on through the <c>ethertype</c> table.
/// </summary>
[DissectorExport("raw")]
public sealed class RawIp : IDissector
{
    private const int VersionOffset = 0;

    private AnomalyHandle _unknownVersion, _versionMismatch;
    private TableHandle _ethertype;

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("raw", "Raw packet data", "Raw IP link type: an IPv4 or IPv6 packet with no link-layer header");
        _unknownVersion = setup.Anomaly("raw.unknown_version", "The version nibble of a raw IP packet is neither 4 nor 6; the packet is not decoded");
        _versionMismatch = setup.Anomaly("raw.version_mismatch", "The version nibble disagrees with the link type (LINKTYPE_IPV4 or LINKTYPE_IPV6)");
        _ethertype = setup.TableRef(TableNames.EtherType);
        setup.AttachTo(DissectorRegistryNames.LinkType, LinkTypes.Raw);
        setup.AttachTo(DissectorRegistryNames.LinkType, LinkTypes.RawBsd12);
        setup.AttachTo(DissectorRegistryNames.LinkType, LinkTypes.RawBsd14);
        setup.AttachTo(DissectorRegistryNames.LinkType, LinkTypes.Ipv4);
        setup.AttachTo(DissectorRegistryNames.LinkType, LinkTypes.Ipv6);
    }

    public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data)
    {
        if (data.Length == 0)
            return DissectResult.Done(0);
        int version = IpVersion.Of(data[VersionOffset]);
        int linkType = context.Frame.LinkType;
        if (linkType is LinkTypes.Ipv4 or LinkTypes.Ipv6)
        {
            // The link type says which: the IP dissector reports a wrong version in its own header.
            int expected = linkType == LinkTypes.Ipv4 ? IpVersion.V4 : IpVersion.V6;
            if (version != expected)
                context.Report(_versionMismatch, VersionOffset, $"version {version} on a LINKTYPE_IPV{expected} interface");
            return DissectResult.Next(0, _ethertype, expected == IpVersion.V4 ? EtherTypes.IPv4 : EtherTypes.IPv6);
        }

        switch (version)
        {
            case IpVersion.V4:
                return DissectResult.Next(0, _ethertype, EtherTypes.IPv4);
            case IpVersion.V6:
                return DissectResult.Next(0, _ethertype, EtherTypes.IPv6);
            default:
                context.Report(_unknownVersion, VersionOffset, $"version nibble {version}");
                return DissectResult.Done(0);
        }
    }
}
