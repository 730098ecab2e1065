using System.Text;

namespace PcapForge.Abstractions.Dissection;

/// <summary>A field value found in a frame: which field, in which layer, where its bytes are, and its number.</summary>
/// <param name="Field">The <see cref="FieldHandle"/> id.</param>
/// <param name="Layer">Index of the layer that added it.</param>
/// <param name="Offset">Offset of the field's bytes in the frame.</param>
/// <param name="Length">Number of bytes.</param>
/// <param name="Value">The integer value (integer, boolean and flag fields); 0 for addresses, bytes and strings, which are read from the bytes; for <see cref="FieldSource.Text"/>, the index of the text.</param>
/// <param name="Source">Where <paramref name="Offset"/> points: the frame, the reassembled datagram, or a computed text.</param>
public readonly record struct FieldValue(int Field, int Layer, int Offset, int Length, ulong Value, FieldSource Source = FieldSource.Frame);

/// <summary>Where a field's or layer's bytes are.</summary>
public enum FieldSource : byte
{
    /// <summary>The frame's captured bytes.</summary>
    Frame,

    /// <summary>The datagram reassembled from this and earlier frames' fragments (<see cref="PacketContext.Reassembled"/>).</summary>
    Reassembled,

    /// <summary>A text the dissector computed (<see cref="PacketContext.AddText"/>); not in any bytes.</summary>
    Text,
}

/// <summary>A decoded layer: which protocol (its index in the host's protocol list), where it starts, how long its header is, and in which bytes.</summary>
public readonly record struct LayerInfo(int Protocol, int Offset, int Length, FieldSource Source = FieldSource.Frame);

/// <summary>An anomaly raised by a dissector in a frame.</summary>
public readonly record struct RaisedAnomaly(int Anomaly, int Layer, int Offset, string Detail);

/// <summary>
/// What a dissector sees of the frame being decoded, and where it puts what it finds. One instance is reused for
/// every frame by the engine, so the frame path allocates nothing: fields are recorded as offsets into the frame.
/// </summary>
public sealed class PacketContext
{
    private FieldValue[] _fields = new FieldValue[128];
    private LayerInfo[] _layers = new LayerInfo[16];
    private readonly List<RaisedAnomaly> _anomalies = new();
    private readonly List<string> _texts = new();
    private FieldSource _source;
    private FragmentInfo _fragment;
    private bool _hasFragment;
    private int _fieldCount;
    private int _layerCount;
    private FrameInfo _frame;

    /// <summary>The frame's metadata.</summary>
    public ref readonly FrameInfo Frame => ref _frame;

    /// <summary>Offset in the frame of the bytes handed to the current dissector.</summary>
    public int LayerOffset => _layerOffset;

    private int _layerOffset;

    /// <summary>
    /// Length of the current layer (header and payload) as the parent's header declares it (the IP payload length
    /// for TCP), or -1 when the parent says nothing. Larger than the bytes handed over when the capture is truncated.
    /// </summary>
    public int DeclaredLength { get; private set; } = -1;

    /// <summary>
    /// True when an outer layer said its payload is only the start of a larger unit (a first IP fragment): decode
    /// what is there, and do not report lengths that run past it as anomalies.
    /// </summary>
    public bool IsPartial { get; private set; }

    /// <summary>
    /// True when the output wants a summary line (packets view): dissectors then write <see cref="Info"/>. False again
    /// after <see cref="FreezeSummary"/>, so that the layers of a quoted packet leave the summary alone.
    /// </summary>
    public bool WantsDetail => _wantsDetail && _summaryLayer < 0;

    private bool _wantsDetail;
    private int _summaryLayer = -1;

    /// <summary>
    /// The layer the frame's summary is about (source, destination, protocol and Info columns): the last one, or
    /// the one that called <see cref="FreezeSummary"/>.
    /// </summary>
    public int SummaryLayer => _summaryLayer >= 0 ? _summaryLayer : _layerCount - 1;

    /// <summary>
    /// Called by a layer whose payload is a quoted packet (an ICMP error): the layers after it are still decoded and
    /// their fields recorded, but the frame's summary stays this layer's, as Wireshark keeps the columns of the error.
    /// </summary>
    public void FreezeSummary()
    {
        if (_summaryLayer < 0)
            _summaryLayer = _layerCount - 1;
    }

    /// <summary>The summary of the frame (tcpdump/tshark "Info" column), built only when <see cref="WantsDetail"/>.</summary>
    public StringBuilder Info { get; } = new();

    /// <summary>
    /// Every field value of the frame in the order the dissectors produced them, including those derived from a
    /// recorded value (<see cref="FieldDerivations"/>: <c>tcp.flags.syn</c>, <c>ip.addr</c>…), each where it would have
    /// been recorded. The derived values are computed on the first read after a change, into a buffer reused
    /// across frames (no allocation once it fits). A consumer that needs only recorded values (a flow table reading
    /// <c>ip.src</c> or <c>tcp.flags</c>) reads <see cref="RecordedFields"/>, which costs nothing.
    /// </summary>
    public ReadOnlySpan<FieldValue> Fields => _derivations is null ? RecordedFields : Expanded();

    /// <summary>The values the dissectors recorded, without the derived ones: the frame path's own list.</summary>
    public ReadOnlySpan<FieldValue> RecordedFields => _fields.AsSpan(0, _fieldCount);

    /// <summary>
    /// Engine: the fields derived from recorded ones (null: none). <see cref="Fields"/> and <see cref="TryGet"/>
    /// include them.
    /// </summary>
    public FieldDerivations? Derivations
    {
        get => _derivations;
        set
        {
            _derivations = value is { HasRules: true } ? value : null;
            _version++;
        }
    }

    private FieldDerivations? _derivations;
    private FieldValue[] _expanded = [];
    private int _expandedCount;

    // The expansion is valid for the recorded list it was made from: the same frame and layer history (_version,
    // moved by anything that rewrites recorded values) and the same count (Add only appends).
    private long _version;
    private long _expandedVersion = -1;
    private int _expandedFrom = -1;

    private ReadOnlySpan<FieldValue> Expanded()
    {
        if (_expandedVersion != _version || _expandedFrom != _fieldCount)
        {
            _expandedCount = _derivations!.Expand(RecordedFields, ref _expanded);
            _expandedVersion = _version;
            _expandedFrom = _fieldCount;
        }

        return _expanded.AsSpan(0, _expandedCount);
    }

    public ReadOnlySpan<LayerInfo> Layers => _layers.AsSpan(0, _layerCount);

    public IReadOnlyList<RaisedAnomaly> Anomalies => _anomalies;

    /// <summary>Index of the current layer in <see cref="Layers"/>.</summary>
    public int CurrentLayer => _layerCount - 1;

    /// <summary>
    /// True when an earlier layer of the frame is of the current layer's protocol: a tunnelled packet, or the header
    /// an ICMP error quotes. Such a layer is expected to be cut short and is not the frame's topic.
    /// </summary>
    public bool IsNested
    {
        get
        {
            int current = _layerCount - 1;
            for (int i = 0; i < current; i++)
            {
                if (_layers[i].Protocol == _layers[current].Protocol)
                    return true;
            }

            return false;
        }
    }

    /// <summary>Records a field whose bytes start <paramref name="offset"/> bytes into the current layer.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public void Add(FieldHandle field, int offset, int length, ulong value = 0)
    {
        var fields = _fields;
        int n = _fieldCount;
        if ((uint)n >= (uint)fields.Length)
        {
            Grow();
            fields = _fields;
        }

        fields[n] = new FieldValue(field.Id, _layerCount - 1, _layerOffset + offset, length, value, _source);
        _fieldCount = n + 1;
    }

    /// <summary>
    /// A writer for the current layer's fields, faster than <see cref="Add"/> when a dissector records many
    /// (<see cref="FieldWriter"/>). <paramref name="expected"/> values are made room for up front; more still fit.
    /// </summary>
    public FieldWriter BeginFields(int expected = 0)
    {
        if (_fields.Length - _fieldCount < expected)
            Array.Resize(ref _fields, Math.Max(_fields.Length * 2, _fieldCount + expected));
        return new FieldWriter(this, _fields.AsSpan(_fieldCount), _layerCount - 1, _layerOffset, _source, _fieldCount);
    }

    /// <summary>Writer: the free slots from <paramref name="start"/> on, with room past the <paramref name="written"/> values already there.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    internal Span<FieldValue> GrowFields(int start, int written)
    {
        if (_fields.Length - start <= written)
            Array.Resize(ref _fields, Math.Max(_fields.Length * 2, start + written + 1));
        return _fields.AsSpan(start);
    }

    /// <summary>Writer: takes the <paramref name="count"/> values written from <paramref name="start"/> on.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal void EndFields(int start, int count)
    {
        if (_fieldCount != start)
            ThrowWriterConflict(start);
        _fieldCount = start + count;
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void ThrowWriterConflict(int start) => throw new InvalidOperationException(
        $"fields were recorded through the context while a FieldWriter was open (count {_fieldCount}, the writer started at {start})");

    // Grows once to the deepest frame seen, then stays.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void Grow() => Array.Resize(ref _fields, _fields.Length * 2);

    /// <summary>
    /// Records a field whose value is a text the dissector computed (a summary from a fallback decoder). Allocates:
    /// for protocols off the hot path only.
    /// </summary>
    public void AddText(FieldHandle field, int offset, int length, string text)
    {
        _texts.Add(text);
        Add(field, offset, length, (ulong)(_texts.Count - 1));
        _fields[_fieldCount - 1] = _fields[_fieldCount - 1] with { Source = FieldSource.Text };
        _version++;
    }

    /// <summary>The bytes a field or layer refers to, from the frame or the reassembled datagram.</summary>
    public ReadOnlySpan<byte> Bytes(FieldSource source, int offset, int length, ReadOnlySpan<byte> frame)
    {
        ReadOnlySpan<byte> data = source == FieldSource.Reassembled ? Reassembled.Span : frame;
        return offset >= 0 && length >= 0 && offset <= data.Length && length <= data.Length - offset ? data.Slice(offset, length) : ReadOnlySpan<byte>.Empty;
    }

    /// <summary>The bytes of a field value (empty for a text).</summary>
    public ReadOnlySpan<byte> Bytes(in FieldValue value, ReadOnlySpan<byte> frame) =>
        value.Source == FieldSource.Text ? ReadOnlySpan<byte>.Empty : Bytes(value.Source, value.Offset, value.Length, frame);

    /// <summary>The text of a <see cref="FieldSource.Text"/> value.</summary>
    public string Text(in FieldValue value) => value.Source == FieldSource.Text && value.Value < (ulong)_texts.Count ? _texts[(int)value.Value] : "";

    /// <summary>
    /// The IP datagram reassembled from fragments, when the current frame completed one: layers from the one after
    /// the IP header on are decoded from it (their <see cref="LayerInfo.Source"/> says so).
    /// </summary>
    public ReadOnlyMemory<byte> Reassembled { get; private set; }

    /// <summary>
    /// Says that the current layer is an IP fragment, for the engine to join with the other fragments of its
    /// datagram. Return <see cref="DissectResult.NextPartial"/> for a first fragment (its transport header is decoded
    /// as far as it goes) and <see cref="DissectResult.Next"/> otherwise: when this fragment completes the datagram,
    /// the engine decodes the payload from the reassembled bytes instead; a later fragment that completes nothing
    /// ends there. Kept out of <see cref="DissectResult"/> so that the result every layer returns stays small.
    /// </summary>
    public void DeclareFragment(in FragmentInfo fragment)
    {
        _fragment = fragment;
        _hasFragment = true;
    }

    /// <summary>Engine: true when the layer just decoded declared a fragment (<see cref="TryTakeFragment"/> takes it).</summary>
    public bool HasFragment => _hasFragment;

    /// <summary>Engine: the fragment the layer just decoded declared, if any (cleared by the next layer).</summary>
    public bool TryTakeFragment(out FragmentInfo fragment)
    {
        fragment = _fragment;
        bool had = _hasFragment;
        _hasFragment = false;
        return had;
    }

    /// <summary>
    /// The one's-complement sum of the pseudo-header the last IP layer puts in front of its payload, without the
    /// length (source, destination and protocol: RFC 9293 section 3.1, RFC 8200 section 8.1): TCP, UDP and ICMPv6 add
    /// their own length and verify with <see cref="InternetChecksum.Compute"/>. Null when no IP layer set it.
    /// </summary>
    public uint? PseudoHeaderSum { get; set; }

    /// <summary>
    /// Where a per-packet dissector writes records to the tables it declared; null when no dataset is being written
    /// (the packets view). The host joins each record to the frame's flow.
    /// </summary>
    public Records.IRecordSink? Records { get; set; }

    /// <summary>Reports an anomaly at <paramref name="offset"/> bytes into the current layer. Allocates (the detail): anomalies are rare.</summary>
    public void Report(AnomalyHandle anomaly, int offset, string detail) =>
        _anomalies.Add(new RaisedAnomaly(anomaly.Id, _layerCount - 1, _layerOffset + offset, detail));

    /// <summary>The value of the last occurrence of a field in this frame, if any (a child reading its parent's field).</summary>
    public bool TryGet(FieldHandle field, out FieldValue value)
    {
        ReadOnlySpan<FieldValue> fields = _derivations is { } d && d.IsDerived(field.Id) ? Expanded() : RecordedFields;
        for (int i = fields.Length - 1; i >= 0; i--)
        {
            if (fields[i].Field == field.Id)
            {
                value = fields[i];
                return true;
            }
        }

        value = default;
        return false;
    }

    // ---- used by the engine ----

    /// <summary>Engine: starts a frame.</summary>
    public void BeginFrame(in FrameInfo frame, bool wantsDetail)
    {
        _frame = frame;
        _fieldCount = 0;
        _version++;
        _layerCount = 0;
        _anomalies.Clear();
        _texts.Clear();
        PseudoHeaderSum = null;
        _source = FieldSource.Frame;
        Reassembled = ReadOnlyMemory<byte>.Empty;
        _wantsDetail = wantsDetail;
        _summaryLayer = -1;
        if (wantsDetail)
            Info.Clear();
        _layerOffset = 0;
    }

    /// <summary>Engine: starts a layer of the given protocol at a frame offset.</summary>
    public void BeginLayer(int protocol, int offset, int declaredLength = -1, bool partial = false)
    {
        _hasFragment = false;
        DeclaredLength = declaredLength;
        IsPartial = partial;
        if (_layerCount == _layers.Length)
            Array.Resize(ref _layers, _layers.Length * 2);
        _layers[_layerCount++] = new LayerInfo(protocol, offset, 0, _source);
        _layerOffset = offset;
    }

    /// <summary>Engine: the following layers are decoded from a reassembled datagram, at offsets within it.</summary>
    public void SwitchToReassembled(ReadOnlyMemory<byte> datagram)
    {
        Reassembled = datagram;
        _source = FieldSource.Reassembled;
    }

    /// <summary>Engine: records the header length of the current layer once its dissector returned.</summary>
    public void EndLayer(int length)
    {
        var l = _layers[_layerCount - 1];
        _layers[_layerCount - 1] = l with { Length = length };
    }

    /// <summary>Engine: drops the current layer (its dissector said "not mine") and what it added.</summary>
    public void AbandonLayer(int fieldCountBefore)
    {
        _layerCount--;
        _fieldCount = fieldCountBefore;
        _version++;
    }

    /// <summary>Number of fields recorded so far (to abandon a layer); derived ones are not counted.</summary>
    public int FieldCount => _fieldCount;
}
