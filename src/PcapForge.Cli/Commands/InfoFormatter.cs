using System.Globalization;
using System.Text;
using System.Text.Json;
using PcapForge.Abstractions;
using PcapForge.Capture;

namespace PcapForge.Cli.Commands;

/// <summary>Renders a <see cref="CaptureSummary"/> as capinfos-like text or as one JSON object.</summary>
public static class InfoFormatter
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string FormatText(CaptureSummary s, string displayName)
    {
        var b = new StringBuilder();
        void Line(string label, string value) => b.Append(Inv, $"{label + ":",-26}{value}\n");

        var first = s.Sections.Count > 0 ? s.Sections[0] : null;
        Line("File name", displayName);
        Line("File type", FormatName(s) + (first is null ? "" : $" (version {first.MajorVersion}.{first.MinorVersion}, {Order(first.ByteOrder)})"));
        Line("Compression", s.Compression.ToString().ToLowerInvariant());
        Line("File size", $"{s.FileSize} bytes");
        Line("Sections", s.Sections.Count.ToString(Inv));
        foreach (var section in s.Sections)
        {
            if (s.Format != CaptureFormat.PcapNg)
            {
                if (section.TimeZoneOffset != 0 || section.SignificantFigures != 0)
                    Line("  Header", $"thiszone {section.TimeZoneOffset}, sigfigs {section.SignificantFigures}");
                continue;
            }

            b.Append(Inv, $"  Section {section.Index}: offset {section.FileOffset}, {Order(section.ByteOrder)}, version {section.MajorVersion}.{section.MinorVersion}");
            if (section.SectionLength is long len)
                b.Append(Inv, $", length {len}");
            b.Append('\n');
            Optional(b, "    Hardware", section.Hardware);
            Optional(b, "    OS", section.OperatingSystem);
            Optional(b, "    Application", section.UserApplication);
            foreach (var c in section.Comments)
                Optional(b, "    Comment", c);
            if (section.NameResolution.Count > 0)
                b.Append(Inv, $"    {"Name resolution:",-22}{section.NameResolution.Count} entries\n");
            foreach (var dsb in section.DecryptionSecrets)
                b.Append(Inv, $"    {"Decryption secrets:",-22}{dsb.TypeName}, {dsb.Length} bytes at offset {dsb.FileOffset}\n");
            if (section.CustomBlocks > 0)
                b.Append(Inv, $"    {"Custom blocks:",-22}{section.CustomBlocks}\n");
            if (section.UnknownBlocks > 0)
                b.Append(Inv, $"    {"Unknown blocks:",-22}{section.UnknownBlocks} (skipped)\n");
        }

        Line("Interfaces", s.Interfaces.Count.ToString(Inv));
        for (int i = 0; i < s.Interfaces.Count; i++)
        {
            var iface = s.Interfaces[i];
            b.Append(Inv, $"  Interface {iface.Index} (section {iface.Section}, id {iface.Id}): link type {iface.LinkType} ({iface.LinkTypeName}), ");
            b.Append(iface.SnapLength == 0 ? "snaplen not set" : $"snaplen {iface.SnapLength}");
            b.Append(Inv, $", {s.FramesPerInterface[i]} frames\n");
            Optional(b, "    Name", iface.Name);
            Optional(b, "    Description", iface.Description);
            Optional(b, "    Timestamps", iface.Resolution + (iface.TimestampOffsetSeconds != 0 ? $", offset {iface.TimestampOffsetSeconds} s" : ""));
            Optional(b, "    FCS length", iface.FcsLength?.ToString(Inv) is string f ? f + " bytes" : null);
            Optional(b, "    OS", iface.OperatingSystem);
            Optional(b, "    Hardware", iface.Hardware);
            Optional(b, "    Filter", iface.Filter);
            Optional(b, "    Speed", iface.Speed?.ToString(Inv) is string sp ? sp + " bit/s" : null);
            Optional(b, "    MAC address", iface.MacAddress);
            foreach (var a in iface.Addresses)
                Optional(b, "    Address", a);
            foreach (var c in iface.Comments)
                Optional(b, "    Comment", c);
            if (iface.Statistics is { } st)
                Optional(b, "    Statistics", StatisticsText(st));
        }

        Line("Frames", s.Frames.ToString(Inv));
        Line("Captured bytes", s.CapturedBytes.ToString(Inv));
        Line("Original bytes", s.OriginalBytes.ToString(Inv));
        if (s.TruncatedFrames > 0)
            Line("Truncated frames", $"{s.TruncatedFrames} (captured length below original length)");
        if (s.FramesWithoutTimestamp > 0)
            Line("Frames without timestamp", s.FramesWithoutTimestamp.ToString(Inv));
        Line("First timestamp", s.FirstTimestampNs is long ft ? Timestamps.ToIso8601(ft) : "n/a");
        Line("Last timestamp", s.LastTimestampNs is long lt ? Timestamps.ToIso8601(lt) : "n/a");
        Line("Duration", s.DurationNs is long d ? Timestamps.FormatSeconds(d) + " s" : "n/a");
        Line("Average rate", Rates(s));
        Line("Average frame size", s.Frames > 0 ? string.Create(Inv, $"{(double)s.OriginalBytes / s.Frames:F2} bytes") : "n/a");
        Line("Strict time order", s.StrictTimeOrder switch { true => "yes", false => "no", null => "n/a" });
        foreach (var (frame, comment) in s.FrameComments)
            Line("Frame comment", $"frame {frame}: {comment}");
        if (s.Anomalies.Total == 0)
        {
            Line("Anomalies", "none");
        }
        else
        {
            Line("Anomalies", s.Anomalies.Total.ToString(Inv) + (s.StoppedEarly ? " (reading stopped at the damage; everything before it is counted above)" : ""));
            foreach (var a in s.Anomalies.Kept)
                b.Append("  ").Append(a.ToString()).Append('\n');
            if (s.Anomalies.Total > s.Anomalies.Kept.Count)
                b.Append(Inv, $"  ... {s.Anomalies.Total - s.Anomalies.Kept.Count} more\n");
        }

        return b.ToString();
    }

    public static void WriteJson(Utf8JsonWriter w, CaptureSummary s, string displayName)
    {
        w.WriteStartObject();
        w.WriteString("file", displayName);
        w.WriteNumber("file_size", s.FileSize);
        w.WriteString("format", FormatName(s));
        w.WriteString("compression", s.Compression.ToString().ToLowerInvariant());
        if (s.Sections.Count > 0)
        {
            w.WriteString("version", $"{s.Sections[0].MajorVersion}.{s.Sections[0].MinorVersion}");
            w.WriteString("byte_order", Order(s.Sections[0].ByteOrder));
        }

        w.WriteStartArray("sections");
        foreach (var section in s.Sections)
        {
            w.WriteStartObject();
            w.WriteNumber("index", section.Index);
            w.WriteNumber("offset", section.FileOffset);
            w.WriteString("byte_order", Order(section.ByteOrder));
            w.WriteString("version", $"{section.MajorVersion}.{section.MinorVersion}");
            WriteOptional(w, "section_length", section.SectionLength);
            WriteOptional(w, "hardware", section.Hardware);
            WriteOptional(w, "os", section.OperatingSystem);
            WriteOptional(w, "user_application", section.UserApplication);
            WriteStrings(w, "comments", section.Comments);
            w.WriteNumber("name_resolution_entries", section.NameResolution.Count);
            w.WriteStartArray("decryption_secrets");
            foreach (var dsb in section.DecryptionSecrets)
            {
                w.WriteStartObject();
                w.WriteNumber("type", dsb.SecretsType);
                w.WriteString("type_name", dsb.TypeName);
                w.WriteNumber("length", dsb.Length);
                w.WriteNumber("offset", dsb.FileOffset);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteNumber("custom_blocks", section.CustomBlocks);
            w.WriteNumber("unknown_blocks", section.UnknownBlocks);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("interfaces");
        for (int i = 0; i < s.Interfaces.Count; i++)
        {
            var iface = s.Interfaces[i];
            w.WriteStartObject();
            w.WriteNumber("index", iface.Index);
            w.WriteNumber("section", iface.Section);
            w.WriteNumber("id", iface.Id);
            w.WriteNumber("link_type", iface.LinkType);
            w.WriteString("link_type_name", iface.LinkTypeName);
            w.WriteNumber("snaplen", iface.SnapLength);
            WriteOptional(w, "name", iface.Name);
            WriteOptional(w, "description", iface.Description);
            w.WriteString("ts_resolution", iface.Resolution.ToString());
            w.WriteNumber("ts_offset", iface.TimestampOffsetSeconds);
            WriteOptional(w, "fcs_len", iface.FcsLength);
            WriteOptional(w, "os", iface.OperatingSystem);
            WriteOptional(w, "hardware", iface.Hardware);
            WriteOptional(w, "filter", iface.Filter);
            WriteOptional(w, "speed", iface.Speed);
            WriteOptional(w, "mac", iface.MacAddress);
            WriteStrings(w, "addresses", iface.Addresses);
            WriteStrings(w, "comments", iface.Comments);
            w.WriteNumber("frames", s.FramesPerInterface[i]);
            if (iface.Statistics is { } st)
            {
                w.WriteStartObject("statistics");
                WriteOptionalTs(w, "ts", st.TimestampNs);
                WriteOptionalTs(w, "start_ts", st.StartTimeNs);
                WriteOptionalTs(w, "end_ts", st.EndTimeNs);
                WriteOptional(w, "received", st.ReceivedPackets);
                WriteOptional(w, "dropped_by_interface", st.DroppedByInterface);
                WriteOptional(w, "accepted_by_filter", st.AcceptedByFilter);
                WriteOptional(w, "dropped_by_os", st.DroppedByOs);
                WriteOptional(w, "delivered_to_user", st.DeliveredToUser);
                WriteStrings(w, "comments", st.Comments);
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteNumber("frames", s.Frames);
        w.WriteNumber("captured_bytes", s.CapturedBytes);
        w.WriteNumber("original_bytes", s.OriginalBytes);
        w.WriteNumber("truncated_frames", s.TruncatedFrames);
        w.WriteNumber("frames_without_timestamp", s.FramesWithoutTimestamp);
        WriteOptionalTs(w, "first_ts", s.FirstTimestampNs, always: true);
        WriteOptionalTs(w, "last_ts", s.LastTimestampNs, always: true);
        if (s.DurationNs is long d)
            w.WriteNumber("duration_ns", d);
        else
            w.WriteNull("duration_ns");
        if (s.StrictTimeOrder is bool o)
            w.WriteBoolean("strict_time_order", o);
        else
            w.WriteNull("strict_time_order");
        w.WriteStartArray("frame_comments");
        foreach (var (frame, comment) in s.FrameComments)
        {
            w.WriteStartObject();
            w.WriteNumber("frame", frame);
            w.WriteString("comment", comment);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteBoolean("stopped_early", s.StoppedEarly);
        w.WriteNumber("anomaly_count", s.Anomalies.Total);
        w.WriteStartArray("anomalies");
        foreach (var a in s.Anomalies.Kept)
        {
            w.WriteStartObject();
            w.WriteString("scope", a.Scope);
            w.WriteString("name", a.Name);
            if (a.Frame is long f)
                w.WriteNumber("frame", f);
            else
                w.WriteNull("frame");
            w.WriteNumber("offset", a.FileOffset);
            w.WriteString("detail", a.Detail);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static string FormatName(CaptureSummary s) => s.Format switch
    {
        CaptureFormat.Pcap => s.Interfaces.Count > 0 && s.Interfaces[0].Resolution == TimestampResolution.Nanoseconds ? "pcap (nanosecond)" : "pcap",
        CaptureFormat.PcapModified => "pcap (modified, Kuznetzov)",
        _ => "pcapng",
    };

    private static string Order(ByteOrder o) => o == ByteOrder.BigEndian ? "big-endian" : "little-endian";

    private static string Rates(CaptureSummary s)
    {
        if (s.DurationNs is not long d || d <= 0)
            return "n/a";
        double seconds = d / 1e9;
        return string.Create(Inv, $"{s.Frames / seconds:F2} frames/s, {s.OriginalBytes / seconds:F2} bytes/s");
    }

    private static string StatisticsText(InterfaceStatistics st)
    {
        var parts = new List<string>();
        void Add(string name, ulong? v)
        {
            if (v is ulong x)
                parts.Add(string.Create(Inv, $"{name} {x}"));
        }

        Add("received", st.ReceivedPackets);
        Add("dropped by interface", st.DroppedByInterface);
        Add("accepted by filter", st.AcceptedByFilter);
        Add("dropped by OS", st.DroppedByOs);
        Add("delivered to user", st.DeliveredToUser);
        if (st.StartTimeNs is long start)
            parts.Add("from " + Timestamps.ToIso8601(start));
        if (st.EndTimeNs is long end)
            parts.Add("to " + Timestamps.ToIso8601(end));
        return parts.Count == 0 ? "(no counters)" : string.Join(", ", parts);
    }

    private static void Optional(StringBuilder b, string label, string? value)
    {
        if (value is not null)
            b.Append(Inv, $"{label + ":",-26}{value}\n");
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
            w.WriteNull(name);
        else
            w.WriteString(name, value);
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, long? value)
    {
        if (value is long v)
            w.WriteNumber(name, v);
        else
            w.WriteNull(name);
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, ulong? value)
    {
        if (value is ulong v)
            w.WriteNumber(name, v);
        else
            w.WriteNull(name);
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, int? value) => WriteOptional(w, name, (long?)value);

    private static void WriteOptionalTs(Utf8JsonWriter w, string name, long? ns, bool always = false)
    {
        if (ns is long v)
            w.WriteString(name, Timestamps.ToIso8601(v));
        else if (always)
            w.WriteNull(name);
    }

    private static void WriteStrings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
            w.WriteStringValue(v);
        w.WriteEndArray();
    }
}
