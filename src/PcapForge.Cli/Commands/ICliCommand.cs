using System.CommandLine;

namespace PcapForge.Cli.Commands;

/// <summary>A verb of the <c>pcapforge</c> command, registered in the service container.</summary>
public interface ICliCommand
{
    Command Build();
}
