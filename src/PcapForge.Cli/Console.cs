namespace PcapForge.Cli;

/// <summary>Where a command writes: the process's standard streams, or buffers in tests.</summary>
public sealed class Console
{
    public Console(TextWriter output, TextWriter error)
    {
        Out = output;
        Error = error;
    }

    public TextWriter Out { get; }
    public TextWriter Error { get; }

    public static Console Standard() => new(System.Console.Out, System.Console.Error);
}
