using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace PcapForge.Dissectors.Dns;

/// <summary>EDNS(0) parameters carried by an OPT pseudo-record in the additional section (RFC 6891 §6.1.3).</summary>
public readonly record struct DnsEdns(ushort UdpPayloadSize, byte ExtendedRcode, byte Version, bool DnssecOk)
{
    private const int ExtendedRcodeShift = 24;
    private const int VersionShift = 16;
    private const uint DnssecOkBit = 0x8000;

    /// <summary>Reads the EDNS fields of an OPT record (its CLASS is the UDP payload size, its TTL the flags); false for another type.</summary>
    public static bool TryRead(in DnsRecord record, out DnsEdns edns)
    {
        if (record.Type != DnsTypes.Opt)
        {
            edns = default;
            return false;
        }

        edns = new DnsEdns(record.Class, (byte)(record.Ttl >> ExtendedRcodeShift), (byte)(record.Ttl >> VersionShift), (record.Ttl & DnssecOkBit) != 0);
        return true;
    }
}

/// <summary>
/// RDATA as text. Addresses are canonical (dotted IPv4, RFC 5952 IPv6); names in presentation form
/// (<see cref="DnsName.TryRead(ReadOnlySpan{byte}, int, Span{byte}, out int, out int)"/>); MX, SOA, SRV and CAA as their zone-file lines show them (RFC 1035 §5, RFC 2782,
/// RFC 8659); TXT as Zeek logs it, <c>TXT n text</c> per character-string joined by spaces; any other type in the
/// generic form of RFC 3597 §5, <c>\# length hex</c>, with at most <see cref="MaxGenericBytes"/> bytes shown.
/// </summary>
public static class DnsRecordData
{
    /// <summary>Bytes of an unknown type's RDATA shown in hex; longer RDATA ends with "...".</summary>
    public const int MaxGenericBytes = 256;

    private const int Ipv4Length = 4;
    private const int Ipv6Length = 16;
    private const int MxPreferenceLength = 2;
    private const int SoaNumbersLength = 20; // SERIAL REFRESH RETRY EXPIRE MINIMUM, 32 bits each (RFC 1035 §3.3.13)
    private const int SrvFixedLength = 6; // PRIORITY WEIGHT PORT (RFC 2782)
    private const int CaaFixedLength = 2; // FLAGS, TAG LENGTH (RFC 8659 §4.1)

    /// <summary>
    /// Formats the RDATA of <paramref name="record"/>. RDATA that does not fit its type (<see cref="DnsError.RdataMalformed"/>,
    /// or a name error inside it) is given in the generic form, with the error.
    /// </summary>
    public static DnsError TryFormat(ReadOnlySpan<byte> message, in DnsRecord record, out string text)
    {
        var data = message.Slice(record.DataOffset, record.DataLength);
        int start = record.DataOffset;
        int end = start + record.DataLength;
        string? formatted = null;
        var error = DnsError.RdataMalformed;
        switch (record.Type)
        {
            case DnsTypes.A when data.Length == Ipv4Length:
                formatted = $"{data[0]}.{data[1]}.{data[2]}.{data[3]}";
                error = DnsError.None;
                break;
            case DnsTypes.Aaaa when data.Length == Ipv6Length:
                formatted = new System.Net.IPAddress(data).ToString();
                error = DnsError.None;
                break;
            case DnsTypes.Ns or DnsTypes.Md or DnsTypes.Mf or DnsTypes.Cname or DnsTypes.Mb or DnsTypes.Mg or DnsTypes.Mr or DnsTypes.Ptr or DnsTypes.Dname:
                error = Ended(Name(message, start, end, out formatted, out int afterName), afterName, end);
                break;
            case DnsTypes.Mx when data.Length > MxPreferenceLength:
            {
                error = Ended(Name(message, start + MxPreferenceLength, end, out string exchange, out int afterExchange), afterExchange, end);
                formatted = $"{BinaryPrimitives.ReadUInt16BigEndian(data)} {exchange}";
                break;
            }

            case DnsTypes.Soa:
            {
                error = Name(message, start, end, out string mname, out int next);
                string rname = "";
                if (error == DnsError.None)
                    error = Name(message, next, end, out rname, out next);
                error = Ended(error, next + SoaNumbersLength, end);
                if (error == DnsError.None)
                {
                    var n = message.Slice(next, SoaNumbersLength);
                    formatted = string.Create(CultureInfo.InvariantCulture,
                        $"{mname} {rname} {BinaryPrimitives.ReadUInt32BigEndian(n)} {BinaryPrimitives.ReadUInt32BigEndian(n[4..])} {BinaryPrimitives.ReadUInt32BigEndian(n[8..])} {BinaryPrimitives.ReadUInt32BigEndian(n[12..])} {BinaryPrimitives.ReadUInt32BigEndian(n[16..])}");
                }

                break;
            }

            case DnsTypes.Txt or DnsTypes.Spf:
                error = Txt(data, out formatted);
                break;
            case DnsTypes.Srv when data.Length > SrvFixedLength:
            {
                error = Ended(Name(message, start + SrvFixedLength, end, out string target, out int afterTarget), afterTarget, end);
                formatted = $"{BinaryPrimitives.ReadUInt16BigEndian(data)} {BinaryPrimitives.ReadUInt16BigEndian(data[2..])} {BinaryPrimitives.ReadUInt16BigEndian(data[4..])} {target}";
                break;
            }

            case DnsTypes.Caa when data.Length >= CaaFixedLength && CaaFixedLength + data[1] <= data.Length:
                formatted = $"{data[0]} {Printable(data.Slice(CaaFixedLength, data[1]))} \"{Printable(data[(CaaFixedLength + data[1])..])}\"";
                error = DnsError.None;
                break;
            case DnsTypes.A or DnsTypes.Aaaa or DnsTypes.Mx or DnsTypes.Srv or DnsTypes.Caa:
                break;
            default:
                error = DnsError.None;
                break;
        }

        text = error == DnsError.None && formatted is not null ? formatted : Generic(data);
        return error;
    }

    /// <summary>RFC 3597 §5 generic RDATA: <c>\# length hex</c>, the hex cut after <see cref="MaxGenericBytes"/> bytes.</summary>
    public static string Generic(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
            return "\\# 0";
        string hex = Convert.ToHexStringLower(data[..Math.Min(data.Length, MaxGenericBytes)]);
        return data.Length > MaxGenericBytes ? $"\\# {data.Length} {hex}..." : $"\\# {data.Length} {hex}";
    }

    /// <summary>Character-strings (RFC 1035 §3.3.14) as Zeek's dns.log shows them: <c>TXT n text</c> each, joined by spaces.</summary>
    private static DnsError Txt(ReadOnlySpan<byte> data, out string? text)
    {
        var sb = new StringBuilder();
        int i = 0;
        while (i < data.Length)
        {
            int length = data[i];
            if (i + 1 + length > data.Length)
            {
                text = null;
                return DnsError.RdataMalformed;
            }

            if (sb.Length > 0)
                sb.Append(' ');
            sb.Append("TXT ").Append(length).Append(' ');
            AppendPrintable(sb, data.Slice(i + 1, length));
            i += 1 + length;
        }

        text = sb.ToString();
        return DnsError.None;
    }

    /// <summary>A name inside RDATA: its labels must lie within the RDATA, a pointer may lead before it. A cut name is malformed RDATA.</summary>
    private static DnsError Name(ReadOnlySpan<byte> message, int offset, int end, out string text, out int next)
    {
        var error = DnsName.TryReadString(message, offset, end, out text, out next);
        return error == DnsError.Truncated ? DnsError.RdataMalformed : error;
    }

    /// <summary>The RDATA must end exactly where its last field ends.</summary>
    private static DnsError Ended(DnsError error, int next, int end) => error == DnsError.None && next != end ? DnsError.RdataMalformed : error;

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder(bytes.Length);
        AppendPrintable(sb, bytes);
        return sb.ToString();
    }

    /// <summary>Printable ASCII kept, a backslash doubled, any other byte as <c>\xNN</c> (Zeek's log escaping).</summary>
    private static void AppendPrintable(StringBuilder sb, ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
        {
            if (b == (byte)'\\')
                sb.Append("\\\\");
            else if (b is >= 0x20 and < 0x7F)
                sb.Append((char)b);
            else
                sb.Append("\\x").Append(b.ToString("x2", CultureInfo.InvariantCulture));
        }
    }
}
