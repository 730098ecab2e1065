namespace PcapForge.Capture.Formats;

/// <summary>Wire layout of pcapng (draft-ietf-opsawg-pcapng): block types, offsets and option codes.</summary>
internal static class PcapNgLayout
{
    // Section 3.1: every block is type (4), total length (4), body, total length again (4).
    public const int BlockHeaderLength = 8;
    public const int BlockTrailerLength = 4;
    public const int MinBlockLength = 12;

    /// <summary>No block a real writer emits is larger; a bigger length is taken as damage.</summary>
    public const int MaxBlockLength = 256 * 1024 * 1024 + 1024;

    // Block types (section 10.1 of the draft).
    public const uint SectionHeaderBlock = 0x0A0D0D0A;
    public const uint InterfaceDescriptionBlock = 0x00000001;
    public const uint PacketBlock = 0x00000002; // obsolete (appendix A)
    public const uint SimplePacketBlock = 0x00000003;
    public const uint NameResolutionBlock = 0x00000004;
    public const uint InterfaceStatisticsBlock = 0x00000005;
    public const uint EnhancedPacketBlock = 0x00000006;
    public const uint SystemdJournalExportBlock = 0x00000009;
    public const uint DecryptionSecretsBlock = 0x0000000A;
    public const uint CustomBlock = 0x00000BAD;
    public const uint CustomBlockNoCopy = 0x40000BAD;

    public const uint ByteOrderMagic = 0x1A2B3C4D;

    // Section Header Block (section 4.1).
    public const int ShbByteOrderOffset = 8;
    public const int ShbMajorOffset = 12;
    public const int ShbMinorOffset = 14;
    public const int ShbSectionLengthOffset = 16;
    public const int ShbOptionsOffset = 24;
    public const int ShbMinLength = 28;

    // Interface Description Block (section 4.2).
    public const int IdbLinkTypeOffset = 8;
    public const int IdbSnapLenOffset = 12;
    public const int IdbOptionsOffset = 16;
    public const int IdbMinLength = 20;

    // Enhanced Packet Block (section 4.3) and the obsolete Packet Block (appendix A) share this layout,
    // except that the Packet Block has a 16-bit interface id and a 16-bit drop count at offset 8.
    public const int EpbInterfaceOffset = 8;
    public const int PbDropsOffset = 10;
    public const int EpbTimestampHighOffset = 12;
    public const int EpbTimestampLowOffset = 16;
    public const int EpbCapLenOffset = 20;
    public const int EpbOrigLenOffset = 24;
    public const int EpbDataOffset = 28;
    public const int EpbMinLength = 32;

    // Simple Packet Block (section 4.4).
    public const int SpbOrigLenOffset = 8;
    public const int SpbDataOffset = 12;
    public const int SpbMinLength = 16;

    // Name Resolution Block (section 4.5).
    public const int NrbRecordsOffset = 8;
    public const ushort NrbRecordEnd = 0;
    public const ushort NrbRecordIpv4 = 1;
    public const ushort NrbRecordIpv6 = 2;
    public const ushort NrbRecordEui48 = 3;
    public const ushort NrbRecordEui64 = 4;

    // Interface Statistics Block (section 4.6).
    public const int IsbInterfaceOffset = 8;
    public const int IsbTimestampHighOffset = 12;
    public const int IsbTimestampLowOffset = 16;
    public const int IsbOptionsOffset = 20;
    public const int IsbMinLength = 24;

    // Decryption Secrets Block (section 4.7).
    public const int DsbTypeOffset = 8;
    public const int DsbLengthOffset = 12;
    public const int DsbMinLength = 20;

    // Options common to all blocks (section 3.5).
    public const ushort OptEndOfOpt = 0;
    public const ushort OptComment = 1;

    public const ushort ShbHardware = 2;
    public const ushort ShbOs = 3;
    public const ushort ShbUserAppl = 4;

    public const ushort IfName = 2;
    public const ushort IfDescription = 3;
    public const ushort IfIpv4Addr = 4;
    public const ushort IfIpv6Addr = 5;
    public const ushort IfMacAddr = 6;
    public const ushort IfEuiAddr = 7;
    public const ushort IfSpeed = 8;
    public const ushort IfTsResol = 9;
    public const ushort IfTzone = 10;
    public const ushort IfFilter = 11;
    public const ushort IfOs = 12;
    public const ushort IfFcsLen = 13;
    public const ushort IfTsOffset = 14;
    public const ushort IfHardware = 15;

    public const ushort EpbFlags = 2;
    public const ushort EpbHash = 3;
    public const ushort EpbDropCount = 4;
    public const ushort EpbPacketId = 5;
    public const ushort EpbQueue = 6;
    public const ushort EpbVerdict = 7;

    public const ushort IsbStartTime = 2;
    public const ushort IsbEndTime = 3;
    public const ushort IsbIfRecv = 4;
    public const ushort IsbIfDrop = 5;
    public const ushort IsbFilterAccept = 6;
    public const ushort IsbOsDrop = 7;
    public const ushort IsbUsrDeliv = 8;

    /// <summary>epb_flags bits 5-8: FCS length in octets (section 4.3.1).</summary>
    public const int EpbFlagsFcsShift = 5;
    public const uint EpbFlagsFcsMask = 0xF;

    public static int Pad4(int length) => (length + 3) & ~3;

    public static bool IsKnownBlockType(uint type) => type is SectionHeaderBlock or InterfaceDescriptionBlock or PacketBlock
        or SimplePacketBlock or NameResolutionBlock or InterfaceStatisticsBlock or EnhancedPacketBlock
        or SystemdJournalExportBlock or DecryptionSecretsBlock or CustomBlock or CustomBlockNoCopy;
}
