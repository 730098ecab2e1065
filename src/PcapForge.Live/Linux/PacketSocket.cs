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

    /// <summary>The kernel's receive time (SO_TIMESTAMPNS), or the time it was read when the kernel gave none.</summary>
    public long TimestampNs { get; }

    /// <summary>sll_pkttype (packet(7)): to us, broadcast, multicast, to another host, sent by us.</summary>
    public byte PacketType { get; }
}

/// <summary>
/// A Linux packet socket (packet(7)) bound to one interface, or to all with <c>any</c>: a .NET
/// <see cref="Socket"/> of <see cref="AddressFamily.Packet"/>, set up as libpcap sets up its own (pcap-linux.c): opened
/// with protocol 0 so that nothing arrives before the options are in place, promiscuous mode as a packet-socket
/// membership (dropped by the kernel when the socket closes, so a crash leaves the interface as it was),
/// PACKET_AUXDATA for the VLAN tags the kernel takes off, SO_TIMESTAMPNS for nanosecond receive times, the
/// receive buffer, and only then bound with ETH_P_ALL. Frames are read with recvmsg(2), which hands over the
/// sender's sockaddr_ll and the control messages in the same call; nothing is allocated per frame.
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
    private readonly byte* _buffer;
    private readonly int _bufferLength;
    private readonly byte* _name;
    private readonly byte* _control;
    private readonly Native.MsgHdr* _message;
    private readonly Native.IoVec* _iov;
    private ulong _received, _dropped;
    private bool _disposed;

    private PacketSocket(Socket socket, NetworkInterfaceInfo iface, int snapLength, bool kernelTimestamps, int loopbackIndex)
    {
        _socket = socket;
        _fd = (int)socket.SafeHandle.DangerousGetHandle();
        Interface = iface;
        (LinkType, _mode) = iface.Link;
        _vlanOffset = FrameAssembler.VlanOffset(LinkType, _mode);
        _snapLength = snapLength;
        KernelTimestamps = kernelTimestamps;
        _loopbackIndex = loopbackIndex;
        // Room for the cooked header and a VLAN tag in front; the kernel writes at most the snapshot length (less
        // the cooked header, which counts towards it, as in libpcap).
        int dataCapacity = Math.Max(1, snapLength - FrameAssembler.CookedHeaderLength(_mode));
        _bufferLength = FrameAssembler.Headroom + dataCapacity;
        _buffer = (byte*)NativeMemory.Alloc((nuint)_bufferLength);
        _name = (byte*)NativeMemory.AllocZeroed(Native.SockaddrLlLength);
        _control = (byte*)NativeMemory.AllocZeroed(ControlLength);
        _iov = (Native.IoVec*)NativeMemory.AllocZeroed((nuint)sizeof(Native.IoVec));
        _message = (Native.MsgHdr*)NativeMemory.AllocZeroed((nuint)sizeof(Native.MsgHdr));
        _iov->Base = _buffer + FrameAssembler.Headroom;
        _iov->Length = (nuint)dataCapacity;
    }

    public NetworkInterfaceInfo Interface { get; }

    /// <summary>The LINKTYPE_* the frames are written with.</summary>
    public int LinkType { get; }

    /// <summary>True when the kernel stamps each frame (SO_TIMESTAMPNS); otherwise frames get the time they are read.</summary>
    public bool KernelTimestamps { get; }

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
            bool timestamps = TrySet(socket, Native.SolSocket, Native.SoTimestampNs, 1);
            // SO_RCVBUFFORCE may exceed net.core.rmem_max but needs CAP_NET_ADMIN; SO_RCVBUF is capped (socket(7)).
            if (bufferBytes > 0 && !TrySet(socket, Native.SolSocket, Native.SoRcvBufForce, bufferBytes))
                TrySet(socket, Native.SolSocket, Native.SoRcvBuf, bufferBytes);
            socket.Bind(new LinkEndPoint(iface.Index, Native.EthPAll));
            return new PacketSocket(socket, iface, snapLength, timestamps, NetworkInterfaces.LoopbackIndex());
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
    /// Reads the next frame without waiting. Throws <see cref="LiveCaptureException"/> when the interface went
    /// away; an interface that is down just gives nothing until it is up again.
    /// </summary>
    public ReceiveStatus TryReceive(out ReceivedFrame frame)
    {
        frame = default;
        var m = _message;
        while (true)
        {
            m->Name = _name;
            m->NameLength = Native.SockaddrLlLength;
            m->Iov = _iov;
            m->IovLength = 1;
            m->Control = _control;
            m->ControlLength = ControlLength;
            m->Flags = 0;
            nint n = Native.RecvMsg(_fd, m, Native.MsgTrunc | Native.MsgDontWait);
            if (n >= 0)
                return Assemble((long)n, out frame);
            int errno = Marshal.GetLastPInvokeError();
            switch (errno)
            {
                case Native.Eintr:
                    continue;
                case Native.Eagain:
                // The interface was set down: libpcap waits for it to come back (or to go away) rather than failing.
                case Native.Enetdown:
                    return ReceiveStatus.Empty;
                case Native.Enodev or Native.Enxio:
                    throw new LiveCaptureException(LiveCaptureError.InterfaceGone, $"the interface {Interface.Name} went away");
                default:
                    throw new LiveCaptureException(LiveCaptureError.Failed, $"reading from {Interface.Name} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
            }
        }
    }

    private ReceiveStatus Assemble(long length, out ReceivedFrame frame)
    {
        frame = default;
        var sender = new ReadOnlySpan<byte>(_name, Native.SockaddrLlLength);
        byte packetType = sender[Native.SllPktTypeOffset];
        // A frame sent on the loopback device is seen leaving and again arriving: keep it once, as libpcap does
        // (linux_check_direction), so that the frames are tcpdump's.
        if (packetType == Native.PacketOutgoing && _loopbackIndex != 0
            && BinaryPrimitives.ReadInt32LittleEndian(sender[Native.SllIfIndexOffset..]) == _loopbackIndex)
            return ReceiveStatus.Skipped;

        long timestamp = 0;
        bool stamped = false;
        var aux = default(AuxData);
        var m = _message;
        nuint offset = 0;
        nuint controlLength = m->ControlLength;
        nuint header = Native.CmsgAlign((nuint)sizeof(Native.CmsgHdr));
        // cmsg(3): each control message is a header, its data, padding to the size of a long.
        while (offset + (nuint)sizeof(Native.CmsgHdr) <= controlLength)
        {
            var c = (Native.CmsgHdr*)(_control + offset);
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

        int received = (int)Math.Min(length, (long)_iov->Length);
        var buffer = new Span<byte>(_buffer, _bufferLength);
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
        _socket.Dispose();
        NativeMemory.Free(_buffer);
        NativeMemory.Free(_name);
        NativeMemory.Free(_control);
        NativeMemory.Free(_iov);
        NativeMemory.Free(_message);
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
