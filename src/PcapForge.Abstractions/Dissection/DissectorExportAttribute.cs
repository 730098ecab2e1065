using System.Composition;

namespace PcapForge.Abstractions.Dissection;

/// <summary>
/// Exports a dissector to the host (System.Composition). The host reads <see cref="Id"/>, <see cref="ContractVersion"/>
/// and <see cref="Priority"/> as export metadata before creating the dissector, so a plugin built against another
/// contract version is skipped without running any of its code.
/// </summary>
[MetadataAttribute]
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class DissectorExportAttribute : ExportAttribute
{
    public DissectorExportAttribute(string id)
        : base(typeof(IDissector))
    {
        Id = id;
    }

    /// <summary>The protocol id the dissector declares.</summary>
    public string Id { get; }

    /// <summary>The contract version the plugin was built against; leave it at its default.</summary>
    public int ContractVersion { get; set; } = DissectorContract.Version;

    /// <summary>Among dissectors attached to the same table key, higher priority is tried first.</summary>
    public int Priority { get; set; }
}

/// <summary>
/// Marks a stream dissector (<see cref="IStreamDissector"/>) for discovery in the plugins folder, with the same
/// metadata as <see cref="DissectorExportAttribute"/>.
/// </summary>
[MetadataAttribute]
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class StreamDissectorExportAttribute : ExportAttribute
{
    public StreamDissectorExportAttribute(string id)
        : base(typeof(IStreamDissector))
    {
        Id = id;
    }

    /// <summary>The protocol id the dissector declares.</summary>
    public string Id { get; }

    /// <summary>Version of the contract the plugin was built against.</summary>
    public int ContractVersion { get; set; } = DissectorContract.Version;

    /// <summary>Higher is offered the stream first.</summary>
    public int Priority { get; set; }
}
