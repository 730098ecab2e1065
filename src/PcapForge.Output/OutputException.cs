namespace PcapForge.Output;

/// <summary>
/// A problem with the output the user can fix: the output exists and <c>--force</c> was not given, its directory is
/// missing or not writable, <c>--partition-by</c> without a directory, a disk that filled up. The message names the
/// path; the command line prints it without a stack trace.
/// </summary>
public sealed class OutputException : Exception
{
    public OutputException(string message)
        : base(message)
    {
    }

    public OutputException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
