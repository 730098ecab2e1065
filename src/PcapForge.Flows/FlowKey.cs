namespace PcapForge.Flows;

/// <summary>
/// What identifies a flow, the same in both directions: VLAN tags, IP protocol and the two endpoints, side A being the
/// lower (address, port). ICMP flows use the message type and its counterpart as "ports" and the echo identifier as
/// <see cref="Extra"/>, so that a request and its reply meet in one flow, as Zeek does.
/// </summary>
public readonly struct FlowKey : IEquatable<FlowKey>
{
    public readonly IpAddress128 A, B;
    public readonly int PortA, PortB;
    public readonly int Protocol;
    public readonly int Vlan, InnerVlan;
    public readonly int Extra;

    private FlowKey(IpAddress128 a, int portA, IpAddress128 b, int portB, int protocol, int vlan, int innerVlan, int extra)
    {
        A = a;
        B = b;
        PortA = portA;
        PortB = portB;
        Protocol = protocol;
        Vlan = vlan;
        InnerVlan = innerVlan;
        Extra = extra;
    }

    /// <summary>The key of a packet from <paramref name="src"/> to <paramref name="dst"/>; <paramref name="sourceIsA"/> says which side it came from.</summary>
    public static FlowKey Of(IpAddress128 src, int srcPort, IpAddress128 dst, int dstPort, int protocol, int vlan, int innerVlan, int extra, out bool sourceIsA)
    {
        int c = src.CompareTo(dst);
        sourceIsA = c < 0 || (c == 0 && srcPort <= dstPort);
        return sourceIsA
            ? new FlowKey(src, srcPort, dst, dstPort, protocol, vlan, innerVlan, extra)
            : new FlowKey(dst, dstPort, src, srcPort, protocol, vlan, innerVlan, extra);
    }

    public bool Equals(FlowKey o) =>
        A == o.A && B == o.B && PortA == o.PortA && PortB == o.PortB && Protocol == o.Protocol && Vlan == o.Vlan && InnerVlan == o.InnerVlan && Extra == o.Extra;

    public override bool Equals(object? obj) => obj is FlowKey k && Equals(k);

    public override int GetHashCode()
    {
        // A cheap mix: the dictionary needs spread, not cryptographic strength (inputs come from the capture, so a
        // per-process seed keeps crafted collisions from degrading the table).
        ulong h = Seed;
        h = (h ^ A.High) * 0x9E3779B97F4A7C15UL;
        h = (h ^ A.Low) * 0x9E3779B97F4A7C15UL;
        h = (h ^ B.High) * 0x9E3779B97F4A7C15UL;
        h = (h ^ B.Low) * 0x9E3779B97F4A7C15UL;
        h = (h ^ (uint)(PortA << 16 | PortB)) * 0x9E3779B97F4A7C15UL;
        h = (h ^ ((ulong)(uint)Protocol << 32 | (uint)Extra)) * 0x9E3779B97F4A7C15UL;
        h = (h ^ ((ulong)(uint)Vlan << 32 | (uint)InnerVlan)) * 0x9E3779B97F4A7C15UL;
        return (int)(h ^ (h >> 32));
    }

    private static readonly ulong Seed = (ulong)Random.Shared.NextInt64();
}
