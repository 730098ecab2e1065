using System.Buffers.Binary;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissectors.Link;

/// <summary>
/// Teredo (RFC 4380 section 5.1.1): IPv6 carried in UDP, optionally after an authentication indicator (type 0x0001)
/// and an origin indication (type 0x0000, with the client's obfuscated port and address). Attaches to <c>udp.port</c>
/// 3544; "not mine" unless what follows the indicators is an IPv6 header.
/// </summary>
[DissectorExport("teredo")]
public sealed class Teredo : IDissector
{
    private const int UdpPort = 3544;
    private const ushort AuthenticationType = 0x0001;
    private const ushort OriginType = 0x0000;
    private const int AuthFixedLength = 4 + 8 + 1; // type, id-len, au-len; nonce; confirmation
    private const int OriginLength = 8;
    private const int Ipv6HeaderLength = 40;

    private FieldHandle _authIdLen, _authAuLen, _origPort, _origAddr;
    private TableHandle _ethertype;

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("teredo", "Teredo IPv6 over UDP tunneling", "Teredo encapsulation (RFC 4380)");
        _authIdLen = setup.Field("teredo.auth.idlen", "Client identifier length", FieldType.UInt8, "Length of the authentication indicator's client id");
        _authAuLen = setup.Field("teredo.auth.aulen", "Authentication value length", FieldType.UInt8, "Length of the authentication value");
        _origPort = setup.Field("teredo.orig.port", "Origin UDP port", FieldType.UInt16, "The client's mapped UDP port (de-obfuscated)");
        _origAddr = setup.Field("teredo.orig.addr", "Origin IPv4 address", FieldType.UInt32, "The client's mapped IPv4 address (de-obfuscated), as a number", FieldBase.Hex);
        _ethertype = setup.TableRef(TableNames.EtherType);
        setup.AttachTo(TableNames.UdpPort, UdpPort);
    }

    public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data)
    {
        int offset = 0;
        if (data.Length >= 2 && BinaryPrimitives.ReadUInt16BigEndian(data) == AuthenticationType)
        {
            if (data.Length < 4)
                return DissectResult.NotMine;
            int idLength = data[2], auLength = data[3];
            int length = AuthFixedLength + idLength + auLength;
            if (data.Length < length)
                return DissectResult.NotMine;
            context.Add(_authIdLen, 2, 1, (ulong)idLength);
            context.Add(_authAuLen, 3, 1, (ulong)auLength);
            offset = length;
        }

        if (data.Length - offset >= OriginLength && BinaryPrimitives.ReadUInt16BigEndian(data[offset..]) == OriginType)
        {
            // RFC 4380 section 5.1.1: port and address are sent with every bit inverted.
            context.Add(_origPort, offset + 2, 2, (ushort)~BinaryPrimitives.ReadUInt16BigEndian(data[(offset + 2)..]));
            context.Add(_origAddr, offset + 4, 4, ~BinaryPrimitives.ReadUInt32BigEndian(data[(offset + 4)..]));
            offset += OriginLength;
        }

        // The payload must be an IPv6 header (version 6), or this is not Teredo.
        if (data.Length - offset < Ipv6HeaderLength || IpVersion.Of(data[offset]) != IpVersion.V6)
            return DissectResult.NotMine;
        return DissectResult.Next(offset, _ethertype, EtherTypes.IPv6);
    }
}
