using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissectors.Fallback;

/// <summary>
/// Wake-on-LAN magic packet (AMD's Magic Packet technology): 6 bytes 0xFF, the target MAC 16 times, optionally a
/// SecureOn password of 4 or 6 bytes. Carried with EtherType 0x0842, or in UDP to port 9: UDP 9 is also "discard"
/// (RFC 863), so there only a real magic packet is claimed and anything else is left to others. Checked straight
/// from the bytes (no allocation before the frame is known to be a magic packet).
/// </summary>
[DissectorExport("wol", Priority = Fallback.Priority)]
public sealed class WakeOnLan : IDissector
{
    private const int EtherTypeWakeOnLan = 0x0842;
    private const int UdpPortDiscard = 9;
    private const int SyncLength = 6;
    private const int MacLength = 6;
    private const int Repetitions = 16;
    private const int MagicLength = SyncLength + (MacLength * Repetitions);
    private const int ShortPassword = 4, LongPassword = 6;

    private FieldHandle _sync, _mac, _password;
    private AnomalyHandle _malformed;

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("wol", "Wake On LAN", "Wake-on-LAN magic packet (EtherType 0x0842 or UDP port 9)");
        _sync = setup.Field("wol.sync", "Sync stream", FieldType.Bytes, "Six 0xFF bytes");
        _mac = setup.Field("wol.mac", "MAC", FieldType.Ether, "Target MAC address (each of its 16 repetitions, as tshark)");
        _password = setup.Field("wol.passwd", "Password", FieldType.Bytes, "SecureOn password (4 or 6 bytes)");
        _malformed = setup.Anomaly("wol.malformed",
            "An EtherType 0x0842 frame that is not a magic packet: no sync stream of six 0xFF, or fewer than 16 identical copies of the MAC");
        setup.AttachTo(TableNames.EtherType, EtherTypeWakeOnLan);
        setup.AttachTo(TableNames.UdpPort, UdpPortDiscard);
    }

    /// <summary>True when <paramref name="data"/> starts with a magic packet.</summary>
    public static bool IsMagicPacket(ReadOnlySpan<byte> data)
    {
        if (data.Length < MagicLength)
            return false;
        for (int i = 0; i < SyncLength; i++)
        {
            if (data[i] != 0xFF)
                return false;
        }

        ReadOnlySpan<byte> mac = data.Slice(SyncLength, MacLength);
        for (int r = 1; r < Repetitions; r++)
        {
            if (!data.Slice(SyncLength + (r * MacLength), MacLength).SequenceEqual(mac))
                return false;
        }

        return true;
    }

    public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data)
    {
        bool overUdp = IsUdpPayload(context);
        if (!IsMagicPacket(data))
        {
            if (overUdp)
                return DissectResult.NotMine; // discard traffic, or anything else on UDP 9
            context.Report(_malformed, 0, data.Length < MagicLength
                ? $"{data.Length} bytes, a magic packet needs {MagicLength}"
                : "no sync stream of six 0xFF followed by 16 copies of one MAC");
            return DissectResult.Done(data.Length);
        }

        context.Add(_sync, 0, SyncLength);
        for (int r = 0; r < Repetitions; r++)
            context.Add(_mac, SyncLength + (r * MacLength), MacLength);
        int consumed = MagicLength;
        int rest = data.Length - MagicLength;
        if (overUdp && rest is ShortPassword or LongPassword)
        {
            context.Add(_password, MagicLength, rest);
            consumed += rest;
        }

        if (context.WantsDetail)
        {
            string mac = FallbackText.Mac(data.Slice(SyncLength, MacLength));
            context.Info.Clear();
            context.Info.Append("MagicPacket for ").Append(mac).Append(" (").Append(mac).Append(')');
        }

        return DissectResult.Done(consumed);
    }

    /// <summary>
    /// Whether the engine handed this layer over through <c>udp.port</c> rather than <c>ethertype</c>: UDP always
    /// bounds its payload by its length field (a declared length), EtherType parents (Ethernet, VLAN) do not.
    /// </summary>
    private static bool IsUdpPayload(PacketContext context) => context.DeclaredLength >= 0;
}
