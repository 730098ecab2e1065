using System.Buffers.Binary;
using PcapForge.Abstractions;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissectors.Link;

/// <summary>
/// Radiotap capture header (https://www.radiotap.org/): version, pad, length (little-endian), the chain of
/// present-flag words, and the Flags field, whose "FCS at end" bit says the 802.11 frame ends with 4 FCS bytes.
/// The 802.11 frame after the header goes to the link-type table at LINKTYPE_IEEE802_11, with the FCS cut off.
/// Attaches to LINKTYPE_IEEE802_11_RADIOTAP (127).
/// </summary>
[DissectorExport("radiotap")]
public sealed class Radiotap : IDissector
{
    private const int VersionOffset = 0;
    private const int PadOffset = 1;
    private const int LengthOffset = 2;
    private const int PresentOffset = 4;
    private const int PresentWordLength = 4;

    /// <summary>Version, pad, length and the first present word.</summary>
    private const int MinHeaderLength = 8;

    /// <summary>Bit 31 of a present word: another present word follows.</summary>
    private const uint PresentExtended = 0x8000_0000;

    /// <summary>Present bits of the first word (radiotap namespace): TSFT (8 bytes, 8-aligned) and Flags (1 byte).</summary>
    private const uint PresentTsft = 0x1, PresentFlags = 0x2;
    private const int TsftLength = 8;
    private const int TsftAlignment = 8;

    /// <summary>Flags field bits: the frame includes the FCS; bad FCS.</summary>
    private const int FlagFcsAtEnd = 0x10;
    private const int FcsLength = 4;

    private FieldHandle _version, _pad, _length, _presentWord, _flags, _flagsFcs;
    private AnomalyHandle _truncated, _badLength, _badVersion;
    private TableHandle _linkType;

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("radiotap", "Radiotap", "Radiotap capture header of 802.11 frames");
        _version = setup.Field("radiotap.version", "Header revision", FieldType.UInt8, "Radiotap version (0)");
        _pad = setup.Field("radiotap.pad", "Header pad", FieldType.UInt8, "Padding byte");
        _length = setup.Field("radiotap.length", "Header length", FieldType.UInt16, "Length of the radiotap header");
        _presentWord = setup.Field("radiotap.present.word", "Present flags word", FieldType.UInt32, "A present-flags word (one per word)", FieldBase.Hex);
        _flags = setup.Field("radiotap.flags", "Flags", FieldType.UInt8, "Flags field (0x10: FCS at end)", FieldBase.Hex);
        _flagsFcs = setup.Field("radiotap.flags.fcs", "FCS at end", FieldType.Boolean, "The 802.11 frame ends with its FCS");
        _truncated = setup.Anomaly("radiotap.truncated", "Fewer bytes than the radiotap header or its present words need");
        _badLength = setup.Anomaly("radiotap.length_invalid", "The header length is under 8 bytes, past the captured bytes, or too short for the present words");
        _badVersion = setup.Anomaly("radiotap.bad_version", "The radiotap version is not 0");
        _linkType = setup.TableRef(DissectorRegistryNames.LinkType);
        setup.AttachTo(DissectorRegistryNames.LinkType, LinkTypes.Ieee80211Radiotap);
    }

    public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data)
    {
        if (data.Length < MinHeaderLength)
        {
            context.Report(_truncated, 0, $"{data.Length} bytes, a radiotap header needs at least {MinHeaderLength}");
            return DissectResult.Done(data.Length);
        }

        byte version = data[VersionOffset];
        int length = BinaryPrimitives.ReadUInt16LittleEndian(data[LengthOffset..]);
        context.Add(_version, VersionOffset, 1, version);
        context.Add(_pad, PadOffset, 1, data[PadOffset]);
        context.Add(_length, LengthOffset, 2, (ulong)length);
        if (version != 0)
        {
            context.Report(_badVersion, VersionOffset, $"version {version}");
            return DissectResult.Done(MinHeaderLength);
        }

        if (length < MinHeaderLength || length > data.Length)
        {
            context.Report(length > data.Length ? _truncated : _badLength, LengthOffset, $"header length {length}, captured {data.Length}");
            return DissectResult.Done(length < MinHeaderLength ? MinHeaderLength : data.Length);
        }

        int offset = PresentOffset;
        uint first = BinaryPrimitives.ReadUInt32LittleEndian(data[PresentOffset..]);
        uint word = first;
        while (true)
        {
            if (offset + PresentWordLength > length)
            {
                context.Report(_badLength, LengthOffset, $"header length {length} ends inside the present words");
                return DissectResult.Done(length);
            }

            word = BinaryPrimitives.ReadUInt32LittleEndian(data[offset..]);
            context.Add(_presentWord, offset, PresentWordLength, word);
            offset += PresentWordLength;
            if ((word & PresentExtended) == 0)
                break;
        }

        // Fields follow the present words in bit order, each aligned to its natural size from the header start.
        bool fcs = false;
        if ((first & PresentFlags) != 0)
        {
            int flagsOffset = offset;
            if ((first & PresentTsft) != 0)
                flagsOffset = ((flagsOffset + TsftAlignment - 1) & ~(TsftAlignment - 1)) + TsftLength;
            if (flagsOffset < length)
            {
                byte flags = data[flagsOffset];
                fcs = (flags & FlagFcsAtEnd) != 0;
                context.Add(_flags, flagsOffset, 1, flags);
                context.Add(_flagsFcs, flagsOffset, 1, fcs ? 1UL : 0);
            }
        }

        int remaining = data.Length - length;

        // A frame cut by the snaplen has lost its FCS already: only a whole frame ends with one.
        if (fcs && !context.Frame.IsTruncated && remaining >= FcsLength)
            return DissectResult.Next(length, _linkType, LinkTypes.Ieee80211, remaining - FcsLength);
        return DissectResult.Next(length, _linkType, LinkTypes.Ieee80211);
    }
}
