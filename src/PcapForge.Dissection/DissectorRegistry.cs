using System.Text.RegularExpressions;
using PcapForge.Abstractions.Dissection;
using PcapForge.Abstractions.Records;

namespace PcapForge.Dissection;

/// <summary><see cref="IDissector.Dissect"/> of one dissector, bound to it.</summary>
internal delegate DissectResult DissectFunction(PacketContext context, ReadOnlySpan<byte> data);

/// <summary>
/// Every protocol, field, anomaly and table the loaded dissectors declared, and the tables compiled for the frame
/// path. Built once at start-up: each dissector declares itself through its own setup, and is kept only if its
/// declarations are valid (a duplicate protocol id or field name, or a Declare that throws, skips it).
/// </summary>
public sealed class DissectorRegistry
{
    /// <summary>The root table: link types. Dissectors of link layers attach to it.</summary>
    public const string LinkTypeTable = "linktype";

    private readonly List<ProtocolDescriptor> _protocols = new();
    private readonly List<IDissector?> _dissectors = new();
    private readonly List<StreamDissectorEntry> _streams = new();
    private readonly List<string> _sources = new();
    private readonly List<int> _priorities = new();
    private readonly List<FieldDescriptor> _fields = new();
    private readonly List<AnomalyDescriptor> _anomalies = new();
    private readonly Dictionary<string, int> _tableIds = new(StringComparer.Ordinal);
    private readonly List<string> _tableNames = new();
    private readonly Dictionary<string, TableDescriptor> _tableDeclarations = new(StringComparer.Ordinal);
    private readonly List<RecordTableDescriptor> _recordTables = new();
    private readonly FieldDerivations _derivations = new();
    private Dictionary<long, int[]>[] _tables = [];

    // Tables of at most 16-bit keys (ethertype, ports, ip.proto, linktype) are also arrays indexed by key: one
    // bounds check instead of a hash lookup per layer on the frame path.
    private DenseTable?[] _dense = [];
    private int[][] _heuristics = [];
    private DissectFunction[] _dissectFunctions = [];
    private TableHandle _root;

    /// <summary>
    /// A table's candidates indexed by key, behind a bitmap of the keys that have any. A 16-bit table's array of
    /// references is 512 KiB: looking up a port nobody attached to (most TCP and UDP ports) would miss the cache on
    /// every frame, while its bitmap is 8 KiB and stays cached. A table nobody attached to has an empty bitmap, so
    /// a lookup in it touches nothing but the bitmap's length (<c>tcp.port</c> with the built-in dissectors).
    /// </summary>
    private sealed class DenseTable
    {
        public readonly int[]?[] Candidates;
        public readonly ulong[] Present;

        public DenseTable(int keyBits, Dictionary<long, int[]> entries)
        {
            Candidates = new int[]?[1 << keyBits];
            Present = entries.Count == 0 ? [] : new ulong[Math.Max(1, (1 << keyBits) / 64)];
            foreach (var (key, list) in entries)
            {
                if ((ulong)key >= (ulong)Candidates.Length)
                    continue;
                Candidates[key] = list;
                Present[key >> 6] |= 1UL << (int)key;
            }
        }
    }

    /// <summary>Fields of the frame itself (Wireshark's <c>frame.*</c>), declared by the host, recorded on request.</summary>
    public FieldHandle FrameNumber { get; }
    public FieldHandle FrameLength { get; }
    public FieldHandle FrameCapturedLength { get; }
    public FieldHandle FrameInterface { get; }

    /// <summary>
    /// Fields the dissectors declared as derived from recorded ones (bitmask and either fields), for the engine to
    /// hand to each <see cref="PacketContext"/>; null when there are none.
    /// </summary>
    public FieldDerivations? Derivations => _derivations.HasRules ? _derivations : null;

    private DissectorRegistry()
    {
        FrameNumber = HostField("frame.number", "Frame Number", FieldType.UInt64, "1-based number of the frame in the capture");
        FrameLength = HostField("frame.len", "Frame Length", FieldType.UInt32, "Length of the frame on the wire");
        FrameCapturedLength = HostField("frame.cap_len", "Capture Length", FieldType.UInt32, "Bytes of the frame in the capture (less than frame.len when the snaplen cut it)");
        FrameInterface = HostField("frame.interface_id", "Interface id", FieldType.UInt32, "Index of the capture interface");
        TableId(LinkTypeTable);
        _tableDeclarations[LinkTypeTable] = new TableDescriptor(LinkTypeTable, "Link-layer header type of the interface (LINKTYPE_*)", 16) { Protocol = "frame" };
    }

    public IReadOnlyList<ProtocolDescriptor> Protocols => _protocols;
    public IReadOnlyList<FieldDescriptor> Fields => _fields;
    public IReadOnlyList<AnomalyDescriptor> Anomalies => _anomalies;
    public IReadOnlyCollection<TableDescriptor> Tables => _tableDeclarations.Values;

    /// <summary>
    /// The output tables plugins declared, indexed by <see cref="RecordTableHandle.Id"/>, as they are written: the
    /// plugin's columns with <c>flow_uid</c> inserted (after <c>ts</c> when the table starts with it) and
    /// <c>capture_id</c> appended.
    /// </summary>
    public IReadOnlyList<RecordTableDescriptor> RecordTables => _recordTables;

    /// <summary>Names of the host's own tables, which no plugin may declare.</summary>
    public static readonly IReadOnlySet<string> HostTableNames = new HashSet<string>(StringComparer.Ordinal)
        { "flows", "packets", "anomalies", "captures", "sockets", "scan" };

    /// <summary>Column the host fills with the record's flow.</summary>
    public const string FlowUidColumn = "flow_uid";

    /// <summary>Column the host fills with the record's capture.</summary>
    public const string CaptureIdColumn = "capture_id";

    /// <summary>Index of the plugin's value <paramref name="pluginColumn"/> in the written table (host columns shift it).</summary>
    public static int WrittenIndex(RecordTableDescriptor written, int pluginColumn) =>
        pluginColumn == 0 && written.Columns[0].Name == "ts" ? 0 : pluginColumn + 1;

    /// <summary>The DLL each protocol came from, indexed like <see cref="Protocols"/>.</summary>
    public IReadOnlyList<string> Sources => _sources;

    /// <summary>
    /// The stream dissectors (HTTP, SSH…): each with its protocol index, the TCP ports it attached to, and whether it
    /// offered itself to the <c>tcp</c> heuristic list (then every TCP flow is offered to it).
    /// </summary>
    public IReadOnlyList<StreamDissectorEntry> StreamDissectors => _streams;

    /// <summary>
    /// Each dissector's <see cref="IDissector.Dissect"/>, indexed like <see cref="Protocols"/>, bound once. The frame
    /// path calls through these: an interface call from the engine's one call site, which sees every dissector,
    /// would look the dissector's type up in a stub's cache on every layer.
    /// </summary>
    internal DissectFunction[] DissectFunctions => _dissectFunctions;

    private static readonly DissectFunction NotPerPacket = static (_, _) => DissectResult.NotMine;

    internal TableHandle Root => _root;

    /// <summary>Candidates for a key of a table, highest priority first; empty when none.</summary>
    internal ReadOnlySpan<int> Lookup(TableHandle table, long key)
    {
        if ((uint)table.Id >= (uint)_dense.Length)
            return default;
        if (_dense[table.Id] is { } dense)
        {
            ulong[] present = dense.Present;
            ulong index = (ulong)key >> 6;
            return index < (ulong)present.Length && (present[index] & (1UL << (int)key)) != 0 ? dense.Candidates[key] : default;
        }

        return _tables[table.Id].TryGetValue(key, out var list) ? list : default;
    }

    /// <summary>Heuristic dissectors offered to a parent protocol's payloads.</summary>
    internal ReadOnlySpan<int> HeuristicsOf(int protocol) => (uint)protocol < (uint)_heuristics.Length ? _heuristics[protocol] : default;

    public int ProtocolIndex(string id) => _protocols.FindIndex(p => p.Id == id);

    public int FieldIndex(string filterName) => _fields.FindIndex(f => f.FilterName == filterName);

    /// <summary>Preference values given by the user (<c>-o name:value</c>), by name.</summary>
    private IReadOnlyDictionary<string, bool> _preferenceValues = new Dictionary<string, bool>();

    /// <summary>Every preference the dissectors declared, with its value in effect.</summary>
    public IEnumerable<PreferenceDescriptor> Preferences => _protocols.SelectMany(p => p.Preferences);

    /// <summary>Declares every dissector, in order; problems are appended to <paramref name="problems"/>.</summary>
    public static DissectorRegistry Build(IEnumerable<LoadedDissector> loaded, List<PluginProblem> problems,
        IReadOnlyDictionary<string, bool>? preferences = null)
    {
        var registry = new DissectorRegistry { _preferenceValues = preferences ?? new Dictionary<string, bool>() };
        var attachments = new List<(string Table, long Key, int Protocol, int Priority)>();
        var heuristics = new List<(string Parent, int Protocol)>();
        foreach (var d in loaded.OrderByDescending(d => d.Priority).ThenBy(d => d.Id, StringComparer.Ordinal))
        {
            var setup = new Setup(registry);
            try
            {
                if (d.Stream is { } stream)
                    stream.Declare(setup);
                else
                    d.Dissector!.Declare(setup);
            }
            catch (Exception e)
            {
                problems.Add(new PluginProblem(d.Source, $"dissector '{d.Id}' threw in Declare: {e.GetType().Name}: {e.Message}; skipped"));
                continue;
            }

            string? problem = setup.Validate(d.Id);
            if (problem is not null)
            {
                problems.Add(new PluginProblem(d.Source, problem + "; skipped"));
                continue;
            }

            int index = registry._protocols.Count;
            setup.Commit(index, d, attachments, heuristics);
        }

        registry.Compile(attachments, heuristics);
        return registry;
    }

    private FieldHandle HostField(string name, string display, FieldType type, string description)
    {
        _fields.Add(new FieldDescriptor(name, display, type, description) { Protocol = "frame" });
        return new FieldHandle(_fields.Count - 1);
    }

    private int TableId(string name)
    {
        if (!_tableIds.TryGetValue(name, out int id))
        {
            id = _tableNames.Count;
            _tableIds[name] = id;
            _tableNames.Add(name);
        }

        return id;
    }

    private void Compile(List<(string Table, long Key, int Protocol, int Priority)> attachments, List<(string Parent, int Protocol)> heuristics)
    {
        _tables = new Dictionary<long, int[]>[_tableNames.Count];
        for (int t = 0; t < _tables.Length; t++)
        {
            string name = _tableNames[t];
            _tables[t] = attachments.Where(a => a.Table == name)
                .GroupBy(a => a.Key)
                .ToDictionary(g => g.Key, g => g.OrderByDescending(a => a.Priority).Select(a => a.Protocol).ToArray());
        }

        _dense = new DenseTable?[_tables.Length];
        for (int t = 0; t < _tables.Length; t++)
        {
            if (_tableDeclarations.TryGetValue(_tableNames[t], out var decl) && decl.KeyBits <= 16)
            {
                _dense[t] = new DenseTable(Math.Max(0, decl.KeyBits), _tables[t]);
            }
        }

        // Stream dissectors have no per-packet entry point; their slot is never reached from a table.
        _dissectFunctions = _dissectors.Select(d => d is null ? NotPerPacket : new DissectFunction(d.Dissect)).ToArray();
        _root = new TableHandle(_tableIds[LinkTypeTable]);

        _heuristics = new int[_protocols.Count][];
        for (int p = 0; p < _protocols.Count; p++)
        {
            string id = _protocols[p].Id;
            _heuristics[p] = heuristics.Where(h => h.Parent == id).Select(h => h.Protocol).ToArray();
        }
    }

    /// <summary>Collects one dissector's declarations; they enter the registry only if they are valid.</summary>
    private sealed class Setup : IDissectorSetup
    {
        private readonly DissectorRegistry _registry;
        private readonly List<FieldDescriptor> _fields = new();
        private readonly List<AnomalyDescriptor> _anomalies = new();
        private readonly List<TableDescriptor> _tables = new();
        private readonly List<(string, long)> _attach = new();
        private readonly List<string> _heuristics = new();
        private readonly List<PreferenceDescriptor> _preferences = new();
        private readonly List<RecordTableDescriptor> _records = new();
        private readonly List<(int Field, int First, int Second, ulong? Mask)> _derived = new();
        private ProtocolDescriptor? _protocol;

        public Setup(DissectorRegistry registry) => _registry = registry;

        public void Protocol(string id, string name, string description) => _protocol = new ProtocolDescriptor(id, name, description);

        public FieldHandle Field(string filterName, string displayName, FieldType type, string description, FieldBase fieldBase = FieldBase.Decimal)
        {
            _fields.Add(new FieldDescriptor(filterName, displayName, type, description, fieldBase) { Protocol = _protocol?.Id ?? "" });
            return new FieldHandle(_registry._fields.Count + _fields.Count - 1);
        }

        public FieldHandle BitmaskField(string filterName, string displayName, FieldType type, string description, FieldHandle parent, ulong mask,
            FieldBase fieldBase = FieldBase.Decimal)
        {
            var field = Field(filterName, displayName, type, description, fieldBase);
            _derived.Add((field.Id, parent.Id, parent.Id, mask));
            return field;
        }

        public FieldHandle EitherField(string filterName, string displayName, FieldType type, string description, FieldHandle first, FieldHandle second,
            FieldBase fieldBase = FieldBase.Decimal)
        {
            var field = Field(filterName, displayName, type, description, fieldBase);
            _derived.Add((field.Id, first.Id, second.Id, null));
            return field;
        }

        public AnomalyHandle Anomaly(string name, string description)
        {
            _anomalies.Add(new AnomalyDescriptor(name, description) { Protocol = _protocol?.Id ?? "" });
            return new AnomalyHandle(_registry._anomalies.Count + _anomalies.Count - 1);
        }

        public TableHandle Table(string name, string description, int keyBits)
        {
            _tables.Add(new TableDescriptor(name, description, keyBits) { Protocol = _protocol?.Id ?? "" });
            return new TableHandle(_registry.TableId(name));
        }

        public void AttachTo(string table, long key) => _attach.Add((table, key));

        public void AttachHeuristic(string parentProtocol) => _heuristics.Add(parentProtocol);

        public TableHandle TableRef(string name) => new(_registry.TableId(name));

        public bool Preference(string name, bool defaultValue, string description)
        {
            bool value = _registry._preferenceValues.TryGetValue(name, out bool given) ? given : defaultValue;
            _preferences.Add(new PreferenceDescriptor(name, description, defaultValue, value) { Protocol = _protocol?.Id ?? "" });
            return value;
        }

        public RecordTableHandle RecordTable(string name, string description, params ColumnDescriptor[] columns)
        {
            _records.Add(new RecordTableDescriptor(name, description, columns.ToArray()) { Protocol = _protocol?.Id ?? "" });
            return new RecordTableHandle(_registry._recordTables.Count + _records.Count - 1) { Columns = columns.Length };
        }

        private static readonly Regex SnakeCase = new("^[a-z][a-z0-9_]*$", RegexOptions.CultureInvariant);

        private static string? ValidateRecordTable(RecordTableDescriptor t, DissectorRegistry registry, IEnumerable<RecordTableDescriptor> siblings)
        {
            if (!SnakeCase.IsMatch(t.Name))
                return $"record table '{t.Name}' is not a snake_case name";
            if (HostTableNames.Contains(t.Name) || registry._recordTables.Any(r => r.Name == t.Name) || siblings.Count(r => r.Name == t.Name) > 1)
                return $"record table '{t.Name}' is already declared";
            if (t.Columns.Count == 0)
                return $"record table '{t.Name}' has no columns";
            foreach (var c in t.Columns)
            {
                if (c is null || !SnakeCase.IsMatch(c.Name))
                    return $"record table '{t.Name}' has a column whose name is not snake_case ('{c?.Name}')";
                if (c.Name is FlowUidColumn or CaptureIdColumn)
                    return $"record table '{t.Name}' declares '{c.Name}', which the host adds";
                if (!Enum.IsDefined(c.Type))
                    return $"record table '{t.Name}' column '{c.Name}' has an unknown type";
            }

            var dup = t.Columns.GroupBy(c => c.Name).FirstOrDefault(g => g.Count() > 1)?.Key;
            return dup is null ? null : $"record table '{t.Name}' declares column '{dup}' twice";
        }

        private static RecordTableDescriptor WithHostColumns(RecordTableDescriptor t)
        {
            var flowUid = new ColumnDescriptor(FlowUidColumn, ColumnType.String, "The flow this record belongs to (joins flows.flow_uid)");
            var captureId = new ColumnDescriptor(CaptureIdColumn, ColumnType.String, "The capture this record comes from (joins captures.capture_id)");
            var columns = new List<ColumnDescriptor>(t.Columns.Count + 2);
            if (t.Columns[0].Name == "ts")
            {
                columns.Add(t.Columns[0]);
                columns.Add(flowUid);
                columns.AddRange(t.Columns.Skip(1));
            }
            else
            {
                columns.Add(flowUid);
                columns.AddRange(t.Columns);
            }

            columns.Add(captureId);
            return t with { Columns = columns };
        }

        public string? Validate(string exportId)
        {
            if (_protocol is null)
                return $"dissector '{exportId}' declared no protocol";
            if (_protocol.Id != exportId)
                return $"dissector exported as '{exportId}' declares protocol '{_protocol.Id}'";
            if (_registry._protocols.Any(p => p.Id == _protocol.Id))
                return $"duplicate protocol id '{_protocol.Id}' (already declared by {_registry._sources[_registry.ProtocolIndex(_protocol.Id)]})";
            var dup = _fields.GroupBy(f => f.FilterName).FirstOrDefault(g => g.Count() > 1)?.Key
                      ?? _fields.Select(f => f.FilterName).FirstOrDefault(n => _registry._fields.Any(f => f.FilterName == n));
            if (dup is not null)
                return $"dissector '{exportId}' declares field '{dup}', which is already declared";
            // A derived field is computed from fields of the same dissector declared before it, and is itself
            // never recorded, so it cannot be the source of another.
            foreach (var (field, first, second, mask) in _derived)
            {
                string name = _fields[field - _registry._fields.Count].FilterName;
                foreach (int source in new[] { first, second })
                {
                    if (source < _registry._fields.Count || source >= field || _derived.Any(d => d.Field == source))
                        return $"dissector '{exportId}': derived field '{name}' must come from a recorded field it declared before";
                }

                if (mask == 0)
                    return $"dissector '{exportId}': bitmask field '{name}' has an empty mask";
                if (mask is null && first == second)
                    return $"dissector '{exportId}': either field '{name}' needs two different sides";
            }

            var dupTable = _tables.Select(t => t.Name).FirstOrDefault(n => _registry._tableDeclarations.ContainsKey(n));
            if (dupTable is not null)
                return $"dissector '{exportId}' declares table '{dupTable}', which is already declared";
            foreach (var t in _records)
            {
                string? problem = ValidateRecordTable(t, _registry, _records);
                if (problem is not null)
                    return $"dissector '{exportId}': {problem}";
            }

            return null;
        }

        public void Commit(int index, LoadedDissector d, List<(string, long, int, int)> attachments, List<(string, int)> heuristics)
        {
            var p = _protocol!;
            p.Fields.AddRange(_fields);
            p.Anomalies.AddRange(_anomalies);
            p.Tables.AddRange(_tables);
            p.Attachments.AddRange(_attach);
            p.Heuristics.AddRange(_heuristics);
            p.Preferences.AddRange(_preferences);
            p.RecordTables.AddRange(_records);
            _registry._recordTables.AddRange(_records.Select(WithHostColumns));
            _registry._protocols.Add(p);
            _registry._dissectors.Add(d.Dissector);
            if (d.Stream is { } stream)
            {
                // A stream dissector is fed by the flow engine: its attachments name the flows to offer it, and do
                // not enter the per-packet tables.
                _registry._streams.Add(new StreamDissectorEntry(index, p.Id, stream,
                    _attach.Where(a => a.Item1 == "tcp.port").Select(a => (int)a.Item2).ToHashSet(), _heuristics.Contains("tcp"),
                    _attach.Where(a => a.Item1 == "udp.port").Select(a => (int)a.Item2).ToHashSet(), _heuristics.Contains("udp")));
                _attach.Clear();
                _heuristics.Clear();
            }

            _registry._sources.Add(d.Source);
            _registry._priorities.Add(d.Priority);
            _registry._fields.AddRange(_fields);
            _registry._anomalies.AddRange(_anomalies);
            foreach (var (field, first, second, mask) in _derived)
            {
                if (mask is ulong bits)
                    _registry._derivations.AddBitmask(field, first, bits);
                else
                    _registry._derivations.AddEither(field, first, second);
            }
            foreach (var t in _tables)
                _registry._tableDeclarations[t.Name] = t;
            foreach (var (table, key) in _attach)
                attachments.Add((table, key, index, d.Priority));
            foreach (var parent in _heuristics)
                heuristics.Add((parent, index));
        }
    }
}

/// <summary>
/// A stream dissector as the flow engine sees it: the TCP flows it is offered (by port, or all with
/// <paramref name="Heuristic"/>) and the UDP flows (<paramref name="UdpPorts"/>, <paramref name="UdpHeuristic"/>).
/// </summary>
public sealed record StreamDissectorEntry(int Protocol, string Id, IStreamDissector Dissector, IReadOnlySet<int> Ports, bool Heuristic,
    IReadOnlySet<int> UdpPorts, bool UdpHeuristic)
{
    public bool OnTcp => Heuristic || Ports.Count > 0;

    public bool OnUdp => UdpHeuristic || UdpPorts.Count > 0;

    /// <summary>Whether a flow between these ports of that transport is offered to the dissector.</summary>
    public bool Wants(bool udp, int origPort, int respPort) => (udp ? UdpHeuristic : Heuristic) || ByPort(udp, origPort, respPort);

    /// <summary>Whether the dissector is attached to one of these ports of that transport (<c>tcp.port</c>, <c>udp.port</c>).</summary>
    public bool ByPort(bool udp, int origPort, int respPort)
    {
        var ports = udp ? UdpPorts : Ports;
        return ports.Contains(respPort) || ports.Contains(origPort);
    }
}
