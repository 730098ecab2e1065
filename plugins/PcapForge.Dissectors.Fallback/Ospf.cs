using System.Buffers.Binary;
using PacketDotNet;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissectors.Fallback;

/// <summary>
/// Open Shortest Path First, IP protocol 89: OSPFv2 (RFC 2328 §A.3) and the common header of OSPFv3 (RFC 5340
/// §A.3.1). Header and Hello fields are read from the bytes; the body of an OSPFv2 packet is checked by PacketDotNet
/// (<see cref="OspfPacket.ConstructOspfPacket"/>), which also counts the LSAs of a Link State Update. Off the hot path.
/// </summary>
[DissectorExport("ospf", Priority = Fallback.Priority)]
public sealed class Ospf : IDissector
{
    private const int IpProtocolOspf = 89;
    private const int VersionOffset = 0, TypeOffset = 1, LengthOffset = 2, RouterIdOffset = 4, AreaIdOffset = 8, ChecksumOffset = 12;
    private const int AuthTypeOffset = 14;
    private const int V2HeaderLength = 24, V3HeaderLength = 16;
    private const int Version2 = 2, Version3 = 3;
    private const int TypeHello = 1, TypeLinkStateUpdate = 4;
    private const int Ipv4Length = 4;

    // OSPFv2 Hello body (RFC 2328 §A.3.2), offsets from the start of the OSPF header.
    private const int HelloMaskOffset = 24, HelloIntervalOffset = 28, HelloPriorityOffset = 31, HelloDeadOffset = 32, HelloDrOffset = 36,
        HelloBdrOffset = 40, HelloNeighborsOffset = 44;

    private FieldHandle _version, _msg, _packetLength, _srcRouter, _areaId, _checksum, _authType, _mask, _helloInterval, _priority, _deadInterval,
        _dr, _bdr, _neighbor, _lsaCount;
    private AnomalyHandle _truncated, _malformed;

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("ospf", "Open Shortest Path First", "OSPFv2 and the OSPFv3 common header (RFC 2328, RFC 5340; fallback decoder through PacketDotNet)");
        _version = setup.Field("ospf.version", "Version", FieldType.UInt8, "OSPF version (2, or 3 for IPv6)");
        _msg = setup.Field("ospf.msg", "Message Type", FieldType.UInt8, "1 Hello, 2 DB Description, 3 LS Request, 4 LS Update, 5 LS Acknowledge");
        _packetLength = setup.Field("ospf.packet_length", "Packet Length", FieldType.UInt16, "Length of the OSPF packet, header included");
        _srcRouter = setup.Field("ospf.srcrouter", "Source OSPF Router", FieldType.IPv4, "Router ID of the sender");
        _areaId = setup.Field("ospf.area_id", "Area ID", FieldType.IPv4, "Area of the packet");
        _checksum = setup.Field("ospf.checksum", "Checksum", FieldType.UInt16, "Checksum as sent", FieldBase.Hex);
        _authType = setup.Field("ospf.auth.type", "Auth Type", FieldType.UInt16, "OSPFv2 authentication type (0 none, 1 simple, 2 cryptographic)");
        _mask = setup.Field("ospf.hello.network_mask", "Network Mask", FieldType.IPv4, "OSPFv2 Hello: network mask of the interface");
        _helloInterval = setup.Field("ospf.hello.hello_interval", "Hello Interval [sec]", FieldType.UInt16, "OSPFv2 Hello: seconds between Hellos");
        _priority = setup.Field("ospf.hello.router_priority", "Router Priority", FieldType.UInt8, "OSPFv2 Hello: priority for DR election");
        _deadInterval = setup.Field("ospf.hello.router_dead_interval", "Router Dead Interval [sec]", FieldType.UInt32, "OSPFv2 Hello: seconds before a silent router is down");
        _dr = setup.Field("ospf.hello.designated_router", "Designated Router", FieldType.IPv4, "OSPFv2 Hello: designated router");
        _bdr = setup.Field("ospf.hello.backup_designated_router", "Backup Designated Router", FieldType.IPv4, "OSPFv2 Hello: backup designated router");
        _neighbor = setup.Field("ospf.hello.active_neighbor", "Active Neighbor", FieldType.IPv4, "OSPFv2 Hello: each neighbor heard from");
        _lsaCount = setup.Field("ospf.ls.number_of_lsas", "Number of LSAs", FieldType.UInt32, "OSPFv2 LS Update: number of LSAs (as PacketDotNet decodes them)");
        _truncated = setup.Anomaly("ospf.truncated", "Fewer bytes than the OSPF header (24 bytes for v2, 16 for v3) or than its packet length");
        _malformed = setup.Anomaly("ospf.malformed", "The packet length is under the header length, the version is not 2 or 3, or PacketDotNet rejected the OSPFv2 body");
        setup.AttachTo(TableNames.IpProto, IpProtocolOspf);
    }

    public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data)
    {
        if (data.Length < V3HeaderLength)
        {
            context.Report(_truncated, 0, $"{data.Length} bytes, an OSPF header needs at least {V3HeaderLength}");
            if (data.Length > VersionOffset)
                context.Add(_version, VersionOffset, 1, data[VersionOffset]);
            return DissectResult.Done(data.Length);
        }

        byte version = data[VersionOffset];
        byte type = data[TypeOffset];
        int packetLength = BinaryPrimitives.ReadUInt16BigEndian(data[LengthOffset..]);
        context.Add(_version, VersionOffset, 1, version);
        context.Add(_msg, TypeOffset, 1, type);
        context.Add(_packetLength, LengthOffset, 2, (ulong)packetLength);
        context.Add(_srcRouter, RouterIdOffset, Ipv4Length);
        context.Add(_areaId, AreaIdOffset, Ipv4Length);
        context.Add(_checksum, ChecksumOffset, 2, BinaryPrimitives.ReadUInt16BigEndian(data[ChecksumOffset..]));
        if (context.WantsDetail)
        {
            context.Info.Clear();
            context.Info.Append(TypeName(type));
        }

        int headerLength = version == Version3 ? V3HeaderLength : V2HeaderLength;
        if (version is not (Version2 or Version3))
        {
            context.Report(_malformed, VersionOffset, $"version {version}, expected 2 or 3");
            return DissectResult.Done(Math.Min(data.Length, V3HeaderLength));
        }

        if (packetLength < headerLength)
        {
            context.Report(_malformed, LengthOffset, $"packet length {packetLength}, under the {headerLength}-byte header");
            return DissectResult.Done(Math.Min(data.Length, headerLength));
        }

        if (version == Version3)
            return DissectResult.Done(Math.Min(data.Length, packetLength)); // PacketDotNet decodes OSPFv2 only

        if (data.Length < V2HeaderLength)
        {
            context.Report(_truncated, 0, $"{data.Length} bytes, an OSPFv2 header needs {V2HeaderLength}");
            return DissectResult.Done(data.Length);
        }

        context.Add(_authType, AuthTypeOffset, 2, BinaryPrimitives.ReadUInt16BigEndian(data[AuthTypeOffset..]));
        if (packetLength > data.Length)
        {
            if (!context.IsPartial)
                context.Report(_truncated, LengthOffset, $"packet length {packetLength}, {data.Length} bytes captured");
            packetLength = data.Length;
        }

        ReadOnlySpan<byte> packet = data[..packetLength];
        if (type == TypeHello)
            DissectHello(context, packet);

        try
        {
            var parsed = OspfPacket.ConstructOspfPacket(packet.ToArray(), 0);
            if (parsed is OspfV2LinkStateUpdatePacket update && type == TypeLinkStateUpdate)
            {
                int decoded = update.Updates.Count; // decodes every LSA: a throw is a malformed body
                context.Add(_lsaCount, V2HeaderLength, Ipv4Length, update.LsaNumber);
                if (decoded != update.LsaNumber)
                    context.Report(_malformed, V2HeaderLength, $"{update.LsaNumber} LSAs announced, PacketDotNet decoded {decoded}");
            }
        }
        catch (Exception e)
        {
            context.Report(_malformed, V2HeaderLength, $"PacketDotNet could not decode the {TypeName(type)} body: {e.GetType().Name}");
        }

        return DissectResult.Done(packetLength);
    }

    private void DissectHello(PacketContext context, ReadOnlySpan<byte> packet)
    {
        if (packet.Length < HelloNeighborsOffset)
        {
            context.Report(_truncated, V2HeaderLength, $"{packet.Length - V2HeaderLength} bytes of Hello body, it needs {HelloNeighborsOffset - V2HeaderLength}");
            return;
        }

        context.Add(_mask, HelloMaskOffset, Ipv4Length);
        context.Add(_helloInterval, HelloIntervalOffset, 2, BinaryPrimitives.ReadUInt16BigEndian(packet[HelloIntervalOffset..]));
        context.Add(_priority, HelloPriorityOffset, 1, packet[HelloPriorityOffset]);
        context.Add(_deadInterval, HelloDeadOffset, 4, BinaryPrimitives.ReadUInt32BigEndian(packet[HelloDeadOffset..]));
        context.Add(_dr, HelloDrOffset, Ipv4Length);
        context.Add(_bdr, HelloBdrOffset, Ipv4Length);
        for (int offset = HelloNeighborsOffset; offset + Ipv4Length <= packet.Length; offset += Ipv4Length)
            context.Add(_neighbor, offset, Ipv4Length);
    }

    /// <summary>Message types as Wireshark's Info column names them.</summary>
    private static string TypeName(byte type) => type switch
    {
        1 => "Hello Packet",
        2 => "DB Description",
        3 => "LS Request",
        4 => "LS Update",
        5 => "LS Acknowledge",
        _ => "Unknown OSPF type " + type.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
