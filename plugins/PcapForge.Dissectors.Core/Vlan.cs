using System.Buffers.Binary;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissectors.Core;

/// <summary>
/// IEEE 802.1Q customer VLAN tags and 802.1ad service tags (QinQ), at any depth: each tag is a layer whose
/// payload goes back to the <c>ethertype</c> table. VLAN id 0 (priority tagging) is kept as a tag.
/// </summary>
[DissectorExport("vlan")]
public sealed class Vlan : IDissector
{
    private const int TagLength = 4;
    private const int TciOffset = 0;
    private const int TypeOffset = 2;
    private const int MaxLengthValue = 1500;

    private FieldHandle _priority, _dei, _id, _etype, _len;
    private AnomalyHandle _truncated;
    private TableHandle _ethertype, _llc;

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("vlan", "802.1Q Virtual LAN", "IEEE 802.1Q / 802.1ad VLAN tag");
        _priority = setup.Field("vlan.priority", "Priority", FieldType.UInt8, "Priority code point (PCP, 3 bits)");
        _dei = setup.Field("vlan.dei", "DEI", FieldType.Boolean, "Drop eligible indicator");
        _id = setup.Field("vlan.id", "ID", FieldType.UInt16, "VLAN identifier (12 bits); 0 means priority tagging only");
        _etype = setup.Field("vlan.etype", "Type", FieldType.UInt16, "EtherType of the payload", FieldBase.Hex);
        _len = setup.Field("vlan.len", "Length", FieldType.UInt16, "IEEE 802.3 length of an LLC payload");
        _truncated = setup.Anomaly("vlan.truncated", "A VLAN tag shorter than 4 bytes");
        _ethertype = setup.TableRef("ethertype");
        _llc = setup.TableRef("llc");
        setup.AttachTo("ethertype", 0x8100); // 802.1Q C-tag
        setup.AttachTo("ethertype", 0x88A8); // 802.1ad S-tag
        setup.AttachTo("ethertype", 0x9100); // pre-standard QinQ
    }

    public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data)
    {
        if (data.Length < TagLength)
        {
            context.Report(_truncated, 0, $"{data.Length} bytes, a VLAN tag needs {TagLength}");
            return DissectResult.Done(data.Length);
        }

        ushort tci = BinaryPrimitives.ReadUInt16BigEndian(data[TciOffset..]);
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(data[TypeOffset..]);
        context.Add(_priority, TciOffset, 2, (ulong)(tci >> 13));
        context.Add(_dei, TciOffset, 2, (ulong)((tci >> 12) & 1));
        context.Add(_id, TciOffset, 2, (ulong)(tci & 0x0FFF));
        if (type <= MaxLengthValue)
        {
            context.Add(_len, TypeOffset, 2, type);
            return DissectResult.Next(TagLength, _llc, 0, type);
        }

        context.Add(_etype, TypeOffset, 2, type);
        return DissectResult.Next(TagLength, _ethertype, type);
    }
}
