using System.Net.Sockets;
using PcapForge.Scan.Scanning;

namespace PcapForge.Scan.Services;

/// <summary>
/// A connected socket and the bytes read from it so far, for reading a banner or a reply until it is whole, the peer
/// closes, a byte limit is reached or a wait runs out. Only <see cref="Data"/>'s first <see cref="Length"/> bytes count.
/// The bytes go through a stream: the socket's own, or a TLS session over it.
/// </summary>
internal sealed class ProbeConnection : IDisposable
{
    private readonly Socket _socket;
    private readonly Stream _stream;
    private byte[] _buffer;
    private readonly int _limit;

    public ProbeConnection(Socket socket, int limit)
        : this(socket, Wrap(socket), limit)
    {
    }

    /// <summary>The socket's stream; a socket it cannot wrap (closed meanwhile) is closed, not leaked.</summary>
    internal static NetworkStream Wrap(Socket socket)
    {
        try
        {
            return new NetworkStream(socket, ownsSocket: false);
        }
        catch
        {
            ConnectScanner.Close(socket);
            throw;
        }
    }

    /// <param name="socket">The connection (closed with this).</param>
    /// <param name="stream">What reads and writes it: a TLS session over it, say (disposed with this).</param>
    /// <param name="limit">Most bytes read.</param>
    public ProbeConnection(Socket socket, Stream stream, int limit)
    {
        _socket = socket;
        _stream = stream;
        _limit = limit;
        _buffer = new byte[Math.Min(limit, 4096)];
    }

    /// <summary>Bytes received so far.</summary>
    public ReadOnlySpan<byte> Data => _buffer.AsSpan(0, Length);

    public int Length { get; private set; }

    /// <summary>The peer closed its side (or reset the connection): nothing more will come.</summary>
    public bool Closed { get; private set; }

    public System.Net.IPEndPoint? LocalEndPoint => _socket.LocalEndPoint as System.Net.IPEndPoint;

    /// <summary>
    /// Reads until <paramref name="complete"/> says the bytes so far are whole, the peer closes, <c>limit</c> bytes
    /// have come, or <paramref name="wait"/> has passed; after the first whole line, at most <paramref name="grace"/>
    /// more (a server may send several lines, but an incomplete-looking one need not hold the probe to the full wait).
    /// Cancelling <paramref name="cancel"/> (the scan's deadline, Ctrl-C) throws; running out of time does not.
    /// </summary>
    public async Task ReadAsync(Func<ReadOnlyMemory<byte>, bool> complete, TimeSpan wait, TimeSpan? grace, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + wait;
        while (!Closed && Length < _limit && !complete(_buffer.AsMemory(0, Length)))
        {
            if (grace is { } g && Data.IndexOf((byte)'\n') >= 0)
            {
                var graceEnd = DateTime.UtcNow + g;
                if (graceEnd < deadline)
                    deadline = graceEnd;
                grace = null;
            }

            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
                return;
            if (Length == _buffer.Length)
                Array.Resize(ref _buffer, Math.Min(_limit, _buffer.Length * 2));
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            timeout.CancelAfter(remaining);
            int read;
            try
            {
                read = await _stream.ReadAsync(_buffer.AsMemory(Length, Math.Min(_buffer.Length, _limit) - Length), timeout.Token)
                    .ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is SocketException or IOException)
            {
                // A reset (or another error) ends what the peer can send, like a close.
                Closed = true;
                return;
            }

            if (read == 0)
                Closed = true;
            Length += read;
        }
    }

    /// <summary>Sends bytes; false when the peer has gone (reset, closed for writing).</summary>
    public async Task<bool> SendAsync(ReadOnlyMemory<byte> data, TimeSpan timeout, CancellationToken cancel)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        limit.CancelAfter(timeout);
        try
        {
            await _stream.WriteAsync(data, limit.Token).ConfigureAwait(false);
            await _stream.FlushAsync(limit.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return false;
        }
    }

    /// <summary>Forgets what was read (the next reply starts at offset 0).</summary>
    public void Clear() => Length = 0;

    public void Dispose()
    {
        try
        {
            _stream.Dispose();
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            // A TLS session that cannot send its close_notify any more: the socket is closed below all the same.
        }

        ConnectScanner.Close(_socket);
    }
}
