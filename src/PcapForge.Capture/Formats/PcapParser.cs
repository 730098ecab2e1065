using System.Buffers.Binary;
using PcapForge.Abstractions;
using PcapForge.Capture.Sources;
using static PcapForge.Capture.Formats.PcapLayout;

namespace PcapForge.Capture.Formats;

/// <summary>
/// Classic pcap (draft-ietf-opsawg-pcap): a 24-byte file header, then records of a 16-byte header and the frame.
/// A record header whose lengths cannot be right is an anomaly; the parser then looks for the next plausible
/// record (resynchronises) and goes on, or stops where none can be found.
/// </summary>
internal sealed class PcapParser : FormatParser
{
    /// <summary>How far past a damaged record header the parser looks for the next good one.</summary>
    internal const int ResyncWindow = 16 * 1024 * 1024;

    /// <summary>A resynchronised record must lie within this many seconds of the last good one.</summary>
    private const long ResyncMaxTimeJumpSeconds = 7 * 24 * 3600;

    private readonly bool _bigEndian;
    private readonly uint _fractionLimit;
    private readonly long _nanosPerUnit;
    private readonly int _headerLength;
    private readonly uint _snapLength;
    private readonly uint _plausibleMax;
    private readonly bool _lengthsMaybeSwapped;
    private readonly InterfaceInfo _interface;
    private readonly int _fcsLength;
    /// <summary>
    /// How far back into the previous record a resynchronisation may look: a record whose caplen overstates its
    /// data by a few bytes puts the next real header just before where the parser looks for it.
    /// </summary>
    internal const int ResyncBackwardMargin = 64;

    private long _position = FileHeaderLength;
    private long _previousDataStart = -1;
    private long _lastSeconds = -1;
    private bool _done;

    public PcapParser(ByteSource source, CaptureState state, ReadOnlySpan<byte> header, uint magic)
        : base(source, state)
    {
        _bigEndian = magic is MagicMicrosecondsBe or MagicNanosecondsBe or MagicModifiedBe;
        bool nanos = magic is MagicNanosecondsLe or MagicNanosecondsBe;
        _fractionLimit = nanos ? 1_000_000_000u : 1_000_000u;
        _nanosPerUnit = nanos ? 1 : 1000;
        _headerLength = magic is MagicModifiedLe or MagicModifiedBe ? ModifiedRecordHeaderLength : RecordHeaderLength;

        int major = U16(header[VersionMajorOffset..]);
        int minor = U16(header[VersionMinorOffset..]);
        var section = new SectionInfo(0, 0, _bigEndian ? ByteOrder.BigEndian : ByteOrder.LittleEndian, major, minor)
        {
            TimeZoneOffset = (int)U32(header[ThisZoneOffset..]),
            SignificantFigures = U32(header[SigFigsOffset..]),
        };
        state.Sections.Add(section);

        if (major != 2)
        {
            Report("file", "pcap.unsupported_version", null, VersionMajorOffset,
                $"file header says version {major}.{minor}; only 2.x is defined. Records are read as version 2.4");
        }
        else if (minor < 3)
        {
            // Before 2.3 some writers stored len before caplen (libpcap sf-pcap.c, "lengths swapped"):
            // where caplen > len the two are taken as swapped.
            _lengthsMaybeSwapped = true;
            Report("file", "pcap.old_version", null, VersionMajorOffset,
                $"version {major}.{minor}: captured and original lengths may be swapped; where caplen > len they are swapped back");
        }

        _snapLength = U32(header[SnapLenOffset..]);
        uint linkField = U32(header[LinkTypeOffset..]);
        if ((linkField & LinkTypeReservedMask) != 0)
        {
            Report("file", "pcap.linktype_reserved_bits", null, LinkTypeOffset,
                $"link-type field 0x{linkField:x8} has reserved bits 16-25 set (0x{linkField & LinkTypeReservedMask:x8}); link type taken from bits 0-15");
        }

        int? fcs = (linkField & FcsPresentBit) != 0 ? (int)(linkField >> FcsLengthShift) * 2 : null;
        _fcsLength = fcs ?? 0;
        _interface = new InterfaceInfo(0, 0, 0, (int)(linkField & LinkTypeMask), _snapLength, 0)
        {
            Resolution = nanos ? TimestampResolution.Nanoseconds : TimestampResolution.Microseconds,
            ResolutionExplicit = true,
            FcsLength = fcs,
        };
        section.Interfaces.Add(_interface);
        state.Interfaces.Add(_interface);

        // A caplen above both the snaplen and libpcap's usual ceiling means the record header is not what it says.
        _plausibleMax = (uint)Math.Min(MaxFrameLength, Math.Max(_snapLength, CommonMaxSnapLength));
    }

    public InterfaceInfo Interface => _interface;

    public override long Position => _position;

    public override bool TryReadNext(out Frame frame)
    {
        frame = default;
        while (!_done)
        {
            Source.Discard(_previousDataStart >= 0 ? _previousDataStart : _position);
            ReadOnlySpan<byte> header = Source.Read(_position, _headerLength);
            if (header.IsEmpty)
            {
                _done = true;
                return false;
            }

            if (header.Length < _headerLength)
            {
                Stop("pcap.truncated_record_header",
                    $"file ends {header.Length} bytes into a {_headerLength}-byte record header (after frame {State.FramesRead})");
                return false;
            }

            uint seconds = U32(header[TsSecondsOffset..]);
            uint fraction = U32(header[TsFractionOffset..]);
            uint capLen = U32(header[CapturedLengthOffset..]);
            uint origLen = U32(header[OriginalLengthOffset..]);
            if (_lengthsMaybeSwapped && capLen > origLen)
                (capLen, origLen) = (origLen, capLen);

            if (capLen > _plausibleMax)
            {
                Report("file", "pcap.record_length_invalid", State.FramesRead + 1, _position,
                    $"record header claims caplen {capLen}, more than the snaplen {_snapLength} and the {CommonMaxSnapLength}-byte ceiling; the header is not a record header");
                if (!Resynchronise())
                    return false;
                continue;
            }

            int total = _headerLength + (int)capLen;
            ReadOnlySpan<byte> record = Source.Read(_position, total);
            if (record.Length < total)
            {
                Stop("pcap.truncated_record",
                    $"record of frame {State.FramesRead + 1} needs {capLen} bytes of data; the file ends after {record.Length - _headerLength}");
                return false;
            }

            long number = ++State.FramesRead;
            if (_snapLength != 0 && capLen > _snapLength)
                Report("frame", "pcap.caplen_exceeds_snaplen", number, _position, $"caplen {capLen} is larger than the file's snaplen {_snapLength}");
            if (capLen > origLen)
                Report("frame", "pcap.caplen_exceeds_origlen", number, _position, $"caplen {capLen} is larger than the original length {origLen}");
            if (fraction >= _fractionLimit)
            {
                Report("frame", "pcap.timestamp_fraction_out_of_range", number, _position + TsFractionOffset,
                    $"sub-second field {fraction} is not below {_fractionLimit}; carried into the seconds");
            }

            var info = new FrameInfo
            {
                Number = number,
                LinkType = _interface.LinkType,
                TimestampNs = seconds * 1_000_000_000L + fraction * _nanosPerUnit,
                HasTimestamp = true,
                CapturedLength = (int)capLen,
                OriginalLength = origLen,
                FileOffset = _position,
                DataOffset = _position + _headerLength,
                FcsLength = _fcsLength,
            };
            frame = new Frame(info, record.Slice(_headerLength, (int)capLen));
            _lastSeconds = seconds;
            _previousDataStart = _position + _headerLength;
            _position += total;
            return true;
        }

        return false;
    }

    /// <summary>
    /// Looks for the next offset where a record header is plausible and is followed by another plausible header
    /// (or by the end of the file), within <see cref="ResyncWindow"/> bytes. Reports what it found.
    /// </summary>
    private bool Resynchronise()
    {
        long damaged = _position;
        long limit = damaged + ResyncWindow;
        long first = _previousDataStart >= 0 ? Math.Max(_previousDataStart + 1, damaged - ResyncBackwardMargin) : damaged + 1;
        for (long candidate = first; candidate < limit; candidate++)
        {
            if (candidate == damaged)
                continue;
            if (Source.Read(candidate, _headerLength).Length < _headerLength)
                break;
            if (!IsPlausibleRecord(candidate, out long next))
                continue;
            bool endsFile = Source.Read(next, 1).IsEmpty;
            if (!endsFile && !IsPlausibleRecord(next, out _))
                continue;

            string what = candidate < damaged
                ? $"frame {State.FramesRead}'s caplen overstated its data by {damaged - candidate} bytes (its data is delivered with them)"
                : $"skipped {candidate - damaged} bytes after the damaged record header at offset {damaged}";
            Report("file", "pcap.resynchronized", State.FramesRead + 1, candidate, $"{what}; reading goes on at offset {candidate}");
            _position = candidate;
            if (candidate > damaged)
                Source.Discard(candidate);
            return true;
        }

        Stop("pcap.resync_failed", $"no plausible record header in the {Math.Min(ResyncWindow, Math.Max(0, (Source.Length ?? limit) - damaged))} bytes after offset {damaged}; reading stopped");
        return false;
    }

    private bool IsPlausibleRecord(long offset, out long next)
    {
        next = 0;
        ReadOnlySpan<byte> h = Source.Read(offset, _headerLength);
        if (h.Length < _headerLength)
            return false;
        uint seconds = U32(h[TsSecondsOffset..]);
        uint fraction = U32(h[TsFractionOffset..]);
        uint capLen = U32(h[CapturedLengthOffset..]);
        uint origLen = U32(h[OriginalLengthOffset..]);
        if (fraction >= _fractionLimit || capLen > _plausibleMax || capLen > origLen || origLen > MaxFrameLength)
            return false;
        if (_lastSeconds >= 0 && Math.Abs(seconds - _lastSeconds) > ResyncMaxTimeJumpSeconds)
            return false;
        next = offset + _headerLength + capLen;
        return Source.Read(offset, _headerLength + (int)capLen).Length == _headerLength + (int)capLen;
    }

    private void Stop(string name, string detail)
    {
        Report("file", name, null, _position, detail);
        State.StoppedEarly = true;
        _done = true;
    }

    private ushort U16(ReadOnlySpan<byte> b) => _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b);

    private uint U32(ReadOnlySpan<byte> b) => _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b);
}
