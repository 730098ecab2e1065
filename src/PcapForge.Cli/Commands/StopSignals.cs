using System.Runtime.InteropServices;

namespace PcapForge.Cli.Commands;

/// <summary>
/// A verb whose normal end is a signal — a live capture, a listing repeated until stopped — and that handles SIGINT
/// and SIGTERM itself through <see cref="StopSignals"/>: <see cref="Program"/> then leaves System.CommandLine's own
/// handler off, which would end the process 2 seconds after the signal whether the verb had closed its files or not.
/// </summary>
public interface IEndsOnSignal
{
}

/// <summary>
/// Turns SIGINT (Ctrl-C), SIGTERM and SIGHUP into a cancellation the verb polls, so that it stops reading, closes
/// its files and prints its summary. A second signal while it does is not held back: the process ends at once, as
/// a user pressing Ctrl-C again expects.
/// </summary>
public sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly PosixSignalRegistration[] _registrations;
    private int _received;

    public StopSignals()
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal),
        ];
    }

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => _stop.Token;

    /// <summary>The first signal received, or null.</summary>
    public PosixSignal? Signal { get; private set; }

    private void OnSignal(PosixSignalContext context)
    {
        if (Interlocked.Increment(ref _received) > 1)
            return; // not cancelled: the runtime's default action ends the process
        context.Cancel = true;
        Signal = context.Signal;
        _stop.Cancel();
    }

    public void Dispose()
    {
        foreach (var r in _registrations)
            r.Dispose();
        _stop.Dispose();
    }
}
