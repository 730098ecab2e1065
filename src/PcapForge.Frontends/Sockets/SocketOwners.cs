using System.Globalization;
using System.Text;

namespace PcapForge.Frontends.Sockets;

/// <summary>The process that holds a socket open.</summary>
/// <param name="Pid">Its process id.</param>
/// <param name="Program">What netstat shows after <c>PID/</c>: the first element of <c>/proc/PID/cmdline</c>, without its directory when it is an absolute path.</param>
/// <param name="Command">The whole command line, its elements joined by spaces (empty for a kernel thread).</param>
public sealed record SocketOwner(int Pid, string Program, string Command);

/// <summary>
/// Which process holds which socket, found as netstat finds it (net-tools netstat.c, prg_cache_load): every
/// <c>/proc/PID/fd/N</c> that links to <c>socket:[INODE]</c> (or the older <c>[0000]:INODE</c>) names its process as an
/// owner of that inode, processes in ascending PID order, and the first owner is kept when several processes share a
/// socket (after a fork). The fd folder of another user's process can be read only with CAP_SYS_PTRACE (root);
/// <see cref="SomeDenied"/> tells that such processes were skipped.
/// </summary>
public sealed class SocketOwners
{
    private const string SocketPrefix = "socket:[";
    private const string OldSocketPrefix = "[0000]:";

    private readonly Dictionary<long, SocketOwner> _byInode;

    private SocketOwners(Dictionary<long, SocketOwner> byInode, bool someDenied, int effectiveUid)
    {
        _byInode = byInode;
        SomeDenied = someDenied;
        EffectiveUid = effectiveUid;
    }

    /// <summary>Owners by socket inode.</summary>
    public IReadOnlyDictionary<long, SocketOwner> ByInode => _byInode;

    /// <summary>Some process's fd folder could not be read (permission denied), so its sockets have no owner here.</summary>
    public bool SomeDenied { get; }

    /// <summary>The effective user id of this process (from <c>/proc/self/status</c>; -1 when unknown), for netstat's note.</summary>
    public int EffectiveUid { get; }

    /// <summary>The owner of a socket inode, or null (no socket, or a process that could not be read).</summary>
    public SocketOwner? Of(long inode) => inode != 0 && _byInode.TryGetValue(inode, out var owner) ? owner : null;

    /// <summary>
    /// netstat's note on standard error when some processes could not be read: when none could be read at all, that
    /// <c>-p</c> needs root; otherwise that not all processes could be identified. Null when all could.
    /// </summary>
    public string? Note => !SomeDenied ? null
        : _byInode.Count == 0
            ? $"(No info could be read for \"-p\": geteuid()={EffectiveUid} but you should be root.)"
            : "(Not all processes could be identified, non-owned process info\n will not be shown, you would have to be root to see it all.)";

    /// <summary>Scans <c>PROC/[0-9]*/fd</c> under <paramref name="procRoot"/>.</summary>
    public static SocketOwners Read(string procRoot = ProcNetSockets.DefaultProcRoot)
    {
        var byInode = new Dictionary<long, SocketOwner>();
        bool denied = false;
        var pids = new List<int>();
        foreach (string directory in Directory.EnumerateDirectories(procRoot))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
                pids.Add(pid);
        }

        // The kernel lists /proc in ascending PID order and netstat keeps the first process it meets for an inode.
        pids.Sort();
        foreach (int pid in pids)
        {
            string processDirectory = Path.Combine(procRoot, pid.ToString(CultureInfo.InvariantCulture));
            var inodes = new List<long>();
            try
            {
                foreach (string fd in Directory.EnumerateFileSystemEntries(Path.Combine(processDirectory, "fd")))
                {
                    if (TryReadSocketInode(fd, out long inode))
                        inodes.Add(inode);
                }
            }
            catch (UnauthorizedAccessException)
            {
                denied = true;
                continue;
            }
            catch (IOException)
            {
                // The process ended while it was read.
                continue;
            }

            if (inodes.Count == 0)
                continue;
            SocketOwner? owner = ReadOwner(processDirectory, pid);
            if (owner is null)
                continue;
            foreach (long inode in inodes)
                byInode.TryAdd(inode, owner);
        }

        return new SocketOwners(byInode, denied, ReadEffectiveUid(procRoot));
    }

    private static bool TryReadSocketInode(string fdPath, out long inode)
    {
        inode = 0;
        string? target;
        try
        {
            target = new FileInfo(fdPath).LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        return target is not null && TryParseSocketLink(target, out inode);
    }

    /// <summary>The inode of a fd link's target <c>socket:[INODE]</c> (or the older <c>[0000]:INODE</c>).</summary>
    public static bool TryParseSocketLink(string target, out long inode)
    {
        inode = 0;
        ReadOnlySpan<char> digits;
        if (target.StartsWith(SocketPrefix, StringComparison.Ordinal) && target.EndsWith(']'))
            digits = target.AsSpan(SocketPrefix.Length, target.Length - SocketPrefix.Length - 1);
        else if (target.StartsWith(OldSocketPrefix, StringComparison.Ordinal))
            digits = target.AsSpan(OldSocketPrefix.Length);
        else
            return false;
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out inode);
    }

    private static SocketOwner? ReadOwner(string processDirectory, int pid)
    {
        byte[] cmdline;
        try
        {
            cmdline = File.ReadAllBytes(Path.Combine(processDirectory, "cmdline"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // As netstat: a process whose command line cannot be read is not named.
            return null;
        }

        return new SocketOwner(pid, ProgramName(cmdline), CommandLine(cmdline));
    }

    /// <summary>
    /// netstat's program name (prg_cache_load): the command line up to its first NUL, and when that starts with '/'
    /// only what follows the last '/'.
    /// </summary>
    public static string ProgramName(ReadOnlySpan<byte> cmdline)
    {
        int nul = cmdline.IndexOf((byte)0);
        var first = nul >= 0 ? cmdline[..nul] : cmdline;
        if (first.Length > 0 && first[0] == (byte)'/')
            first = first[(first.LastIndexOf((byte)'/') + 1)..];
        return Encoding.UTF8.GetString(first);
    }

    /// <summary>The command line's NUL-separated elements joined by spaces.</summary>
    public static string CommandLine(ReadOnlySpan<byte> cmdline)
    {
        var text = Encoding.UTF8.GetString(cmdline.TrimEnd((byte)0));
        return text.Replace('\0', ' ');
    }

    private static int ReadEffectiveUid(string procRoot)
    {
        // "Uid:\treal\teffective\tsaved\tfs" (Documentation/filesystems/proc.rst, /proc/PID/status).
        try
        {
            foreach (string line in File.ReadLines(Path.Combine(procRoot, "self", "status")))
            {
                if (!line.StartsWith("Uid:", StringComparison.Ordinal))
                    continue;
                var fields = line[4..].Split('\t', StringSplitOptions.RemoveEmptyEntries);
                return fields.Length > 1 && int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out int euid) ? euid : -1;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return -1;
        }

        return -1;
    }
}
