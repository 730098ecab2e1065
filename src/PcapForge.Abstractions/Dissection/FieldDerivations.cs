using System.Numerics;

namespace PcapForge.Abstractions.Dissection;

/// <summary>
/// Fields that a dissector does not record per frame because their value follows from one it did record, computed
/// when <see cref="PacketContext.Fields"/> is read:
/// <list type="bullet">
/// <item>bitmask fields, as Wireshark's header fields with a bitmask: <c>tcp.flags.syn</c> is bit 0x002 of
/// <c>tcp.flags</c>, with the parent's offset and length (<see cref="IDissectorSetup.BitmaskField"/>);</item>
/// <item>"either" fields: <c>ip.addr</c> and <c>tcp.port</c> are the source and then the destination again under one
/// name, so that one filter term matches either side (<see cref="IDissectorSetup.EitherField"/>).</item>
/// </list>
/// A TCP/IPv4 frame has 20 such values of 49. Left out of the frame path they cost nothing unless asked for, and a
/// reader of <see cref="PacketContext.Fields"/> sees each exactly where the dissector used to record it: right after
/// its parent (a bitmask field) or after the second of its two sides (an either field), in declaration order, with
/// the same layer, offset, length and value. Built once by the host from the declarations.
/// </summary>
public sealed class FieldDerivations
{
    private enum Kind : byte
    {
        Bitmask,
        Either,
    }

    /// <summary>One derived field, run after an occurrence of the recorded field it is filed under.</summary>
    private readonly record struct Rule(Kind Kind, int Field, ulong Mask, int Shift, int First, int Second);

    private Rule[]?[] _after = [];
    private bool[] _derived = [];

    // The most values one recorded value can stand for in the expansion: itself and what its rules add.
    private int _mostPerValue = 1;

    /// <summary>True when at least one derived field was declared.</summary>
    public bool HasRules { get; private set; }

    /// <summary>True when <paramref name="field"/> is derived (never recorded on its own).</summary>
    public bool IsDerived(int field) => (uint)field < (uint)_derived.Length && _derived[field];

    /// <summary>
    /// <paramref name="field"/> is <c>(parent &amp; mask) &gt;&gt; shift</c>, where shift is the number of trailing zero
    /// bits of <paramref name="mask"/>; it follows each occurrence of <paramref name="parent"/>.
    /// </summary>
    public void AddBitmask(int field, int parent, ulong mask)
    {
        ArgumentOutOfRangeException.ThrowIfZero(mask);
        Append(parent, new Rule(Kind.Bitmask, field, mask, BitOperations.TrailingZeroCount(mask), parent, parent));
        MarkDerived(field);
    }

    /// <summary>
    /// <paramref name="field"/> repeats the layer's <paramref name="first"/> and then its <paramref name="second"/>
    /// (offset, length and value), after whichever of the two the layer recorded last.
    /// </summary>
    public void AddEither(int field, int first, int second)
    {
        if (first == second)
            throw new ArgumentException($"an either field needs two different sides, got field {first} twice", nameof(second));
        var rule = new Rule(Kind.Either, field, 0, 0, first, second);
        Append(first, rule);
        Append(second, rule);
        MarkDerived(field);
    }

    /// <summary>
    /// Writes <paramref name="recorded"/> with the derived values inserted into <paramref name="output"/> (replaced
    /// when it could be too small; reused across frames, so this allocates only until it fits the largest frame).
    /// Returns the count.
    /// </summary>
    internal int Expand(ReadOnlySpan<FieldValue> recorded, ref FieldValue[] output)
    {
        // Room for every value bringing the most derived ones, checked once rather than at each write.
        long most = (long)recorded.Length * _mostPerValue;
        if (output.Length < most)
            output = new FieldValue[Math.Max(64, (int)Math.Min(Array.MaxLength, most))];
        Span<FieldValue> o = output;
        Rule[]?[] after = _after;
        int n = 0;
        for (int i = 0; i < recorded.Length; i++)
        {
            ref readonly FieldValue v = ref recorded[i];
            o[n++] = v;
            if ((uint)v.Field >= (uint)after.Length || after[v.Field] is not { } rules)
                continue;
            foreach (ref readonly Rule rule in rules.AsSpan())
            {
                if (rule.Kind == Kind.Bitmask)
                {
                    o[n++] = new FieldValue(rule.Field, v.Layer, v.Offset, v.Length, (v.Value & rule.Mask) >> rule.Shift, v.Source);
                    continue;
                }

                // An either field follows the later of its two sides: look back in this layer for the other one. When
                // it is not there yet, the other side comes later and runs this rule then.
                int other = v.Field == rule.First ? rule.Second : rule.First;
                int j = i - 1;
                while (j >= 0 && recorded[j].Layer == v.Layer && recorded[j].Field != other)
                    j--;
                if (j < 0 || recorded[j].Layer != v.Layer)
                    continue;
                ref readonly FieldValue first = ref v.Field == rule.First ? ref v : ref recorded[j];
                ref readonly FieldValue second = ref v.Field == rule.First ? ref recorded[j] : ref v;
                o[n++] = new FieldValue(rule.Field, first.Layer, first.Offset, first.Length, first.Value, first.Source);
                o[n++] = new FieldValue(rule.Field, second.Layer, second.Offset, second.Length, second.Value, second.Source);
            }
        }

        return n;
    }

    private void Append(int parent, Rule rule)
    {
        if (parent < 0)
            throw new ArgumentOutOfRangeException(nameof(parent));
        if (parent >= _after.Length)
            Array.Resize(ref _after, Math.Max(parent + 1, _after.Length * 2));
        Rule[] rules = [.. _after[parent] ?? [], rule];
        _after[parent] = rules;
        int brings = 1;
        foreach (var r in rules)
            brings += r.Kind == Kind.Bitmask ? 1 : 2;
        _mostPerValue = Math.Max(_mostPerValue, brings);
        HasRules = true;
    }

    private void MarkDerived(int field)
    {
        if (field >= _derived.Length)
            Array.Resize(ref _derived, Math.Max(field + 1, _derived.Length * 2));
        _derived[field] = true;
    }
}
