using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace PcapForge.Live.Linux;

/// <summary>What reading a packet socket gave.</summary>
public enum ReceiveStatus
{
    /// <summary>A frame is ready.</summary>
    Frame,

    /// <summary>Nothing is waiting (poll again).</summary>
    Empty,

    /// <summary>A frame came that a capture does not keep: a loopback frame seen going out, which comes back in.</summary>
    Skipped,
}

/// <summary>One received frame; its bytes stay valid until the next receive on the same socket.</summary>
public readonly ref struct ReceivedFrame
{
    public ReceivedFrame(ReadOnlySpan<byte> data, long originalLength, long timestampNs, byte packetType)
    {
        Data = data;
        OriginalLength = originalLength;
        TimestampNs = timestampNs;
        PacketType = packetType;
    }

    public ReadOnlySpan<byte> Data { get; }
    public long OriginalLength { get; }

    /// <summary>The kernel's receive time (the ring frame's, or SO_TIMESTAMPNS), or the time it was read when the kernel gave none.</summary>
    public long TimestampNs { get; }

    /// <summary>sll_pkttype (packet(7)): to us, broadcast, multicast, to another host, sent by us.</summary>
    public byte PacketType { get; }
}

/// <summary>
/// A Linux packet socket (packet(7)) bound to one interface, or to all with <c>any</c>: a .NET
/// <see cref="Socket"/> of <see cref="AddressFamily.Packet"/>, set up as libpcap sets up its own (pcap-linux.c): opened
/// with protocol 0 so that nothing arrives before the options are in place, promiscuous mode as a packet-socket
/// membership (dropped by the kernel when the socket closes, so a crash leaves the interface as it was),
/// PACKET_AUXDATA for the VLAN tags the kernel takes off, the receive ring (or SO_TIMESTAMPNS for nanosecond receive
/// times and the receive buffer), and only then bound with ETH_P_ALL. Frames come through a TPACKET_V3 ring
/// (<see cref="PacketRing"/>) as in libpcap, or, where the kernel refuses one, are read with recvmmsg(2), which hands
/// over each frame's sender (sockaddr_ll) and control messages with it, for every frame waiting in one call. Nothing
/// is allocated per frame.
/// </summary>
public sealed unsafe class PacketSocket : IDisposable
{
    private const int ControlLength = 256;

    private readonly Socket _socket;
    private readonly int _fd;
    private readonly FrameMode _mode;
    private readonly int _vlanOffset;
    private readonly int _snapLength;
    private readonly int _loopbackIndex;
    private readonly int _slots;
    private readonly int _dataCapacity;
    private readonly int _slotLength;
    private readonly byte* _buffers;
    private readonly byte* _names;
    private readonly byte* _controls;
    private readonly Native.IoVec* _iovs;
    private readonly Native.MMsgHdr* _messages;
    private int _batchCount, _batchNext;
    private ulong _received, _dropped;
    private bool _disposed;

    private readonly PacketRing? _ring;

    private PacketSocket(Socket socket, NetworkInterfaceInfo iface, int snapLength, bool kernelTimestamps, int loopbackIndex, PacketRing? ring)
    {
        _ring = ring;
        _socket = socket;
        _fd = (int)socket.SafeHandle.DangerousGetHandle();
        Interface = iface;
        (LinkType, _mode) = iface.Link;
        _vlanOffset = FrameAssembler.VlanOffset(LinkType, _mode);
        _snapLength = snapLength;
        KernelTimestamps = kernelTimestamps;
        _loopbackIndex = loopbackIndex;
        // Each slot has room for the cooked header and a VLAN tag in front; the kernel writes at most the snapshot
        // length (less the cooked header, which counts towards it, as in libpcap).
        _dataCapacity = Math.Max(1, snapLength - FrameAssembler.CookedHeaderLength(_mode));
        _slotLength = (FrameAssembler.Headroom + _dataCapacity + 7) & ~7;
        // With a ring the frames are read where the kernel put them; one slot is left for nothing but the sender.
        _slots = ring is null ? Math.Clamp(BatchBytes / _slotLength, 1, MaxBatch) : 0;
        _buffers = (byte*)NativeMemory.Alloc((nuint)_slots * (nuint)_slotLength);
        _names = (byte*)NativeMemory.AllocZeroed((nuint)(Math.Max(1, _slots) * Native.SockaddrLlLength));
        _controls = (byte*)NativeMemory.AllocZeroed((nuint)(_slots * ControlLength));
        _iovs = (Native.IoVec*)NativeMemory.AllocZeroed((nuint)(_slots * sizeof(Native.IoVec)));
        _messages = (Native.MMsgHdr*)NativeMemory.AllocZeroed((nuint)(_slots * sizeof(Native.MMsgHdr)));
        for (int i = 0; i < _slots; i++)
        {
            _iovs[i].Base = Slot(i) + FrameAssembler.Headroom;
            _iovs[i].Length = (nuint)_dataCapacity;
        }
    }

    /// <summary>
    /// Frames are read up to <see cref="MaxBatch"/> at a time with recvmmsg(2), one system call for all that wait;
    /// the slots take at most this much memory (32 frames at the default snapshot length, 64 of a shorter one).
    /// </summary>
    private const int BatchBytes = 8 * 1024 * 1024;

    private const int MaxBatch = 64;

    private byte* Slot(int i) => _buffers + (nint)i * _slotLength;

    public NetworkInterfaceInfo Interface { get; }

    /// <summary>The LINKTYPE_* the frames are written with.</summary>
    public int LinkType { get; }

    /// <summary>True when the kernel stamps each frame (always with a ring; SO_TIMESTAMPNS without); otherwise frames get the time they are read.</summary>
    public bool KernelTimestamps { get; }

    /// <summary>True when frames come through a TPACKET_V3 ring (<see cref="PacketRing"/>), false when read with recvmmsg(2).</summary>
    public bool UsesRing => _ring is not null;

    /// <summary>The file descriptor, for poll(2).</summary>
    public int Descriptor => _fd;

    /// <summary>Frames that came without a kernel timestamp and got the time they were read.</summary>
    public long ClockTimestamps { get; private set; }

    /// <summary>
    /// Opens and binds a socket on <paramref name="iface"/>. Throws <see cref="LiveCaptureException"/>: without
    /// the privilege (EPERM, EACCES: root or CAP_NET_RAW is needed), when packet sockets are not available, when the
    /// interface went away.
    /// </summary>
    public static PacketSocket Open(NetworkInterfaceInfo iface, int snapLength, bool promiscuous, int bufferBytes)
    {
        if (!OperatingSystem.IsLinux() || !Environment.Is64BitProcess)
            throw new LiveCaptureException(LiveCaptureError.Unsupported, "live capture needs 64-bit Linux (AF_PACKET sockets)");
        var (_, mode) = iface.Link;
        Socket socket;
        try
        {
            // Protocol 0: no frame is queued until bind() names ETH_P_ALL (packet(7)), so none arrives before the
            // options below apply, and none from another interface before the socket is bound to its own.
            socket = new Socket(AddressFamily.Packet, mode == FrameMode.Raw ? SocketType.Raw : SocketType.Dgram, (ProtocolType)0);
        }
        catch (SocketException e)
        {
            throw OpenError(e, iface);
        }

        try
        {
            if (promiscuous && !iface.IsAny)
            {
                // struct packet_mreq: ifindex(4) type(2) address length(2) address(8).
                Span<byte> mreq = stackalloc byte[16];
                mreq.Clear();
                BinaryPrimitives.WriteInt32LittleEndian(mreq, iface.Index);
                BinaryPrimitives.WriteUInt16LittleEndian(mreq[4..], Native.PacketMrPromisc);
                socket.SetRawSocketOption(Native.SolPacket, Native.PacketAddMembership, mreq);
            }

            Span<byte> one = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(one, 1);
            socket.SetRawSocketOption(Native.SolPacket, Native.PacketAuxData, one);
            // The ring, as libpcap uses, with room in front of each frame for the cooked header and a VLAN tag; the
            // buffer is the ring's size. Without one (a kernel or sandbox that refuses it, or PCAPFORGE_CAPTURE_RING=0)
            // frames are read with recvmmsg(2) from the socket's queue, whose size the buffer sets.
            var ring = Environment.GetEnvironmentVariable("PCAPFORGE_CAPTURE_RING") == "0"
                ? null
                : PacketRing.TryCreate(socket, snapLength, bufferBytes, FrameAssembler.Headroom);
            bool timestamps = true; // a ring frame carries the kernel's time in nanoseconds
            if (ring is null)
            {
                timestamps = TrySet(socket, Native.SolSocket, Native.SoTimestampNs, 1);
                // SO_RCVBUFFORCE may exceed net.core.rmem_max but needs CAP_NET_ADMIN; SO_RCVBUF is capped (socket(7)).
                if (bufferBytes > 0 && !TrySet(socket, Native.SolSocket, Native.SoRcvBufForce, bufferBytes))
                    TrySet(socket, Native.SolSocket, Native.SoRcvBuf, bufferBytes);
            }

            try
            {
                socket.Bind(new LinkEndPoint(iface.Index, Native.EthPAll));
            }
            catch
            {
                ring?.Dispose();
                throw;
            }

            return new PacketSocket(socket, iface, snapLength, timestamps, NetworkInterfaces.LoopbackIndex(), ring);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw OpenError(e, iface);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The message for a socket error while opening: the privilege, the interface, or the kernel's words.</summary>
    internal static LiveCaptureException OpenError(SocketException e, NetworkInterfaceInfo iface) => e.SocketErrorCode switch
    {
        // EPERM and EACCES: packet_create() wants CAP_NET_RAW in the socket's network namespace (packet(7)).
        SocketError.AccessDenied => new LiveCaptureException(LiveCaptureError.NoPrivilege,
            $"cannot capture on {iface.Name}: opening a packet socket needs root or the CAP_NET_RAW capability (try sudo)", e),
        SocketError.AddressFamilyNotSupported or SocketError.ProtocolNotSupported or SocketError.SocketNotSupported =>
            new LiveCaptureException(LiveCaptureError.Unsupported, $"cannot capture on {iface.Name}: this kernel has no packet sockets (AF_PACKET): {e.Message}", e),
        _ => new LiveCaptureException(LiveCaptureError.Failed, $"cannot capture on {iface.Name}: {e.Message}", e),
    };

    private static bool TrySet(Socket socket, int level, int name, int value)
    {
        Span<byte> v = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(v, value);
        try
        {
            socket.SetRawSocketOption(level, name, v);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>
    /// Reads the next frame without waiting; its bytes stay valid until the next call. Throws
    /// <see cref="LiveCaptureException"/> when the interface went away; an interface that is down just gives nothing
    /// until it is up again.
    /// </summary>
    public ReceiveStatus TryReceive(out ReceivedFrame frame)
    {
        frame = default;
        if (_ring is not null)
            return TryReceiveFromRing(out frame);
        if (_batchNext >= _batchCount && !Fill())
            return ReceiveStatus.Empty;
        int i = _batchNext++;
        var m = &_messages[i];
        return Assemble(i, m->Length, (nuint)m->Header.ControlLength, out frame);
    }

    private ReceiveStatus TryReceiveFromRing(out ReceivedFrame frame)
    {
        frame = default;
        if (!_ring!.TryNext(out byte* h))
        {
            // An error the kernel holds for the socket (the interface went away) comes with poll's POLLERR; the
            // ring itself never says so. SO_ERROR reads and clears it.
            if (_socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error) is int error && error != 0)
                return ErrorStatus(error);
            return ReceiveStatus.Empty;
        }

        // The sender's address is copied out first: the headers are built in front of the frame, and the ring is
        // only guaranteed to keep TPACKET3_HDRLEN bytes (header and address) in front of it untouched.
        new ReadOnlySpan<byte>(h + Native.Tp3SockaddrOffset, Native.SockaddrLlLength).CopyTo(new Span<byte>(_names, Native.SockaddrLlLength));
        var sender = new ReadOnlySpan<byte>(_names, Native.SockaddrLlLength);
        byte packetType = sender[Native.SllPktTypeOffset];
        if (packetType == Native.PacketOutgoing && _loopbackIndex != 0
            && BinaryPrimitives.ReadInt32LittleEndian(sender[Native.SllIfIndexOffset..]) == _loopbackIndex)
            return ReceiveStatus.Skipped;

        long timestamp = *(uint*)(h + Native.Tp3Sec) * 1_000_000_000L + *(uint*)(h + Native.Tp3Nsec);
        int snap = (int)*(uint*)(h + Native.Tp3SnapLen);
        long length = *(uint*)(h + Native.Tp3Len);
        int mac = *(ushort*)(h + Native.Tp3Mac);
        if (mac < Native.Tpacket3HeaderLength + FrameAssembler.Headroom)
            throw new InvalidOperationException($"the ring frame has {mac - Native.Tpacket3HeaderLength} bytes in front of its data, fewer than the {FrameAssembler.Headroom} reserved");
        var aux = new AuxData(true, *(uint*)(h + Native.Tp3Status), (ushort)*(uint*)(h + Native.Tp3VlanTci), *(ushort*)(h + Native.Tp3VlanTpid));
        int received = Math.Min(snap, _dataCapacity);
        var buffer = new Span<byte>(h + mac - FrameAssembler.Headroom, FrameAssembler.Headroom + received);
        var (start, captured, original) = FrameAssembler.Assemble(buffer, received, length, _mode, _vlanOffset, sender, aux, _snapLength);
        frame = new ReceivedFrame(buffer.Slice(start, captured), original, timestamp, packetType);
        return ReceiveStatus.Frame;
    }

    private ReceiveStatus ErrorStatus(int errno) => errno switch
    {
        // The interface was set down: libpcap waits for it to come back (or to go away) rather than failing.
        Native.Enetdown => ReceiveStatus.Empty,
        Native.Enodev or Native.Enxio => throw new LiveCaptureException(LiveCaptureError.InterfaceGone, $"the interface {Interface.Name} went away"),
        _ => throw new LiveCaptureException(LiveCaptureError.Failed, $"reading from {Interface.Name} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})"),
    };

    /// <summary>Reads every frame waiting, up to the number of slots, in one recvmmsg(2); false when none waits.</summary>
    private bool Fill()
    {
        _batchCount = _batchNext = 0;
        for (int i = 0; i < _slots; i++)
        {
            ref var h = ref _messages[i].Header;
            h.Name = _names + i * Native.SockaddrLlLength;
            h.NameLength = Native.SockaddrLlLength;
            h.Iov = &_iovs[i];
            h.IovLength = 1;
            h.Control = _controls + i * ControlLength;
            h.ControlLength = ControlLength;
            h.Flags = 0;
            _messages[i].Length = 0;
        }

        while (true)
        {
            int n = Native.RecvMMsg(_fd, _messages, (uint)_slots, Native.MsgTrunc | Native.MsgDontWait, null);
            if (n > 0)
            {
                _batchCount = n;
                return true;
            }

            if (n == 0)
                return false;
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Native.Eintr)
                continue;
            if (errno == Native.Eagain)
                return false;
            ErrorStatus(errno);
            return false;
        }
    }

    private ReceiveStatus Assemble(int slot, long length, nuint controlLength, out ReceivedFrame frame)
    {
        frame = default;
        var sender = new ReadOnlySpan<byte>(_names + slot * Native.SockaddrLlLength, Native.SockaddrLlLength);
        byte packetType = sender[Native.SllPktTypeOffset];
        // A frame sent on the loopback device is seen leaving and again arriving: keep it once, as libpcap does
        // (linux_check_direction), so that the frames are tcpdump's.
        if (packetType == Native.PacketOutgoing && _loopbackIndex != 0
            && BinaryPrimitives.ReadInt32LittleEndian(sender[Native.SllIfIndexOffset..]) == _loopbackIndex)
            return ReceiveStatus.Skipped;

        long timestamp = 0;
        bool stamped = false;
        var aux = default(AuxData);
        byte* control = _controls + slot * ControlLength;
        nuint offset = 0;
        nuint header = Native.CmsgAlign((nuint)sizeof(Native.CmsgHdr));
        // cmsg(3): each control message is a header, its data, padding to the size of a long.
        while (offset + (nuint)sizeof(Native.CmsgHdr) <= controlLength)
        {
            var c = (Native.CmsgHdr*)(control + offset);
            if (c->Length < (nuint)sizeof(Native.CmsgHdr) || offset + c->Length > controlLength)
                break;
            byte* data = (byte*)c + header;
            nuint dataLength = c->Length - header;
            if (c->Level == Native.SolSocket && c->Type == Native.ScmTimestampNs && dataLength >= 16)
            {
                // struct timespec: tv_sec and tv_nsec, both longs.
                timestamp = *(long*)data * 1_000_000_000L + *(long*)(data + 8);
                stamped = true;
            }
            else if (c->Level == Native.SolPacket && c->Type == Native.PacketAuxData && dataLength >= Native.AuxDataLength)
            {
                aux = new AuxData(true, *(uint*)(data + Native.AuxStatusOffset), *(ushort*)(data + Native.AuxVlanTciOffset),
                    *(ushort*)(data + Native.AuxVlanTpidOffset));
            }

            offset += Native.CmsgAlign(c->Length);
        }

        if (!stamped)
        {
            timestamp = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
            ClockTimestamps++;
        }

        int received = (int)Math.Min(length, _dataCapacity);
        var buffer = new Span<byte>(Slot(slot), FrameAssembler.Headroom + _dataCapacity);
        var (start, captured, original) = FrameAssembler.Assemble(buffer, received, length, _mode, _vlanOffset, sender, aux, _snapLength);
        frame = new ReceivedFrame(buffer.Slice(start, captured), original, timestamp, packetType);
        return ReceiveStatus.Frame;
    }

    /// <summary>
    /// The kernel's counters so far (PACKET_STATISTICS, packet(7)): frames that reached the socket, and those
    /// dropped because its buffer was full. The kernel resets them on every read, so they are summed here; its
    /// received count includes the drops.
    /// </summary>
    public (ulong Received, ulong Dropped) Statistics()
    {
        Span<byte> stats = stackalloc byte[8];
        try
        {
            if (_socket.GetRawSocketOption(Native.SolPacket, Native.PacketStatistics, stats) >= 8)
            {
                _received += BinaryPrimitives.ReadUInt32LittleEndian(stats);
                _dropped += BinaryPrimitives.ReadUInt32LittleEndian(stats[4..]);
            }
        }
        catch (SocketException)
        {
            // Counters are a courtesy; a socket that cannot give them still captured.
        }

        return (_received, _dropped);
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        // The ring is unmapped before the socket that owns it is closed, as libpcap does.
        _ring?.Dispose();
        _socket.Dispose();
        NativeMemory.Free(_buffers);
        NativeMemory.Free(_names);
        NativeMemory.Free(_controls);
        NativeMemory.Free(_iovs);
        NativeMemory.Free(_messages);
    }

    /// <summary>
    /// A struct sockaddr_ll to bind with (packet(7)): the family, the protocol in network order and the interface
    /// index; 0 binds to every interface. .NET has no end point for packet sockets, but binds any end point whose
    /// family matches the socket's with the bytes it serialises to.
    /// </summary>
    private sealed class LinkEndPoint(int index, ushort protocol) : EndPoint
    {
        public override AddressFamily AddressFamily => AddressFamily.Packet;

        public override SocketAddress Serialize()
        {
            var address = new SocketAddress(AddressFamily.Packet, Native.SockaddrLlLength);
            var bytes = address.Buffer.Span;
            BinaryPrimitives.WriteUInt16BigEndian(bytes[Native.SllProtocolOffset..], protocol);
            BinaryPrimitives.WriteInt32LittleEndian(bytes[Native.SllIfIndexOffset..], index);
            return address;
        }

        public override EndPoint Create(SocketAddress socketAddress) => new LinkEndPoint(index, protocol);
    }
}
