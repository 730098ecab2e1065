using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using PcapForge.Cli.Commands;

namespace PcapForge.Cli;

public static class Program
{
    public static int Main(string[] args) => Run(args, Console.Standard());

    /// <summary>Parses tshark's <c>-o name:value</c> for a boolean preference.</summary>
    internal static bool TryParsePreference(string text, out string name, out bool value)
    {
        int colon = text.LastIndexOf(':');
        name = colon > 0 ? text[..colon] : "";
        string v = colon > 0 ? text[(colon + 1)..] : "";
        value = v.Equals("TRUE", StringComparison.OrdinalIgnoreCase) || v == "1";
        return name.Length > 0 && (value || v.Equals("FALSE", StringComparison.OrdinalIgnoreCase) || v == "0");
    }

    /// <summary>Runs the command line with the given console; the tests call this in-process.</summary>
    public static int Run(string[] args, Console console)
    {
        using var services = new ServiceCollection()
            .AddSingleton(console)
            .AddSingleton<PluginHost>()
            .AddSingleton<DissectorsCommand>()
            .AddSingleton<ICliCommand, InfoCommand>()
            .AddSingleton<ICliCommand, PacketsCommand>()
            .AddSingleton<ICliCommand, AnalyzeCommand>()
            .AddSingleton<ICliCommand, QueryCommand>()
            .AddSingleton<ICliCommand, SchemaCommand>()
            .AddSingleton<ICliCommand, ScanCommand>()
            .AddSingleton<ICliCommand, SocketsCommand>()
            .AddSingleton<ICliCommand, CaptureCommand>()
            .AddSingleton<ICliCommand>(s => s.GetRequiredService<DissectorsCommand>())
            .BuildServiceProvider();

        var root = new RootCommand("PcapForge: offline packet-capture forensics. Reads pcap and pcapng, writes Parquet, queries with SQL.");
        var plugins = new Option<string[]>("--plugins")
        {
            Description = "Also load dissector plugins from this folder (besides plugins/ next to the executable)",
            Recursive = true,
            AllowMultipleArgumentsPerToken = false,
        };
        root.Add(plugins);
        var preferences = new Option<string[]>("--option", "-o")
        {
            Description = "Set a dissector preference, as tshark's -o: name:TRUE or name:FALSE (e.g. tcp.check_checksum:TRUE)",
            Recursive = true,
            AllowMultipleArgumentsPerToken = false,
        };
        preferences.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
            {
                if (!TryParsePreference(token.Value, out _, out _))
                    result.AddError($"'-o {token.Value}': expected name:TRUE or name:FALSE (see 'pcapforge dissectors preferences')");
            }
        });
        root.Add(preferences);
        var ownSignals = new HashSet<Command>();
        foreach (var command in services.GetServices<ICliCommand>())
        {
            var built = command.Build();
            root.Add(built);
            if (command is IEndsOnSignal)
                ownSignals.Add(built);
        }

        root.Add(services.GetRequiredService<DissectorsCommand>().BuildFields());

        var parse = root.Parse(args);
        var host = services.GetRequiredService<PluginHost>();
        host.ExtraFolders.AddRange(parse.GetValue(plugins) ?? []);
        foreach (var text in parse.GetValue(preferences) ?? [])
        {
            if (TryParsePreference(text, out string name, out bool value))
                host.Preferences[name] = value;
        }
        var config = new InvocationConfiguration
        {
            Output = console.Out,
            Error = console.Error,
            EnableDefaultExceptionHandler = false,
        };
        if (ownSignals.Contains(parse.CommandResult.Command))
            config.ProcessTerminationTimeout = null;
        try
        {
            int code = parse.Invoke(config);
            return parse.Errors.Count > 0 ? ExitCodes.Usage : code;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A bug, not bad input (bad input becomes a CaptureFormatException or an anomaly inside the verbs).
            console.Error.WriteLine($"pcapforge: internal error: {e.GetType().Name}: {e.Message}");
            if (Environment.GetEnvironmentVariable("PCAPFORGE_DEBUG") == "1")
                console.Error.WriteLine(e.ToString());
            else
                console.Error.WriteLine("pcapforge: set PCAPFORGE_DEBUG=1 for the stack trace, and please report it.");
            return ExitCodes.InternalError;
        }
    }
}
