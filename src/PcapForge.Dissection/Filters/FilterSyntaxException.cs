namespace PcapForge.Dissection.Filters;

/// <summary>A display filter that cannot be compiled: the message says why, <see cref="Column"/> where (1-based).</summary>
public sealed class FilterSyntaxException : Exception
{
    public FilterSyntaxException(string filter, int column, string message)
        : base(message)
    {
        Filter = filter;
        Column = column;
    }

    public string Filter { get; }

    /// <summary>1-based column of the offending token.</summary>
    public int Column { get; }

    /// <summary>The filter, a caret under the column, and the message: what a user needs to fix it.</summary>
    public string Render() => $"{Filter}\n{new string(' ', Math.Max(0, Column - 1))}^\n{Message}";
}
