using System.Runtime.InteropServices;

namespace PcapForge.Live.Linux;

/// <summary>
/// The libc calls and kernel constants a packet socket needs beyond <see cref="System.Net.Sockets.Socket"/>, with
/// the layouts of 64-bit Linux (LP64: x86-64 and arm64 share every value used here). Man page sections are named
/// where each comes from; the values are those of the kernel's uapi headers.
/// </summary>
internal static unsafe partial class Native
{
    private const string Libc = "libc";

    // socket(7), asm-generic/socket.h. SO_TIMESTAMPNS is SO_TIMESTAMPNS_OLD, whose control message carries a
    // struct timespec of two longs: the 64-bit layout on LP64.
    public const int SolSocket = 1;
    public const int SoRcvBuf = 8;
    public const int SoRcvBufForce = 33;
    public const int SoTimestampNs = 35;
    public const int ScmTimestampNs = SoTimestampNs;

    // packet(7), linux/if_packet.h.
    public const int SolPacket = 263;
    public const int PacketAddMembership = 1;
    public const int PacketStatistics = 6;
    public const int PacketAuxData = 8;
    public const ushort PacketMrPromisc = 1;

    // PACKET_MMAP (Documentation/networking/packet_mmap.rst, linux/if_packet.h): a ring of blocks the kernel fills
    // and hands over, TPACKET_V3 with variable-length frames.
    public const int PacketRxRing = 5;
    public const int PacketVersion = 10;
    public const int PacketReserve = 12;
    public const int TpacketV3 = 2;

    /// <summary>tpacket_block_desc: version(4) offset_to_priv(4), then tpacket_hdr_v1: block_status(4) num_pkts(4) offset_to_first_pkt(4)…</summary>
    public const int BlockStatusOffset = 8, BlockNumPacketsOffset = 12, BlockFirstPacketOffset = 16;

    /// <summary>Block and frame status bits: owned by the kernel (0) or handed to the reader.</summary>
    public const uint TpStatusKernel = 0, TpStatusUser = 1;

    /// <summary>
    /// struct tpacket3_hdr: next_offset(4) sec(4) nsec(4) snaplen(4) len(4) status(4) mac(2) net(2), then hv1:
    /// rxhash(4) vlan_tci(4) vlan_tpid(2) padding(2), padding[8]; 48 bytes, followed by the sockaddr_ll at
    /// TPACKET_ALIGN(48).
    /// </summary>
    public const int Tp3NextOffset = 0, Tp3Sec = 4, Tp3Nsec = 8, Tp3SnapLen = 12, Tp3Len = 16, Tp3Status = 20, Tp3Mac = 24,
        Tp3VlanTci = 32, Tp3VlanTpid = 36, Tp3SockaddrOffset = 48;

    /// <summary>TPACKET3_HDRLEN: the header and the sockaddr_ll; frame data never starts before it.</summary>
    public const int Tpacket3HeaderLength = Tp3SockaddrOffset + SockaddrLlLength;

    // mmap(2).
    public const int ProtRead = 0x1, ProtWrite = 0x2, MapShared = 0x1;

    /// <summary>sll_pkttype values (packet(7)).</summary>
    public const byte PacketHost = 0, PacketBroadcast = 1, PacketMulticast = 2, PacketOtherHost = 3, PacketOutgoing = 4;

    /// <summary>tpacket_auxdata.tp_status bits (linux/if_packet.h): a VLAN tag was taken off the frame, and its TPID is given.</summary>
    public const uint TpStatusVlanValid = 0x10, TpStatusVlanTpidValid = 0x40;

    /// <summary>ETH_P_ALL (linux/if_ether.h): every protocol, the value a capture binds with.</summary>
    public const ushort EthPAll = 0x0003;

    /// <summary>ETH_P_8021Q: the TPID of a tag the kernel does not name.</summary>
    public const ushort EthP8021Q = 0x8100;

    // recv(2) flags. MSG_TRUNC on a packet socket makes recvmsg return the frame's real length when the buffer
    // (the snapshot length) was shorter (packet(7)); recvmmsg(2) passes the flags to each message. MSG_DONTWAIT reads
    // without blocking (and recvmmsg returns what was waiting); poll(2) does the waiting.
    public const int MsgTrunc = 0x20;
    public const int MsgDontWait = 0x40;

    // errno values (asm-generic/errno-base.h, errno.h).
    public const int Eperm = 1, Eintr = 4, Enxio = 6, Eagain = 11, Eacces = 13, Enodev = 19, Enetdown = 100;

    // poll(2).
    public const short PollIn = 0x1, PollErr = 0x8, PollHup = 0x10, PollNval = 0x20;

    // netdevice(7): interface ioctls on any socket, answered for the caller's network namespace.
    public const uint SiocGifFlags = 0x8913;
    public const uint SiocGifMtu = 0x8921;
    public const uint SiocGifHwAddr = 0x8927;

    /// <summary>Interface flags (netdevice(7), linux/if.h).</summary>
    public const int IffUp = 0x1, IffBroadcast = 0x2, IffLoopback = 0x8, IffPointToPoint = 0x10, IffRunning = 0x40, IffPromisc = 0x100,
        IffMulticast = 0x1000;

    /// <summary>struct sockaddr_ll (packet(7)): family, protocol (network order), ifindex, hatype, pkttype, halen, addr[8].</summary>
    public const int SockaddrLlLength = 20;
    public const int SllProtocolOffset = 2, SllIfIndexOffset = 4, SllHaTypeOffset = 8, SllPktTypeOffset = 10, SllHaLenOffset = 11, SllAddrOffset = 12;
    public const int SllAddrLength = 8;

    /// <summary>struct ifreq (netdevice(7)): a 16-byte name, then a 24-byte union.</summary>
    public const int IfReqLength = 40, IfNameSize = 16;

    /// <summary>struct tpacket_auxdata (linux/if_packet.h): status, len, snaplen, mac, net, vlan_tci, vlan_tpid.</summary>
    public const int AuxStatusOffset = 0, AuxLenOffset = 4, AuxVlanTciOffset = 16, AuxVlanTpidOffset = 18, AuxDataLength = 20;

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    /// <summary>struct msghdr (recvmsg(2)).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    /// <summary>struct mmsghdr (recvmmsg(2)): a message header and the bytes received for it.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MMsgHdr
    {
        public MsgHdr Header;
        public uint Length;
    }

    /// <summary>struct cmsghdr (cmsg(3)): length (including the header), level, type; the data follows, 8-byte aligned.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct CmsgHdr
    {
        public nuint Length;
        public int Level;
        public int Type;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    /// <summary>struct if_nameindex (if_nameindex(3)).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct IfNameIndex
    {
        public uint Index;
        public byte* Name;
    }

    /// <summary>CMSG_ALIGN: control message headers and data are aligned to the size of a long.</summary>
    public static nuint CmsgAlign(nuint length) => (length + (nuint)sizeof(nuint) - 1) & ~((nuint)sizeof(nuint) - 1);

    [LibraryImport(Libc, EntryPoint = "recvmmsg", SetLastError = true)]
    public static partial int RecvMMsg(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);

    [LibraryImport(Libc, EntryPoint = "mmap", SetLastError = true)]
    public static partial void* Mmap(void* address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport(Libc, EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(void* address, nuint length);

    [LibraryImport(Libc, EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport(Libc, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, void* argument);

    [LibraryImport(Libc, EntryPoint = "if_nametoindex", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial uint IfNameToIndex(string name);

    [LibraryImport(Libc, EntryPoint = "if_nameindex", SetLastError = true)]
    public static partial IfNameIndex* IfNameIndexList();

    [LibraryImport(Libc, EntryPoint = "if_freenameindex")]
    public static partial void IfFreeNameIndex(IfNameIndex* list);
}
