using System.Buffers.Binary;
using PcapForge.Abstractions;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissectors.Link;

/// <summary>
/// MPLS label stack (RFC 3032 §2.1): 4-byte entries of label(20) traffic class(3) bottom-of-stack(1) TTL(8), up to
/// the entry with the S bit. MPLS carries no payload type, so after the stack the first nibble decides, as
/// RFC 4385 §2 arranges: 4 is IPv4, 6 is IPv6 (through <c>ethertype</c>), 0 is a pseudowire control word
/// (RFC 4448 §3: Ethernet pseudowire), after which an Ethernet frame is decoded through the link-type table,
/// 1 is the associated channel header (not decoded). Other nibbles are left undecoded: an Ethernet pseudowire
/// without control word cannot be told from other payloads.
/// </summary>
[DissectorExport("mpls")]
public sealed class Mpls : IDissector
{
    private const int EntryLength = 4;
    private const int LabelShift = 12;
    private const int TrafficClassShift = 9;
    private const uint TrafficClassMask = 0x7;
    private const uint BottomOfStackBit = 0x100;
    private const uint TtlMask = 0xFF;

    /// <summary>First nibble of a PW MPLS control word (RFC 4385 §3) and of an associated channel header (RFC 4385 §3, value 1).</summary>
    private const int ControlWordNibble = 0, AssociatedChannelNibble = 1;
    private const int ControlWordLength = 4;

    /// <summary>Sequence number: the low 16 bits of the Ethernet control word (RFC 4448 §3, Figure 2).</summary>
    private const int ControlWordSequenceOffset = 2;

    /// <summary>An Ethernet header (14 bytes) must follow the control word for it to be decoded as one.</summary>
    private const int MinEthernetLength = 14;

    private FieldHandle _label, _exp, _bottom, _ttl, _cwSequence;
    private AnomalyHandle _truncated;
    private TableHandle _ethertype, _linkType;

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("mpls", "MultiProtocol Label Switching Header", "MPLS label stack (RFC 3032), with the Ethernet pseudowire control word (RFC 4448)");
        _label = setup.Field("mpls.label", "MPLS Label", FieldType.UInt32, "Label value (one per stack entry)");
        _exp = setup.Field("mpls.exp", "MPLS Experimental Bits", FieldType.UInt32, "Traffic class, formerly EXP (RFC 5462)");
        _bottom = setup.Field("mpls.bottom", "MPLS Bottom Of Label Stack", FieldType.UInt32, "1 on the last entry of the stack");
        _ttl = setup.Field("mpls.ttl", "MPLS TTL", FieldType.UInt32, "Time to live of the entry");
        _cwSequence = setup.Field("pweth.cw.sequence_number", "PW sequence number (ethernet)", FieldType.UInt16, "Sequence number of the Ethernet pseudowire control word (RFC 4448)");
        _truncated = setup.Anomaly("mpls.truncated", "The frame ends inside the label stack, before an entry with the bottom-of-stack bit");
        _ethertype = setup.TableRef(TableNames.EtherType);
        _linkType = setup.TableRef(DissectorRegistryNames.LinkType);
        setup.AttachTo(TableNames.EtherType, EtherTypes.MplsUnicast);
        setup.AttachTo(TableNames.EtherType, EtherTypes.MplsMulticast);
    }

    public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data)
    {
        int offset = 0;
        uint firstLabel = 0;
        bool bottom = false;
        while (!bottom && offset + EntryLength <= data.Length)
        {
            uint entry = BinaryPrimitives.ReadUInt32BigEndian(data[offset..]);
            uint label = entry >> LabelShift;
            if (offset == 0)
                firstLabel = label;
            bottom = (entry & BottomOfStackBit) != 0;
            context.Add(_label, offset, 3, label);
            context.Add(_exp, offset + 2, 1, (entry >> TrafficClassShift) & TrafficClassMask);
            context.Add(_bottom, offset + 2, 1, bottom ? 1UL : 0);
            context.Add(_ttl, offset + 3, 1, entry & TtlMask);
            offset += EntryLength;
        }

        if (context.WantsDetail && offset > 0)
        {
            context.Info.Clear();
            context.Info.Append("MPLS Label ").Append(firstLabel);
        }

        if (!bottom)
        {
            context.Report(_truncated, offset, $"the stack has {offset / EntryLength} entries and no bottom of stack in {data.Length} bytes");
            return DissectResult.Done(offset == 0 ? data.Length : offset);
        }

        if (offset >= data.Length)
            return DissectResult.Done(offset);
        switch (IpVersion.Of(data[offset]))
        {
            case IpVersion.V4:
                return DissectResult.Next(offset, _ethertype, EtherTypes.IPv4);
            case IpVersion.V6:
                return DissectResult.Next(offset, _ethertype, EtherTypes.IPv6);
            case ControlWordNibble when data.Length - offset >= ControlWordLength + MinEthernetLength:
                context.Add(_cwSequence, offset + ControlWordSequenceOffset, 2, BinaryPrimitives.ReadUInt16BigEndian(data[(offset + ControlWordSequenceOffset)..]));
                return DissectResult.Next(offset + ControlWordLength, _linkType, LinkTypes.Ethernet);
            case AssociatedChannelNibble:
            default:
                return DissectResult.Done(offset);
        }
    }
}
