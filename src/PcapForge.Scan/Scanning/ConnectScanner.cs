using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PcapForge.Scan.Services;
using PcapForge.Scan.Targets;

namespace PcapForge.Scan.Scanning;

/// <summary>What a scan found, in target order and port order.</summary>
/// <param name="Targets">The addresses scanned.</param>
/// <param name="Options">How the scan ran.</param>
/// <param name="Results">One result per port that was scanned to the end.</param>
/// <param name="Start">When it started, nanoseconds since the Unix epoch.</param>
/// <param name="End">When it ended.</param>
/// <param name="NotScanned">Probes not run or not finished because <see cref="ScanOptions.MaxTime"/> ran out.</param>
public sealed record ScanRun(IReadOnlyList<ScanTarget> Targets, ScanOptions Options, IReadOnlyList<PortResult> Results, long Start, long End, long NotScanned)
{
    public bool DeadlineReached => NotScanned > 0;

    public TimeSpan Elapsed => TimeSpan.FromTicks((End - Start) / 100);
}

/// <summary>
/// A TCP connect scan (nmap -sT): a full connect() through the kernel to each port of each target, so it needs no
/// privilege. The states follow nmap(1), "Port Scanning Techniques": connected is open (reason syn-ack), refused is
/// closed (conn-refused), no answer within <see cref="ScanOptions.Timeout"/> is filtered (no-response), and an ICMP
/// unreachable that connect() reports (EHOSTUNREACH, ENETUNREACH) is filtered too. No host discovery is done first
/// (nmap -Pn): every target is scanned.
/// </summary>
public sealed class ConnectScanner
{
    /// <summary>
    /// Most probes (addresses × ports) in one scan: every result is kept until the report and the dataset are written,
    /// so this bounds memory (about 300 MB), e.g. 64 hosts × all ports or 4096 addresses × the top 1000.
    /// </summary>
    public const long MaxProbes = 4_194_304;

    private readonly ScanOptions _options;
    private readonly RateLimiter _rate;
    private readonly SemaphoreSlim _slots;

    public ConnectScanner(ScanOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Concurrency, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Concurrency, ScanOptions.MaxConcurrency);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.Timeout, TimeSpan.Zero);
        _options = options;
        _rate = new RateLimiter(options.Rate);
        _slots = new SemaphoreSlim(options.Concurrency, options.Concurrency);
    }

    /// <summary>
    /// Scans every port of every target. Stops by itself after <see cref="ScanOptions.MaxTime"/>, with the ports done
    /// so far; <paramref name="cancel"/> (Ctrl-C) throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public async Task<ScanRun> RunAsync(IReadOnlyList<ScanTarget> targets, CancellationToken cancel)
    {
        long total = (long)targets.Count * _options.Ports.Count;
        if (total > MaxProbes)
            throw new ScanUsageException($"{targets.Count:N0} addresses × {_options.Ports.Count:N0} ports are {total:N0} probes; a scan takes at most {MaxProbes:N0} (name fewer addresses or ports)");
        long start = UnixNowNs();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(_options.MaxTime);
        var token = deadline.Token;
        var results = new List<(int Target, PortResult Result)>();
        var running = new List<Task>();
        var prober = new ServiceProber(_options);
        try
        {
            for (int t = 0; t < targets.Count; t++)
            {
                for (int p = 0; p < _options.Ports.Count; p++)
                {
                    await _slots.WaitAsync(token).ConfigureAwait(false);
                    int index = t;
                    var target = targets[t];
                    int port = _options.Ports[p];
                    running.Add(Task.Run(async () =>
                    {
                        try
                        {
                            var result = await ProbeAsync(target, port, prober, token).ConfigureAwait(false);
                            lock (results)
                                results.Add((index, result));
                        }
                        finally
                        {
                            _slots.Release();
                        }
                    }, CancellationToken.None));
                    if (running.Count >= 4 * _options.Concurrency)
                        running.RemoveAll(task => task.IsCompletedSuccessfully);
                }
            }
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            // The deadline: stop starting probes; those running end on the same token.
        }

        try
        {
            await Task.WhenAll(running).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
        }

        cancel.ThrowIfCancellationRequested();
        var done = results.OrderBy(r => r.Target).ThenBy(r => r.Result.Port).Select(r => r.Result).ToList();
        return new ScanRun(targets, _options, done, start, UnixNowNs(), total - done.Count);
    }

    private async Task<PortResult> ProbeAsync(ScanTarget target, int port, ServiceProber prober, CancellationToken cancel)
    {
        var (socket, result) = await ConnectAsync(target, port, cancel).ConfigureAwait(false);
        if (socket is null)
            return result;
        try
        {
            if (!_options.ServiceDetection)
                return result;
            var service = await prober.DetectAsync(socket, target, port, async c => (await ConnectAsync(target, port, c).ConfigureAwait(false)).Socket, cancel)
                .ConfigureAwait(false);
            return result with { Service = service };
        }
        finally
        {
            Close(socket);
        }
    }

    /// <summary>
    /// One connect() under the rate limit and the timeout: the connected socket (open) or null, and the result. A
    /// connection to oneself is tried again: on a local address, a connect() whose ephemeral source port happens to be
    /// the destination port "succeeds" by TCP simultaneous open (RFC 9293 §3.5, figure 8) though nothing listens there.
    /// </summary>
    private async Task<(Socket? Socket, PortResult Result)> ConnectAsync(ScanTarget target, int port, CancellationToken cancel)
    {
        for (int attempt = 0; ; attempt++)
        {
            var (socket, result) = await ConnectOnceAsync(target, port, cancel).ConfigureAwait(false);
            if (socket is null || !IsSelfConnection(socket) || attempt > 0)
                return (socket, result);
            Close(socket);
        }
    }

    /// <summary>getsockopt level IPPROTO_TCP and option TCP_INFO (include/uapi/linux/tcp.h).</summary>
    private const int IpProtoTcp = 6, TcpInfo = 11;

    /// <summary>
    /// Offset of <c>tcpi_rtt</c> (microseconds, u32) in <c>struct tcp_info</c>: 8 bytes of u8 fields, then 15 u32
    /// (rto … rcv_ssthresh) before it; stable since Linux 2.6.
    /// </summary>
    private const int TcpInfoRttOffset = 68;

    /// <summary>
    /// The handshake's round-trip time as the kernel measured it (from the SYN to the SYN-ACK, its first sample of
    /// the smoothed RTT), free of this process's scheduling and JIT time, which the wall-clock connect time includes.
    /// Linux only; null elsewhere or when the option cannot be read.
    /// </summary>
    internal static TimeSpan? KernelRtt(Socket socket)
    {
        if (!OperatingSystem.IsLinux())
            return null;
        Span<byte> info = stackalloc byte[256];
        try
        {
            int length = socket.GetRawSocketOption(IpProtoTcp, TcpInfo, info);
            if (length < TcpInfoRttOffset + sizeof(uint))
                return null;
            uint microseconds = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(info[TcpInfoRttOffset..]);
            return microseconds == 0 ? null : TimeSpan.FromMicroseconds(microseconds);
        }
        catch (SocketException)
        {
            return null;
        }
    }

    internal static bool IsSelfConnection(Socket socket) =>
        socket.LocalEndPoint is IPEndPoint local && socket.RemoteEndPoint is IPEndPoint remote && local.Equals(remote);

    private async Task<(Socket? Socket, PortResult Result)> ConnectOnceAsync(ScanTarget target, int port, CancellationToken cancel)
    {
        await _rate.WaitAsync(cancel).ConfigureAwait(false);
        var socket = new Socket(target.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(_options.Timeout);
        long began = Stopwatch.GetTimestamp();
        PortState state;
        string reason;
        try
        {
            await socket.ConnectAsync(new IPEndPoint(target.Address, port), timeout.Token).ConfigureAwait(false);
            var elapsed = Stopwatch.GetElapsedTime(began);
            return (socket, new PortResult(target, port, PortState.Open, "syn-ack", UnixNowNs(), elapsed) { Rtt = KernelRtt(socket) });
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            (state, reason) = (PortState.Filtered, "no-response");
        }
        catch (SocketException e)
        {
            (state, reason) = Classify(e.SocketErrorCode);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var time = Stopwatch.GetElapsedTime(began);
        socket.Dispose();
        return (null, new PortResult(target, port, state, reason, UnixNowNs(), state == PortState.Closed ? time : null));
    }

    /// <summary>
    /// connect(2)'s errors as nmap names them: ECONNREFUSED (a RST) is closed; the kernel's own timeout and the ICMP
    /// unreachables (RFC 1122 §4.2.3.9 says a host unreachable must not abort the connection, but Linux reports it
    /// once its retries fail) are filtered; EACCES/EPERM come from a local firewall rule refusing to send.
    /// </summary>
    internal static (PortState, string) Classify(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => (PortState.Closed, "conn-refused"),
        SocketError.TimedOut => (PortState.Filtered, "no-response"),
        SocketError.HostUnreachable or SocketError.HostDown => (PortState.Filtered, "host-unreach"),
        SocketError.NetworkUnreachable or SocketError.NetworkDown => (PortState.Filtered, "net-unreach"),
        SocketError.AccessDenied => (PortState.Filtered, "admin-prohibited"),
        _ => (PortState.Filtered, error.ToString().ToLowerInvariant()),
    };

    /// <summary>Closes a connection in an orderly way (FIN), so the server sees a normal end rather than a reset.</summary>
    internal static void Close(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        socket.Dispose();
    }

    internal static long UnixNowNs() => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
}
