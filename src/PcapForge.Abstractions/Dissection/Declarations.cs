namespace PcapForge.Abstractions.Dissection;

/// <summary>Version of the dissector contract. A plugin built against another version is reported and skipped.</summary>
public static class DissectorContract
{
    public const int Version = 1;
}

/// <summary>Types of the values a field carries (as Wireshark's FT_* types).</summary>
public enum FieldType
{
    /// <summary>No value: the field marks presence (a protocol, a flag set).</summary>
    None,
    Boolean,
    UInt8,
    UInt16,
    UInt24,
    UInt32,
    UInt64,
    Int32,
    Int64,

    /// <summary>A 6-byte MAC address, taken from the frame bytes.</summary>
    Ether,

    /// <summary>A 4-byte IPv4 address, taken from the frame bytes.</summary>
    IPv4,

    /// <summary>A 16-byte IPv6 address, taken from the frame bytes.</summary>
    IPv6,

    /// <summary>Raw bytes from the frame.</summary>
    Bytes,

    /// <summary>Text from the frame (UTF-8, ASCII in practice).</summary>
    String,
}

/// <summary>How an integer field is shown.</summary>
public enum FieldBase
{
    Decimal,
    Hex,
}

/// <summary>A field a dissector declares once: filter name (Wireshark's where it has one), display name, type, description.</summary>
public sealed record FieldDescriptor(string FilterName, string DisplayName, FieldType Type, string Description, FieldBase Base = FieldBase.Decimal)
{
    /// <summary>The protocol that declared it.</summary>
    public string Protocol { get; init; } = "";
}

/// <summary>An anomaly a dissector may report, declared once with its meaning.</summary>
public sealed record AnomalyDescriptor(string Name, string Description)
{
    public string Protocol { get; init; } = "";
}

/// <summary>A dissector table: children attach to a key of it (ethertype 0x0800, tcp.port 80).</summary>
public sealed record TableDescriptor(string Name, string Description, int KeyBits)
{
    public string Protocol { get; init; } = "";
}

/// <summary>A dissector preference (tshark's <c>-o name:value</c>), with the value in effect for this run.</summary>
public sealed record PreferenceDescriptor(string Name, string Description, bool DefaultValue, bool Value)
{
    public string Protocol { get; init; } = "";
}

/// <summary>What a dissector declared, as the host keeps it (for <c>dissectors list</c> and <c>fields list</c>).</summary>
public sealed record ProtocolDescriptor(string Id, string Name, string Description)
{
    public List<FieldDescriptor> Fields { get; } = new();
    public List<AnomalyDescriptor> Anomalies { get; } = new();
    public List<TableDescriptor> Tables { get; } = new();
    public List<(string Table, long Key)> Attachments { get; } = new();
    public List<string> Heuristics { get; } = new();
    public List<PreferenceDescriptor> Preferences { get; } = new();
    public List<Records.RecordTableDescriptor> RecordTables { get; } = new();
}

/// <summary>Handle of a declared field; cheap to pass on the frame path.</summary>
public readonly record struct FieldHandle(int Id);

/// <summary>Handle of a declared anomaly.</summary>
public readonly record struct AnomalyHandle(int Id);

/// <summary>Handle of a dissector table.</summary>
public readonly record struct TableHandle(int Id)
{
    public static readonly TableHandle None = new(-1);
}

/// <summary>
/// What a dissector is given once, at start-up, to declare itself (the "declare" phase of Wireshark's two-phase
/// registration) and to attach to its parents' tables (the "attach" phase). A parent never names its children.
/// </summary>
public interface IDissectorSetup
{
    /// <summary>Declares the protocol (lowercase id, Wireshark's abbreviation where one exists). Call once, first.</summary>
    void Protocol(string id, string name, string description);

    FieldHandle Field(string filterName, string displayName, FieldType type, string description, FieldBase fieldBase = FieldBase.Decimal);

    /// <summary>
    /// Declares a field whose value is bits of <paramref name="parent"/>, a field this dissector declared before
    /// (Wireshark's header field with a bitmask): <c>(parent &amp; mask) &gt;&gt; shift</c>, shift being the mask's
    /// trailing zero bits, with the parent's offset and length. Do not record it: readers of
    /// <see cref="PacketContext.Fields"/> see it right after each occurrence of the parent, at no cost to the frame
    /// path when nobody asks (<see cref="FieldDerivations"/>).
    /// </summary>
    FieldHandle BitmaskField(string filterName, string displayName, FieldType type, string description, FieldHandle parent, ulong mask,
        FieldBase fieldBase = FieldBase.Decimal) =>
        throw new NotSupportedException($"this host does not support derived fields ({filterName})");

    /// <summary>
    /// Declares a field that matches either side (<c>ip.addr</c>, <c>tcp.port</c>): the layer's
    /// <paramref name="first"/> and then its <paramref name="second"/> (two fields this dissector declared before)
    /// again, under one name. Do not record it: readers of <see cref="PacketContext.Fields"/> see both values after
    /// the later of the two sides (<see cref="FieldDerivations"/>).
    /// </summary>
    FieldHandle EitherField(string filterName, string displayName, FieldType type, string description, FieldHandle first, FieldHandle second,
        FieldBase fieldBase = FieldBase.Decimal) =>
        throw new NotSupportedException($"this host does not support derived fields ({filterName})");

    AnomalyHandle Anomaly(string name, string description);

    /// <summary>Declares a table that children attach to, with the number of bits of its keys (16 for a port).</summary>
    TableHandle Table(string name, string description, int keyBits);

    /// <summary>Attaches this dissector to <paramref name="key"/> of a parent's table (<c>ethertype</c>, <c>ip.proto</c>, <c>tcp.port</c>, <c>linktype</c>…).</summary>
    void AttachTo(string table, long key);

    /// <summary>Offers this dissector to a parent's heuristic list: it is tried on payloads no table entry claimed.</summary>
    void AttachHeuristic(string parentProtocol);

    /// <summary>
    /// Declares a boolean preference (named like Wireshark's, e.g. <c>tcp.check_checksum</c>) and returns the value in
    /// effect: the one the user gave with <c>-o name:TRUE|FALSE</c>, or <paramref name="defaultValue"/>.
    /// </summary>
    bool Preference(string name, bool defaultValue, string description);

    /// <summary>Looks up a table declared by another dissector (resolved after every plugin has declared).</summary>
    TableHandle TableRef(string name);

    /// <summary>
    /// Declares an output table this dissector writes records to (<c>http</c>, one row per transaction), with its columns
    /// in order. Do not declare <c>flow_uid</c> or <c>capture_id</c>: the host adds them.
    /// </summary>
    Records.RecordTableHandle RecordTable(string name, string description, params Records.ColumnDescriptor[] columns);
}
