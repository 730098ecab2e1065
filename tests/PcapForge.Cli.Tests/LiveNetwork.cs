using System.Diagnostics;
using System.Text;

namespace PcapForge.Cli.Tests;

/// <summary>
/// A fact that needs root and the tools of a live-capture test (ip, tcpdump, curl, python3); skipped with a message
/// saying which is missing.
/// </summary>
public sealed class LiveCaptureFactAttribute : FactAttribute
{
    public LiveCaptureFactAttribute()
    {
        if (LiveNetwork.Missing() is string missing)
            Skip = missing;
    }
}

/// <summary>A theory that needs what <see cref="LiveCaptureFactAttribute"/> needs.</summary>
public sealed class LiveCaptureTheoryAttribute : TheoryAttribute
{
    public LiveCaptureTheoryAttribute()
    {
        if (LiveNetwork.Missing() is string missing)
            Skip = missing;
    }
}

/// <summary>A child process whose standard error (and output) is collected as it comes.</summary>
internal sealed class Child : IDisposable
{
    private readonly StringBuilder _out = new(), _err = new();
    private readonly Lock _lock = new();

    public Child(string file, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments)
            info.ArgumentList.Add(a);
        Process = new Process { StartInfo = info };
        Process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                lock (_lock)
                    _out.AppendLine(e.Data);
        };
        Process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                lock (_lock)
                    _err.AppendLine(e.Data);
        };
        Process.Start();
        Process.BeginOutputReadLine();
        Process.BeginErrorReadLine();
        CommandLine = $"{file} {string.Join(' ', arguments)}";
    }

    public Process Process { get; }
    public string CommandLine { get; }

    public string Output
    {
        get
        {
            lock (_lock)
                return _out.ToString();
        }
    }

    public string Error
    {
        get
        {
            lock (_lock)
                return _err.ToString();
        }
    }

    /// <summary>Waits until standard error or output contains <paramref name="text"/>; fails the test after the timeout.</summary>
    public void WaitFor(string text, int timeoutMs = 60_000)
    {
        var clock = Stopwatch.StartNew();
        while (!Error.Contains(text, StringComparison.Ordinal) && !Output.Contains(text, StringComparison.Ordinal))
        {
            if (Process.HasExited)
                Assert.Fail($"{CommandLine} exited ({Process.ExitCode}) before printing '{text}':\n{Error}{Output}");
            if (clock.ElapsedMilliseconds > timeoutMs)
                Assert.Fail($"{CommandLine} did not print '{text}' within {timeoutMs} ms:\n{Error}{Output}");
            Thread.Sleep(50);
        }
    }

    /// <summary>Waits for the exit and returns the exit code; fails the test after the timeout.</summary>
    public int WaitForExit(int timeoutMs = 60_000)
    {
        if (!Process.WaitForExit(timeoutMs))
            Assert.Fail($"{CommandLine} did not end within {timeoutMs} ms:\n{Error}{Output}");
        Process.WaitForExit(); // the redirected streams are complete
        return Process.ExitCode;
    }

    /// <summary>Sends a signal (by name: TERM, INT) with kill(1).</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-s", name, Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) } })!;
        kill.WaitForExit();
    }

    public void Dispose()
    {
        try
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                Process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        Process.Dispose();
    }
}

/// <summary>
/// Two network namespaces joined by a veth pair, made for one test and removed when it ends, whatever happens
/// (CAPTURING.md): the server side <see cref="Server"/> with <see cref="ServerVeth"/> at <see cref="ServerIp"/>, the
/// client side <see cref="Client"/> at <see cref="ClientIp"/>. IPv6 is off on both so that no router solicitation
/// or multicast report comes at random times; every frame the test sees is one it made. Names are unique per run.
/// </summary>
internal sealed class LiveNetwork : IDisposable
{
    private readonly List<Child> _children = new();

    public LiveNetwork()
    {
        string id = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..8];
        Server = $"pfs{id}";
        Client = $"pfc{id}";
        ServerVeth = $"pf{id}s";
        ClientVeth = $"pf{id}c";
        int subnet = Random.Shared.Next(1, 250);
        ServerIp = $"10.213.{subnet}.1";
        ClientIp = $"10.213.{subnet}.2";
        Directory = System.IO.Directory.CreateTempSubdirectory("pcapforge-live-").FullName;
        try
        {
            Ip("netns", "add", Server);
            Ip("netns", "add", Client);
            Ip("link", "add", ServerVeth, "type", "veth", "peer", "name", ClientVeth);
            Ip("link", "set", ServerVeth, "netns", Server);
            Ip("link", "set", ClientVeth, "netns", Client);
            foreach (var (ns, veth, ip) in new[] { (Server, ServerVeth, ServerIp), (Client, ClientVeth, ClientIp) })
            {
                Run(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1");
                Run(ns, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1");
                Run(ns, "ip", "addr", "add", $"{ip}/24", "dev", veth);
                Run(ns, "ip", "link", "set", "lo", "up");
                Run(ns, "ip", "link", "set", veth, "up");
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Server { get; }
    public string Client { get; }
    public string ServerVeth { get; }
    public string ClientVeth { get; }
    public string ServerIp { get; }
    public string ClientIp { get; }

    /// <summary>A temporary folder for the test's files, world-readable for servers that drop privileges.</summary>
    public string Directory { get; }

    /// <summary>Why the live tests cannot run here, or null.</summary>
    public static string? Missing()
    {
        if (!OperatingSystem.IsLinux())
            return "live capture tests need Linux";
        if (!Environment.IsPrivilegedProcess)
            return "live capture tests need root (network namespaces, packet sockets); skipped";
        foreach (var tool in new[] { "ip", "tcpdump", "curl", "python3", "kill", "setpriv" })
        {
            if (Which(tool) is null)
                return $"live capture tests need {tool}, which is not installed; skipped";
        }

        return null;
    }

    public static string? Which(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':')
            .Select(d => Path.Combine(d, tool))
            .FirstOrDefault(File.Exists);

    /// <summary>pcapforge as a child process: the apphost beside the tests, else dotnet with its DLL.</summary>
    public static (string File, string[] Prefix) Pcapforge()
    {
        string apphost = Path.Combine(AppContext.BaseDirectory, "pcapforge");
        if (File.Exists(apphost))
            return (apphost, []);
        return (Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet",
            [Path.Combine(AppContext.BaseDirectory, "pcapforge.dll")]);
    }

    /// <summary>Starts a command inside a namespace; it is killed when the network is disposed if still running.</summary>
    public Child Start(string ns, params string[] command)
    {
        var child = new Child("ip", ["netns", "exec", ns, .. command]);
        _children.Add(child);
        return child;
    }

    /// <summary>Starts <c>pcapforge ARGS</c> inside a namespace.</summary>
    public Child StartPcapforge(string ns, params string[] arguments) => StartPcapforge(ns, ring: true, arguments);

    /// <summary>
    /// Starts <c>pcapforge ARGS</c> inside a namespace, reading frames through a TPACKET_V3 ring or, with
    /// <paramref name="ring"/> false, with recvmmsg(2) (the fallback for kernels that refuse a ring).
    /// </summary>
    public Child StartPcapforge(string ns, bool ring, params string[] arguments)
    {
        var (file, prefix) = Pcapforge();
        return ring ? Start(ns, [file, .. prefix, .. arguments]) : Start(ns, ["env", "PCAPFORGE_CAPTURE_RING=0", file, .. prefix, .. arguments]);
    }

    /// <summary>Runs a command inside a namespace to its end; fails the test when it fails.</summary>
    public string Run(string ns, params string[] command)
    {
        using var child = new Child("ip", ["netns", "exec", ns, .. command]);
        int exit = child.WaitForExit();
        Assert.True(exit == 0, $"{child.CommandLine} failed ({exit}):\n{child.Error}");
        return child.Output;
    }

    private static void Ip(params string[] arguments)
    {
        using var child = new Child("ip", arguments);
        int exit = child.WaitForExit();
        Assert.True(exit == 0, $"{child.CommandLine} failed ({exit}):\n{child.Error}");
    }

    /// <summary>Starts python's HTTP server on the server side, serving <see cref="Directory"/>, and waits until it listens.</summary>
    public Child StartHttpServer(int port)
    {
        var server = Start(Server, "python3", "-u", "-m", "http.server", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--bind", ServerIp, "--directory", Directory);
        server.WaitFor("Serving HTTP");
        return server;
    }

    /// <summary>
    /// tcpdump on the server side, writing every frame at once (no ring-block delay) with nanosecond times. Its ring
    /// gets 64 MiB: in immediate mode libpcap sizes each slot for the largest MTU (64 KiB on <c>lo</c> and <c>any</c>),
    /// so the default 2 MiB holds about 30 frames, and on a loaded machine a burst overflows it.
    /// </summary>
    public Child StartTcpdump(string iface, string file, params string[] filter)
    {
        var td = Start(Server, ["tcpdump", "-i", iface, "-w", file, "-Z", "root", "--immediate-mode", "-U", "-B", "65536", "--time-stamp-precision=nano", .. filter]);
        td.WaitFor("listening on");
        return td;
    }

    public void Dispose()
    {
        foreach (var c in _children)
            c.Dispose();
        foreach (var ns in new[] { Server, Client })
        {
            // Deleting a namespace removes the veth end in it, and with it the pair.
            using var del = new Child("ip", ["netns", "del", ns]);
            del.Process.WaitForExit(30_000);
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
