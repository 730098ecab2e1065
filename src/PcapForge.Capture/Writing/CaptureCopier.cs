using PcapForge.Abstractions;

namespace PcapForge.Capture.Writing;

/// <summary>
/// Copies what a reader delivers into a pcapng writer, section by section: each section's header, its interfaces as
/// they appear, and every frame with its timestamp, lengths, flags, drop count, packet id, queue and comments.
/// Interface statistics, name resolution and decryption secrets blocks are not copied.
/// </summary>
public static class CaptureCopier
{
    /// <summary>Copies every remaining frame of <paramref name="reader"/>; returns the number of frames written.</summary>
    public static long CopyToPcapNg(CaptureReader reader, PcapNgWriter writer)
    {
        int section = -1;
        int interfacesWritten = 0;
        long frames = 0;
        while (reader.TryReadNext(out Frame frame))
        {
            FrameInfo info = frame.Info;
            while (section < info.Section)
                StartSection(reader, writer, ref section, ref interfacesWritten);
            WriteNewInterfaces(reader, writer, section, ref interfacesWritten);
            if (!info.HasTimestamp && info.InterfaceId == 0 && info.Flags is null && info.Comments is null)
                writer.WriteSimplePacket(frame.Data, info.OriginalLength);
            else
                writer.WritePacket(info.InterfaceId, info.HasTimestamp ? info.TimestampNs : 0, frame.Data, info.OriginalLength,
                    info.Flags, info.DropCount, info.Comments, info.PacketId, info.Queue);
            frames++;
        }

        // Sections and interfaces after the last frame (or in a file without frames) are kept too.
        while (section < reader.Sections.Count - 1)
            StartSection(reader, writer, ref section, ref interfacesWritten);
        if (section >= 0)
            WriteNewInterfaces(reader, writer, section, ref interfacesWritten);
        else
            writer.WriteSectionHeader(userApplication: "PcapForge"); // a reader that found no section still yields a valid file
        return frames;
    }

    private static void StartSection(CaptureReader reader, PcapNgWriter writer, ref int section, ref int interfacesWritten)
    {
        section++;
        var s = reader.Sections[section];
        writer.WriteSectionHeader(s.Hardware, s.OperatingSystem, s.UserApplication, s.Comments);
        interfacesWritten = 0;
        WriteNewInterfaces(reader, writer, section, ref interfacesWritten);
    }

    private static void WriteNewInterfaces(CaptureReader reader, PcapNgWriter writer, int section, ref int interfacesWritten)
    {
        var interfaces = reader.Sections[section].Interfaces;
        while (interfacesWritten < interfaces.Count)
            writer.AddInterface(InterfaceDescription.From(interfaces[interfacesWritten++]));
    }
}
