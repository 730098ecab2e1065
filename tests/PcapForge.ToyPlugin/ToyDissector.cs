using System.Buffers.Binary;
using PcapForge.Abstractions.Dissection;
using PcapForge.Abstractions.Records;

namespace PcapForge.ToyPlugin;

/// <summary>
/// "Toy" protocol on UDP port 31337: a 2-byte magic 0x70F0, a 1-byte opcode and a 4-byte counter. It is the
/// smallest complete dissector: declare the protocol, fields and an anomaly, attach to udp.port, decode.
/// </summary>
[DissectorExport("toy")]
public sealed class ToyDissector : IDissector
{
    public const int Port = 31337;
    private const ushort Magic = 0x70F0;
    private const int HeaderLength = 7;

    private FieldHandle _opcode, _counter;
    private AnomalyHandle _short;
    private RecordTableHandle _messages;

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("toy", "Toy Protocol", "A test protocol on UDP port 31337");
        _opcode = setup.Field("toy.opcode", "Opcode", FieldType.UInt8, "What the message asks");
        _counter = setup.Field("toy.counter", "Counter", FieldType.UInt32, "A counter");
        _short = setup.Anomaly("toy.truncated", "Fewer than 7 bytes");
        _messages = setup.RecordTable("toy_messages", "One row per toy message",
            new ColumnDescriptor("ts", ColumnType.Timestamp, "Time of the frame"),
            new ColumnDescriptor("opcode", ColumnType.Int32, "What the message asks"),
            new ColumnDescriptor("counter", ColumnType.Int64, "The counter"));
        setup.AttachTo("udp.port", Port);
    }

    public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data)
    {
        if (data.Length < 2 || BinaryPrimitives.ReadUInt16BigEndian(data) != Magic)
            return DissectResult.NotMine;
        if (data.Length < HeaderLength)
        {
            context.Report(_short, 0, $"{data.Length} bytes");
            return DissectResult.Done(data.Length);
        }

        context.Add(_opcode, 2, 1, data[2]);
        context.Add(_counter, 3, 4, BinaryPrimitives.ReadUInt32BigEndian(data[3..]));
        context.Records?.Write(_messages, [context.Frame.TimestampNs, (int)data[2], (long)BinaryPrimitives.ReadUInt32BigEndian(data[3..])]);
        if (context.WantsDetail)
        {
            context.Info.Clear();
            context.Info.Append("Toy opcode ").Append(data[2]);
        }

        return DissectResult.Done(HeaderLength);
    }
}

/// <summary>A plugin built against a future contract version: the host must skip it without constructing it.</summary>
[DissectorExport("toyfuture", ContractVersion = 99)]
public sealed class FutureDissector : IDissector
{
    public FutureDissector() => throw new InvalidOperationException("must never be constructed");

    public void Declare(IDissectorSetup setup) => throw new InvalidOperationException("must never be called");

    public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data) => DissectResult.NotMine;
}
