namespace PcapForge.Query;

/// <summary>
/// A problem the user can fix, printed without a stack trace: SQL that DuckDB rejects (its message as it is), or,
/// with <see cref="IsInputError"/>, a dataset path that is missing or a file DuckDB cannot read.
/// </summary>
public sealed class QueryException : Exception
{
    public QueryException(string message, bool isInputError = false, Exception? inner = null)
        : base(message, inner)
    {
        IsInputError = isInputError;
    }

    /// <summary>True when an input (a dataset path or file) is at fault rather than the SQL.</summary>
    public bool IsInputError { get; }
}
