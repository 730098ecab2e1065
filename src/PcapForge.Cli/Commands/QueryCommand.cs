using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text;
using PcapForge.Output;
using PcapForge.Query;

namespace PcapForge.Cli.Commands;

/// <summary>
/// <c>pcapforge query DATASET... [SQL] [--file query.sql] [--format table|csv|tsv|json|parquet] [-o FILE]</c>: SQL
/// (DuckDB's dialect) over the tables of Parquet datasets, one view per table; without SQL, the tables found with
/// their row counts and columns.
/// </summary>
public sealed class QueryCommand : ICliCommand
{
    private const string Prefix = "pcapforge: query: ";

    private static readonly string[] Formats = ["table", "csv", "tsv", "json", "parquet"];

    private readonly Console _console;

    public QueryCommand(Console console) => _console = console;

    public Command Build()
    {
        var arguments = new Argument<string[]>("dataset")
        {
            Description = "Datasets (an analyze output file, a directory, or a glob such as 'runs/*.parquet'), then the SQL. " +
                          "The last argument is the SQL when it is not an existing file or directory and contains a space",
            Arity = ArgumentArity.OneOrMore,
        };
        arguments.Validators.Add(RejectUnknownOptions);
        var file = new Option<string?>("--file", "-f") { Description = "Read the SQL from this file (every argument is then a dataset)" };
        var format = new Option<string>("--format")
        {
            Description = "Output format: an aligned table, CSV, TSV, JSON Lines (one object per row), or Parquet (needs -o)",
            DefaultValueFactory = _ => "table",
        };
        format.AcceptOnlyFromAmong(Formats);
        var output = new Option<string?>("--output", "-o") { Description = "Write to this file (under a temporary name, renamed when complete) instead of standard output" };
        var command = new Command("query", "Run SQL over the tables of Parquet datasets; without SQL, list the tables, their row counts and columns")
        {
            arguments, file, format, output,
        };
        command.SetAction(r => Run(r.GetValue(arguments)!, r.GetValue(file), Enum.Parse<QueryFormat>(r.GetValue(format)!, ignoreCase: true), r.GetValue(output)));
        return command;
    }

    /// <summary>An option mistyped among the datasets is a usage error; SQL (which has spaces) may well start with "--".</summary>
    private static void RejectUnknownOptions(ArgumentResult result)
    {
        foreach (var token in result.Tokens)
        {
            if (token.Value.Length > 1 && token.Value[0] == '-' && !token.Value.Any(char.IsWhiteSpace))
                result.AddError($"Unrecognized command or argument '{token.Value}' (for a file whose name starts with '-', write ./{token.Value}).");
        }
    }

    /// <summary>
    /// Splits the positional arguments: without <c>--file</c>, the last one is the SQL when it is not an existing path
    /// and contains white space (every statement does, and a mistyped path then reads as a missing dataset).
    /// </summary>
    internal static (List<string> Datasets, string? Sql) Split(IReadOnlyList<string> arguments, bool sqlFromFile)
    {
        var datasets = arguments.ToList();
        if (sqlFromFile || datasets.Count == 0)
            return (datasets, null);
        string last = datasets[^1];
        if (File.Exists(last) || Directory.Exists(last) || !last.Any(char.IsWhiteSpace))
            return (datasets, null);
        datasets.RemoveAt(datasets.Count - 1);
        return (datasets, last);
    }

    internal int Run(IReadOnlyList<string> arguments, string? sqlFile, QueryFormat format, string? outputPath)
    {
        var (datasets, sql) = Split(arguments, sqlFile is not null);
        if (sqlFile is not null)
        {
            if (!File.Exists(sqlFile))
                return Fail($"no such file: '{sqlFile}'", ExitCodes.InputError);
            sql = File.ReadAllText(sqlFile);
        }

        if (datasets.Count == 0)
            return Fail("no dataset given (an analyze output file, a directory, or a glob), only the SQL", ExitCodes.Usage);
        if (format == QueryFormat.Parquet && (outputPath is null || sql is null))
            return Fail(sql is null ? "--format parquet writes the result of SQL, and there is none" : "--format parquet needs an output file (-o FILE)", ExitCodes.Usage);

        string? temporary = outputPath is null ? null : DatasetLayout.TemporaryPath(outputPath);
        try
        {
            using var engine = QueryEngine.Open(datasets);
            if (format == QueryFormat.Parquet)
                engine.CopyToParquet(sql!, temporary!);
            else if (temporary is not null)
                WriteFile(temporary, writer => Write(engine, sql, format, writer));
            else
                Write(engine, sql, format, _console.Out);
            if (temporary is not null)
                File.Move(temporary, outputPath!, overwrite: true);
            return ExitCodes.Ok;
        }
        catch (QueryException e)
        {
            return Fail(e.Message, e.IsInputError ? ExitCodes.InputError : ExitCodes.Usage);
        }
        catch (Exception e) when (temporary is not null && e is IOException or UnauthorizedAccessException)
        {
            return Fail($"cannot write '{outputPath}': {e.Message}", ExitCodes.Usage);
        }
        finally
        {
            if (temporary is not null && File.Exists(temporary))
                File.Delete(temporary);
        }
    }

    private static void Write(QueryEngine engine, string? sql, QueryFormat format, TextWriter output)
    {
        if (sql is null)
            engine.WriteSummary(format, output);
        else
            engine.Run(sql, format, output);
    }

    private static void WriteFile(string path, Action<TextWriter> write)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        using var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        write(writer);
    }

    private int Fail(string message, int exitCode)
    {
        _console.Error.WriteLine(Prefix + message);
        return exitCode;
    }
}
