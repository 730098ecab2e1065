using System.Buffers.Binary;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissectors.Core;

/// <summary>
/// IEEE 802.1Q customer VLAN tags (EtherType 0x8100, and the pre-standard QinQ 0x9100), at any depth: each tag is
/// a layer whose payload goes back to the <c>ethertype</c> table. VLAN id 0 (priority tagging) is kept as a tag.
/// </summary>
[DissectorExport("vlan")]
public sealed class Vlan() : VlanTag("vlan", "802.1Q Virtual LAN", "IEEE 802.1Q VLAN tag", hasTypeFields: true, 0x8100, 0x9100);

/// <summary>
/// IEEE 802.1ad service tags (EtherType 0x88A8), under Wireshark's own protocol name so that <c>vlan.id</c> and
/// <c>ieee8021ad.id</c> filter as they do in Wireshark: a QinQ frame has one of each.
/// </summary>
[DissectorExport("ieee8021ad")]
public sealed class Ieee8021ad() : VlanTag("ieee8021ad", "IEEE 802.1ad", "IEEE 802.1ad provider bridge (service) tag", hasTypeFields: false, 0x88A8);

/// <summary>The 4-byte tag both share: TCI (priority 3 bits, DEI 1 bit, id 12 bits) and the EtherType or length.</summary>
public abstract class VlanTag : IDissector
{
    private const int TagLength = 4;
    private const int TciOffset = 0;
    private const int TypeOffset = 2;
    private const int MaxLengthValue = 1500;

    private readonly string _id, _name, _description;
    private readonly bool _hasTypeFields;
    private readonly int[] _etherTypes;
    private FieldHandle _priority, _dei, _vid, _etype, _len;
    private AnomalyHandle _truncated;
    private TableHandle _ethertype, _llc;

    protected VlanTag(string id, string name, string description, bool hasTypeFields, params int[] etherTypes)
    {
        _id = id;
        _name = name;
        _description = description;
        _hasTypeFields = hasTypeFields;
        _etherTypes = etherTypes;
    }

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol(_id, _name, _description);
        _priority = setup.Field($"{_id}.priority", "Priority", FieldType.UInt8, "Priority code point (PCP, 3 bits)");
        _dei = setup.Field($"{_id}.dei", "DEI", FieldType.Boolean, "Drop eligible indicator");
        _vid = setup.Field($"{_id}.id", "ID", FieldType.UInt16, "VLAN identifier (12 bits); 0 means priority tagging only");
        if (_hasTypeFields)
        {
            _etype = setup.Field($"{_id}.etype", "Type", FieldType.UInt16, "EtherType of the payload", FieldBase.Hex);
            _len = setup.Field($"{_id}.len", "Length", FieldType.UInt16, "IEEE 802.3 length of an LLC payload");
        }

        _truncated = setup.Anomaly($"{_id}.truncated", "A tag shorter than 4 bytes");
        _ethertype = setup.TableRef("ethertype");
        _llc = setup.TableRef("llc");
        foreach (int type in _etherTypes)
            setup.AttachTo("ethertype", type);
    }

    public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data)
    {
        if (data.Length < TagLength)
        {
            context.Report(_truncated, 0, $"{data.Length} bytes, a tag needs {TagLength}");
            return DissectResult.Done(data.Length);
        }

        ushort tci = BinaryPrimitives.ReadUInt16BigEndian(data[TciOffset..]);
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(data[TypeOffset..]);
        context.Add(_priority, TciOffset, 2, (ulong)(tci >> 13));
        context.Add(_dei, TciOffset, 2, (ulong)((tci >> 12) & 1));
        context.Add(_vid, TciOffset, 2, (ulong)(tci & 0x0FFF));
        if (type <= MaxLengthValue)
        {
            if (_hasTypeFields)
                context.Add(_len, TypeOffset, 2, type);
            return DissectResult.Next(TagLength, _llc, 0, type);
        }

        if (_hasTypeFields)
            context.Add(_etype, TypeOffset, 2, type);
        return DissectResult.Next(TagLength, _ethertype, type);
    }
}
