using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using PcapForge.Capture;

namespace PcapForge.Cli.Commands;

/// <summary><c>pcapforge info FILE|DIR...</c>: a capinfos-like summary of each capture.</summary>
public sealed class InfoCommand : ICliCommand
{
    private readonly Console _console;

    public InfoCommand(Console console) => _console = console;

    public Command Build()
    {
        var files = new Argument<string[]>("files")
        {
            Description = "Capture files (pcap, pcapng, optionally gzip- or zstd-compressed) or directories of them",
            Arity = ArgumentArity.OneOrMore,
        };
        files.Validators.Add(CliValidation.RejectUnknownOptions);
        var json = new Option<bool>("--json") { Description = "One JSON object per file, one per line (JSON Lines)" };
        var maxAnomalies = new Option<int>("--max-anomalies")
        {
            Description = "Anomalies listed per file (all are counted)",
            DefaultValueFactory = _ => 1000,
        };
        var command = new Command("info", "Summarise captures: format, sections, interfaces, frames, bytes, time span, anomalies")
        {
            files, json, maxAnomalies,
        };
        command.SetAction(result => Run(result.GetValue(files)!, result.GetValue(json), result.GetValue(maxAnomalies)));
        return command;
    }

    internal int Run(IEnumerable<string> arguments, bool json, int maxAnomalies)
    {
        int exit = ExitCodes.Ok;
        bool firstText = true;
        var jsonOptions = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        foreach (var (path, fromDirectory) in InputFiles.Expand(arguments))
        {
            CaptureSummary summary;
            try
            {
                summary = CaptureSummary.Read(path, Math.Max(0, maxAnomalies));
            }
            catch (CaptureFormatException e)
            {
                if (fromDirectory)
                {
                    _console.Error.WriteLine($"pcapforge info: skipped {e.Message}");
                    continue;
                }

                _console.Error.WriteLine($"pcapforge info: error: {e.Message}");
                exit = ExitCodes.InputError;
                if (json)
                {
                    using var stream = new MemoryStream();
                    using (var w = new Utf8JsonWriter(stream, jsonOptions))
                    {
                        w.WriteStartObject();
                        w.WriteString("file", path);
                        w.WriteString("error", e.Message);
                        w.WriteEndObject();
                    }

                    _console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
                }

                continue;
            }

            if (json)
            {
                using var stream = new MemoryStream();
                using (var w = new Utf8JsonWriter(stream, jsonOptions))
                    InfoFormatter.WriteJson(w, summary, path);
                _console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
            }
            else
            {
                if (!firstText)
                    _console.Out.WriteLine();
                firstText = false;
                _console.Out.Write(InfoFormatter.FormatText(summary, path));
            }
        }

        return exit;
    }
}
