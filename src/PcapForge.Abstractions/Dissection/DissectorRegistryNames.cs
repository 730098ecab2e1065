namespace PcapForge.Abstractions.Dissection;

/// <summary>Names of the tables every dissector may attach to.</summary>
public static class DissectorRegistryNames
{
    /// <summary>The root table, keyed by the interface's LINKTYPE_* value; declared by the host.</summary>
    public const string LinkType = "linktype";
}
