namespace PcapForge.Live;

/// <summary>Why a live capture could not start or go on.</summary>
public enum LiveCaptureError
{
    /// <summary>Opening a packet socket needs root or CAP_NET_RAW.</summary>
    NoPrivilege,

    /// <summary>No interface has the name given.</summary>
    NoSuchInterface,

    /// <summary>The interface went away during the capture.</summary>
    InterfaceGone,

    /// <summary>Not Linux, not 64-bit, or a kernel without packet sockets.</summary>
    Unsupported,

    /// <summary>Anything else the kernel refused, with its words.</summary>
    Failed,
}

/// <summary>A live-capture problem the user can fix or must know of; its message is one line, printed without a stack trace.</summary>
public sealed class LiveCaptureException : Exception
{
    public LiveCaptureException(LiveCaptureError error, string message, Exception? inner = null)
        : base(message, inner) => Error = error;

    public LiveCaptureError Error { get; }
}
