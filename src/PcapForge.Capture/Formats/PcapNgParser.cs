using System.Buffers.Binary;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using PcapForge.Abstractions;
using PcapForge.Capture.Sources;
using static PcapForge.Capture.Formats.PcapNgLayout;

namespace PcapForge.Capture.Formats;

/// <summary>
/// pcapng (draft-ietf-opsawg-pcapng): a sequence of blocks in one or more sections, each section with its own
/// byte order and interface ids. Damage to a block's framing is an anomaly; the parser then looks for the next
/// well-framed block (resynchronises) or stops where there is none.
/// </summary>
internal sealed class PcapNgParser : FormatParser
{
    /// <summary>How far past a damaged block the parser looks for the next well-framed one.</summary>
    internal const int ResyncWindow = 16 * 1024 * 1024;

    /// <summary>
    /// Bytes read at once for the plain-packet path: an Ethernet frame of 1514 bytes with its 32 bytes of block
    /// fits; a larger block takes the general path, which reads it by its length.
    /// </summary>
    internal const int FastPathBlockLength = 2048;

    /// <summary>Name resolution entries kept per file; more are counted, not kept, so memory stays bounded.</summary>
    internal const int MaxNameEntries = 100_000;

    private long _position;
    private bool _bigEndian;
    private SectionInfo? _section;
    private bool _done;
    private int _nameEntries;

    public PcapNgParser(ByteSource source, CaptureState state)
        : base(source, state)
    {
    }

    public override long Position => _position;

    public override bool TryReadNext(out Frame frame)
    {
        if (TryReadPlainPacket(out frame))
            return true;
        return TryReadNextBlock(out frame);
    }

    /// <summary>
    /// The frame path of almost every pcapng file: a little-endian Enhanced Packet Block of at most
    /// <see cref="FastPathBlockLength"/> bytes, well framed, of a described interface, with no options, whose lengths
    /// and timestamp need no anomaly. One read of the source and no option walk. Anything else (another block type,
    /// options, a big-endian section, damage) returns false having changed nothing, and the general path reads the
    /// same block, so both give the same frames and anomalies.
    /// </summary>
    private bool TryReadPlainPacket(out Frame frame)
    {
        frame = default;
        if (_done || _bigEndian || _section is null)
            return false;
        Source.Discard(_position);
        ReadOnlySpan<byte> head = Source.Read(_position, FastPathBlockLength);
        if (head.Length < EpbMinLength || BinaryPrimitives.ReadUInt32LittleEndian(head) != EnhancedPacketBlock)
            return false;
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(head[4..]);
        if (length < EpbMinLength || length % 4 != 0 || length > (uint)head.Length)
            return false;
        ReadOnlySpan<byte> block = head[..(int)length];
        if (BinaryPrimitives.ReadUInt32LittleEndian(block[^BlockTrailerLength..]) != length)
            return false;

        var interfaces = _section.Interfaces;
        uint interfaceId = BinaryPrimitives.ReadUInt32LittleEndian(block[EpbInterfaceOffset..]);
        if (interfaceId >= (uint)interfaces.Count)
            return false;
        InterfaceInfo iface = interfaces[(int)interfaceId];
        uint capLen = BinaryPrimitives.ReadUInt32LittleEndian(block[EpbCapLenOffset..]);
        uint origLen = BinaryPrimitives.ReadUInt32LittleEndian(block[EpbOrigLenOffset..]);
        // Options start after the padded packet data; there are none when that reaches the trailer.
        if (capLen > length - EpbDataOffset - BlockTrailerLength || EpbDataOffset + Pad4((int)capLen) < length - BlockTrailerLength
            || capLen > origLen || (iface.SnapLength != 0 && capLen > iface.SnapLength))
            return false;
        ulong raw = ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(block[EpbTimestampHighOffset..]) << 32)
                    | BinaryPrimitives.ReadUInt32LittleEndian(block[EpbTimestampLowOffset..]);
        if (!iface.Scale.TryToNanoseconds(raw, out long ns))
            return false;

        long offset = _position;
        _position += length;
        iface.LastFrameTimestampNs = ns;
        long number = State.FramesRead + 1;
        State.FramesRead = number;
        frame = new Frame(PacketInfo(iface, number, offset, ns, hasTimestamp: true, capLen, origLen, iface.FcsLength ?? 0),
            block.Slice(EpbDataOffset, (int)capLen));
        return true;
    }

    /// <summary>The metadata of a frame from an Enhanced or obsolete Packet Block; option values are null when the block has none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static FrameInfo PacketInfo(InterfaceInfo iface, long number, long offset, long ns, bool hasTimestamp, uint capLen, uint origLen, int fcs,
        uint? flags = null, ulong? dropCount = null, ulong? packetId = null, uint? queue = null, List<string>? comments = null) => new()
    {
        Number = number,
        Section = iface.Section,
        InterfaceId = iface.Id,
        InterfaceIndex = iface.Index,
        LinkType = iface.LinkType,
        TimestampNs = ns,
        HasTimestamp = hasTimestamp,
        CapturedLength = (int)capLen,
        OriginalLength = origLen,
        FileOffset = offset,
        DataOffset = offset + EpbDataOffset,
        Flags = flags,
        DropCount = dropCount,
        PacketId = packetId,
        Queue = queue,
        Comments = comments,
        FcsLength = fcs,
    };

    private bool TryReadNextBlock(out Frame frame)
    {
        frame = default;
        while (!_done)
        {
            Source.Discard(_position);
            ReadOnlySpan<byte> head = Source.Read(_position, ShbOptionsOffset);
            if (head.IsEmpty)
            {
                _done = true;
                return false;
            }

            if (head.Length < BlockHeaderLength)
            {
                Stop("pcapng.truncated_block_header", $"file ends {head.Length} bytes into a block header (after frame {State.FramesRead})");
                return false;
            }

            uint type = ReadTypeAndOrder(head, out bool blockBigEndian, out bool badByteOrder);
            if (badByteOrder)
            {
                Report("section", "pcapng.bad_byte_order_magic", null, _position + ShbByteOrderOffset,
                    $"Section Header Block byte-order magic is 0x{BinaryPrimitives.ReadUInt32LittleEndian(head[ShbByteOrderOffset..]):x8}, expected 0x1a2b3c4d in either byte order");
                if (!Resynchronise(afterTruncation: false))
                    return false;
                continue;
            }

            uint length = Read32(head[4..], blockBigEndian);
            if (!CheckFraming(type, length, blockBigEndian, out ReadOnlySpan<byte> block))
                continue;

            long blockOffset = _position;
            _position += length;
            if (type == SectionHeaderBlock)
            {
                _bigEndian = blockBigEndian;
                ReadSectionHeader(block, blockOffset);
                continue;
            }

            if (_section is null)
            {
                // Cannot happen after the reader's magic check, but a block before any SHB has no byte order to trust.
                Stop("pcapng.no_section_header", "block found before any Section Header Block");
                return false;
            }

            switch (type)
            {
                case EnhancedPacketBlock:
                    if (TryReadEnhancedPacket(block, blockOffset, out frame))
                        return true;
                    break;
                case SimplePacketBlock:
                    if (TryReadSimplePacket(block, blockOffset, out frame))
                        return true;
                    break;
                case PacketBlock:
                    if (TryReadObsoletePacket(block, blockOffset, out frame))
                        return true;
                    break;
                case InterfaceDescriptionBlock:
                    ReadInterfaceDescription(block, blockOffset);
                    break;
                case InterfaceStatisticsBlock:
                    ReadInterfaceStatistics(block, blockOffset);
                    break;
                case NameResolutionBlock:
                    ReadNameResolution(block, blockOffset);
                    break;
                case DecryptionSecretsBlock:
                    ReadDecryptionSecrets(block, blockOffset);
                    break;
                case CustomBlock or CustomBlockNoCopy:
                    _section.CustomBlocks++;
                    break;
                default:
                    _section.UnknownBlocks++;
                    break;
            }
        }

        return false;
    }

    /// <summary>The block type, and the byte order to read the block in (an SHB says its own).</summary>
    private uint ReadTypeAndOrder(ReadOnlySpan<byte> head, out bool bigEndian, out bool badByteOrder)
    {
        badByteOrder = false;
        uint typeLe = BinaryPrimitives.ReadUInt32LittleEndian(head);
        if (typeLe == SectionHeaderBlock)
        {
            bigEndian = _bigEndian;
            if (head.Length < ShbByteOrderOffset + 4)
                return typeLe; // framing check reports the truncation
            uint bom = BinaryPrimitives.ReadUInt32LittleEndian(head[ShbByteOrderOffset..]);
            if (bom == ByteOrderMagic)
                bigEndian = false;
            else if (BinaryPrimitives.ReverseEndianness(bom) == ByteOrderMagic)
                bigEndian = true;
            else
                badByteOrder = true;
            return typeLe;
        }

        bigEndian = _bigEndian;
        return Read32(head, _bigEndian);
    }

    /// <summary>
    /// Checks a block's total length against its minimum, alignment, the end of the file and its trailing copy.
    /// On damage reports it and resynchronises (or stops); returns false then, with the position moved.
    /// </summary>
    private bool CheckFraming(uint type, uint length, bool bigEndian, out ReadOnlySpan<byte> block)
    {
        block = default;
        if (length < MinBlockLength)
        {
            Report("file", "pcapng.block_length_too_small", null, _position, $"block type 0x{type:x8} has total length {length}, less than the minimum of {MinBlockLength}");
            Resynchronise(afterTruncation: false);
            return false;
        }

        if (length % 4 != 0)
        {
            Report("file", "pcapng.block_length_unaligned", null, _position, $"block type 0x{type:x8} has total length {length}, not a multiple of 4");
            Resynchronise(afterTruncation: false);
            return false;
        }

        if (length > MaxBlockLength)
        {
            Report("file", "pcapng.block_length_invalid", null, _position, $"block type 0x{type:x8} claims {length} bytes, more than the {MaxBlockLength}-byte limit");
            Resynchronise(afterTruncation: false);
            return false;
        }

        block = Source.Read(_position, (int)length);
        if (block.Length < length)
        {
            // Either the file was cut inside this block, or the length is garbage and good blocks follow.
            long cutAt = _position;
            int available = block.Length;
            if (!Resynchronise(afterTruncation: true))
            {
                Stop("pcapng.truncated_block",
                    $"block type 0x{type:x8} of {length} bytes at offset {cutAt} is cut short: the file ends after {available} bytes of it (after frame {State.FramesRead})",
                    cutAt);
            }

            return false;
        }

        uint trailer = Read32(block[((int)length - BlockTrailerLength)..], bigEndian);
        if (trailer != length)
        {
            Report("file", "pcapng.block_length_mismatch", null, _position,
                $"block type 0x{type:x8} starts with total length {length} but ends with {trailer}");
            Resynchronise(afterTruncation: false);
            return false;
        }

        int minimum = type switch
        {
            SectionHeaderBlock => ShbMinLength,
            InterfaceDescriptionBlock => IdbMinLength,
            EnhancedPacketBlock or PacketBlock => EpbMinLength,
            SimplePacketBlock => SpbMinLength,
            InterfaceStatisticsBlock => IsbMinLength,
            DecryptionSecretsBlock => DsbMinLength,
            _ => MinBlockLength,
        };
        if (length < minimum)
        {
            Report("file", "pcapng.block_too_short", null, _position, $"block type 0x{type:x8} has total length {length}, its fixed fields need {minimum}; skipped");
            _position += length;
            return false;
        }

        return true;
    }

    /// <summary>
    /// Scans forward at 4-byte steps for a block of a known type whose two length fields agree and lie inside the
    /// data. Reports the skip; when nothing is found, stops (unless the caller reports the stop itself).
    /// </summary>
    private bool Resynchronise(bool afterTruncation)
    {
        long damaged = _position;
        long limit = damaged + ResyncWindow;
        for (long candidate = damaged + 4; candidate < limit; candidate += 4)
        {
            Source.Discard(candidate);
            ReadOnlySpan<byte> head = Source.Read(candidate, ShbOptionsOffset);
            if (head.Length < MinBlockLength)
                break;
            uint typeLe = BinaryPrimitives.ReadUInt32LittleEndian(head);
            bool bigEndian = _bigEndian;
            if (typeLe == SectionHeaderBlock)
            {
                if (head.Length < ShbByteOrderOffset + 4)
                    continue;
                uint bom = BinaryPrimitives.ReadUInt32LittleEndian(head[ShbByteOrderOffset..]);
                if (bom == ByteOrderMagic)
                    bigEndian = false;
                else if (BinaryPrimitives.ReverseEndianness(bom) == ByteOrderMagic)
                    bigEndian = true;
                else
                    continue;
            }
            else if (!IsKnownBlockType(Read32(head, bigEndian)))
            {
                continue;
            }

            uint length = Read32(head[4..], bigEndian);
            if (length < MinBlockLength || length % 4 != 0 || length > MaxBlockLength)
                continue;
            ReadOnlySpan<byte> block = Source.Read(candidate, (int)length);
            if (block.Length < length || Read32(block[((int)length - BlockTrailerLength)..], bigEndian) != length)
                continue;

            if (afterTruncation)
            {
                Report("file", "pcapng.block_length_invalid", null, damaged,
                    $"block at offset {damaged} claims a length past the end of the file; a well-framed block follows at offset {candidate}");
            }

            Report("file", "pcapng.resynchronized", null, candidate,
                $"skipped {candidate - damaged} bytes after the damaged block at offset {damaged}; reading goes on at offset {candidate}");
            _position = candidate;
            return true;
        }

        if (!afterTruncation)
            Stop("pcapng.resync_failed", $"no well-framed block in the bytes after offset {damaged}; reading stopped", damaged);
        return false;
    }

    private void ReadSectionHeader(ReadOnlySpan<byte> block, long offset)
    {
        bool be = _bigEndian;
        int major = Read16(block[ShbMajorOffset..], be);
        int minor = Read16(block[ShbMinorOffset..], be);
        long sectionLength = (long)Read64(block[ShbSectionLengthOffset..], be);
        var section = new SectionInfo(State.Sections.Count, offset, be ? ByteOrder.BigEndian : ByteOrder.LittleEndian, major, minor)
        {
            SectionLength = sectionLength == -1 ? null : sectionLength,
        };
        State.Sections.Add(section);
        _section = section;

        // Version 1.0 is current; 1.2 was written by some early tools and is read the same (draft section 4.1).
        if (major != 1 || (minor != 0 && minor != 2))
        {
            Report("section", "pcapng.unsupported_version", null, offset + ShbMajorOffset,
                $"section {section.Index} says version {major}.{minor}; only 1.0 (and the early 1.2) are defined. Its blocks are read as 1.0");
        }

        var options = new OptionReader(Body(block, ShbOptionsOffset), be);
        while (options.TryNext(out ushort code, out ReadOnlySpan<byte> value))
        {
            switch (code)
            {
                case OptComment: section.Comments.Add(Utf8(value)); break;
                case ShbHardware: section.Hardware = Utf8(value); break;
                case ShbOs: section.OperatingSystem = Utf8(value); break;
                case ShbUserAppl: section.UserApplication = Utf8(value); break;
            }
        }

        CheckOverrun(ref options, offset, ShbOptionsOffset, "Section Header Block");
    }

    private void ReadInterfaceDescription(ReadOnlySpan<byte> block, long offset)
    {
        bool be = _bigEndian;
        var section = _section!;
        int linkType = Read16(block[IdbLinkTypeOffset..], be);
        uint snapLength = Read32(block[IdbSnapLenOffset..], be);
        var iface = new InterfaceInfo(State.Interfaces.Count, section.Index, section.Interfaces.Count, linkType, snapLength, offset);
        var resolution = TimestampResolution.Microseconds;
        var options = new OptionReader(Body(block, IdbOptionsOffset), be);
        while (options.TryNext(out ushort code, out ReadOnlySpan<byte> value))
        {
            switch (code)
            {
                case OptComment: iface.Comments.Add(Utf8(value)); break;
                case IfName: iface.Name = Utf8(value); break;
                case IfDescription: iface.Description = Utf8(value); break;
                case IfOs: iface.OperatingSystem = Utf8(value); break;
                case IfHardware: iface.Hardware = Utf8(value); break;
                case IfSpeed when value.Length >= 8: iface.Speed = Read64(value, be); break;
                case IfTsResol when value.Length >= 1:
                    resolution = TimestampResolution.FromTsResolByte(value[0]);
                    iface.ResolutionExplicit = true;
                    break;
                case IfTsOffset when value.Length >= 8: iface.TimestampOffsetSeconds = (long)Read64(value, be); break;
                case IfFcsLen when value.Length >= 1: iface.FcsLength = value[0]; break;
                case IfFilter when value.Length >= 1:
                    iface.Filter = value[0] == 0 ? Utf8(value[1..]) : $"(filter type {value[0]}, {value.Length - 1} bytes)";
                    break;
                case IfMacAddr when value.Length >= 6: iface.MacAddress = Convert.ToHexString(value[..6]).ToLowerInvariant(); break;
                case IfIpv4Addr when value.Length >= 8:
                    iface.Addresses.Add($"{new IPAddress(value[..4])}/{new IPAddress(value.Slice(4, 4))}");
                    break;
                case IfIpv6Addr when value.Length >= 17:
                    iface.Addresses.Add($"{new IPAddress(value[..16])}/{value[16]}");
                    break;
            }
        }

        CheckOverrun(ref options, offset, IdbOptionsOffset, "Interface Description Block");
        if (!TimestampScale.TryCreate(resolution, iface.TimestampOffsetSeconds, out iface.Scale))
        {
            Report("interface", "pcapng.tsresol_invalid", null, offset,
                $"interface {iface.Id} of section {section.Index}: resolution {resolution} with offset {iface.TimestampOffsetSeconds} s cannot be converted to nanoseconds; microseconds assumed");
            resolution = TimestampResolution.Microseconds;
            iface.TimestampOffsetSeconds = 0;
            iface.Scale = TimestampScale.Create(resolution);
        }

        iface.Resolution = resolution;
        section.Interfaces.Add(iface);
        State.Interfaces.Add(iface);
    }

    private bool TryReadEnhancedPacket(ReadOnlySpan<byte> block, long offset, out Frame frame)
    {
        frame = default;
        bool be = _bigEndian;
        uint interfaceId = Read32(block[EpbInterfaceOffset..], be);
        if (!TryGetInterface(interfaceId, offset, "Enhanced Packet Block", out InterfaceInfo? iface))
            return false;

        ulong raw = ((ulong)Read32(block[EpbTimestampHighOffset..], be) << 32) | Read32(block[EpbTimestampLowOffset..], be);
        uint capLen = Read32(block[EpbCapLenOffset..], be);
        uint origLen = Read32(block[EpbOrigLenOffset..], be);
        return TryDeliver(block, offset, iface, raw, capLen, origLen, dropCount: null, options: true, out frame);
    }

    private bool TryReadObsoletePacket(ReadOnlySpan<byte> block, long offset, out Frame frame)
    {
        frame = default;
        bool be = _bigEndian;
        uint interfaceId = Read16(block[EpbInterfaceOffset..], be);
        if (!TryGetInterface(interfaceId, offset, "Packet Block", out InterfaceInfo? iface))
            return false;

        ushort drops = Read16(block[PbDropsOffset..], be);
        ulong raw = ((ulong)Read32(block[EpbTimestampHighOffset..], be) << 32) | Read32(block[EpbTimestampLowOffset..], be);
        uint capLen = Read32(block[EpbCapLenOffset..], be);
        uint origLen = Read32(block[EpbOrigLenOffset..], be);

        // Appendix A: 0xFFFF in the drops count means the count is not available.
        ulong? dropCount = drops == 0xFFFF ? null : drops;
        return TryDeliver(block, offset, iface, raw, capLen, origLen, dropCount, options: true, out frame);
    }

    private bool TryDeliver(ReadOnlySpan<byte> block, long offset, InterfaceInfo iface, ulong raw, uint capLen, uint origLen,
        ulong? dropCount, bool options, out Frame frame)
    {
        long number = State.FramesRead + 1;
        int dataArea = block.Length - EpbDataOffset - BlockTrailerLength;
        if (capLen > dataArea)
        {
            Report("frame", "pcapng.caplen_exceeds_block", number, offset,
                $"caplen {capLen} does not fit in the block's {dataArea} bytes of packet data; cut to {dataArea}");
            capLen = (uint)dataArea;
            options = false;
        }

        if (iface.SnapLength != 0 && capLen > iface.SnapLength)
            Report("frame", "pcapng.caplen_exceeds_snaplen", number, offset, $"caplen {capLen} is larger than interface {iface.Id}'s snaplen {iface.SnapLength}");
        if (capLen > origLen)
            Report("frame", "pcapng.caplen_exceeds_origlen", number, offset, $"caplen {capLen} is larger than the original length {origLen}");

        bool hasTimestamp = iface.Scale.TryToNanoseconds(raw, out long ns);
        if (hasTimestamp)
            iface.LastFrameTimestampNs = ns;
        else
            Report("frame", "pcapng.timestamp_out_of_range", number, offset + EpbTimestampHighOffset, $"timestamp {raw} in {iface.Resolution} units is past the year 2262");

        uint? flags = null;
        ulong? packetId = null;
        uint? queue = null;
        List<string>? comments = null;
        if (options)
        {
            int optionsStart = EpbDataOffset + Pad4((int)capLen);
            var reader = new OptionReader(Body(block, optionsStart), _bigEndian);
            while (reader.TryNext(out ushort code, out ReadOnlySpan<byte> value))
            {
                switch (code)
                {
                    case EpbFlags when value.Length >= 4: flags = reader.Read32(value); break;
                    case EpbDropCount when value.Length >= 8: dropCount = reader.Read64(value); break;
                    case EpbPacketId when value.Length >= 8: packetId = reader.Read64(value); break;
                    case EpbQueue when value.Length >= 4: queue = reader.Read32(value); break;
                    case OptComment: (comments ??= new List<string>()).Add(Utf8(value)); break;
                }
            }

            CheckOverrun(ref reader, offset, optionsStart, "Enhanced Packet Block", number);
        }

        int fcs = iface.FcsLength ?? 0;
        if (flags is uint f && ((f >> EpbFlagsFcsShift) & EpbFlagsFcsMask) is uint flagFcs and not 0)
            fcs = (int)flagFcs;

        State.FramesRead = number;
        frame = new Frame(PacketInfo(iface, number, offset, ns, hasTimestamp, capLen, origLen, fcs, flags, dropCount, packetId, queue, comments),
            block.Slice(EpbDataOffset, (int)capLen));
        return true;
    }

    private bool TryReadSimplePacket(ReadOnlySpan<byte> block, long offset, out Frame frame)
    {
        frame = default;
        if (!TryGetInterface(0, offset, "Simple Packet Block", out InterfaceInfo? iface))
            return false;

        // Section 4.4: the captured length is the smaller of the original length and interface 0's snaplen;
        // the block holds no other length, so the data area bounds it too.
        uint origLen = Read32(block[SpbOrigLenOffset..], _bigEndian);
        int dataArea = block.Length - SpbDataOffset - BlockTrailerLength;
        uint capLen = origLen;
        if (iface.SnapLength != 0 && capLen > iface.SnapLength)
            capLen = iface.SnapLength;
        long number = State.FramesRead + 1;
        if (capLen > dataArea)
        {
            Report("frame", "pcapng.caplen_exceeds_block", number, offset,
                $"Simple Packet Block of original length {origLen} holds only {dataArea} bytes of packet data");
            capLen = (uint)dataArea;
        }

        State.FramesRead = number;
        var info = new FrameInfo
        {
            Number = number,
            Section = iface.Section,
            InterfaceId = 0,
            InterfaceIndex = iface.Index,
            LinkType = iface.LinkType,
            HasTimestamp = false,
            CapturedLength = (int)capLen,
            OriginalLength = origLen,
            FileOffset = offset,
            DataOffset = offset + SpbDataOffset,
            FcsLength = iface.FcsLength ?? 0,
        };
        frame = new Frame(info, block.Slice(SpbDataOffset, (int)capLen));
        return true;
    }

    private void ReadInterfaceStatistics(ReadOnlySpan<byte> block, long offset)
    {
        bool be = _bigEndian;
        uint interfaceId = Read32(block[IsbInterfaceOffset..], be);
        if (!TryGetInterface(interfaceId, offset, "Interface Statistics Block", out InterfaceInfo? iface))
            return;

        var stats = new InterfaceStatistics();
        ulong raw = ((ulong)Read32(block[IsbTimestampHighOffset..], be) << 32) | Read32(block[IsbTimestampLowOffset..], be);
        TimestampScale scale = StatisticsScale(iface, raw, offset);
        if (scale.TryToNanoseconds(raw, out long ns))
            stats.TimestampNs = ns;
        var options = new OptionReader(Body(block, IsbOptionsOffset), be);
        while (options.TryNext(out ushort code, out ReadOnlySpan<byte> value))
        {
            if (code == OptComment)
            {
                stats.Comments.Add(Utf8(value));
                continue;
            }

            if (value.Length < 8)
                continue;
            ulong v = Read64(value, be);
            switch (code)
            {
                // Start and end times are stored like block timestamps: high 32 bits first, then low 32 bits.
                case IsbStartTime:
                    stats.StartTimeNs = scale.TryToNanoseconds(TimestampFromHighLow(value, be), out long s) ? s : null;
                    break;
                case IsbEndTime:
                    stats.EndTimeNs = scale.TryToNanoseconds(TimestampFromHighLow(value, be), out long e) ? e : null;
                    break;
                case IsbIfRecv: stats.ReceivedPackets = v; break;
                case IsbIfDrop: stats.DroppedByInterface = v; break;
                case IsbFilterAccept: stats.AcceptedByFilter = v; break;
                case IsbOsDrop: stats.DroppedByOs = v; break;
                case IsbUsrDeliv: stats.DeliveredToUser = v; break;
            }
        }

        CheckOverrun(ref options, offset, IsbOptionsOffset, "Interface Statistics Block");
        iface.Statistics = stats;
    }

    /// <summary>
    /// The scale for an ISB's times. dumpcap 4.0 writes ISB timestamps in microseconds whatever the interface's
    /// if_tsresol says: where the ISB time read in the interface's units lies years away from the interface's last
    /// frame but read in microseconds lies within a day of it, microseconds are used and the oddity is noted.
    /// </summary>
    private TimestampScale StatisticsScale(InterfaceInfo iface, ulong raw, long offset)
    {
        const long Day = 86_400L * 1_000_000_000;
        if (iface.LastFrameTimestampNs is not long last || iface.Resolution == TimestampResolution.Microseconds || iface.Resolution.PowerOfTwo)
            return iface.Scale;
        bool asInterface = iface.Scale.TryToNanoseconds(raw, out long a) && Math.Abs(a - last) < 365 * Day;
        var micro = TimestampScale.Create(TimestampResolution.Microseconds, iface.TimestampOffsetSeconds);
        bool asMicro = micro.TryToNanoseconds(raw, out long m) && Math.Abs(m - last) < Day;
        if (asInterface || !asMicro)
            return iface.Scale;
        Report("interface", "pcapng.isb_microsecond_timestamps", null, offset,
            $"Interface Statistics Block for interface {iface.Id} of section {iface.Section} has times in microseconds although the interface's resolution is {iface.Resolution} (as dumpcap 4.0 writes them); read as microseconds");
        return micro;
    }

    private void ReadNameResolution(ReadOnlySpan<byte> block, long offset)
    {
        bool be = _bigEndian;
        ReadOnlySpan<byte> body = Body(block, NrbRecordsOffset);
        int pos = 0;
        while (true)
        {
            if (body.Length - pos < 4)
            {
                Report("file", "pcapng.nrb_record_overrun", null, offset + NrbRecordsOffset + pos, "Name Resolution Block ends without nrb_record_end");
                return;
            }

            ushort type = Read16(body[pos..], be);
            ushort length = Read16(body[(pos + 2)..], be);
            if (type == NrbRecordEnd)
            {
                pos += 4;
                break;
            }

            if (length > body.Length - pos - 4)
            {
                Report("file", "pcapng.nrb_record_overrun", null, offset + NrbRecordsOffset + pos,
                    $"name resolution record of type {type} claims {length} bytes, past the end of the block");
                return;
            }

            ReadOnlySpan<byte> value = body.Slice(pos + 4, length);
            int addressLength = type switch
            {
                NrbRecordIpv4 => 4,
                NrbRecordIpv6 => 16,
                NrbRecordEui48 => 6,
                NrbRecordEui64 => 8,
                _ => -1,
            };
            if (addressLength > 0 && value.Length > addressLength)
            {
                if (_nameEntries++ < MaxNameEntries)
                {
                    string address = addressLength is 4 or 16
                        ? new IPAddress(value[..addressLength]).ToString()
                        : Convert.ToHexString(value[..addressLength]).ToLowerInvariant();
                    var names = Encoding.UTF8.GetString(value[addressLength..]).Split('\0', StringSplitOptions.RemoveEmptyEntries);
                    _section!.NameResolution.Add(new NameResolutionEntry(address, names));
                }
            }

            pos += 4 + Pad4(length);
        }
    }

    private void ReadDecryptionSecrets(ReadOnlySpan<byte> block, long offset)
    {
        uint type = Read32(block[DsbTypeOffset..], _bigEndian);
        uint length = Read32(block[DsbLengthOffset..], _bigEndian);
        if (length > block.Length - DsbMinLength)
        {
            Report("file", "pcapng.dsb_length_invalid", null, offset, $"Decryption Secrets Block says {length} bytes of secrets; the block holds {block.Length - DsbMinLength}");
            length = (uint)(block.Length - DsbMinLength);
        }

        if (_section!.DecryptionSecrets.Count < 1000)
            _section.DecryptionSecrets.Add(new DecryptionSecretsInfo(type, length, offset));
    }

    private bool TryGetInterface(uint id, long offset, string blockName, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out InterfaceInfo? iface)
    {
        var list = _section!.Interfaces;
        if (id < (uint)list.Count)
        {
            iface = list[(int)id];
            return true;
        }

        iface = null;
        Report("frame", "pcapng.undescribed_interface", null, offset,
            $"{blockName} names interface {id}, but section {_section.Index} describes {list.Count} interface(s); block skipped");
        return false;
    }

    private void CheckOverrun(ref OptionReader options, long blockOffset, int optionsOffset, string blockName, long? frame = null)
    {
        if (!options.Overrun)
            return;
        var (code, length) = options.OverrunOption;
        Report(frame is null ? "file" : "frame", "pcapng.option_overrun", frame, blockOffset + optionsOffset + options.OverrunAt,
            $"{blockName} option {code} claims {length} bytes, past the end of the block; the remaining options are ignored");
    }

    private void Stop(string name, string detail, long? at = null)
    {
        Report("file", name, null, at ?? _position, detail);
        State.StoppedEarly = true;
        _done = true;
    }

    /// <summary>The block body from <paramref name="start"/> up to the trailing length.</summary>
    private static ReadOnlySpan<byte> Body(ReadOnlySpan<byte> block, int start) =>
        start >= block.Length - BlockTrailerLength ? ReadOnlySpan<byte>.Empty : block[start..^BlockTrailerLength];

    private static ulong TimestampFromHighLow(ReadOnlySpan<byte> value, bool be) =>
        ((ulong)Read32(value, be) << 32) | Read32(value[4..], be);

    private static string Utf8(ReadOnlySpan<byte> value)
    {
        // Strings are not NUL-terminated (section 3.5), but some writers add one anyway.
        int end = value.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end >= 0 ? value[..end] : value);
    }

    private static ushort Read16(ReadOnlySpan<byte> b, bool be) => be ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b);

    private static uint Read32(ReadOnlySpan<byte> b, bool be) => be ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b);

    private static ulong Read64(ReadOnlySpan<byte> b, bool be) => be ? BinaryPrimitives.ReadUInt64BigEndian(b) : BinaryPrimitives.ReadUInt64LittleEndian(b);
}
