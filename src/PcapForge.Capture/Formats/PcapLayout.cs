namespace PcapForge.Capture.Formats;

/// <summary>Wire layout of classic pcap (draft-ietf-opsawg-pcap, sections 4 and 5).</summary>
internal static class PcapLayout
{
    public const int FileHeaderLength = 24;
    public const int RecordHeaderLength = 16;

    /// <summary>Kuznetzov's patched libpcap adds ifindex (4), protocol (2), pkt_type (1) and a pad byte.</summary>
    public const int ModifiedRecordHeaderLength = 24;

    // Magic numbers as read little-endian from the first four bytes.
    public const uint MagicMicrosecondsLe = 0xA1B2C3D4;
    public const uint MagicMicrosecondsBe = 0xD4C3B2A1;
    public const uint MagicNanosecondsLe = 0xA1B23C4D;
    public const uint MagicNanosecondsBe = 0x4D3CB2A1;
    public const uint MagicModifiedLe = 0xA1B2CD34;
    public const uint MagicModifiedBe = 0x34CDB2A1;

    // File header field offsets.
    public const int VersionMajorOffset = 4;
    public const int VersionMinorOffset = 6;
    public const int ThisZoneOffset = 8;
    public const int SigFigsOffset = 12;
    public const int SnapLenOffset = 16;
    public const int LinkTypeOffset = 20;

    // Record header field offsets.
    public const int TsSecondsOffset = 0;
    public const int TsFractionOffset = 4;
    public const int CapturedLengthOffset = 8;
    public const int OriginalLengthOffset = 12;

    // The link-type field (section 5.1): link type in bits 0-15, reserved bits 16-25, the F bit (bit 26) saying
    // the FCS length in bits 28-31 is valid, counted in 16-bit words.
    public const uint LinkTypeMask = 0x0000FFFF;
    public const uint LinkTypeReservedMask = 0x03FF0000;
    public const uint FcsPresentBit = 0x04000000;
    public const int FcsLengthShift = 28;

    /// <summary>libpcap's and Wireshark's ceiling for a record of most link types; a larger caplen is suspect.</summary>
    public const int CommonMaxSnapLength = 262_144;

    /// <summary>Hard ceiling on a frame: no link type records more than this in one frame (D-Bus, the largest, allows 128 MiB).</summary>
    public const int MaxFrameLength = 256 * 1024 * 1024;
}
