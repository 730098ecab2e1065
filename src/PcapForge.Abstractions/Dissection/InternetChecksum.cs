using System.Buffers.Binary;

namespace PcapForge.Abstractions.Dissection;

/// <summary>The Internet checksum (RFC 1071): one's-complement sum of 16-bit words, used by IPv4, ICMP, GRE, TCP, UDP.</summary>
public static class InternetChecksum
{
    /// <summary>Wireshark's <c>*.checksum.status</c> values.</summary>
    public const ulong StatusBad = 0, StatusGood = 1, StatusUnverified = 2;

    /// <summary>
    /// Adds the 16-bit big-endian words of <paramref name="data"/> to a running one's-complement sum (the result is
    /// partly folded, not inverted). Checksum verification touches every payload byte, so this is on the hot path:
    /// it adds 64-bit words in the machine's byte order with end-around carry and swaps once at the end, which
    /// RFC 1071 section 2 (A, B: deferred carries, byte-order independence) shows gives the same sum.
    /// </summary>
    public static uint Sum(ReadOnlySpan<byte> data, uint sum = 0)
    {
        ulong acc = 0;
        ReadOnlySpan<ulong> words = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(data);
        foreach (ulong w in words)
        {
            acc += w;
            if (acc < w)
                acc++; // end-around carry
        }

        // Fold to 16 bits in the machine's order, then into big-endian order.
        acc = (acc & 0xFFFFFFFF) + (acc >> 32);
        acc = (acc & 0xFFFFFFFF) + (acc >> 32);
        acc = (acc & 0xFFFF) + (acc >> 16);
        acc = (acc & 0xFFFF) + (acc >> 16);
        uint folded = (uint)acc;
        if (BitConverter.IsLittleEndian)
            folded = (uint)BinaryPrimitives.ReverseEndianness((ushort)folded);

        // The tail (fewer than 8 bytes, starting at an even offset) in big-endian 16-bit words.
        int i = words.Length * sizeof(ulong);
        for (; i + 1 < data.Length; i += 2)
            folded += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if (i < data.Length)
            folded += (uint)data[i] << 8;
        return sum + folded;
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
