namespace PcapForge.Abstractions;

/// <summary>
/// Something in the input that is not as its format says: a block length that lies, a record cut short,
/// a header field out of range. Anomalies are data, not errors: the run records them and goes on.
/// </summary>
/// <param name="Scope">What the anomaly is about: <c>file</c>, <c>section</c>, <c>interface</c>, <c>frame</c>, <c>flow</c>.</param>
/// <param name="Name">Stable dotted name, such as <c>pcapng.block_length_mismatch</c>. Tests and queries match on it.</param>
/// <param name="Frame">1-based frame number the anomaly belongs to, when it belongs to one.</param>
/// <param name="FileOffset">Offset in the (decompressed) file where the damage was seen.</param>
/// <param name="Detail">Human-readable explanation naming what was expected and what was found.</param>
public sealed record Anomaly(string Scope, string Name, long? Frame, long FileOffset, string Detail)
{
    public override string ToString() =>
        Frame is long f
            ? $"{Name} at offset {FileOffset} (frame {f}): {Detail}"
            : $"{Name} at offset {FileOffset}: {Detail}";
}

/// <summary>Receives anomalies as they are found.</summary>
public interface IAnomalySink
{
    void Report(Anomaly anomaly);
}

/// <summary>
/// Keeps the first <see cref="Capacity"/> anomalies and counts the rest by name, so that a file damaged on
/// every record cannot make memory grow with its size.
/// </summary>
public sealed class AnomalyCollector : IAnomalySink
{
    private readonly List<Anomaly> _kept = new();
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);

    public AnomalyCollector(int capacity = 10_000) => Capacity = capacity;

    public int Capacity { get; }

    /// <summary>The anomalies kept, in the order they were reported.</summary>
    public IReadOnlyList<Anomaly> Kept => _kept;

    /// <summary>Count of every anomaly reported, by name, including those not kept.</summary>
    public IReadOnlyDictionary<string, long> CountsByName => _counts;

    /// <summary>Total number of anomalies reported.</summary>
    public long Total { get; private set; }

    public void Report(Anomaly anomaly)
    {
        Total++;
        _counts[anomaly.Name] = _counts.GetValueOrDefault(anomaly.Name) + 1;
        if (_kept.Count < Capacity)
            _kept.Add(anomaly);
    }
}
