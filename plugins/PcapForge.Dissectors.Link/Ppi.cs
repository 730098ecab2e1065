using System.Buffers.Binary;
using PcapForge.Abstractions;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissectors.Link;

/// <summary>
/// Per-Packet Information header (PPI, CACE Technologies specification 1.0.10, §3): version, flags, length and
/// the DLT of the frame that follows, all little-endian. The frame after the header goes to the link-type table
/// at that DLT (802.11 in practice). The PPI fields themselves (802.11-common…) are not decoded.
/// Attaches to LINKTYPE_PPI (192).
/// </summary>
[DissectorExport("ppi")]
public sealed class Ppi : IDissector
{
    private const int VersionOffset = 0;
    private const int FlagsOffset = 1;
    private const int LengthOffset = 2;
    private const int DltOffset = 4;
    private const int HeaderLength = 8;

    private FieldHandle _version, _flags, _length, _dlt;
    private AnomalyHandle _truncated, _badLength;
    private TableHandle _linkType;

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("ppi", "PPI Packet Header", "Per-Packet Information header (LINKTYPE_PPI)");
        _version = setup.Field("ppi.version", "Version", FieldType.UInt8, "PPI version (0)");
        _flags = setup.Field("ppi.flags", "Flags", FieldType.UInt8, "Flags (bit 0: 32-bit alignment)", FieldBase.Hex);
        _length = setup.Field("ppi.length", "Header length", FieldType.UInt16, "Length of the PPI header with its fields");
        _dlt = setup.Field("ppi.dlt", "DLT", FieldType.UInt32, "Link type of the frame after the header");
        _truncated = setup.Anomaly("ppi.truncated", "Fewer bytes than the 8-byte PPI header or the length it gives");
        _badLength = setup.Anomaly("ppi.length_invalid", "The header length is under 8 bytes");
        _linkType = setup.TableRef(DissectorRegistryNames.LinkType);
        setup.AttachTo(DissectorRegistryNames.LinkType, LinkTypes.Ppi);
    }

    public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data)
    {
        if (data.Length < HeaderLength)
        {
            context.Report(_truncated, 0, $"{data.Length} bytes, a PPI header needs {HeaderLength}");
            return DissectResult.Done(data.Length);
        }

        int length = BinaryPrimitives.ReadUInt16LittleEndian(data[LengthOffset..]);
        uint dlt = BinaryPrimitives.ReadUInt32LittleEndian(data[DltOffset..]);
        context.Add(_version, VersionOffset, 1, data[VersionOffset]);
        context.Add(_flags, FlagsOffset, 1, data[FlagsOffset]);
        context.Add(_length, LengthOffset, 2, (ulong)length);
        context.Add(_dlt, DltOffset, 4, dlt);
        if (length < HeaderLength)
        {
            context.Report(_badLength, LengthOffset, $"header length {length}");
            return DissectResult.Done(HeaderLength);
        }

        if (length > data.Length)
        {
            context.Report(_truncated, LengthOffset, $"header length {length}, captured {data.Length}");
            return DissectResult.Done(data.Length);
        }

        // Nested PPI would loop through the table: a PPI header describes a frame of another link type.
        if (dlt == LinkTypes.Ppi)
            return DissectResult.Done(length);
        return DissectResult.Next(length, _linkType, dlt);
    }
}
