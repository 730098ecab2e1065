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
    private readonly List<FragmentReassembler.Problem> _problems = new();

    public DissectionEngine(DissectorRegistry registry, ReassemblyOptions? reassembly = null)
    {
        _registry = registry;
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
        context.BeginFrame(frame.Info, wantsDetail);
        if (recordFrameFields)
        {
            // Before any layer: these fields belong to no layer (Layer -1), as Wireshark's frame tree comes first.
            context.Add(_registry.FrameNumber, 0, 0, (ulong)frame.Info.Number);
            context.Add(_registry.FrameLength, 0, 0, (ulong)frame.Info.OriginalLength);
            context.Add(_registry.FrameCapturedLength, 0, 0, (ulong)frame.Info.CapturedLength);
            context.Add(_registry.FrameInterface, 0, 0, (ulong)frame.Info.InterfaceIndex);
        }

        ReadOnlySpan<byte> data = frame.Data;
        int offset = 0;
        int end = data.Length;
        TableHandle table = _registry.Root;
        long key = frame.Info.LinkType;
        int parent = -1;
        int declared = -1;
        bool partial = false;
        long secondKey = 0;
        bool hasSecond = false;
        for (int depth = 0; depth < MaxDepth; depth++)
        {
            if (offset >= end)
                return;
            int[] first = _registry.Lookup(table, key);
            int[] second = hasSecond ? _registry.Lookup(table, secondKey) : [];
            int[] heuristics = parent < 0 ? [] : _registry.HeuristicsOf(parent);
            int total = first.Length + second.Length + heuristics.Length;
            bool accepted = false;
            DissectResult result = default;
            for (int c = 0; c < total && !accepted; c++)
            {
                int protocol = c < first.Length ? first[c]
                    : c < first.Length + second.Length ? second[c - first.Length]
                    : heuristics[c - first.Length - second.Length];
                int fieldsBefore = context.FieldCount;
                context.BeginLayer(protocol, offset, declared, partial);
                try
                {
                    result = _registry.Dissector(protocol).Dissect(context, data[offset..end]);
                }
                catch (Exception e)
                {
                    context.AbandonLayer(fieldsBefore);
                    DissectorExceptions++;
                    anomalies?.Report(new Anomaly("frame", "engine.dissector_exception", frame.Info.Number, frame.Info.DataOffset + offset,
                        $"dissector '{_registry.Protocols[protocol].Id}' ({Path.GetFileName(_registry.Sources[protocol])}) threw {e.GetType().Name}: {e.Message}"));
                    return;
                }

                if (!result.Accepted)
                {
                    context.AbandonLayer(fieldsBefore);
                    continue;
                }

                int consumed = Math.Clamp(result.Consumed, 0, end - offset);
                context.EndLayer(consumed);
                accepted = true;
                parent = protocol;
                offset += consumed;
                declared = result.PayloadLength;
                partial |= result.Partial;
                if (result.PayloadLength >= 0)
                    end = Math.Min(end, offset + result.PayloadLength);
            }

            if (accepted && context.TryTakeFragment(out FragmentInfo fragment))
            {
                // An IP fragment: joined with its siblings. The fragment that completes the datagram has the payload
                // decoded from the reassembled bytes; a first fragment is decoded as far as it goes (partial); a
                // later one that completes nothing ends here.
                _problems.Clear();
                var datagram = Reassembler.Add(fragment, data[offset..end], frame.Info.TimestampNs, frame.Info.Number, _problems);
                foreach (var p in _problems)
                    anomalies?.Report(new Anomaly("frame", p.Name, frame.Info.Number, frame.Info.DataOffset + offset, p.Detail));
                if (!datagram.IsEmpty)
                {
                    context.SwitchToReassembled(datagram);
                    data = datagram.Span;
                    offset = 0;
                    end = datagram.Length;
                    declared = datagram.Length;
                    partial = false;
                }
                else if (fragment.Offset != 0)
                {
                    return;
                }
            }

            if (!accepted || result.NextTable.Id < 0)
                return;
            table = result.NextTable;
            key = result.NextKey;
            secondKey = result.SecondKey;
            hasSecond = result.HasSecondKey;
        }

        anomalies?.Report(new Anomaly("frame", "engine.too_many_layers", frame.Info.Number, frame.Info.DataOffset + offset,
            $"more than {MaxDepth} layers; the rest of the frame is not decoded"));
    }
}
