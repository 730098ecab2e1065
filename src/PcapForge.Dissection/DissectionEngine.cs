using PcapForge.Abstractions;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissection;

/// <summary>
/// Decodes a frame layer by layer: starting from the link-type table, each layer's dissector consumes its header
/// and names the table and key for its payload; candidates are tried by priority, then the parent's heuristics.
/// A dissector that throws is caught here: the frame gets the anomaly <c>engine.dissector_exception</c> naming the
/// plugin, and decoding of that frame stops at the layer before it.
/// </summary>
public sealed class DissectionEngine
{
    /// <summary>Layers deeper than this (tunnels in tunnels…) are not decoded; the frame gets an anomaly.</summary>
    public const int MaxDepth = 24;

    private readonly DissectorRegistry _registry;
    private readonly FieldDerivations? _derivations;
    private readonly DissectFunction[] _dissect;
    private readonly TableHandle _root;
    private readonly List<FragmentReassembler.Problem> _problems = new();

    public DissectionEngine(DissectorRegistry registry, ReassemblyOptions? reassembly = null)
    {
        _registry = registry;
        _derivations = registry.Derivations;
        _dissect = registry.DissectFunctions;
        _root = registry.Root;
        Reassembler = new FragmentReassembler(reassembly);
    }

    /// <summary>IP fragment reassembly state, kept across frames.</summary>
    public FragmentReassembler Reassembler { get; }

    /// <summary>End of input: datagrams still waiting for fragments are reported as <c>reassembly.incomplete</c>.</summary>
    public void Finish(IAnomalySink? anomalies)
    {
        _problems.Clear();
        Reassembler.Flush(_problems);
        foreach (var p in _problems)
            anomalies?.Report(new Anomaly("flow", p.Name, null, 0, p.Detail));
    }

    public DissectorRegistry Registry => _registry;

    /// <summary>Number of dissector exceptions caught so far.</summary>
    public long DissectorExceptions { get; private set; }

    /// <summary>Decodes one frame into <paramref name="context"/>. Engine anomalies are reported to <paramref name="anomalies"/>.</summary>
    /// <param name="frame">The frame to decode.</param>
    /// <param name="context">Receives the layers, fields and anomalies; reused across frames.</param>
    /// <param name="wantsDetail">Build the summary line (packets view).</param>
    /// <param name="anomalies">Where engine anomalies (dissector exceptions, reassembly) go.</param>
    /// <param name="recordFrameFields">Also record <c>frame.number</c>, <c>frame.len</c>, <c>frame.cap_len</c> and
    /// <c>frame.interface_id</c> (for filters and views that may ask; the plain decode loop does not pay for them).</param>
    public void Dissect(in Frame frame, PacketContext context, bool wantsDetail = false, IAnomalySink? anomalies = null, bool recordFrameFields = false)
    {
        if (context.Derivations != _derivations)
            context.Derivations = _derivations;
        context.BeginFrame(frame.Info, wantsDetail);
        if (recordFrameFields)
            RecordFrameFields(context);

        // One try per frame rather than one per layer: the layer loop has no handler, so its locals stay in
        // registers and each dissector's result is read where the dissector wrote it. The filter lets through
        // what did not come from a dissector.
        _calling = -1;
        try
        {
            DissectLayers(frame.Data, context, anomalies);
        }
        catch (Exception e) when (_calling >= 0)
        {
            int protocol = _calling;
            _calling = -1;
            context.AbandonLayer(_callingFieldsBefore);
            DissectorExceptions++;
            anomalies?.Report(new Anomaly("frame", "engine.dissector_exception", context.Frame.Number, context.Frame.DataOffset + _callingOffset,
                $"dissector '{_registry.Protocols[protocol].Id}' ({Path.GetFileName(_registry.Sources[protocol])}) threw {e.GetType().Name}: {e.Message}"));
        }
    }

    // The dissector being called, for the handler in Dissect: its protocol (-1 outside a call), its layer's offset,
    // and the field count to go back to.
    private int _calling = -1;
    private int _callingOffset;
    private int _callingFieldsBefore;

    /// <summary>
    /// The layer loop: candidates by priority, then the parent's heuristics. The frame's metadata is read from the
    /// context's copy: <see cref="Frame.Info"/> returns the whole struct by value, and each use would copy it again.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void DissectLayers(ReadOnlySpan<byte> data, PacketContext context, IAnomalySink? anomalies)
    {
        int offset = 0;
        int end = data.Length;
        TableHandle table = _root;
        long key = context.Frame.LinkType;
        int parent = -1;
        int declared = -1;
        bool partial = false;
        long secondKey = 0;
        bool hasSecond = false;
        for (int depth = 0; depth < MaxDepth; depth++)
        {
            if (offset >= end)
                return;
            ReadOnlySpan<int> first = _registry.Lookup(table, key);
            ReadOnlySpan<int> second = hasSecond ? _registry.Lookup(table, secondKey) : default;
            ReadOnlySpan<int> heuristics = parent < 0 ? default : _registry.HeuristicsOf(parent);
            int total = first.Length + second.Length + heuristics.Length;
            bool accepted = false;
            DissectResult result = default;
            for (int c = 0; c < total; c++)
            {
                int protocol = c < first.Length ? first[c]
                    : c < first.Length + second.Length ? second[c - first.Length]
                    : heuristics[c - first.Length - second.Length];
                int fieldsBefore = context.FieldCount;
                context.BeginLayer(protocol, offset, declared, partial);
                _callingFieldsBefore = fieldsBefore;
                _callingOffset = offset;
                _calling = protocol;
                result = _dissect[protocol](context, data[offset..end]);
                _calling = -1;
                if (!result.Accepted)
                {
                    context.AbandonLayer(fieldsBefore);
                    continue;
                }

                // A dissector may claim more than it was given (a length field it trusted): the layer ends at the data.
                int consumed = result.Consumed < 0 ? 0 : Math.Min(result.Consumed, end - offset);
                context.EndLayer(consumed);
                accepted = true;
                parent = protocol;
                offset += consumed;
                declared = result.PayloadLength;
                partial |= result.Partial;
                if (result.PayloadLength >= 0)
                    end = Math.Min(end, offset + result.PayloadLength);
                break;
            }

            if (!accepted)
                return;
            if (context.HasFragment && !JoinFragment(context, anomalies, ref data, ref offset, ref end, ref declared, ref partial))
                return;
            if (result.NextTable.Id < 0)
                return;
            table = result.NextTable;
            key = result.NextKey;
            secondKey = result.SecondKey;
            hasSecond = result.HasSecondKey;
        }

        anomalies?.Report(new Anomaly("frame", "engine.too_many_layers", context.Frame.Number, context.Frame.DataOffset + offset,
            $"more than {MaxDepth} layers; the rest of the frame is not decoded"));
    }

    private void RecordFrameFields(PacketContext context)
    {
        // Before any layer: these fields belong to no layer (Layer -1), as Wireshark's frame tree comes first.
        ref readonly FrameInfo info = ref context.Frame;
        context.Add(_registry.FrameNumber, 0, 0, (ulong)info.Number);
        context.Add(_registry.FrameLength, 0, 0, (ulong)info.OriginalLength);
        context.Add(_registry.FrameCapturedLength, 0, 0, (ulong)info.CapturedLength);
        context.Add(_registry.FrameInterface, 0, 0, (ulong)info.InterfaceIndex);
    }

    /// <summary>
    /// The layer just decoded is an IP fragment: joined with its siblings. The fragment that completes the datagram
    /// has the payload decoded from the reassembled bytes (the cursor moves there); a first fragment is decoded as
    /// far as it goes (partial); a later one that completes nothing ends the frame (false).
    /// </summary>
    private bool JoinFragment(PacketContext context, IAnomalySink? anomalies, ref ReadOnlySpan<byte> data, ref int offset, ref int end, ref int declared,
        ref bool partial)
    {
        if (!context.TryTakeFragment(out FragmentInfo fragment))
            return true;
        ref readonly FrameInfo info = ref context.Frame;
        _problems.Clear();
        var datagram = Reassembler.Add(fragment, data[offset..end], info.TimestampNs, info.Number, _problems);
        foreach (var p in _problems)
            anomalies?.Report(new Anomaly("frame", p.Name, info.Number, info.DataOffset + offset, p.Detail));
        if (!datagram.IsEmpty)
        {
            context.SwitchToReassembled(datagram);
            data = datagram.Span;
            offset = 0;
            end = datagram.Length;
            declared = datagram.Length;
            partial = false;
            return true;
        }

        return fragment.Offset == 0;
    }
}
