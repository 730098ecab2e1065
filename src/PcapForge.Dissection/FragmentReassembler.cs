using System.Buffers;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissection;

/// <summary>Bounds of IP fragment reassembly.</summary>
public sealed record ReassemblyOptions
{
    /// <summary>A datagram whose first fragment is older than this (capture time) is given up: Linux's ipfrag_time default.</summary>
    public long TimeoutNs { get; init; } = 30L * 1_000_000_000;

    /// <summary>Bytes held for all incomplete datagrams together; past it the oldest are given up.</summary>
    public long MaxTotalBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Incomplete datagrams held at once; past it the oldest are given up.</summary>
    public int MaxDatagrams { get; init; } = 8192;

    /// <summary>Largest payload of one datagram: 65535 minus the smallest IPv4 header, as no fragment may reach past it.</summary>
    public int MaxDatagramBytes { get; init; } = 65_535;
}

/// <summary>
/// Joins IP fragments into datagrams, bounded in memory and time. Policy on overlaps: the first bytes received for
/// an offset are kept (first-write-wins, as BSD and most IDSs do); an overlap whose bytes differ from what is held is
/// reported as <c>reassembly.overlap_conflict</c> — the classic evasion (RFC 5722 hosts drop such an IPv6 datagram;
/// here it is kept and flagged, so an analyst sees both). A datagram given up (timeout, memory cap) is reported with
/// the bytes it was missing. Buffers come from a pool and go back when a datagram completes or is given up.
/// </summary>
public sealed class FragmentReassembler
{
    private readonly ReassemblyOptions _options;
    private readonly Dictionary<FragmentKey, Datagram> _pending = new();
    private readonly Queue<(FragmentKey Key, long Started)> _byAge = new();
    private byte[]? _completed;
    private long _heldBytes;

    public FragmentReassembler(ReassemblyOptions? options = null) => _options = options ?? new ReassemblyOptions();

    /// <summary>Incomplete datagrams held now.</summary>
    public int Pending => _pending.Count;

    /// <summary>Bytes held now.</summary>
    public long HeldBytes => _heldBytes;

    private sealed class Datagram
    {
        public byte[] Buffer = [];
        public readonly List<(int Start, int End)> Ranges = new();
        public int Total = -1; // payload length, known once the last fragment (More = false) arrives
        public long Started;
        public long FirstFrame;
    }

    /// <summary>An anomaly of reassembly, for the caller to report.</summary>
    public readonly record struct Problem(string Name, string Detail);

    /// <summary>
    /// Adds a fragment's payload. Returns the whole datagram payload when this fragment completes it (valid until the
    /// next call); empty otherwise. Problems found on the way are added to <paramref name="problems"/>.
    /// </summary>
    public ReadOnlyMemory<byte> Add(in FragmentInfo fragment, ReadOnlySpan<byte> payload, long timestampNs, long frame, List<Problem> problems)
    {
        ReleaseCompleted();
        Expire(timestampNs, problems);
        int end = fragment.Offset + payload.Length;
        if (fragment.Offset < 0 || end > _options.MaxDatagramBytes)
        {
            problems.Add(new("reassembly.too_large", $"fragment at offset {fragment.Offset} with {payload.Length} bytes reaches past {_options.MaxDatagramBytes} bytes; dropped"));
            return ReadOnlyMemory<byte>.Empty;
        }

        if (!_pending.TryGetValue(fragment.Key, out var d))
        {
            MakeRoom(problems);
            d = new Datagram { Buffer = ArrayPool<byte>.Shared.Rent(_options.MaxDatagramBytes), Started = timestampNs, FirstFrame = frame };
            _pending[fragment.Key] = d;
            _byAge.Enqueue((fragment.Key, timestampNs));
        }

        if (!fragment.More)
        {
            if (d.Total >= 0 && d.Total != end)
                problems.Add(new("reassembly.length_conflict", $"a second last fragment says the datagram ends at {end}, the first said {d.Total}; the first is kept"));
            else
                d.Total = end;
        }

        CopyFirstWriteWins(d, fragment.Offset, payload, problems);
        if (d.Total < 0 || !Covers(d.Ranges, d.Total))
            return ReadOnlyMemory<byte>.Empty;

        _pending.Remove(fragment.Key);
        _heldBytes -= Held(d);
        _completed = d.Buffer;
        return new ReadOnlyMemory<byte>(d.Buffer, 0, d.Total);
    }

    /// <summary>Gives up every incomplete datagram (end of input), reporting what each was missing.</summary>
    public void Flush(List<Problem> problems)
    {
        foreach (var (key, d) in _pending)
            problems.Add(new("reassembly.incomplete", Describe(key, d, "the capture ended")));
        foreach (var d in _pending.Values)
            ArrayPool<byte>.Shared.Return(d.Buffer);
        _pending.Clear();
        _byAge.Clear();
        _heldBytes = 0;
        ReleaseCompleted();
    }

    private void CopyFirstWriteWins(Datagram d, int offset, ReadOnlySpan<byte> payload, List<Problem> problems)
    {
        int end = offset + payload.Length;
        int before = Held(d);
        // Walk the gaps between held ranges inside [offset, end): copy into gaps, compare over held bytes.
        int cursor = offset;
        bool conflict = false;
        foreach (var (s, e) in d.Ranges)
        {
            if (e <= cursor || s >= end)
                continue;
            if (s > cursor)
                payload.Slice(cursor - offset, s - cursor).CopyTo(d.Buffer.AsSpan(cursor));
            int overlapStart = Math.Max(s, cursor), overlapEnd = Math.Min(e, end);
            if (!payload.Slice(overlapStart - offset, overlapEnd - overlapStart).SequenceEqual(d.Buffer.AsSpan(overlapStart, overlapEnd - overlapStart)))
                conflict = true;
            cursor = Math.Max(cursor, e);
        }

        if (cursor < end)
            payload[(cursor - offset)..].CopyTo(d.Buffer.AsSpan(cursor));
        if (conflict)
            problems.Add(new("reassembly.overlap_conflict", $"bytes {offset}-{end} overlap bytes already received with different content; the first received are kept"));
        Merge(d.Ranges, offset, end);
        _heldBytes += Held(d) - before;
    }

    private static void Merge(List<(int Start, int End)> ranges, int start, int end)
    {
        if (end <= start)
            return;
        ranges.Add((start, end));
        ranges.Sort((a, b) => a.Start.CompareTo(b.Start));
        int w = 0;
        for (int i = 1; i < ranges.Count; i++)
        {
            if (ranges[i].Start <= ranges[w].End)
                ranges[w] = (ranges[w].Start, Math.Max(ranges[w].End, ranges[i].End));
            else
                ranges[++w] = ranges[i];
        }

        ranges.RemoveRange(w + 1, ranges.Count - w - 1);
    }

    private static bool Covers(List<(int Start, int End)> ranges, int total) =>
        total == 0 || ranges.Count == 1 && ranges[0].Start == 0 && ranges[0].End >= total;

    private static int Held(Datagram d)
    {
        int sum = 0;
        foreach (var (s, e) in d.Ranges)
            sum += e - s;
        return sum;
    }

    private void Expire(long now, List<Problem> problems)
    {
        while (_byAge.Count > 0)
        {
            var (key, started) = _byAge.Peek();
            if (!_pending.TryGetValue(key, out var d) || d.Started != started)
            {
                _byAge.Dequeue(); // completed or replaced: a stale queue entry
                continue;
            }

            if (now - started <= _options.TimeoutNs)
                return;
            _byAge.Dequeue();
            GiveUp(key, d, "reassembly.timeout", $"no fragment completed it within {_options.TimeoutNs / 1_000_000_000} s", problems);
        }
    }

    private void MakeRoom(List<Problem> problems)
    {
        while ((_pending.Count >= _options.MaxDatagrams || _heldBytes >= _options.MaxTotalBytes) && _byAge.Count > 0)
        {
            var (key, started) = _byAge.Dequeue();
            if (_pending.TryGetValue(key, out var d) && d.Started == started)
                GiveUp(key, d, "reassembly.evicted", $"more than {_options.MaxDatagrams} datagrams or {_options.MaxTotalBytes} bytes were waiting; the oldest was given up", problems);
        }
    }

    private void GiveUp(FragmentKey key, Datagram d, string name, string why, List<Problem> problems)
    {
        problems.Add(new(name, Describe(key, d, why)));
        _pending.Remove(key);
        _heldBytes -= Held(d);
        ArrayPool<byte>.Shared.Return(d.Buffer);
    }

    private static string Describe(FragmentKey key, Datagram d, string why)
    {
        int held = Held(d);
        string size = d.Total >= 0 ? $"{held} of {d.Total} bytes" : $"{held} bytes, last fragment not seen";
        return $"IPv{key.Version} datagram id 0x{key.Id:x} (first fragment in frame {d.FirstFrame}): {size}; {why}";
    }

    private void ReleaseCompleted()
    {
        if (_completed is null)
            return;
        ArrayPool<byte>.Shared.Return(_completed);
        _completed = null;
    }
}
