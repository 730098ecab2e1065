using System.Buffers.Binary;
using PcapForge.Abstractions;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissectors.Link;

/// <summary>
/// Linux netfilter log messages (LINKTYPE_NFLOG, 239): what <c>tcpdump -i nflog:GROUP</c> records of the packets an
/// iptables/nftables NFLOG rule hands to a log group (https://www.tcpdump.org/linktypes/LINKTYPE_NFLOG.html).
/// <para>
/// A 4-byte header (address family, version 0, the group as a big-endian resource id), then TLVs: a 16-bit length
/// (header included) and a 16-bit type, in the byte order of the host that captured (which is the capture file's:
/// libpcap swaps both for a reader of the other order), each padded to a multiple of 4 bytes. The packet is the
/// NFULA_PAYLOAD TLV, an IPv4 or IPv6 datagram decoded through the <c>ethertype</c> table. The values inside the TLVs
/// are in network byte order (linux/netfilter/nfnetlink_log.h). Field names are Wireshark's (packet-nflog.c).
/// </para>
/// </summary>
[DissectorExport("nflog")]
public sealed class Nflog : IDissector
{
    private const int HeaderLength = NflogLayout.HeaderLength;

    // nfnetlink_log.h attribute types.
    private const int PacketHeader = 1, Mark = 2, InDevice = 4, OutDevice = 5, PhysInDevice = 6, PhysOutDevice = 7, Payload = NflogLayout.PayloadAttribute, Prefix = 10, Uid = 11, Gid = 14;

    // Address families (linux/socket.h).
    private const int AfInet = 2, AfInet6 = 10;

    private FieldHandle _family, _version, _resourceId, _hwProtocol, _hook, _prefix;

    /// <summary>The attributes whose value is one 32-bit big-endian number, by type.</summary>
    private readonly FieldHandle?[] _word = new FieldHandle?[Gid + 1];
    private AnomalyHandle _truncated, _badTlv, _unknownFamily;
    private TableHandle _ethertype;

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("nflog", "Linux Netfilter NFLOG", "A packet an iptables or nftables NFLOG rule logged (LINKTYPE_NFLOG), with the log group and attributes");
        _family = setup.Field("nflog.family", "Family", FieldType.UInt8, "Address family of the packet (2 IPv4, 10 IPv6)");
        _version = setup.Field("nflog.version", "Version", FieldType.UInt8, "Version of the header (0)");
        _resourceId = setup.Field("nflog.res_id", "Resource id", FieldType.UInt16, "The log group (the rule's --nflog-group)");
        _hwProtocol = setup.Field("nflog.protocol", "HW protocol", FieldType.UInt16, "EtherType of the packet, from the packet header attribute", FieldBase.Hex);
        _hook = setup.Field("nflog.hook", "Netfilter hook", FieldType.UInt8, "The netfilter hook the rule ran in (0 PREROUTING, 1 INPUT, 2 FORWARD, 3 OUTPUT, 4 POSTROUTING)");
        _word[Mark] = setup.Field("nflog.mark", "Mark", FieldType.UInt32, "The packet's netfilter mark", FieldBase.Hex);
        _word[InDevice] = setup.Field("nflog.ifindex_indev", "IFINDEX_INDEV", FieldType.UInt32, "Index of the interface the packet came in on");
        _word[OutDevice] = setup.Field("nflog.ifindex_outdev", "IFINDEX_OUTDEV", FieldType.UInt32, "Index of the interface the packet goes out on");
        _word[PhysInDevice] = setup.Field("nflog.ifindex_physindev", "IFINDEX_PHYSINDEV", FieldType.UInt32, "Index of the bridge port the packet came in on");
        _word[PhysOutDevice] = setup.Field("nflog.ifindex_physoutdev", "IFINDEX_PHYSOUTDEV", FieldType.UInt32, "Index of the bridge port the packet goes out on");
        _word[Uid] = setup.Field("nflog.uid", "UID", FieldType.Int32, "User id of the local socket that sent or receives the packet");
        _word[Gid] = setup.Field("nflog.gid", "GID", FieldType.Int32, "Group id of that socket");
        _prefix = setup.Field("nflog.prefix", "Prefix", FieldType.String, "The rule's log prefix (--nflog-prefix)");
        _truncated = setup.Anomaly("nflog.truncated", "The frame is shorter than the 4-byte NFLOG header");
        _badTlv = setup.Anomaly("nflog.tlv_invalid", "An attribute's length is under 4 bytes or runs past the frame; the attributes after it are not read");
        _unknownFamily = setup.Anomaly("nflog.unknown_family", "The payload's address family is neither IPv4 nor IPv6 and no EtherType says what it is; it is not decoded");
        _ethertype = setup.TableRef(TableNames.EtherType);
        setup.AttachTo(DissectorRegistryNames.LinkType, LinkTypes.NetfilterLog);
    }

    public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data)
    {
        if (data.Length < HeaderLength)
        {
            context.Report(_truncated, 0, $"{data.Length} bytes, an NFLOG header needs {HeaderLength}");
            return DissectResult.Done(data.Length);
        }

        byte family = data[0];
        context.Add(_family, 0, 1, family);
        context.Add(_version, 1, 1, data[1]);
        context.Add(_resourceId, 2, 2, BinaryPrimitives.ReadUInt16BigEndian(data[2..]));

        bool bigEndian = NflogLayout.AttributesAreBigEndian(data);
        int etherType = -1;
        int offset = HeaderLength;
        while (offset + NflogLayout.AttributeHeaderLength <= data.Length)
        {
            var (length, type) = NflogLayout.Attribute(data[offset..], bigEndian);
            if (length < NflogLayout.AttributeHeaderLength || offset + length > data.Length)
            {
                context.Report(_badTlv, offset, $"attribute of type {type} claims {length} bytes at offset {offset} of {data.Length}");
                return DissectResult.Done(data.Length);
            }

            int value = offset + NflogLayout.AttributeHeaderLength, valueLength = length - NflogLayout.AttributeHeaderLength;
            switch (type)
            {
                case PacketHeader when valueLength >= 3:
                    etherType = BinaryPrimitives.ReadUInt16BigEndian(data[value..]);
                    context.Add(_hwProtocol, value, 2, (ulong)etherType);
                    context.Add(_hook, value + 2, 1, data[value + 2]);
                    break;
                case Prefix:
                    int end = data.Slice(value, valueLength).IndexOf((byte)0);
                    context.Add(_prefix, value, end < 0 ? valueLength : end);
                    break;
                case Payload:
                    int key = family switch
                    {
                        AfInet => EtherTypes.IPv4,
                        AfInet6 => EtherTypes.IPv6,
                        _ => etherType,
                    };
                    if (key < 0)
                    {
                        context.Report(_unknownFamily, 0, $"address family {family}");
                        return DissectResult.Done(data.Length);
                    }

                    return DissectResult.Next(value, _ethertype, key, valueLength);
                case < Gid + 1 when valueLength >= 4 && _word[type] is { } word:
                    context.Add(word, value, 4, BinaryPrimitives.ReadUInt32BigEndian(data[value..]));
                    break;
            }

            offset = NflogLayout.Next(offset, length);
        }

        return DissectResult.Done(data.Length);
    }
}
