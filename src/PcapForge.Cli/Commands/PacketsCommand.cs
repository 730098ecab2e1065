using System.CommandLine;
using System.Globalization;
using System.Text;
using PcapForge.Abstractions;
using PcapForge.Abstractions.Dissection;
using PcapForge.Capture;
using PcapForge.Dissection;
using PcapForge.Dissection.Filters;

namespace PcapForge.Cli.Commands;

/// <summary>
/// <c>pcapforge packets FILE [-Y FILTER] [-c N] [--frame N] [-V]</c>: one line per frame like tshark (number, time since the
/// first frame, source, destination, protocol, length, info), or the layer tree of a frame like Wireshark's
/// packet details, every field with its filter name, value, and byte offset and length.
/// </summary>
public sealed class PacketsCommand : ICliCommand
{
    private readonly Console _console;
    private readonly PluginHost _plugins;

    public PacketsCommand(Console console, PluginHost plugins)
    {
        _console = console;
        _plugins = plugins;
    }

    public Command Build()
    {
        var file = new Argument<string>("file") { Description = "A capture file (pcap or pcapng, optionally compressed)" };
        file.Validators.Add(CliValidation.RejectUnknownOptions);
        var count = new Option<long?>("--count", "-c") { Description = "Stop after this many frames" };
        var frame = new Option<long?>("--frame") { Description = "Show the layer tree of this frame (1-based) only" };
        var verbose = new Option<bool>("--verbose", "-V") { Description = "Show the layer tree of every frame" };
        var filter = new Option<string?>("--display-filter", "-Y") { Description = "Only frames matching this display filter (Wireshark syntax, e.g. \"tcp.port == 80 && ip.addr == 10.0.0.0/8\")" };
        var fields = new Option<string[]>("--field", "-e")
        {
            Description = "Print these fields, tab-separated, one line per frame (tshark -T fields -e); repeated occurrences joined with ','",
            AllowMultipleArgumentsPerToken = false,
        };
        var header = new Option<bool>("--header") { Description = "With -e: a first line naming the fields" };
        var command = new Command("packets", "List frames one per line like tshark, or show their layers and fields") { file, count, frame, verbose, filter, fields, header };
        command.SetAction(r => Run(r.GetValue(file)!, r.GetValue(count), r.GetValue(frame), r.GetValue(verbose), r.GetValue(filter),
            r.GetValue(fields) ?? [], r.GetValue(header)));
        return command;
    }

    internal int Run(string path, long? count, long? onlyFrame, bool verbose, string? filterText = null, string[]? fieldNames = null, bool header = false)
    {
        var engine = _plugins.Engine;
        var registry = engine.Registry;
        fieldNames ??= [];
        var fieldIds = new int[fieldNames.Length];
        for (int i = 0; i < fieldNames.Length; i++)
        {
            fieldIds[i] = registry.FieldIndex(fieldNames[i]);
            if (fieldIds[i] < 0)
            {
                _console.Error.WriteLine($"pcapforge packets: no dissector declares the field '{fieldNames[i]}' (see 'pcapforge fields list')");
                return ExitCodes.Usage;
            }
        }

        DisplayFilter? filter = null;
        if (filterText is not null)
        {
            try
            {
                filter = DisplayFilter.Compile(filterText, registry);
            }
            catch (FilterSyntaxException e)
            {
                _console.Error.WriteLine($"pcapforge packets: invalid display filter:\n{e.Render()}");
                return ExitCodes.Usage;
            }
        }

        var anomalies = new AnomalyCollector(100_000);
        CaptureReader reader;
        try
        {
            reader = CaptureReader.Open(path, new CaptureReaderOptions { Anomalies = anomalies });
        }
        catch (CaptureFormatException e)
        {
            _console.Error.WriteLine($"pcapforge packets: error: {e.Message}");
            return ExitCodes.InputError;
        }

        using (reader)
        {
            var columns = new Columns(registry);
            if (header && fieldIds.Length > 0)
                _console.Out.WriteLine(string.Join('\t', fieldNames));
            var context = new PacketContext();
            var output = _console.Out;
            // With -e the output is data for another program: anomalies go to stderr so it stays tab-separated.
            var notes = fieldIds.Length > 0 ? _console.Error : output;
            long? firstTs = null;
            long shown = 0;
            int reported = 0;
            while (reader.TryReadNext(out Frame frame))
            {
                var info = frame.Info;
                if (count is long c && shown >= c)
                    break;
                if (onlyFrame is long n && info.Number != n)
                {
                    if (info.Number > n)
                        break;
                    continue;
                }

                engine.Dissect(frame, context, wantsDetail: true, anomalies, recordFrameFields: true);
                if (info.HasTimestamp)
                    firstTs ??= info.TimestampNs;
                if (filter is not null && !filter.Matches(context, frame.Data))
                {
                    reported = anomalies.Kept.Count; // anomalies of frames not shown are not printed
                    continue;
                }

                shown++;
                if (onlyFrame is not null || verbose)
                    WriteTree(output, registry, context, frame);
                else if (fieldIds.Length > 0)
                    output.WriteLine(FieldsLine(registry, context, frame, fieldIds));
                else
                    output.WriteLine(columns.Line(context, frame, firstTs, NanosecondPrecision(reader, frame.Info)));

                // Reader and engine anomalies as they happen, after the frame they belong to.
                for (; reported < anomalies.Kept.Count; reported++)
                    notes.WriteLine($"    anomaly: {anomalies.Kept[reported]}");
                foreach (var a in context.Anomalies)
                    notes.WriteLine($"    anomaly: {registry.Anomalies[a.Anomaly].Name} at frame offset {a.Offset}: {a.Detail}");
            }

            engine.Finish(anomalies);
            for (; reported < anomalies.Kept.Count; reported++)
                notes.WriteLine($"    anomaly: {anomalies.Kept[reported]}");
            if (onlyFrame is long wanted && reader.FramesRead < wanted)
            {
                _console.Error.WriteLine($"pcapforge packets: the capture has {reader.FramesRead} frames; there is no frame {wanted}");
                return ExitCodes.Usage;
            }
        }

        return ExitCodes.Ok;
    }

    /// <summary>True when the frame's interface records timestamps finer than microseconds.</summary>
    private static bool NanosecondPrecision(CaptureReader reader, in FrameInfo info)
    {
        var interfaces = reader.Interfaces;
        if ((uint)info.InterfaceIndex >= (uint)interfaces.Count)
            return false;
        var r = interfaces[info.InterfaceIndex].Resolution;
        return r.PowerOfTwo ? r.Exponent > 20 : r.Exponent > 6;
    }

    /// <summary>tshark -T fields: the requested fields, tab-separated, each field's occurrences joined with ','.</summary>
    private static string FieldsLine(DissectorRegistry registry, PacketContext context, in Frame frame, int[] fieldIds)
    {
        var b = new StringBuilder();
        for (int i = 0; i < fieldIds.Length; i++)
        {
            if (i > 0)
                b.Append('\t');
            bool first = true;
            foreach (var f in context.Fields)
            {
                if (f.Field != fieldIds[i])
                    continue;
                if (!first)
                    b.Append(',');
                first = false;
                b.Append(FieldFormatter.Format(registry.Fields[f.Field], f, context, frame.Data));
            }
        }

        return b.ToString();
    }

    private static void WriteTree(TextWriter output, DissectorRegistry registry, PacketContext context, in Frame frame)
    {
        var info = frame.Info;
        var b = new StringBuilder();
        b.Append(CultureInfo.InvariantCulture, $"Frame {info.Number}: {info.OriginalLength} bytes on wire, {info.CapturedLength} bytes captured, ");
        b.Append(CultureInfo.InvariantCulture, $"interface {info.InterfaceIndex}, link type {info.LinkType} ({LinkTypes.Name(info.LinkType)})");
        if (info.HasTimestamp)
            b.Append(", ").Append(Timestamps.ToIso8601(info.TimestampNs));
        b.Append('\n');
        if (info.IsTruncated)
        {
            b.Append(CultureInfo.InvariantCulture,
                $"    [the capture holds {info.CapturedLength} of the frame's {info.OriginalLength} bytes (snaplen): decoding stops at byte {info.CapturedLength}]\n");
        }

        foreach (var f in context.Fields)
        {
            if (f.Layer >= 0)
                break;
            var d = registry.Fields[f.Field];
            b.Append(CultureInfo.InvariantCulture, $"    {d.FilterName} ({d.DisplayName}): {FieldFormatter.Format(d, f, context, frame.Data)}\n");
        }

        var layers = context.Layers;
        var fields = context.Fields;
        for (int l = 0; l < layers.Length; l++)
        {
            var p = registry.Protocols[layers[l].Protocol];
            string where = layers[l].Source == FieldSource.Reassembled ? " of the reassembled datagram" : "";
            b.Append(CultureInfo.InvariantCulture, $"{p.Name} ({p.Id}), offset {layers[l].Offset}{where}, {layers[l].Length} bytes\n");
            foreach (var f in fields)
            {
                if (f.Layer != l)
                    continue;
                var d = registry.Fields[f.Field];
                b.Append(CultureInfo.InvariantCulture, $"    {d.FilterName} ({d.DisplayName}): {FieldFormatter.Format(d, f, context, frame.Data)}  [{f.Offset}+{f.Length}]\n");
            }
        }

        int decoded = layers.Length == 0 ? 0 : layers[^1].Offset + layers[^1].Length;
        if (layers.Length > 0 && layers[^1].Source == FieldSource.Frame && decoded < info.CapturedLength)
            b.Append(CultureInfo.InvariantCulture, $"Data, offset {decoded}, {info.CapturedLength - decoded} bytes\n");
        output.Write(b.ToString());
    }

    /// <summary>The tshark-like summary columns.</summary>
    private sealed class Columns
    {
        private readonly DissectorRegistry _registry;
        private readonly int[] _src;
        private readonly int[] _dst;

        public Columns(DissectorRegistry registry)
        {
            _registry = registry;
            // Source and destination come from the innermost of these that the frame has (network before link layer).
            _src = new[] { "ip.src", "ipv6.src", "eth.src", "sll.src.eth" }.Select(registry.FieldIndex).Where(i => i >= 0).ToArray();
            _dst = new[] { "ip.dst", "ipv6.dst", "eth.dst" }.Select(registry.FieldIndex).Where(i => i >= 0).ToArray();
        }

        /// <summary>One summary line. The time has 9 fractional digits when <paramref name="nanoseconds"/> (the interface records nanoseconds or finer), else 6, as tshark prints it.</summary>
        public string Line(PacketContext context, in Frame frame, long? firstTs, bool nanoseconds)
        {
            var info = frame.Info;
            string time = info.HasTimestamp && firstTs is long f
                ? (nanoseconds ? Timestamps.FormatSeconds(info.TimestampNs - f) : Timestamps.FormatSeconds(info.TimestampNs - f)[..^3])
                : "-";
            int summary = context.SummaryLayer;
            string source = Address(context, frame, _src, summary);
            string destination = Address(context, frame, _dst, summary);
            var layers = context.Layers;
            string protocol = summary < 0 ? LinkTypes.Name(info.LinkType) : ProtocolColumn(_registry.Protocols[layers[summary].Protocol].Id);
            string text = context.Info.Length > 0 ? context.Info.ToString() : "";
            return string.Create(CultureInfo.InvariantCulture, $"{info.Number,6} {time,12} {source,15} → {destination,-15} {protocol,-8} {info.OriginalLength,6} {text}").TrimEnd();
        }

        /// <summary>The innermost address up to the summary layer (so a tunnel shows its inner hosts, an ICMP error its own).</summary>
        private string Address(PacketContext context, in Frame frame, int[] candidates, int summaryLayer)
        {
            foreach (int field in candidates)
            {
                var fields = context.Fields;
                for (int i = fields.Length - 1; i >= 0; i--)
                {
                    if (fields[i].Field == field && fields[i].Layer <= summaryLayer)
                        return FieldFormatter.Format(_registry.Fields[field], fields[i], context, frame.Data);
                }
            }

            return "";
        }

        private static string ProtocolColumn(string id) => id switch
        {
            "ip" => "IPv4",
            "ipv6" => "IPv6",
            "eth" => "Ethernet",
            "icmpv6" => "ICMPv6",
            _ => id.ToUpperInvariant(),
        };
    }
}
