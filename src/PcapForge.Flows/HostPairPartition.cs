using System.Buffers.Binary;
using PcapForge.Abstractions;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Flows;

/// <summary>
/// Splits a capture's frames between worker threads by the pair of IP hosts of the outer header, read with a few
/// bounds-checked loads before any dissector runs. Both directions of a pair, all fragments of a datagram, and
/// every flow tunnelled between two hosts go to the same worker, so each keeps whole flows. Frames without an IP
/// header it recognises (ARP, unusual encapsulations) go to worker 0.
/// </summary>
public static class HostPairPartition
{
    private const ushort EtherTypeIPv4 = 0x0800, EtherTypeIPv6 = 0x86DD, EtherTypeVlan = 0x8100, EtherTypeQinQ = 0x88A8, EtherTypeQinQOld = 0x9100;
    private const int EthernetHeader = 14, VlanTag = 4, SllHeader = 16, SllProtocolOffset = 14, Sll2Header = 20, NullHeader = 4;

    public static int Owner(ReadOnlySpan<byte> frame, int linkType, int workers)
    {
        int ip = IpOffset(frame, linkType);
        if (ip < 0 || ip >= frame.Length)
            return 0;
        var p = frame[ip..];
        ulong a, b;
        switch (p[0] >> 4)
        {
            case 4 when p.Length >= 20:
                a = BinaryPrimitives.ReadUInt32LittleEndian(p[12..]);
                b = BinaryPrimitives.ReadUInt32LittleEndian(p[16..]);
                break;
            case 6 when p.Length >= 40:
                a = BinaryPrimitives.ReadUInt64LittleEndian(p[8..]) ^ BinaryPrimitives.ReadUInt64LittleEndian(p[16..]);
                // The flow key's destination: a source routing header's final one when segments are left (Ipv6 dissector).
                int dst = Ipv6FinalDestination(p);
                b = BinaryPrimitives.ReadUInt64LittleEndian(p[dst..]) ^ BinaryPrimitives.ReadUInt64LittleEndian(p[(dst + 8)..]);
                break;
            default:
                return 0;
        }

        // Commutative, so both directions agree; the multiplications spread neighbouring addresses.
        ulong h = Mix(a) + Mix(b);
        return (int)((h >> 32) * (ulong)workers >> 32);
    }

    private static ulong Mix(ulong x)
    {
        x ^= x >> 33;
        x *= 0xFF51AFD7ED558CCDUL;
        x ^= x >> 33;
        x *= 0xC4CEB9FE1A85EC53UL;
        return x ^ (x >> 33);
    }

    private static int IpOffset(ReadOnlySpan<byte> f, int linkType)
    {
        switch (linkType)
        {
            case LinkTypes.Ethernet:
            {
                int offset = 12;
                while (offset + 2 <= f.Length)
                {
                    ushort type = BinaryPrimitives.ReadUInt16BigEndian(f[offset..]);
                    if (type is EtherTypeVlan or EtherTypeQinQ or EtherTypeQinQOld)
                    {
                        offset += VlanTag;
                        continue;
                    }

                    return type is EtherTypeIPv4 or EtherTypeIPv6 ? offset + 2 : -1;
                }

                return -1;
            }

            case LinkTypes.LinuxSll:
                return f.Length >= SllHeader && BinaryPrimitives.ReadUInt16BigEndian(f[SllProtocolOffset..]) is EtherTypeIPv4 or EtherTypeIPv6 ? SllHeader : -1;
            case LinkTypes.LinuxSll2:
                return f.Length >= Sll2Header && BinaryPrimitives.ReadUInt16BigEndian(f) is EtherTypeIPv4 or EtherTypeIPv6 ? Sll2Header : -1;
            case LinkTypes.Raw or LinkTypes.Ipv4 or LinkTypes.Ipv6 or LinkTypes.RawBsd12 or LinkTypes.RawBsd14:
                return 0;
            case LinkTypes.Null or LinkTypes.Loop:
                return NullHeader;
            case LinkTypes.NetfilterLog:
                return NflogLayout.PayloadOffset(f);
            default:
                return -1;
        }
    }

    /// <summary>
    /// Offset in an IPv6 packet of the destination its flow is keyed on: the fixed header's (24), or, after hop-by-hop
    /// and destination options headers, the one a routing header names (<see cref="Ipv6Routing.FlowDestination"/>, as
    /// the IPv6 dissector keys the flow), so that both directions of such a flow meet.
    /// </summary>
    private static int Ipv6FinalDestination(ReadOnlySpan<byte> p)
    {
        const int Fixed = 40, Destination = 24, HopByHop = 0, Routing = 43, DestinationOptions = 60;
        byte next = p[6];
        int offset = Fixed;
        for (int count = 0; count < 8 && offset + 8 <= p.Length; count++)
        {
            int length = (p[offset + 1] + 1) * 8;
            if (offset + length > p.Length)
                break;
            if (next == Routing)
                return Ipv6Routing.FlowDestination(p.Slice(offset, length)) is int at ? offset + at : Destination;
            if (next is not (HopByHop or DestinationOptions))
                break;
            next = p[offset];
            offset += length;
        }

        return Destination;
    }
}
