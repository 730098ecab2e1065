using System.Buffers.Binary;
using PacketDotNet.Lldp;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissectors.Fallback;

/// <summary>
/// Link Layer Discovery Protocol (IEEE Std 802.1AB-2016 §8), EtherType 0x88CC. TLV headers and fixed fields are
/// read from the bytes; the chassis and port identifiers (whose form depends on their subtype) are decoded by
/// PacketDotNet's TLV classes. Off the hot path: only LLDP frames reach it, and it allocates.
/// </summary>
[DissectorExport("lldp", Priority = Fallback.Priority)]
public sealed class Lldp : IDissector
{
    private const int EtherTypeLldp = 0x88CC;
    private const int TlvHeaderLength = 2;
    private const int TypeShift = 9;
    private const int LengthMask = 0x1FF;
    private const int TypeEnd = 0, TypeChassisId = 1, TypePortId = 2, TypeTtl = 3, TypePortDescription = 4, TypeSystemName = 5,
        TypeSystemDescription = 6, TypeSystemCapabilities = 7, TypeManagementAddress = 8;
    private const int ChassisSubtypeMac = 4, PortSubtypeMac = 3;

    /// <summary>Subtypes whose identifier is text (802.1AB §8.5.2.3, §8.5.3.3): PacketDotNet hands some of them over as raw bytes.</summary>
    private const int ChassisSubtypeInterfaceAlias = 2, ChassisSubtypeInterfaceName = 6, ChassisSubtypeLocal = 7;
    private const int PortSubtypeInterfaceAlias = 1, PortSubtypeInterfaceName = 5, PortSubtypeAgentCircuitId = 6, PortSubtypeLocal = 7;
    private const int MacLength = 6;
    private const int TtlLength = 2;
    private const int CapabilitiesLength = 4;

    /// <summary>Chassis ID subtypes 1..7 as tshark abbreviates them in the Info column (802.1AB Table 8-2).</summary>
    private static readonly string[] ChassisAbbreviations = ["", "CC", "IA", "PC", "MA", "NA", "IN", "LA"];

    /// <summary>Port ID subtypes 1..7 as tshark abbreviates them (802.1AB Table 8-3).</summary>
    private static readonly string[] PortAbbreviations = ["", "IA", "PC", "MA", "NA", "IN", "AC", "LA"];

    private FieldHandle _tlvType, _chassisSubtype, _chassisId, _chassisMac, _portSubtype, _portId, _portMac, _ttl, _portDesc,
        _systemName, _systemDesc, _systemCap, _enabledCap, _mgmtAddress;
    private AnomalyHandle _malformed;

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("lldp", "Link Layer Discovery Protocol", "IEEE 802.1AB LLDPDU (fallback decoder through PacketDotNet)");
        _tlvType = setup.Field("lldp.tlv.type", "TLV Type", FieldType.UInt16, "Type of each TLV, in order (0 End, 1 Chassis ID, 2 Port ID, 3 TTL…)");
        _chassisSubtype = setup.Field("lldp.chassis.subtype", "Chassis Id Subtype", FieldType.UInt8, "Chassis ID subtype (4 MAC address, 5 network address, 7 locally assigned…)");
        _chassisId = setup.Field("lldp.chassis.id", "Chassis Id", FieldType.String,
            "Chassis ID other than a MAC address, as PacketDotNet decodes it for its subtype (text)");
        _chassisMac = setup.Field("lldp.chassis.id.mac", "Chassis Id", FieldType.Ether, "Chassis ID of subtype 4 (MAC address)");
        _portSubtype = setup.Field("lldp.port.subtype", "Port Id Subtype", FieldType.UInt8, "Port ID subtype (3 MAC address, 5 interface name, 7 locally assigned…)");
        _portId = setup.Field("lldp.port.id", "Port Id", FieldType.String, "Port ID other than a MAC address, as PacketDotNet decodes it for its subtype (text)");
        _portMac = setup.Field("lldp.port.id.mac", "Port Id", FieldType.Ether, "Port ID of subtype 3 (MAC address)");
        _ttl = setup.Field("lldp.time_to_live", "Seconds", FieldType.UInt16, "Time to live of the information, in seconds");
        _portDesc = setup.Field("lldp.port.desc", "Port Description", FieldType.String, "Port description");
        _systemName = setup.Field("lldp.tlv.system.name", "System Name", FieldType.String, "System name");
        _systemDesc = setup.Field("lldp.tlv.system.desc", "System Description", FieldType.String, "System description");
        _systemCap = setup.Field("lldp.tlv.system_cap", "Capabilities", FieldType.UInt16, "System capabilities (bit 2 bridge, bit 4 router…)", FieldBase.Hex);
        _enabledCap = setup.Field("lldp.tlv.enable_system_cap", "Enabled Capabilities", FieldType.UInt16, "Enabled system capabilities", FieldBase.Hex);
        _mgmtAddress = setup.Field("lldp.mgn.addr", "Management Address", FieldType.String, "Management address, as PacketDotNet decodes it (text)");
        _malformed = setup.Anomaly("lldp.malformed",
            "A TLV runs past the frame or is too short for its type, the mandatory Chassis ID, Port ID and TTL TLVs are missing or out of order, there is no End TLV, or PacketDotNet rejected a TLV");
        setup.AttachTo(TableNames.EtherType, EtherTypeLldp);
    }

    public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data)
    {
        byte[] bytes = data.ToArray(); // PacketDotNet works on arrays; LLDP frames are rare
        string? chassis = null, port = null, systemName = null;
        int ttl = -1;
        int index = 0;
        int offset = 0;
        bool end = false;
        bool reported = false;

        void Malformed(int at, string detail)
        {
            if (!reported)
                context.Report(_malformed, at, detail);
            reported = true;
        }

        while (!end)
        {
            if (offset + TlvHeaderLength > data.Length)
            {
                Malformed(offset, $"no End of LLDPDU TLV: {data.Length - offset} bytes left at offset {offset}");
                offset = data.Length;
                break;
            }

            int typeLength = BinaryPrimitives.ReadUInt16BigEndian(data[offset..]);
            int type = typeLength >> TypeShift;
            int length = typeLength & LengthMask;
            int value = offset + TlvHeaderLength;
            context.Add(_tlvType, offset, TlvHeaderLength, (ulong)type);
            if (length > data.Length - value)
            {
                Malformed(offset, $"TLV type {type} declares {length} bytes, {data.Length - value} remain");
                offset = data.Length;
                break;
            }

            int expected = index switch { 0 => TypeChassisId, 1 => TypePortId, 2 => TypeTtl, _ => -1 };
            if (expected >= 0 && type != expected)
                Malformed(offset, $"TLV {index} is of type {type}, 802.1AB requires type {expected} there");

            switch (type)
            {
                case TypeEnd:
                    end = true;
                    break;
                case TypeChassisId when length >= 2:
                    context.Add(_chassisSubtype, value, 1, data[value]);
                    chassis = Abbreviate(ChassisAbbreviations, data[value]) + "/" + DecodeChassis(bytes, offset, data[value], length, context, value);
                    break;
                case TypePortId when length >= 2:
                    context.Add(_portSubtype, value, 1, data[value]);
                    port = Abbreviate(PortAbbreviations, data[value]) + "/" + DecodePort(bytes, offset, data[value], length, context, value);
                    break;
                case TypeTtl when length >= TtlLength:
                    ttl = BinaryPrimitives.ReadUInt16BigEndian(data[value..]);
                    context.Add(_ttl, value, TtlLength, (ulong)ttl);
                    break;
                case TypePortDescription:
                    context.Add(_portDesc, value, length);
                    break;
                case TypeSystemName:
                    context.Add(_systemName, value, length);
                    systemName = System.Text.Encoding.UTF8.GetString(data.Slice(value, length));
                    break;
                case TypeSystemDescription:
                    context.Add(_systemDesc, value, length);
                    break;
                case TypeSystemCapabilities when length >= CapabilitiesLength:
                    context.Add(_systemCap, value, 2, BinaryPrimitives.ReadUInt16BigEndian(data[value..]));
                    context.Add(_enabledCap, value + 2, 2, BinaryPrimitives.ReadUInt16BigEndian(data[(value + 2)..]));
                    break;
                case TypeManagementAddress:
                    DecodeManagementAddress(bytes, offset, length, context, value);
                    break;
                case TypeChassisId or TypePortId or TypeTtl or TypeSystemCapabilities:
                    Malformed(offset, $"TLV type {type} of {length} bytes is too short for its fixed fields");
                    break;
            }

            offset = value + length;
            index++;
        }

        if (end && index < 4)
            Malformed(0, "the LLDPDU ends before the mandatory Chassis ID, Port ID and TTL TLVs");

        if (context.WantsDetail)
        {
            context.Info.Clear();
            if (chassis is not null)
                context.Info.Append(chassis).Append(' ');
            if (port is not null)
                context.Info.Append(port).Append(' ');
            if (ttl >= 0)
                context.Info.Append(ttl).Append(' ');
            if (systemName is not null)
                context.Info.Append("SysN=").Append(systemName).Append(' ');
        }

        return DissectResult.Done(offset);

        string DecodeChassis(byte[] b, int tlvOffset, byte subtype, int length, PacketContext c, int v)
        {
            if (subtype == ChassisSubtypeMac && length == 1 + MacLength)
            {
                c.Add(_chassisMac, v + 1, MacLength);
                return FallbackText.Mac(b.AsSpan(v + 1, MacLength));
            }

            try
            {
                string text = Text(new ChassisIdTlv(b, tlvOffset).SubTypeValue, subtype is ChassisSubtypeInterfaceAlias or ChassisSubtypeInterfaceName or ChassisSubtypeLocal);
                c.AddText(_chassisId, v + 1, length - 1, text);
                return text;
            }
            catch (Exception e)
            {
                Malformed(tlvOffset, $"PacketDotNet could not decode the Chassis ID of subtype {subtype}: {e.GetType().Name}");
                return "";
            }
        }

        string DecodePort(byte[] b, int tlvOffset, byte subtype, int length, PacketContext c, int v)
        {
            if (subtype == PortSubtypeMac && length == 1 + MacLength)
            {
                c.Add(_portMac, v + 1, MacLength);
                return FallbackText.Mac(b.AsSpan(v + 1, MacLength));
            }

            try
            {
                string text = Text(new PortIdTlv(b, tlvOffset).SubTypeValue, subtype is PortSubtypeInterfaceAlias or PortSubtypeInterfaceName or PortSubtypeAgentCircuitId or PortSubtypeLocal);
                c.AddText(_portId, v + 1, length - 1, text);
                return text;
            }
            catch (Exception e)
            {
                Malformed(tlvOffset, $"PacketDotNet could not decode the Port ID of subtype {subtype}: {e.GetType().Name}");
                return "";
            }
        }

        void DecodeManagementAddress(byte[] b, int tlvOffset, int length, PacketContext c, int v)
        {
            try
            {
                var tlv = new ManagementAddressTlv(b, tlvOffset);
                c.AddText(_mgmtAddress, v, length, FallbackText.Value(tlv.Address));
            }
            catch (Exception e)
            {
                Malformed(tlvOffset, $"PacketDotNet could not decode the Management Address TLV: {e.GetType().Name}");
            }
        }
    }

    private static string Text(object? value, bool isText) =>
        isText && value is byte[] bytes ? System.Text.Encoding.UTF8.GetString(bytes) : FallbackText.Value(value);

    private static string Abbreviate(string[] names, byte subtype) => subtype < names.Length && subtype > 0 ? names[subtype] : subtype.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
