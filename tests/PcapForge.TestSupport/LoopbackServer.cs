using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PcapForge.TestSupport;

/// <summary>
/// A TCP server on 127.0.0.1 (or ::1) for a scanner test to find: each accepted connection runs the handler. It counts
/// connections, the most open at once, and keeps what the handler recorded.
/// </summary>
public sealed class LoopbackServer : IDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Gauge _gauge;
    private int _accepted;

    public LoopbackServer(Func<Socket, LoopbackServer, CancellationToken, Task> handler, IPAddress? address = null, Gauge? gauge = null)
    {
        _gauge = gauge ?? new Gauge();
        _listener = new TcpListener(address ?? IPAddress.Loopback, 0);
        _listener.Start(backlog: 64);
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                Socket client;
                try
                {
                    client = await _listener.AcceptSocketAsync(_stop.Token);
                }
                catch (Exception)
                {
                    return;
                }

                Interlocked.Increment(ref _accepted);
                _gauge.Opened();

                _ = Task.Run(async () =>
                {
                    try
                    {
                        await handler(client, this, _stop.Token);
                    }
                    catch (Exception)
                    {
                        // The scanner may close first; that is its right.
                    }
                    finally
                    {
                        client.Dispose();
                        _gauge.Closed();
                    }
                });
            }
        });
    }

    public int Port { get; }

    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Connections open at once, counted over every server that shares it.</summary>
    public sealed class Gauge
    {
        private int _open;
        private int _max;

        public int Max => Volatile.Read(ref _max);

        public void Opened()
        {
            int open = Interlocked.Increment(ref _open);
            int max;
            while ((max = Volatile.Read(ref _max)) < open && Interlocked.CompareExchange(ref _max, open, max) != max)
            {
            }
        }

        public void Closed() => Interlocked.Decrement(ref _open);
    }

    /// <summary>What the handlers recorded (the lines a client sent).</summary>
    public ConcurrentQueue<string> Received { get; } = new();

    /// <summary>A port on which nothing listens: bound, then released (the kernel does not hand it out again at once).</summary>
    public static int ClosedPort(IPAddress? address = null)
    {
        var l = new TcpListener(address ?? IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }

    // Handlers.

    public static Func<Socket, LoopbackServer, CancellationToken, Task> Banner(string text, TimeSpan? hold = null) => async (s, _, c) =>
    {
        await s.SendAsync(Encoding.UTF8.GetBytes(text), c);
        await WaitForClose(s, hold ?? TimeSpan.FromSeconds(10), c);
    };

    public static Func<Socket, LoopbackServer, CancellationToken, Task> Bytes(byte[] bytes) => async (s, _, c) =>
    {
        await s.SendAsync(bytes, c);
        await WaitForClose(s, TimeSpan.FromSeconds(10), c);
    };

    /// <summary>Accepts and says nothing until the client goes (or the hold ends).</summary>
    public static Func<Socket, LoopbackServer, CancellationToken, Task> Silent(TimeSpan? hold = null) => (s, _, c) =>
        WaitForClose(s, hold ?? TimeSpan.FromSeconds(10), c);

    /// <summary>Accepts and closes at once, as a TCP wrapper refusing the client does.</summary>
    public static Func<Socket, LoopbackServer, CancellationToken, Task> CloseAtOnce() => (s, _, _) =>
    {
        s.Shutdown(SocketShutdown.Both);
        return Task.CompletedTask;
    };

    /// <summary>
    /// An SMTP server: greeting, then a reply per command line (RFC 5321 §4.2), recording each line it got.
    /// </summary>
    public static Func<Socket, LoopbackServer, CancellationToken, Task> Smtp(string greeting, Func<string, string?> reply) => async (s, server, c) =>
    {
        await s.SendAsync(Encoding.ASCII.GetBytes(greeting), c);
        var reader = new LineReader(s);
        while (await reader.ReadLineAsync(c) is { } line)
        {
            server.Received.Enqueue(line);
            if (reply(line) is not { } answer)
                return;
            await s.SendAsync(Encoding.ASCII.GetBytes(answer), c);
        }
    };

    /// <summary>An HTTP/1.0 server: reads a request head, records its lines joined by '|', answers and closes.</summary>
    public static Func<Socket, LoopbackServer, CancellationToken, Task> Http(Func<string, string> respond) => async (s, server, c) =>
    {
        var reader = new LineReader(s);
        var lines = new List<string>();
        while (await reader.ReadLineAsync(c) is { Length: > 0 } line)
            lines.Add(line);
        string request = string.Join('|', lines);
        server.Received.Enqueue(request);
        await s.SendAsync(Encoding.UTF8.GetBytes(respond(request)), c);
        s.Shutdown(SocketShutdown.Send);
        await WaitForClose(s, TimeSpan.FromSeconds(5), c);
    };

    private static async Task WaitForClose(Socket s, TimeSpan hold, CancellationToken c)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(c);
        limit.CancelAfter(hold);
        var buffer = new byte[512];
        try
        {
            while (await s.ReceiveAsync(buffer, SocketFlags.None, limit.Token) > 0)
            {
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private sealed class LineReader(Socket socket)
    {
        private readonly List<byte> _pending = [];

        public async Task<string?> ReadLineAsync(CancellationToken c)
        {
            var buffer = new byte[512];
            while (true)
            {
                int lf = _pending.IndexOf((byte)'\n');
                if (lf >= 0)
                {
                    string line = Encoding.UTF8.GetString(_pending.GetRange(0, lf).ToArray()).TrimEnd('\r');
                    _pending.RemoveRange(0, lf + 1);
                    return line;
                }

                int n = await socket.ReceiveAsync(buffer, SocketFlags.None, c);
                if (n == 0)
                    return null;
                _pending.AddRange(buffer.AsSpan(0, n).ToArray());
            }
        }
    }
}
