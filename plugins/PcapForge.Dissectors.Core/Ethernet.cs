using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using PcapForge.Abstractions;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissectors.Core;

/// <summary>
/// Ethernet II (and IEEE 802.3 frames, whose type field is a length below 0x0600: their payload goes to the
/// <c>llc</c> table). Attaches to LINKTYPE_ETHERNET; declares the <c>ethertype</c> table.
/// </summary>
[DissectorExport("eth")]
public sealed class Ethernet : IDissector
{
    private const int HeaderLength = 14;
    private const int DestinationOffset = 0;
    private const int SourceOffset = 6;
    private const int TypeOffset = 12;

    /// <summary>Values a header records: destination, source, and the type or length.</summary>
    private const int ExpectedFields = 3;

    /// <summary>IEEE 802.3 clause 3.2.6: values up to 1500 are a length, from 0x0600 on an EtherType.</summary>
    private const int MaxLengthValue = 1500;
    private const int MinEtherType = 0x0600;

    private FieldHandle _dst, _src, _type, _len;
    private AnomalyHandle _truncated;
    private TableHandle _ethertype, _llc;

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("eth", "Ethernet", "Ethernet II and IEEE 802.3 MAC header");
        _dst = setup.Field("eth.dst", "Destination", FieldType.Ether, "Destination MAC address");
        _src = setup.Field("eth.src", "Source", FieldType.Ether, "Source MAC address");
        setup.EitherField("eth.addr", "Address", FieldType.Ether, "Source or destination MAC address (matches either)", _src, _dst);
        _type = setup.Field("eth.type", "Type", FieldType.UInt16, "EtherType of the payload", FieldBase.Hex);
        _len = setup.Field("eth.len", "Length", FieldType.UInt16, "IEEE 802.3 length field");
        _truncated = setup.Anomaly("eth.truncated", "The frame is shorter than an Ethernet header (14 bytes)");
        _ethertype = setup.Table("ethertype", "EtherType of an Ethernet, VLAN, SLL or GRE payload", 16);
        _llc = setup.TableRef("llc");
        setup.AttachTo(DissectorRegistryNames.LinkType, LinkTypes.Ethernet);
    }

    public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data)
    {
        if (data.Length < HeaderLength)
            return Truncated(context, data.Length);

        ushort type = BinaryPrimitives.ReadUInt16BigEndian(data[TypeOffset..]);
        var fields = context.BeginFields(ExpectedFields);
        fields.Add(_dst, DestinationOffset, 6);
        fields.Add(_src, SourceOffset, 6); // eth.addr (source, destination) is derived from these two
        fields.Add(type <= MaxLengthValue ? _len : _type, TypeOffset, 2, type);
        fields.End();
        if (type <= MaxLengthValue)
            return DissectResult.Next(HeaderLength, _llc, 0, type);
        if (type < MinEtherType)
            return DissectResult.Done(HeaderLength); // 1501..1535: neither a length nor an EtherType
        return DissectResult.Next(HeaderLength, _ethertype, type);
    }

    /// <summary>Out of line: the frame path's stack frame then holds no interpolated-string handler, zeroed on every call.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private DissectResult Truncated(PacketContext context, int length)
    {
        context.Report(_truncated, 0, $"{length} bytes, an Ethernet header needs {HeaderLength}");
        return DissectResult.Done(length);
    }
}
