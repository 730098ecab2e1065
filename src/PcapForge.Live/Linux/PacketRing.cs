using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace PcapForge.Live.Linux;

/// <summary>
/// A TPACKET_V3 receive ring (packet_mmap.rst, "TPACKET_V3"), as libpcap sets one up: the kernel copies each frame,
/// with a header holding its nanosecond time, lengths, VLAN tag and the sender's sockaddr_ll, into a block of memory
/// shared with the reader, and hands the block over when it is full or when <see cref="RetireTimeoutMs"/> has passed.
/// The copy happens where the kernel receives the frame, not in a system call of the reader, and the reader takes a
/// whole block per wake-up: at high rates this costs the capturing process a fraction of a receive call per frame.
/// </summary>
public sealed unsafe class PacketRing : IDisposable
{
    /// <summary>How long the kernel keeps a block that is not full before handing it over: the latency of a quiet interface.</summary>
    public const int RetireTimeoutMs = 50;

    /// <summary>
    /// Frames larger than this (less the ring's headers) are cut: 64 KiB, the largest GSO segment and the loopback
    /// MTU, as libpcap sizes its frames from the MTU and offloads rather than from a 256 KiB snapshot length.
    /// </summary>
    private const int LargestFrame = 65_536 + 64;

    private readonly byte* _map;
    private readonly nuint _mapLength;
    private readonly int _blockSize;
    private readonly int _blockCount;
    private int _block;
    private byte* _next;
    private int _remaining;
    private byte* _release;

    private PacketRing(byte* map, nuint mapLength, int blockSize, int blockCount)
    {
        _map = map;
        _mapLength = mapLength;
        _blockSize = blockSize;
        _blockCount = blockCount;
    }

    /// <summary>The size of one block.</summary>
    public int BlockSize => _blockSize;

    /// <summary>The number of blocks.</summary>
    public int BlockCount => _blockCount;

    /// <summary>
    /// Sets up a ring on a socket that is not bound to a protocol yet (PACKET_RX_RING must come before frames
    /// arrive), of about <paramref name="bufferBytes"/>, or returns null when the kernel refuses one (the caller then
    /// reads with recvmmsg(2)). <paramref name="reserve"/> bytes are kept free in front of every frame for the headers
    /// a capture puts there.
    /// </summary>
    public static PacketRing? TryCreate(Socket socket, int snapLength, int bufferBytes, int reserve)
    {
        Span<byte> value = stackalloc byte[4];
        try
        {
            BinaryPrimitives.WriteInt32LittleEndian(value, Native.TpacketV3);
            socket.SetRawSocketOption(Native.SolPacket, Native.PacketVersion, value);
            BinaryPrimitives.WriteInt32LittleEndian(value, reserve);
            socket.SetRawSocketOption(Native.SolPacket, Native.PacketReserve, value);
        }
        catch (SocketException)
        {
            return null;
        }

        // A block holds at least one frame of the largest size kept, with the headers in front (the kernel's macoff
        // for SOCK_DGRAM: TPACKET_ALIGN(TPACKET3_HDRLEN) + 16 + reserve) and the block header: a power of two of pages.
        int frame = Math.Min(snapLength, LargestFrame) + 128 + reserve;
        int blockSize = Math.Max(Environment.SystemPageSize, 1);
        while (blockSize < frame)
            blockSize <<= 1;
        int blockCount = Math.Max(4, bufferBytes / blockSize);
        // struct tpacket_req3: block_size, block_nr, frame_size, frame_nr, retire_blk_tov, sizeof_priv, feature_req_word.
        // V3 frames have any length; frame_size and frame_nr only have to agree with the blocks (one frame a block).
        Span<byte> request = stackalloc byte[28];
        request.Clear();
        BinaryPrimitives.WriteInt32LittleEndian(request, blockSize);
        BinaryPrimitives.WriteInt32LittleEndian(request[4..], blockCount);
        BinaryPrimitives.WriteInt32LittleEndian(request[8..], blockSize);
        BinaryPrimitives.WriteInt32LittleEndian(request[12..], blockCount);
        BinaryPrimitives.WriteInt32LittleEndian(request[16..], RetireTimeoutMs);
        try
        {
            socket.SetRawSocketOption(Native.SolPacket, Native.PacketRxRing, request);
        }
        catch (SocketException)
        {
            return null;
        }

        nuint length = (nuint)blockSize * (nuint)blockCount;
        void* map = Native.Mmap(null, length, Native.ProtRead | Native.ProtWrite, Native.MapShared, (int)socket.SafeHandle.DangerousGetHandle(), 0);
        if (map == (void*)-1)
            return null;
        return new PacketRing((byte*)map, length, blockSize, blockCount);
    }

    private byte* Block(int i) => _map + (nint)i * _blockSize;

    private static uint Status(byte* block) => Volatile.Read(ref *(uint*)(block + Native.BlockStatusOffset));

    /// <summary>
    /// The next frame's tpacket3_hdr, or false when the kernel has handed over no further block. The frame stays in
    /// place until the next call, which gives its block back once every frame of it was taken.
    /// </summary>
    public bool TryNext(out byte* header)
    {
        if (_release != null)
        {
            // The reader is done with the block: the kernel may fill it again.
            Volatile.Write(ref *(uint*)(_release + Native.BlockStatusOffset), Native.TpStatusKernel);
            _release = null;
            _block = (_block + 1) % _blockCount;
        }

        header = null;
        while (_remaining == 0)
        {
            byte* block = Block(_block);
            if ((Status(block) & Native.TpStatusUser) == 0)
                return false;
            _remaining = (int)*(uint*)(block + Native.BlockNumPacketsOffset);
            _next = block + *(uint*)(block + Native.BlockFirstPacketOffset);
            if (_remaining == 0)
            {
                Volatile.Write(ref *(uint*)(block + Native.BlockStatusOffset), Native.TpStatusKernel);
                _block = (_block + 1) % _blockCount;
            }
        }

        header = _next;
        _remaining--;
        if (_remaining > 0)
            _next += *(uint*)(header + Native.Tp3NextOffset);
        else
            _release = Block(_block);
        return true;
    }

    public void Dispose() => Native.Munmap(_map, _mapLength);
}
