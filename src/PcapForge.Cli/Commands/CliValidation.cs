using System.CommandLine.Parsing;

namespace PcapForge.Cli.Commands;

internal static class CliValidation
{
    /// <summary>
    /// System.CommandLine hands a token like <c>--no-such-option</c> to a file argument that takes many values;
    /// a path starting with a dash is far more likely a mistyped option, so it is a usage error (use <c>./-file</c>
    /// for a file whose name starts with a dash).
    /// </summary>
    public static void RejectUnknownOptions(ArgumentResult result)
    {
        foreach (var token in result.Tokens)
        {
            if (token.Value.Length > 1 && token.Value[0] == '-')
                result.AddError($"Unrecognized command or argument '{token.Value}' (for a file whose name starts with '-', write ./{token.Value}).");
        }
    }
}
