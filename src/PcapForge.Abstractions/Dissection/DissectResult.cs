namespace PcapForge.Abstractions.Dissection;

/// <summary>
/// What a dissector did with its layer: not mine (the engine tries another candidate or stops), or consumed a
/// header of <see cref="Consumed"/> bytes, optionally naming the table and key that decode the payload.
/// </summary>
public readonly struct DissectResult
{
    private DissectResult(bool accepted, int consumed, TableHandle next, long key, int payloadLength, long secondKey = 0, bool hasSecondKey = false,
        bool partial = false)
    {
        Partial = partial;
        Accepted = accepted;
        Consumed = consumed;
        NextTable = next;
        NextKey = key;
        PayloadLength = payloadLength;
        SecondKey = secondKey;
        HasSecondKey = hasSecondKey;
    }

    /// <summary>False when the bytes are not this protocol (Wireshark's "return 0").</summary>
    public bool Accepted { get; }

    /// <summary>Length of this layer's header; the payload starts after it.</summary>
    public int Consumed { get; }

    /// <summary>Table that decodes the payload; <see cref="TableHandle.None"/> when this is the last layer.</summary>
    public TableHandle NextTable { get; }

    public long NextKey { get; }

    /// <summary>A second key tried after the first one's candidates (the other port of a TCP or UDP header).</summary>
    public long SecondKey { get; }

    public bool HasSecondKey { get; }

    /// <summary>
    /// The payload is only the start of what the header describes (the first fragment of an IP datagram): inner
    /// dissectors decode what is there, but lengths they read are not expected to fit (<see cref="PacketContext.IsPartial"/>).
    /// </summary>
    public bool Partial { get; }

    /// <summary>Length of the payload when the header says (IP total length: trailing padding is not payload); -1 for the rest of the frame.</summary>
    public int PayloadLength { get; }

    public static DissectResult NotMine => default;

    /// <summary>The last layer: nothing after it is decoded.</summary>
    public static DissectResult Done(int consumed) => new(true, consumed, TableHandle.None, 0, -1);

    /// <summary>The payload after <paramref name="consumed"/> bytes is decoded by <paramref name="table"/> at <paramref name="key"/>.</summary>
    public static DissectResult Next(int consumed, TableHandle table, long key, int payloadLength = -1) =>
        new(true, consumed, table, key, payloadLength);

    /// <summary>As <see cref="Next"/>, for a payload that is only the first part of what the header describes.</summary>
    public static DissectResult NextPartial(int consumed, TableHandle table, long key, int payloadLength) =>
        new(true, consumed, table, key, payloadLength, partial: true);

    /// <summary>As <see cref="Next"/>, trying <paramref name="firstKey"/>'s candidates, then <paramref name="secondKey"/>'s (Wireshark tries the lower port first).</summary>
    public static DissectResult NextEither(int consumed, TableHandle table, long firstKey, long secondKey, int payloadLength = -1) =>
        new(true, consumed, table, firstKey, payloadLength, secondKey, firstKey != secondKey);
}

/// <summary>Identifies the datagram a fragment belongs to (RFC 791 section 3.2; RFC 8200 section 4.5).</summary>
public readonly record struct FragmentKey(byte Version, UInt128 Source, UInt128 Destination, uint Id, byte Protocol);

/// <summary>One fragment: its datagram, the offset of its data in the datagram's payload, and whether more follow.</summary>
public readonly record struct FragmentInfo(FragmentKey Key, int Offset, bool More);
