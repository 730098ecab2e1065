namespace PcapForge.Capture;

/// <summary>
/// Exact conversion of a pcapng timestamp (a count of units of 10^-e or 2^-e seconds, plus
/// <c>if_tsoffset</c> seconds) to integer nanoseconds. No floating point: a microsecond or nanosecond
/// timestamp converts without loss, a finer one is truncated toward zero.
/// </summary>
internal struct TimestampScale
{
    private const ulong NanosPerSecond = 1_000_000_000;

    private enum Kind : byte { Multiply, Divide, Binary }

    private Kind _kind;
    private ulong _factor;
    private int _shift;
    private long _offsetNs;

    /// <summary>Builds a scale, or returns false when the resolution cannot be represented (10^-e with e &gt; 28).</summary>
    public static bool TryCreate(TimestampResolution resolution, long offsetSeconds, out TimestampScale scale)
    {
        scale = default;
        if (offsetSeconds > long.MaxValue / (long)NanosPerSecond || offsetSeconds < long.MinValue / (long)NanosPerSecond)
            return false;
        scale._offsetNs = offsetSeconds * (long)NanosPerSecond;
        if (resolution.PowerOfTwo)
        {
            scale._kind = Kind.Binary;
            scale._shift = resolution.Exponent;
            return true;
        }

        int e = resolution.Exponent;
        if (e <= 9)
        {
            scale._kind = Kind.Multiply;
            scale._factor = Pow10(9 - e);
            return true;
        }

        if (e - 9 > 19)
            return false; // 10^20 does not fit in 64 bits; such a resolution is not used by any writer.
        scale._kind = Kind.Divide;
        scale._factor = Pow10(e - 9);
        return true;
    }

    public static TimestampScale Create(TimestampResolution resolution, long offsetSeconds = 0) =>
        TryCreate(resolution, offsetSeconds, out var s) ? s : throw new ArgumentOutOfRangeException(nameof(resolution));

    /// <summary>Converts raw units to nanoseconds since the epoch; false when the result does not fit in 64 bits.</summary>
    public readonly bool TryToNanoseconds(ulong raw, out long ns)
    {
        ulong value;
        switch (_kind)
        {
            case Kind.Multiply:
                ulong high = Math.BigMul(raw, _factor, out value);
                if (high != 0)
                {
                    ns = 0;
                    return false;
                }
                break;
            case Kind.Divide:
                value = raw / _factor;
                break;
            default:
                UInt128 product = (UInt128)raw * NanosPerSecond;
                UInt128 shifted = _shift >= 128 ? 0 : product >> _shift;
                if (shifted > ulong.MaxValue)
                {
                    ns = 0;
                    return false;
                }
                value = (ulong)shifted;
                break;
        }

        if (value > long.MaxValue)
        {
            ns = 0;
            return false;
        }

        long result = (long)value;
        if (_offsetNs > 0 ? result > long.MaxValue - _offsetNs : result < long.MinValue - _offsetNs)
        {
            ns = 0;
            return false;
        }
        ns = result + _offsetNs;
        return true;
    }

    /// <summary>The inverse, for writers: nanoseconds to raw units, exact when the resolution allows it.</summary>
    public readonly ulong FromNanoseconds(long ns)
    {
        long units = ns - _offsetNs;
        if (units < 0)
            throw new ArgumentOutOfRangeException(nameof(ns), $"timestamp {ns} ns is before the interface's offset");
        ulong u = (ulong)units;
        return _kind switch
        {
            Kind.Multiply => u / _factor,
            Kind.Divide => checked(u * _factor),
            _ => (ulong)(((UInt128)u << _shift) / NanosPerSecond),
        };
    }

    private static ulong Pow10(int n)
    {
        ulong r = 1;
        for (int i = 0; i < n; i++)
            r *= 10;
        return r;
    }
}
