using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PcapForge.Cli.Tests;

/// <summary>
/// A network namespace of the test's own with real servers on its loopback interface: nginx on 80 and 8080, OpenSSH
/// on 22, Postfix on 25 (when no other Postfix runs: the system has one instance), and an iptables rule that drops
/// SYNs to 9999 so that port times out. Nothing outside the namespace is touched; everything is removed again, also
/// after a failed start. Needs root and the programs named in <see cref="Missing"/>; see /work/shared/CAPTURING.md.
/// </summary>
public sealed class ScanLab : IDisposable
{
    public const int DroppedPort = 9999;

    private static readonly string[] Programs = ["/usr/sbin/ip", "/usr/sbin/nginx", "/usr/sbin/sshd", "/usr/bin/ssh-keygen", "/usr/sbin/iptables", "/usr/sbin/ip6tables", "/usr/bin/nmap"];

    private readonly List<Process> _servers = [];
    private readonly string _dir;
    private bool _postfixStarted;

    /// <summary>Why the lab cannot be built here, or null when it can.</summary>
    public static string? Missing
    {
        get
        {
            if (!OperatingSystem.IsLinux())
                return "network namespaces are Linux only";
            if (!Environment.IsPrivilegedProcess)
                return "not root: the scan lab needs a network namespace (ip netns add), so the nmap comparison is skipped";
            string? absent = Programs.FirstOrDefault(p => !File.Exists(p));
            return absent is null ? null : $"{absent} is not installed: the scan lab (nginx, sshd, iptables, nmap) is skipped";
        }
    }

    public ScanLab()
    {
        Name = $"pfscan-{Environment.ProcessId}";
        RemoveStaleNamespaces();
        _dir = Directory.CreateTempSubdirectory("pcapforge-scanlab-").FullName;
        try
        {
            Start();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The namespace's name.</summary>
    public string Name { get; }

    /// <summary>The page nginx serves at /, whose title -sV reads.</summary>
    public const string Title = "PcapForge scan lab & friends";

    /// <summary>nginx serves the same site over TLS here, with a self-signed certificate the lab makes.</summary>
    public const int TlsPort = 8443;

    /// <summary>The subject of that certificate.</summary>
    public const string CertificateSubject = "CN=scanlab.pcapforge.test";

    /// <summary>SHA-256 of the certificate (DER), lower-case hex.</summary>
    public string CertificateSha256 { get; private set; } = "";

    /// <summary>When the certificate expires (whole seconds).</summary>
    public DateTimeOffset CertificateNotAfter { get; private set; }

    /// <summary>Whether Postfix listens on 25 (it does not when another Postfix was already running).</summary>
    public bool HasPostfix => _postfixStarted;

    /// <summary>Why Postfix is not there, for the test's output.</summary>
    public string? PostfixNote { get; private set; }

    /// <summary>Runs a command inside the namespace.</summary>
    public (int Exit, string Out, string Err) Exec(string program, params string[] args) =>
        CliBuild.Run("/usr/sbin/ip", ["netns", "exec", Name, program, .. args], TimeSpan.FromMinutes(3));

    private void Start()
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException(Missing);
        Must("/usr/sbin/ip", "netns", "add", Name);
        Must("/usr/sbin/ip", "-n", Name, "link", "set", "lo", "up");
        // Folders the nginx worker (www-data) reads must be world-readable.
        File.SetUnixFileMode(_dir, (UnixFileMode)0b111_101_101);
        string www = Path.Combine(_dir, "www");
        Directory.CreateDirectory(www);
        File.SetUnixFileMode(www, (UnixFileMode)0b111_101_101);
        File.WriteAllText(Path.Combine(www, "index.html"), "<!DOCTYPE html>\n<html><head><title>PcapForge scan lab &amp; friends</title></head><body>lab</body></html>\n");
        File.SetUnixFileMode(Path.Combine(www, "index.html"), (UnixFileMode)0b110_100_100);
        string certificate = Path.Combine(_dir, "tls.crt"), privateKey = Path.Combine(_dir, "tls.key");
        using (var rsa = RSA.Create(2048))
        {
            var request = new CertificateRequest(CertificateSubject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var now = DateTimeOffset.UtcNow;
            using var cert = request.CreateSelfSigned(now.AddDays(-1), new DateTimeOffset(now.Year + 1, 1, 1, 0, 0, 0, TimeSpan.Zero));
            File.WriteAllText(certificate, cert.ExportCertificatePem());
            File.WriteAllText(privateKey, rsa.ExportPkcs8PrivateKeyPem());
            CertificateSha256 = Convert.ToHexStringLower(cert.GetCertHash(HashAlgorithmName.SHA256));
            CertificateNotAfter = new DateTimeOffset(cert.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        }

        string nginx = Path.Combine(_dir, "nginx.conf");
        File.WriteAllText(nginx, $$"""
            daemon off;
            pid {{_dir}}/nginx.pid;
            error_log {{_dir}}/nginx.err;
            events { worker_connections 64; }
            http {
                access_log off;
                server { listen 80; listen [::]:80; listen 8080; listen [::]:8080; root {{www}}; }
                server { listen {{TlsPort}} ssl; listen [::]:{{TlsPort}} ssl; ssl_certificate {{certificate}}; ssl_certificate_key {{privateKey}}; root {{www}}; }
            }
            """);
        Launch("/usr/sbin/nginx", "-c", nginx);

        string key = Path.Combine(_dir, "hostkey");
        Must("/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key);
        string sshd = Path.Combine(_dir, "sshd_config");
        File.WriteAllText(sshd, $"Port 22\nHostKey {key}\nUsePAM no\nStrictModes no\nPidFile {_dir}/sshd.pid\n");
        Directory.CreateDirectory("/run/sshd");
        Launch("/usr/sbin/sshd", "-D", "-e", "-f", sshd);

        // Postfix has one instance per machine (a second one with -c fails silently, CAPTURING.md): use it only when
        // nobody else is, and stop it again.
        if (!File.Exists("/usr/sbin/postfix"))
        {
            PostfixNote = "Postfix is not installed";
        }
        else if (CliBuild.Run("/usr/sbin/postfix", ["status"]).Exit == 0)
        {
            PostfixNote = "Postfix is already running (another test or session uses it); port 25 is not compared";
        }
        else
        {
            var (exit, _, err) = Exec("/usr/sbin/postfix", "start");
            _postfixStarted = exit == 0;
            if (!_postfixStarted)
                PostfixNote = $"postfix start failed: {err.Trim()}";
        }

        foreach (string tables in new[] { "/usr/sbin/iptables", "/usr/sbin/ip6tables" })
        {
            var (exit, _, err) = Exec(tables, "-A", "INPUT", "-p", "tcp", "--dport", DroppedPort.ToString(CultureInfo.InvariantCulture), "-j", "DROP");
            if (exit != 0)
                throw new InvalidOperationException($"{tables} in {Name}: {err}");
        }

        WaitForListeners(_postfixStarted ? [22, 25, 80, 8080, TlsPort] : [22, 80, 8080, TlsPort]);
    }

    private void WaitForListeners(int[] ports)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var (_, listening, _) = Exec("/usr/bin/ss", "-Htln");
            var missing = ports.Where(p => !listening.Contains($"127.0.0.1:{p} ") && !listening.Contains($"0.0.0.0:{p} ")).ToList();
            if (missing.Count == 0)
                return;
            if (clock.Elapsed > TimeSpan.FromSeconds(15))
                throw new InvalidOperationException($"servers in {Name} did not listen on {string.Join(", ", missing)}: {listening}\nnginx: {Read("nginx.err")}");
            Thread.Sleep(100);
        }
    }

    private string Read(string file)
    {
        string path = Path.Combine(_dir, file);
        return File.Exists(path) ? File.ReadAllText(path) : "";
    }

    private void Launch(string program, params string[] args)
    {
        // ip netns exec execs the program, so the process started is the server itself.
        var start = new ProcessStartInfo("/usr/sbin/ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "netns", "exec", Name, program }.Concat(args))
            start.ArgumentList.Add(a);
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _servers.Add(process);
    }

    private static void Must(string program, params string[] args)
    {
        var (exit, output, error) = CliBuild.Run(program, args);
        if (exit != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({exit}): {error}{output}");
    }

    /// <summary>Namespaces of earlier test runs that died before cleaning up: pfscan-PID with that process gone.</summary>
    private static void RemoveStaleNamespaces()
    {
        var (_, list, _) = CliBuild.Run("/usr/sbin/ip", ["netns", "list"]);
        foreach (string line in list.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string name = line.Split(' ')[0];
            if (!name.StartsWith("pfscan-", StringComparison.Ordinal) || !int.TryParse(name["pfscan-".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
                continue;
            if (!Directory.Exists($"/proc/{pid}"))
                CliBuild.Run("/usr/sbin/ip", ["netns", "del", name]);
        }
    }

    public void Dispose()
    {
        if (_postfixStarted)
            CliBuild.Run("/usr/sbin/postfix", ["stop"]);
        foreach (var server in _servers)
        {
            try
            {
                if (!server.HasExited)
                    server.Kill(entireProcessTree: true);
                server.WaitForExit(5000);
            }
            catch (InvalidOperationException)
            {
            }

            server.Dispose();
        }

        CliBuild.Run("/usr/sbin/ip", ["netns", "del", Name]);
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A fact that needs the <see cref="ScanLab"/>: skipped, with the reason, without root or the programs.</summary>
public sealed class ScanLabFactAttribute : FactAttribute
{
    public ScanLabFactAttribute()
    {
        if (ScanLab.Missing is { } reason)
            Skip = reason;
    }
}
