using System.Buffers;
using System.Collections;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using PcapForge.Abstractions;

namespace PcapForge.Query;

/// <summary>Output formats of <c>pcapforge query</c>.</summary>
public enum QueryFormat
{
    /// <summary>Aligned columns for reading, NULL shown as <c>-</c>, numbers right-aligned, a row count at the end.</summary>
    Table,

    /// <summary>RFC 4180, with a header line; NULL is an empty field, an empty string is <c>""</c>.</summary>
    Csv,

    /// <summary>Tab-separated with a header line; NULL is an empty field; tab, newline, CR and backslash escaped as \t \n \r \\.</summary>
    Tsv,

    /// <summary>JSON Lines: one object per row, keys in column order, NULL as null, lists as arrays.</summary>
    Json,

    /// <summary>A Parquet file written by DuckDB (zstd); needs an output file.</summary>
    Parquet,
}

/// <summary>Writes a <see cref="QueryResult"/> as text in one of the text formats.</summary>
internal static class ResultWriters
{
    /// <summary>Rows the table format reads ahead to size its columns; longer values later just widen their line.</summary>
    internal const int TableWidthRows = 10_000;

    private const string TableNull = "-";

    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes the result and returns the number of rows.</summary>
    public static long Write(QueryResult result, QueryFormat format, TextWriter output) => format switch
    {
        QueryFormat.Table => WriteTable(result, output),
        QueryFormat.Csv => WriteDelimited(result, output, ',', CsvField),
        QueryFormat.Tsv => WriteDelimited(result, output, '\t', TsvField),
        QueryFormat.Json => WriteJsonLines(result, output),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "not a text format"),
    };

    private static long WriteDelimited(QueryResult result, TextWriter output, char delimiter, Func<object?, char, string> field)
    {
        output.Write(string.Join(delimiter, result.Names.Select(n => field(n, delimiter))));
        output.Write('\n');
        long rows = 0;
        var line = new StringBuilder();
        foreach (object?[] row in result.Rows)
        {
            line.Clear();
            for (int i = 0; i < row.Length; i++)
            {
                if (i > 0)
                    line.Append(delimiter);
                line.Append(field(row[i], delimiter));
            }

            output.Write(line.Append('\n'));
            rows++;
        }

        return rows;
    }

    private static string CsvField(object? value, char delimiter)
    {
        if (value is null)
            return "";
        string text = Text(value);
        bool quote = text.Length == 0 || text.AsSpan().IndexOfAny([delimiter, '"', '\n', '\r']) >= 0;
        return quote ? "\"" + text.Replace("\"", "\"\"") + "\"" : text;
    }

    private static string TsvField(object? value, char delimiter) =>
        value is null ? "" : Text(value).Replace("\\", "\\\\").Replace("\t", "\\t").Replace("\n", "\\n").Replace("\r", "\\r");

    private static long WriteJsonLines(QueryResult result, TextWriter output)
    {
        var buffer = new ArrayBufferWriter<byte>();
        long rows = 0;
        foreach (object?[] row in result.Rows)
        {
            buffer.ResetWrittenCount();
            using (var json = new Utf8JsonWriter(buffer, JsonOptions))
            {
                json.WriteStartObject();
                for (int i = 0; i < row.Length; i++)
                {
                    json.WritePropertyName(result.Names[i]);
                    WriteJson(json, row[i]);
                }

                json.WriteEndObject();
            }

            output.Write(Encoding.UTF8.GetString(buffer.WrittenSpan));
            output.Write('\n');
            rows++;
        }

        return rows;
    }

    private static void WriteJson(Utf8JsonWriter json, object? value)
    {
        switch (value)
        {
            case null:
                json.WriteNullValue();
                break;
            case bool b:
                json.WriteBooleanValue(b);
                break;
            case string s:
                json.WriteStringValue(s);
                break;
            case sbyte or short or int or long:
                json.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case byte or ushort or uint or ulong:
                json.WriteNumberValue(Convert.ToUInt64(value, CultureInfo.InvariantCulture));
                break;
            case double d when double.IsFinite(d):
                json.WriteNumberValue(d);
                break;
            case float f when float.IsFinite(f):
                json.WriteNumberValue(f);
                break;
            case decimal m:
                json.WriteNumberValue(m);
                break;
            case BigInteger big:
                json.WriteRawValue(big.ToString(CultureInfo.InvariantCulture));
                break;
            case NestedValue nested:
                json.WriteRawValue(nested.Text);
                break;
            case IDictionary dictionary:
                json.WriteStartObject();
                foreach (DictionaryEntry entry in dictionary)
                {
                    json.WritePropertyName(Text(entry.Key));
                    WriteJson(json, entry.Value);
                }

                json.WriteEndObject();
                break;
            case IEnumerable list and not Stream:
                json.WriteStartArray();
                foreach (object? item in list)
                    WriteJson(json, item);
                json.WriteEndArray();
                break;
            default:
                // Timestamps, dates, intervals, UUIDs, blobs, NaN and infinities: their text.
                json.WriteStringValue(Text(value));
                break;
        }
    }

    private static long WriteTable(QueryResult result, TextWriter output)
    {
        int columns = result.Names.Count;
        int[] widths = result.Names.Select(n => Cell(n).Length).ToArray();
        var ahead = new List<(string Text, bool Right)[]>();
        using var rows = result.Rows.GetEnumerator();
        bool more;
        while ((more = rows.MoveNext()) && ahead.Count < TableWidthRows)
        {
            var cells = TableCells(rows.Current);
            for (int i = 0; i < columns; i++)
                widths[i] = Math.Max(widths[i], cells[i].Text.Length);
            ahead.Add(cells);
        }

        var line = new StringBuilder();
        WriteTableLine(output, line, result.Names.Select(n => (Cell(n), false)).ToArray(), widths);
        WriteTableLine(output, line, widths.Select(w => (new string('-', w), false)).ToArray(), widths);
        foreach (var cells in ahead)
            WriteTableLine(output, line, cells, widths);
        long count = ahead.Count;
        for (; more; more = rows.MoveNext())
        {
            WriteTableLine(output, line, TableCells(rows.Current), widths);
            count++;
        }

        output.Write(count == 1 ? "(1 row)\n" : $"({count} rows)\n");
        return count;
    }

    private static (string Text, bool Right)[] TableCells(object?[] row) =>
        row.Select(v => v is null ? (TableNull, false) : (Cell(Text(v)), IsNumber(v))).ToArray();

    private static void WriteTableLine(TextWriter output, StringBuilder line, (string Text, bool Right)[] cells, int[] widths)
    {
        line.Clear();
        for (int i = 0; i < cells.Length; i++)
        {
            if (i > 0)
                line.Append("  ");
            var (text, right) = cells[i];
            if (right)
                line.Append(' ', Math.Max(0, widths[i] - text.Length)).Append(text);
            else if (i < cells.Length - 1)
                line.Append(text).Append(' ', Math.Max(0, widths[i] - text.Length));
            else
                line.Append(text);
        }

        output.Write(line.Append('\n'));
    }

    /// <summary>A value on one line: control characters that would break the grid are escaped.</summary>
    private static string Cell(string text) =>
        text.AsSpan().IndexOfAny(['\n', '\r', '\t']) < 0 ? text : text.Replace("\n", "\\n").Replace("\r", "\\r").Replace("\t", "\\t");

    private static bool IsNumber(object value) =>
        value is sbyte or byte or short or ushort or int or uint or long or ulong or float or double or decimal or BigInteger;

    /// <summary>The text of a value in every text format: ISO 8601 UTC for times, invariant numbers, DuckDB's list and struct notation.</summary>
    internal static string Text(object? value) => value switch
    {
        null => "NULL",
        string s => s,
        bool b => b ? "true" : "false",
        NanoTimestamp t => t.ToString(),
        NestedValue nested => nested.Text,
        DateTime dt => Timestamps.ToIso8601((dt - DateTime.UnixEpoch).Ticks * 100),
        DateTimeOffset dto => Timestamps.ToIso8601((dto.UtcDateTime - DateTime.UnixEpoch).Ticks * 100),
        DateOnly date => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        TimeOnly time => time.ToString("HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture).TrimEnd('.'),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        Stream blob => Blob(blob),
        IDictionary dictionary => "{" + string.Join(", ", dictionary.Cast<DictionaryEntry>().Select(e => $"{Text(e.Key)}: {Text(e.Value)}")) + "}",
        IEnumerable list => "[" + string.Join(", ", list.Cast<object?>().Select(Text)) + "]",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Blob(Stream blob)
    {
        using var copy = new MemoryStream();
        blob.CopyTo(copy);
        return "\\x" + Convert.ToHexString(copy.GetBuffer(), 0, (int)copy.Length).ToLowerInvariant();
    }
}
