using System.Buffers.Binary;
using PcapForge.Abstractions;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissectors.Link;

/// <summary>
/// BSD loopback encapsulation: a 4-byte address family before the packet. LINKTYPE_NULL (0) writes it in the
/// byte order of the capturing host; LINKTYPE_LOOP (108, OpenBSD) in network byte order
/// (https://www.tcpdump.org/linktypes/LINKTYPE_NULL.html). IPv4 and IPv6 go on through the <c>ethertype</c> table.
/// </summary>
[DissectorExport("null")]
public sealed class NullLoopback : IDissector
{
    private const int HeaderLength = 4;
    private const int FamilyOffset = 0;

    /// <summary>Address families are small numbers: a value with any of the upper 16 bits set was written in the other byte order.</summary>
    private const uint UpperHalfMask = 0xFFFF0000;
    private const uint TopByteMask = 0xFF000000;
    private const uint SecondByteMask = 0x00FF0000;
    private const uint IrixFamilyLimit = 0x00060000;

    /// <summary>IEEE 802.3 maximum length: a larger value is an EtherType, not an address family.</summary>
    private const uint MaxIeee8023Length = 1500;

    /// <summary>AF_INET on every BSD, macOS and Linux.</summary>
    private const uint AfInet = 2;

    /// <summary>AF_INET6: 24 on NetBSD, OpenBSD and BSD/OS, 28 on FreeBSD and DragonFly, 30 on macOS (libpcap's LINKTYPE_NULL page).</summary>
    private const uint AfInet6NetBsd = 24, AfInet6FreeBsd = 28, AfInet6Darwin = 30;

    private FieldHandle _family, _type;
    private AnomalyHandle _truncated, _unknownFamily;
    private TableHandle _ethertype;

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("null", "Null/Loopback", "BSD loopback header: the address family of the packet (LINKTYPE_NULL, LINKTYPE_LOOP)");
        _family = setup.Field("null.family", "Family", FieldType.UInt32, "Address family (2 IPv4; 24, 28 or 30 IPv6)");
        _type = setup.Field("null.type", "Type", FieldType.UInt16, "EtherType written where the family belongs", FieldBase.Hex);
        _truncated = setup.Anomaly("null.truncated", "The frame is shorter than the 4-byte loopback header");
        _unknownFamily = setup.Anomaly("null.unknown_family", "The address family is neither IPv4 nor one of the BSD values of IPv6; the payload is not decoded");
        _ethertype = setup.TableRef(TableNames.EtherType);
        setup.AttachTo(DissectorRegistryNames.LinkType, LinkTypes.Null);
        setup.AttachTo(DissectorRegistryNames.LinkType, LinkTypes.Loop);
    }

    public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data)
    {
        if (data.Length < HeaderLength)
        {
            context.Report(_truncated, 0, $"{data.Length} bytes, a loopback header needs {HeaderLength}");
            return DissectResult.Done(data.Length);
        }

        uint family;
        if (context.Frame.LinkType == LinkTypes.Loop)
        {
            family = BinaryPrimitives.ReadUInt32BigEndian(data[FamilyOffset..]);
        }
        else
        {
            // Host byte order of the machine that captured, read as Wireshark does on a little-endian host
            // (packet-null.c): a value with any upper 16 bits set came from a big-endian host, unless it looks
            // like IRIX's 16-bit family in the first two bytes.
            family = BinaryPrimitives.ReadUInt32LittleEndian(data[FamilyOffset..]);
            if ((family & UpperHalfMask) != 0)
            {
                family = (family & TopByteMask) == 0 && (family & SecondByteMask) < IrixFamilyLimit
                    ? family >> 16
                    : BinaryPrimitives.ReverseEndianness(family);
            }

            // Some writers put an EtherType there instead (values above the 802.3 maximum length).
            if (family > MaxIeee8023Length)
            {
                ushort etherType = (ushort)family;
                context.Add(_type, FamilyOffset, HeaderLength, etherType);
                return DissectResult.Next(HeaderLength, _ethertype, etherType);
            }
        }

        context.Add(_family, FamilyOffset, HeaderLength, family);
        switch (family)
        {
            case AfInet:
                return DissectResult.Next(HeaderLength, _ethertype, EtherTypes.IPv4);
            case AfInet6NetBsd or AfInet6FreeBsd or AfInet6Darwin:
                return DissectResult.Next(HeaderLength, _ethertype, EtherTypes.IPv6);
            default:
                context.Report(_unknownFamily, FamilyOffset, $"address family {family}");
                return DissectResult.Done(HeaderLength);
        }
    }
}
