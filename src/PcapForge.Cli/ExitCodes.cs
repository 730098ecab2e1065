namespace PcapForge.Cli;

/// <summary>Exit codes, the same in every verb.</summary>
public static class ExitCodes
{
    /// <summary>Done. Damage inside a capture is reported as anomalies and still exits 0 when the file could be read.</summary>
    public const int Ok = 0;

    /// <summary>The command line is wrong (unknown option, missing argument).</summary>
    public const int Usage = 1;

    /// <summary>An input could not be read: missing, unreadable, or not a capture.</summary>
    public const int InputError = 2;

    /// <summary>A bug: an unexpected error inside PcapForge.</summary>
    public const int InternalError = 3;

    /// <summary>Stopped by Ctrl-C or SIGTERM (128 + SIGINT, as shells report it); nothing was written.</summary>
    public const int Interrupted = 130;
}
