using System.Buffers.Binary;

namespace PcapForge.Abstractions.Dissection;

/// <summary>The Internet checksum (RFC 1071): one's-complement sum of 16-bit words, used by IPv4, ICMP, GRE, TCP, UDP.</summary>
public static class InternetChecksum
{
    /// <summary>Wireshark's <c>*.checksum.status</c> values.</summary>
    public const ulong StatusBad = 0, StatusGood = 1, StatusUnverified = 2;

    /// <summary>Adds 16-bit words of <paramref name="data"/> to a running one's-complement sum (no folding, no inversion).</summary>
    public static uint Sum(ReadOnlySpan<byte> data, uint sum = 0)
    {
        int i = 0;
        for (; i + 1 < data.Length; i += 2)
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if (i < data.Length)
            sum += (uint)data[i] << 8;
        return sum;
    }

    /// <summary>
    /// Folds the one's-complement sum of <paramref name="data"/> (plus <paramref name="initial"/>, e.g. a
    /// pseudo-header's sum); over a message that includes its checksum, a correct one gives 0.
    /// </summary>
    public static ushort Compute(ReadOnlySpan<byte> data, uint initial = 0)
    {
        ulong sum = (ulong)initial + Sum(data);
        while ((sum >> 16) != 0)
            sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }
}
