namespace PcapForge.Scan;

/// <summary>The pcapforge version, as analyze writes it to captures.tool_version.</summary>
public static class ToolInfo
{
    public static string Version { get; } = typeof(ToolInfo).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
