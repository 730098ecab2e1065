using System.Diagnostics;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using PcapForge.Abstractions;
using PcapForge.Abstractions.Dissection;
using PcapForge.Capture;
using PcapForge.Capture.Writing;
using PcapForge.Dissection;
using PcapForge.Dissection.Filters;
using PcapForge.Live.Linux;

namespace PcapForge.Live;

/// <summary>What to capture and when to stop.</summary>
public sealed record LiveCaptureOptions
{
    /// <summary>tcpdump's and dumpcap's default snapshot length (MAXIMUM_SNAPLEN in libpcap).</summary>
    public const int DefaultSnapLength = 262_144;

    /// <summary>libpcap's default buffer: 2 MiB.</summary>
    public const int DefaultBufferBytes = 2 * 1024 * 1024;

    /// <summary>Interface names, <c>any</c>, or numbers from the interface list.</summary>
    public required IReadOnlyList<string> Interfaces { get; init; }

    /// <summary>At most this many bytes of each frame are kept (link header included).</summary>
    public int SnapLength { get; init; } = DefaultSnapLength;

    /// <summary>Put the interfaces in promiscuous mode (not the <c>any</c> device, which has none, as in libpcap).</summary>
    public bool Promiscuous { get; init; } = true;

    /// <summary>The socket receive buffer; frames that arrive while it is full are dropped by the kernel and counted.</summary>
    public int BufferBytes { get; init; } = DefaultBufferBytes;

    /// <summary>Stop after this many frames are kept.</summary>
    public long? Count { get; init; }

    /// <summary>Stop after this long.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>Keep (write and analyse) only the frames that match this display filter.</summary>
    public DisplayFilter? Filter { get; init; }

    /// <summary>The command line, recorded as a comment of the pcapng section.</summary>
    public string? CommandLine { get; init; }
}

/// <summary>Why a capture ended.</summary>
public enum LiveCaptureEnd
{
    /// <summary>Asked to stop (a signal).</summary>
    Stopped,

    /// <summary>The count was reached.</summary>
    Count,

    /// <summary>The duration passed.</summary>
    Duration,

    /// <summary>Reading or writing failed; <see cref="LiveCaptureResult.Error"/> says what. What was captured before is written.</summary>
    Error,
}

/// <summary>What a capture did.</summary>
/// <param name="Frames">Frames kept (written).</param>
/// <param name="Bytes">Their captured bytes.</param>
/// <param name="Seen">Frames read from the sockets (before the display filter).</param>
/// <param name="Received">Frames that reached the sockets, as the kernel counts them (PACKET_STATISTICS), drops included.</param>
/// <param name="Dropped">Frames the kernel dropped because a socket buffer was full.</param>
/// <param name="Elapsed">From the start of the capture (<see cref="LiveCapture.StartNs"/>) to its end.</param>
/// <param name="End">Why it ended.</param>
/// <param name="Error">What failed, when <paramref name="End"/> is <see cref="LiveCaptureEnd.Error"/>.</param>
/// <param name="ClockTimestamps">Frames the kernel gave no timestamp, stamped with the time they were read.</param>
public sealed record LiveCaptureResult(long Frames, long Bytes, long Seen, ulong Received, ulong Dropped, TimeSpan Elapsed, LiveCaptureEnd End,
    string? Error, long ClockTimestamps);

/// <summary>
/// A live capture on one or more interfaces: packet sockets (<see cref="PacketSocket"/>) read in turn as poll(2)
/// finds them ready, frames kept when they match the display filter, written as pcapng — one Interface Description
/// Block per interface with its name, link type, snapshot length and nanosecond resolution; Enhanced Packet Blocks
/// with the direction in <c>epb_flags</c>; at the end one Interface Statistics Block per interface with the kernel's
/// counters — to every output stream at once (a file, the analysis). Nothing is allocated per frame.
/// </summary>
public sealed class LiveCapture : IDisposable
{
    /// <summary>How long a poll waits before the stop conditions are looked at again (and buffered blocks flushed).</summary>
    private const int PollIntervalMs = 200;

    /// <summary>At most this many frames are read from one socket before the others and the stop conditions get a turn.</summary>
    private const int Batch = 512;

    private readonly LiveCaptureOptions _options;
    private readonly List<PacketSocket> _sockets;

    private LiveCapture(LiveCaptureOptions options, List<PacketSocket> sockets, long startNs)
    {
        _options = options;
        _sockets = sockets;
        StartNs = startNs;
        Path = string.Join(',', sockets.Select(s => s.Interface.Name));
        CaptureId = MakeCaptureId(Environment.MachineName, Path, startNs);
    }

    /// <summary>The interfaces, in the order of their interface ids in the pcapng.</summary>
    public IReadOnlyList<PacketSocket> Sockets => _sockets;

    /// <summary>When the sockets were bound: the start of the capture, as nanoseconds since the Unix epoch.</summary>
    public long StartNs { get; }

    /// <summary>The interfaces' names, comma-separated: the <c>path</c> of the captures row.</summary>
    public string Path { get; }

    /// <summary>
    /// 16 hex digits of an xxHash128 of the host name, the interfaces and the start time: the <c>capture_id</c> of
    /// the dataset's rows. A file's id is a hash of its bytes, which a capture does not have while its flows get
    /// their uids; analysing the written pcapng later gives the file's id instead.
    /// </summary>
    public string CaptureId { get; }

    /// <summary>
    /// Finds the interfaces and opens a socket on each. Throws <see cref="LiveCaptureException"/> when a name is
    /// unknown (with the names there are), when privileges are missing, or when packet sockets are unavailable.
    /// </summary>
    public static LiveCapture Open(LiveCaptureOptions options)
    {
        if (options.Interfaces.Count == 0)
            throw new ArgumentException("no interface to capture on", nameof(options));
        if (!OperatingSystem.IsLinux() || !Environment.Is64BitProcess)
            throw new LiveCaptureException(LiveCaptureError.Unsupported, "live capture needs 64-bit Linux (AF_PACKET sockets)");
        var found = new List<NetworkInterfaceInfo>();
        foreach (string name in options.Interfaces)
        {
            var iface = NetworkInterfaces.Find(name)
                ?? throw new LiveCaptureException(LiveCaptureError.NoSuchInterface,
                    $"no such interface: {name} (interfaces here: {string.Join(", ", NetworkInterfaces.List().Select(i => i.Name))})");
            if (found.Any(f => f.Index == iface.Index && f.Name == iface.Name))
                continue;
            found.Add(iface);
        }

        var sockets = new List<PacketSocket>();
        try
        {
            foreach (var iface in found)
                sockets.Add(PacketSocket.Open(iface, options.SnapLength, options.Promiscuous, options.BufferBytes));
        }
        catch
        {
            foreach (var s in sockets)
                s.Dispose();
            throw;
        }

        return new LiveCapture(options, sockets, UnixNowNs());
    }

    /// <summary>A line like tcpdump's "listening on": what is captured, how, and with which link type.</summary>
    public string Describe()
    {
        var parts = _sockets.Select(s =>
            $"{s.Interface.Name}, link-type {LinkTypes.Name(s.LinkType)}{(s.KernelTimestamps ? "" : ", receive-time timestamps")}");
        return $"capturing on {string.Join("; ", parts)}, snapshot length {_options.SnapLength} bytes";
    }

    /// <summary>
    /// Captures until <paramref name="stop"/> is cancelled, the count is reached or the duration has passed, writing
    /// pcapng to <paramref name="output"/>. Reading or writing errors end the capture too: they are in the result,
    /// and what was captured before is written and complete. The output is flushed at the end and whenever no frame
    /// came for a poll interval, so a reader of it is at most that far behind; it is not closed.
    /// </summary>
    public unsafe LiveCaptureResult Run(Stream output, DissectionEngine? filterEngine, CancellationToken stop)
    {
        if (_options.Filter is not null && filterEngine is null)
            throw new ArgumentException("a display filter needs a dissection engine", nameof(filterEngine));
        int n = _sockets.Count;
        var writer = new PcapNgWriter(output, leaveOpen: true);
        var state = new RunState(writer, filterEngine, _options.Filter, n, _options.Count ?? long.MaxValue);
        var clock = Stopwatch.StartNew();
        var end = LiveCaptureEnd.Stopped;
        string? error = null;
        var fds = stackalloc Native.PollFd[n];
        for (int i = 0; i < n; i++)
            fds[i] = new Native.PollFd { Fd = _sockets[i].Descriptor, Events = Native.PollIn };
        try
        {
            WriteHeaders(writer);
            writer.Flush();
            // The duration counts from the start of the capture (the sockets were bound and queue frames since).
            long deadline = _options.Duration is TimeSpan d
                ? clock.ElapsedTicks + (long)((d.TotalSeconds - (UnixNowNs() - StartNs) / 1e9) * Stopwatch.Frequency)
                : long.MaxValue;
            long lastFlush = clock.ElapsedTicks;
            while (!state.Reached)
            {
                if (stop.IsCancellationRequested)
                    break;
                long now = clock.ElapsedTicks;
                if (now >= deadline)
                {
                    end = LiveCaptureEnd.Duration;
                    break;
                }

                long remainingMs = deadline == long.MaxValue ? PollIntervalMs : (deadline - now) * 1000 / Stopwatch.Frequency + 1;
                int ready = Poll(fds, n, (int)Math.Min(PollIntervalMs, remainingMs));
                for (int i = 0; i < n && ready > 0 && !state.Reached; i++)
                {
                    if (fds[i].Revents != 0)
                        Read(state, i, long.MaxValue);
                }

                now = clock.ElapsedTicks;
                if (ready == 0 || now - lastFlush >= Stopwatch.Frequency)
                {
                    writer.Flush();
                    lastFlush = now;
                }
            }

            if (state.Reached)
                end = LiveCaptureEnd.Count;
            else
                Drain(state, fds, end == LiveCaptureEnd.Duration ? StartNs + (long)(_options.Duration!.Value.TotalSeconds * 1e9) : UnixNowNs());
        }
        catch (LiveCaptureException e)
        {
            end = LiveCaptureEnd.Error;
            error = e.Message;
        }
        catch (IOException e)
        {
            end = LiveCaptureEnd.Error;
            error = $"writing the capture failed: {e.Message}";
        }

        long endNs = UnixNowNs();
        var elapsed = TimeSpan.FromTicks((endNs - StartNs) / 100);
        ulong received = 0, dropped = 0;
        long clockStamps = 0;
        try
        {
            for (int i = 0; i < n; i++)
            {
                var (r, dr) = _sockets[i].Statistics();
                received += r;
                dropped += dr;
                clockStamps += _sockets[i].ClockTimestamps;
                writer.WriteInterfaceStatistics(i, endNs, new InterfaceCounters
                {
                    StartTimeNs = StartNs,
                    EndTimeNs = endNs,
                    Received = r,
                    DroppedByOs = dr,
                    DeliveredToUser = (ulong)state.Written[i],
                });
            }

            writer.Complete();
        }
        catch (IOException e) when (error is null)
        {
            end = LiveCaptureEnd.Error;
            error = $"writing the capture failed: {e.Message}";
        }

        return new LiveCaptureResult(state.Frames, state.Bytes, state.Seen, received, dropped, elapsed, end, error, clockStamps);
    }

    /// <summary>What a run has counted so far, and what it writes with.</summary>
    private sealed class RunState(PcapNgWriter writer, DissectionEngine? engine, DisplayFilter? filter, int interfaces, long count)
    {
        public PcapNgWriter Writer { get; } = writer;
        public DissectionEngine? Engine { get; } = engine;
        public DisplayFilter? Filter { get; } = filter;
        public PacketContext Context { get; } = new();
        public long[] Written { get; } = new long[interfaces];
        public long Count { get; } = count;
        public long Frames, Bytes, Seen;
        public bool Reached => Frames >= Count;
    }

    private static unsafe int Poll(Native.PollFd* fds, int n, int timeoutMs)
    {
        while (true)
        {
            int ready = Native.Poll(fds, (nuint)n, timeoutMs);
            if (ready >= 0)
                return ready;
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Native.Eintr)
                throw new LiveCaptureException(LiveCaptureError.Failed, $"poll failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
        }
    }

    /// <summary>
    /// Reads up to <see cref="Batch"/> frames of socket <paramref name="i"/>, keeping those not later than
    /// <paramref name="untilNs"/> that pass the filter. Returns false when the socket had nothing more.
    /// </summary>
    private bool Read(RunState state, int i, long untilNs)
    {
        var socket = _sockets[i];
        for (int b = 0; b < Batch; b++)
        {
            var status = socket.TryReceive(out ReceivedFrame frame);
            if (status == ReceiveStatus.Empty)
                return false;
            if (status == ReceiveStatus.Skipped || frame.TimestampNs > untilNs)
                continue;
            state.Seen++;
            if (state.Filter is not null && !Matches(state.Engine!, state.Context, state.Filter, socket, i, state.Seen, frame))
                continue;
            state.Writer.WritePacket(i, frame.TimestampNs, frame.Data, frame.OriginalLength, flags: FrameAssembler.EpbFlags(frame.PacketType));
            state.Written[i]++;
            state.Frames++;
            state.Bytes += frame.Data.Length;
            if (state.Reached)
                return true;
        }

        return true;
    }

    /// <summary>
    /// After a stop or the end of the duration: the frames the kernel received before that moment
    /// (<paramref name="stopNs"/>: the signal's arrival, or exactly the end of the duration) but had not handed over
    /// yet (a ring block waits up to <see cref="PacketRing.RetireTimeoutMs"/> before it is handed over, a socket queue
    /// may hold some) are read and kept; later ones are not.
    /// </summary>
    private unsafe void Drain(RunState state, Native.PollFd* fds, long stopNs)
    {
        var clock = Stopwatch.StartNew();
        long wait = (PacketRing.RetireTimeoutMs * 2 + 20) * Stopwatch.Frequency / 1000;
        while (!state.Reached)
        {
            bool more = false;
            for (int i = 0; i < _sockets.Count && !state.Reached; i++)
                more |= Read(state, i, stopNs);
            if (!more && clock.ElapsedTicks >= wait)
                return;
            if (!more)
                Poll(fds, _sockets.Count, 10);
        }
    }

    private static bool Matches(DissectionEngine engine, PacketContext context, DisplayFilter filter, PacketSocket socket, int interfaceId, long number,
        in ReceivedFrame received)
    {
        var info = new FrameInfo
        {
            Number = number,
            InterfaceId = interfaceId,
            InterfaceIndex = interfaceId,
            LinkType = socket.LinkType,
            TimestampNs = received.TimestampNs,
            HasTimestamp = true,
            CapturedLength = received.Data.Length,
            OriginalLength = received.OriginalLength,
            Flags = FrameAssembler.EpbFlags(received.PacketType),
        };
        var frame = new Frame(info, received.Data);
        engine.Dissect(frame, context, false, null, recordFrameFields: true);
        return filter.Matches(context, received.Data);
    }

    private void WriteHeaders(PcapNgWriter writer)
    {
        var comments = new List<string>();
        if (_options.CommandLine is { Length: > 0 } commandLine)
            comments.Add($"pcapforge {commandLine}");
        string os = OperatingSystemName();
        writer.WriteSectionHeader(CpuModel(), os, $"PcapForge {CaptureAnalysisVersion()}", comments);
        foreach (var socket in _sockets)
        {
            var iface = socket.Interface;
            // if_MACaddr is a 6-byte address; the loopback device's is all zeros and says nothing.
            string? mac = iface.MacAddress is { Length: 17 } m && m != "00:00:00:00:00:00" ? m.Replace(":", "", StringComparison.Ordinal) : null;
            writer.AddInterface(new InterfaceDescription(socket.LinkType, (uint)_options.SnapLength)
            {
                Name = iface.Name,
                Description = iface.IsAny ? "Pseudo-device that captures on all interfaces" : null,
                OperatingSystem = os,
                MacAddress = mac,
                // The kernel's stamps (ring frames, SO_TIMESTAMPNS) are nanoseconds; the fallback clock (DateTime) has 100 ns ticks.
                Resolution = socket.KernelTimestamps ? TimestampResolution.Nanoseconds : new TimestampResolution(false, 7),
            });
        }
    }

    private static string CaptureAnalysisVersion() => Flows.CaptureAnalysis.ToolVersion;

    /// <summary>shb_os and if_os as dumpcap writes them: the kernel's name and release (uname -sr), else the distribution.</summary>
    private static string OperatingSystemName()
    {
        try
        {
            return $"Linux {File.ReadAllText("/proc/sys/kernel/osrelease").Trim()}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return RuntimeInformation.OSDescription;
        }
    }

    /// <summary>shb_hardware as dumpcap writes it: the CPU's model name from /proc/cpuinfo.</summary>
    private static string? CpuModel()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/cpuinfo"))
            {
                if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':') is int colon and > 0)
                    return line[(colon + 1)..].Trim();
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }

    internal static string MakeCaptureId(string host, string path, long startNs)
    {
        var hash = new XxHash128();
        hash.Append(Encoding.UTF8.GetBytes($"live\n{host}\n{path}\n{startNs}"));
        return Convert.ToHexStringLower(hash.GetCurrentHash())[..16];
    }

    private static long UnixNowNs() => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;

    public void Dispose()
    {
        foreach (var s in _sockets)
            s.Dispose();
    }
}
