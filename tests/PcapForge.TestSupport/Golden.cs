using System.Runtime.CompilerServices;
using System.Text;
using Xunit;

namespace PcapForge.TestSupport;

/// <summary>
/// Golden-file assertions with Verify's conventions, so that moving to Verify.Xunit is a drop-in: the expected
/// text lives next to the test source as <c>{Class}.{Method}_{parameters}.verified.txt</c>; on a mismatch the actual
/// text is written beside it as <c>.received.txt</c> and the test fails with a diff. Setting
/// <c>VERIFY_AUTOVERIFY=1</c> (the same switch name as Verify's environment variable) accepts the received text as
/// the new verified file; review the diff before committing.
/// </summary>
public static class Golden
{
    public static void Verify(string actual, string? parameters = null,
        [CallerFilePath] string sourceFile = "", [CallerMemberName] string method = "")
    {
        sourceFile = TestData.SourcePath(sourceFile);
        string directory = Path.GetDirectoryName(sourceFile)!;
        string className = Path.GetFileNameWithoutExtension(sourceFile);
        string name = parameters is null ? $"{className}.{method}" : $"{className}.{method}_{Sanitize(parameters)}";
        string verifiedPath = Path.Combine(directory, name + ".verified.txt");
        string receivedPath = Path.Combine(directory, name + ".received.txt");
        string normalized = Normalize(actual);

        string? expected = File.Exists(verifiedPath) ? Normalize(File.ReadAllText(verifiedPath)) : null;
        if (expected == normalized)
        {
            if (File.Exists(receivedPath))
                File.Delete(receivedPath);
            return;
        }

        if (Environment.GetEnvironmentVariable("VERIFY_AUTOVERIFY") is "1" or "true")
        {
            File.WriteAllText(verifiedPath, normalized, new UTF8Encoding(false));
            return;
        }

        File.WriteAllText(receivedPath, normalized, new UTF8Encoding(false));
        Assert.Fail(expected is null
            ? $"No verified file yet: {verifiedPath}\nReceived written to {receivedPath}; review it and rename it to .verified.txt (or run with VERIFY_AUTOVERIFY=1).\n{normalized}"
            : $"Golden mismatch for {verifiedPath}\nReceived written to {receivedPath}.\n{Diff(expected, normalized)}");
    }

    /// <summary>Line endings to \n, and exactly one final newline.</summary>
    public static string Normalize(string text) => text.Replace("\r\n", "\n").TrimEnd('\n') + "\n";

    private static string Sanitize(string parameters)
    {
        var b = new StringBuilder(parameters.Length);
        foreach (char c in parameters)
            b.Append(char.IsLetterOrDigit(c) || c is '-' or '.' or '_' ? c : '_');
        return b.ToString();
    }

    /// <summary>A line diff (longest common subsequence), enough to read what changed.</summary>
    public static string Diff(string expected, string actual)
    {
        string[] a = expected.Split('\n');
        string[] b = actual.Split('\n');
        int[,] lcs = new int[a.Length + 1, b.Length + 1];
        for (int i = a.Length - 1; i >= 0; i--)
            for (int j = b.Length - 1; j >= 0; j--)
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
        var o = new StringBuilder();
        int x = 0, y = 0, shown = 0;
        while ((x < a.Length || y < b.Length) && shown < 200)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y])
            {
                x++;
                y++;
            }
            else if (y < b.Length && (x == a.Length || lcs[x, y + 1] >= lcs[x + 1, y]))
            {
                o.Append("+ ").Append(b[y++]).Append('\n');
                shown++;
            }
            else
            {
                o.Append("- ").Append(a[x++]).Append('\n');
                shown++;
            }
        }

        return o.ToString();
    }
}
