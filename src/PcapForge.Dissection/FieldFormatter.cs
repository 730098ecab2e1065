using System.Globalization;
using System.Net;
using System.Text;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissection;

/// <summary>Formats field values as tshark's <c>-T fields</c> does: MACs with colons, addresses canonical, integers in decimal.</summary>
public static class FieldFormatter
{
    public static string Format(FieldDescriptor field, in FieldValue value, PacketContext context, ReadOnlySpan<byte> frame)
    {
        if (value.Source == FieldSource.Text)
            return context.Text(value);
        ReadOnlySpan<byte> bytes = context.Bytes(value, frame);
        switch (field.Type)
        {
            case FieldType.None:
                return "";
            case FieldType.Boolean:
                return value.Value != 0 ? "1" : "0"; // as tshark -T fields prints booleans
            case FieldType.Ether when bytes.Length == 6:
                return $"{bytes[0]:x2}:{bytes[1]:x2}:{bytes[2]:x2}:{bytes[3]:x2}:{bytes[4]:x2}:{bytes[5]:x2}";
            case FieldType.IPv4 when bytes.Length == 4:
            case FieldType.IPv6 when bytes.Length == 16:
                return new IPAddress(bytes).ToString();
            case FieldType.Bytes:
                return Convert.ToHexString(bytes).ToLowerInvariant();
            case FieldType.String:
                return Encoding.UTF8.GetString(bytes);
            case FieldType.Int32 or FieldType.Int64:
                return ((long)value.Value).ToString(CultureInfo.InvariantCulture);
            default:
                return field.Base == FieldBase.Hex
                    ? "0x" + value.Value.ToString(field.Type switch { FieldType.UInt8 => "x2", FieldType.UInt16 => "x4", FieldType.UInt24 => "x6", FieldType.UInt32 => "x8", _ => "x16" }, CultureInfo.InvariantCulture)
                    : value.Value.ToString(CultureInfo.InvariantCulture);
        }
    }
}
