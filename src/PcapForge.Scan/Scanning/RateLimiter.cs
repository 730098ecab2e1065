using System.Diagnostics;

namespace PcapForge.Scan.Scanning;

/// <summary>
/// Spaces events at least 1/rate apart: each caller is given the next free slot and waits for it, so a burst of callers
/// is spread evenly instead of all starting at once (the average and the peak rate are the same).
/// </summary>
internal sealed class RateLimiter
{
    private readonly long _interval;
    private readonly Lock _lock = new();
    private long _next;

    public RateLimiter(double perSecond)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perSecond);
        _interval = Math.Max(1, (long)(Stopwatch.Frequency / perSecond));
    }

    public Task WaitAsync(CancellationToken cancel)
    {
        long now = Stopwatch.GetTimestamp();
        long slot;
        lock (_lock)
        {
            slot = Math.Max(now, _next);
            _next = slot + _interval;
        }

        var delay = Stopwatch.GetElapsedTime(now, slot);
        return delay <= TimeSpan.FromMilliseconds(1) ? Task.CompletedTask : Task.Delay(delay, cancel);
    }
}
