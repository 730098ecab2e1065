using System.Buffers.Binary;
using PcapForge.Abstractions;

namespace PcapForge.Live.Linux;

/// <summary>What <c>PACKET_AUXDATA</c> (packet(7), struct tpacket_auxdata) said of a frame: whether the kernel took a VLAN tag off it.</summary>
public readonly record struct AuxData(bool Present, uint Status, ushort VlanTci, ushort VlanTpid)
{
    /// <summary>
    /// A tag was taken off: TP_STATUS_VLAN_VALID, or a non-zero TCI from kernels before 3.0 that had no such bit
    /// (libpcap's VLAN_VALID).
    /// </summary>
    public bool HasVlan => Present && (VlanTci != 0 || (Status & Native.TpStatusVlanValid) != 0);

    /// <summary>The tag's TPID: the one the kernel gives, or 802.1Q when it gives none (libpcap's VLAN_TPID).</summary>
    public ushort Tpid => VlanTpid != 0 || (Status & Native.TpStatusVlanTpidValid) != 0 ? VlanTpid : Native.EthP8021Q;
}

/// <summary>
/// Turns what the kernel handed over (a ring frame or a recvmmsg(2) message) into the frame a capture file holds, exactly as libpcap does (pcap-linux.c,
/// <c>pcap_handle_packet_mmap</c>) so that the bytes equal tcpdump's: in cooked mode a LINUX_SLL or LINUX_SLL2
/// header built from the sender's <c>sockaddr_ll</c>; a VLAN tag the kernel took off (hardware or software
/// untagging on receive leaves it only in the auxiliary data) put back in front of the type field; the result cut to
/// the snapshot length. Works in place: the received bytes start <see cref="Headroom"/> bytes into the buffer, and
/// the headers are written in front of them.
/// </summary>
public static class FrameAssembler
{
    /// <summary>LINKTYPE_LINUX_SLL header: packet type(2) ARPHRD type(2) address length(2) address(8) protocol(2).</summary>
    public const int SllHeaderLength = 16;

    /// <summary>LINKTYPE_LINUX_SLL2 header: protocol(2) reserved(2) interface index(4) ARPHRD type(2) packet type(1) address length(1) address(8).</summary>
    public const int Sll2HeaderLength = 20;

    /// <summary>An 802.1Q tag: TPID(2) TCI(2).</summary>
    public const int VlanTagLength = 4;

    /// <summary>Room left in front of the received bytes: the longest cooked header and a VLAN tag.</summary>
    public const int Headroom = Sll2HeaderLength + VlanTagLength;

    /// <summary>The length of the header cooked mode adds.</summary>
    public static int CookedHeaderLength(FrameMode mode) => mode switch
    {
        FrameMode.CookedV1 => SllHeaderLength,
        FrameMode.CookedV2 => Sll2HeaderLength,
        _ => 0,
    };

    /// <summary>
    /// Where a VLAN tag goes back: in front of the type field, which follows the two MAC addresses in Ethernet and
    /// ends the LINUX_SLL header; -1 where libpcap puts none back (LINUX_SLL2 and the other link types).
    /// </summary>
    public static int VlanOffset(int linkType, FrameMode mode) => mode switch
    {
        FrameMode.Raw when linkType == LinkTypes.Ethernet => 12,
        FrameMode.CookedV1 => SllHeaderLength - 2,
        _ => -1,
    };

    /// <summary>
    /// Assembles a frame in <paramref name="buffer"/>, whose received bytes start at <see cref="Headroom"/>.
    /// </summary>
    /// <param name="buffer">Headroom, then the received bytes.</param>
    /// <param name="received">Bytes of the packet the kernel stored (at most the room it had).</param>
    /// <param name="length">The packet's real length (tp_len of a ring frame; what recvmmsg(2) returns with MSG_TRUNC).</param>
    /// <param name="mode">How the socket reads.</param>
    /// <param name="vlanOffset">From <see cref="VlanOffset"/>.</param>
    /// <param name="sender">The sender's <c>sockaddr_ll</c> the kernel filled in.</param>
    /// <param name="aux">The auxiliary data of the frame.</param>
    /// <param name="snapLength">The snapshot length: at most this many bytes of the frame are kept.</param>
    /// <returns>The frame's offset in <paramref name="buffer"/>, its captured length and its length on the wire.</returns>
    public static (int Start, int Captured, long Original) Assemble(Span<byte> buffer, int received, long length, FrameMode mode, int vlanOffset,
        ReadOnlySpan<byte> sender, in AuxData aux, int snapLength)
    {
        int start = Headroom;
        int captured = received;
        long original = length;
        switch (mode)
        {
            case FrameMode.CookedV2:
            {
                start -= Sll2HeaderLength;
                var h = buffer.Slice(start, Sll2HeaderLength);
                // sll_protocol is already in network order; the index and hardware type are host-order integers.
                sender.Slice(Native.SllProtocolOffset, 2).CopyTo(h);
                h[2] = 0;
                h[3] = 0;
                BinaryPrimitives.WriteInt32BigEndian(h[4..], BinaryPrimitives.ReadInt32LittleEndian(sender[Native.SllIfIndexOffset..]));
                BinaryPrimitives.WriteUInt16BigEndian(h[8..], BinaryPrimitives.ReadUInt16LittleEndian(sender[Native.SllHaTypeOffset..]));
                h[10] = sender[Native.SllPktTypeOffset];
                h[11] = sender[Native.SllHaLenOffset];
                sender.Slice(Native.SllAddrOffset, Native.SllAddrLength).CopyTo(h[12..]);
                captured += Sll2HeaderLength;
                original += Sll2HeaderLength;
                break;
            }

            case FrameMode.CookedV1:
            {
                start -= SllHeaderLength;
                var h = buffer.Slice(start, SllHeaderLength);
                BinaryPrimitives.WriteUInt16BigEndian(h, sender[Native.SllPktTypeOffset]);
                BinaryPrimitives.WriteUInt16BigEndian(h[2..], BinaryPrimitives.ReadUInt16LittleEndian(sender[Native.SllHaTypeOffset..]));
                BinaryPrimitives.WriteUInt16BigEndian(h[4..], sender[Native.SllHaLenOffset]);
                sender.Slice(Native.SllAddrOffset, Native.SllAddrLength).CopyTo(h[6..]);
                sender.Slice(Native.SllProtocolOffset, 2).CopyTo(h[14..]);
                captured += SllHeaderLength;
                original += SllHeaderLength;
                break;
            }
        }

        // libpcap compares the packet bytes the kernel delivered (tp_snaplen, without a cooked header) to the offset.
        if (aux.HasVlan && vlanOffset >= 0 && received >= vlanOffset)
        {
            buffer.Slice(start, vlanOffset).CopyTo(buffer[(start - VlanTagLength)..]);
            start -= VlanTagLength;
            BinaryPrimitives.WriteUInt16BigEndian(buffer[(start + vlanOffset)..], aux.Tpid);
            BinaryPrimitives.WriteUInt16BigEndian(buffer[(start + vlanOffset + 2)..], aux.VlanTci);
            captured += VlanTagLength;
            original += VlanTagLength;
        }

        return (start, Math.Min(captured, snapLength), original);
    }

    /// <summary>
    /// pcapng <c>epb_flags</c> (draft-ietf-opsawg-pcapng section 4.3.1) for a packet type: bits 0-1 the direction
    /// (1 inbound, 2 outbound), bits 2-4 the reception type (1 unicast, 2 multicast, 3 broadcast, 4 promiscuous).
    /// </summary>
    public static uint EpbFlags(byte packetType) => packetType switch
    {
        Native.PacketHost => 1 | (1 << 2),
        Native.PacketMulticast => 1 | (2 << 2),
        Native.PacketBroadcast => 1 | (3 << 2),
        Native.PacketOtherHost => 1 | (4 << 2),
        Native.PacketOutgoing => 2,
        _ => 0,
    };
}
