using System.Buffers.Binary;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissectors.Link;

/// <summary>
/// Cisco MetaData (EtherType 0x8909), the TrustSec tag carrying a security group tag (SGT): version, length, an
/// option type and the SGT, plus the EtherType of what follows. On Ethernet the EtherType comes last (version,
/// length, options, SGT, type); inside GRE, as Wireshark decodes it, it comes first (type, version, length, options,
/// SGT). The first 16 bits tell which: an EtherType is at least 0x0600, a version byte of 1 is not.
/// </summary>
[DissectorExport("cmd")]
public sealed class CiscoMetaData : IDissector
{
    private const int EtherType = 0x8909;
    private const int HeaderLength = 8;
    private const int MinEtherType = 0x0600;

    private FieldHandle _version, _length, _options, _sgt, _type;
    private AnomalyHandle _truncated;
    private TableHandle _ethertype;

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("cmd", "Cisco MetaData", "Cisco MetaData (TrustSec security group tag)");
        _version = setup.Field("cmd.version", "Version", FieldType.UInt8, "CMD version");
        _length = setup.Field("cmd.length", "Length", FieldType.UInt8, "CMD length (in 4-byte units beyond the fixed part)");
        _options = setup.Field("cmd.options", "Options", FieldType.UInt16, "Option type (1: SGT)", FieldBase.Hex);
        _sgt = setup.Field("cmd.sgt", "SGT", FieldType.UInt16, "Security group tag");
        _type = setup.Field("cmd.type", "Type", FieldType.UInt16, "EtherType of the payload", FieldBase.Hex);
        _truncated = setup.Anomaly("cmd.truncated", "Fewer than the 8 bytes of a Cisco MetaData header");
        _ethertype = setup.TableRef(TableNames.EtherType);
        setup.AttachTo(TableNames.EtherType, EtherType);
    }

    public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data)
    {
        if (data.Length < HeaderLength)
        {
            context.Report(_truncated, 0, $"{data.Length} bytes, a Cisco MetaData header needs {HeaderLength}");
            return DissectResult.Done(data.Length);
        }

        bool typeFirst = BinaryPrimitives.ReadUInt16BigEndian(data) >= MinEtherType;
        int typeOffset = typeFirst ? 0 : 6;
        int rest = typeFirst ? 2 : 0; // version, length, options, SGT follow the type inside GRE
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(data[typeOffset..]);
        context.Add(_version, rest, 1, data[rest]);
        context.Add(_length, rest + 1, 1, data[rest + 1]);
        context.Add(_options, rest + 2, 2, BinaryPrimitives.ReadUInt16BigEndian(data[(rest + 2)..]));
        context.Add(_sgt, rest + 4, 2, BinaryPrimitives.ReadUInt16BigEndian(data[(rest + 4)..]));
        context.Add(_type, typeOffset, 2, type);
        return DissectResult.Next(HeaderLength, _ethertype, type);
    }
}
