namespace PcapForge.Cli.Commands;

/// <summary>Expands the file and directory arguments of a verb into the capture files to read.</summary>
internal static class InputFiles
{
    /// <summary>
    /// A file argument is taken as it is (and must be a capture); a directory stands for the files directly in it,
    /// in name order, and those that are not captures are skipped by the caller.
    /// </summary>
    public static IEnumerable<(string Path, bool FromDirectory)> Expand(IEnumerable<string> arguments)
    {
        foreach (string argument in arguments)
        {
            if (Directory.Exists(argument))
            {
                var files = Directory.GetFiles(argument);
                Array.Sort(files, StringComparer.Ordinal);
                foreach (string file in files)
                    yield return (file, true);
            }
            else
            {
                yield return (argument, false);
            }
        }
    }
}
