using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PcapForge.Abstractions.Dissection;

/// <summary>
/// Records the current layer's fields like <see cref="PacketContext.Add"/>, for a dissector on the frame path that
/// records many: the layer, its offset and the free slots are read from the context once, when the writer is made,
/// and then stay in registers. <see cref="PacketContext.Add"/> has to read them back after every value it stores,
/// since the store could have changed them. Get one from <see cref="PacketContext.BeginFields"/>, add the values,
/// and call <see cref="End"/> before the dissector returns; in between, record nothing through the context itself
/// (<see cref="End"/> checks that).
/// </summary>
public ref struct FieldWriter
{
    private readonly PacketContext _context;
    private readonly int _layer;
    private readonly int _layerOffset;
    private readonly FieldSource _source;
    private readonly int _start;
    private Span<FieldValue> _free;
    private int _count;

    internal FieldWriter(PacketContext context, Span<FieldValue> free, int layer, int layerOffset, FieldSource source, int start)
    {
        _context = context;
        _free = free;
        _layer = layer;
        _layerOffset = layerOffset;
        _source = source;
        _start = start;
        _count = 0;
    }

    /// <summary>Values added so far.</summary>
    public readonly int Count => _count;

    /// <summary>Records a field whose bytes start <paramref name="offset"/> bytes into the current layer, as <see cref="PacketContext.Add"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(FieldHandle field, int offset, int length, ulong value = 0)
    {
        int n = _count;
        if ((uint)n >= (uint)_free.Length)
            _free = _context.GrowFields(_start, n);
        // In range: checked just above (the free span only grows).
        Unsafe.Add(ref MemoryMarshal.GetReference(_free), n) = new FieldValue(field.Id, _layer, _layerOffset + offset, length, value, _source);
        _count = n + 1;
    }

    /// <summary>Hands the values to the context. Throws when something else recorded fields while the writer was open.</summary>
    /// <remarks>Always inlined: a call would take the writer's address, and the JIT would then keep it in memory.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void End() => _context.EndFields(_start, _count);
}
