using System.Globalization;

namespace PcapForge.Abstractions;

/// <summary>Formatting of integer-nanosecond timestamps, exactly and without floating point.</summary>
public static class Timestamps
{
    private const long NanosPerSecond = 1_000_000_000;

    /// <summary>ISO 8601 in UTC with nine fractional digits, such as <c>2020-12-08T19:10:03.986596000Z</c>.</summary>
    public static string ToIso8601(long nanoseconds)
    {
        long seconds = Math.DivRem(nanoseconds, NanosPerSecond, out long fraction);
        if (fraction < 0)
        {
            seconds--;
            fraction += NanosPerSecond;
        }

        var time = DateTime.UnixEpoch.AddSeconds(seconds);
        return time.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + "." +
               fraction.ToString("D9", CultureInfo.InvariantCulture) + "Z";
    }

    /// <summary>A duration in seconds with nine fractional digits, such as <c>4.032397000</c>.</summary>
    public static string FormatSeconds(long nanoseconds)
    {
        string sign = nanoseconds < 0 ? "-" : "";
        ulong abs = nanoseconds < 0 ? (ulong)(-(nanoseconds + 1)) + 1 : (ulong)nanoseconds;
        return string.Create(CultureInfo.InvariantCulture, $"{sign}{abs / NanosPerSecond}.{abs % NanosPerSecond:D9}");
    }
}
