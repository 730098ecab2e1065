namespace PcapForge.Capture;

/// <summary>
/// The input is not a capture this reader can open (not pcap or pcapng, empty, a header cut short, unreadable).
/// The one exception type for input a user must fix; its message names the file and what was found, and the CLI
/// prints it without a stack trace. Damage inside a capture is not an exception but an anomaly.
/// </summary>
public sealed class CaptureFormatException : IOException
{
    public CaptureFormatException(string path, string message, Exception? inner = null)
        : base($"{path}: {message}", inner)
    {
        Path = path;
    }

    /// <summary>The file that could not be read.</summary>
    public string Path { get; }
}
