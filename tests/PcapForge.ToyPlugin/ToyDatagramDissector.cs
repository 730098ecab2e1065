using System.Text;
using PcapForge.Abstractions.Dissection;
using PcapForge.Abstractions.Records;

namespace PcapForge.ToyPlugin;

/// <summary>
/// "Toy datagrams" over UDP port 9999, the smallest per-flow datagram dissector: each datagram is <c>TOY word</c>.
/// One record per datagram with its direction; the flow is rejected at the first datagram that is not a toy one.
/// </summary>
[StreamDissectorExport("toydgram")]
public sealed class ToyDatagramDissector : IStreamDissector
{
    private static readonly byte[] Prefix = "TOY "u8.ToArray();
    private RecordTableHandle _table;

    public void Declare(IDissectorSetup setup)
    {
        setup.Protocol("toydgram", "Toy Datagram Protocol", "A test datagram protocol: UDP payloads 'TOY word' on port 9999");
        _table = setup.RecordTable("toy_datagrams", "One row per toy datagram",
            new ColumnDescriptor("ts", ColumnType.Timestamp, "Time of the datagram"),
            new ColumnDescriptor("is_orig", ColumnType.Boolean, "Sent by the originator"),
            new ColumnDescriptor("word", ColumnType.String, "The word"),
            new ColumnDescriptor("datagram", ColumnType.Boolean, "The engine said it delivers datagrams"),
            new ColumnDescriptor("by_port", ColumnType.Boolean, "The engine said it offered the flow for its port"));
        setup.AttachTo("udp.port", 9999);
    }

    public IStreamParser CreateParser(StreamContext context) => new Parser(this, context);

    /// <summary>Longer than the UDP timeout on purpose: a session timeout only ever shortens it.</summary>
    public TimeSpan? UdpSessionTimeout => TimeSpan.FromHours(2);

    private sealed class Parser(ToyDatagramDissector owner, StreamContext context) : IStreamParser
    {
        public int OnData(StreamDirection direction, ReadOnlySpan<byte> data)
        {
            if (!data.StartsWith(Prefix))
            {
                context.Reject("not a toy datagram");
                return 0;
            }

            context.Confirm();
            context.Records.Write(owner._table, [context.CurrentTimestampNs, direction == StreamDirection.FromOriginator,
                Encoding.ASCII.GetString(data[Prefix.Length..]), context.IsDatagram, context.OfferedByPort]);
            return data.Length;
        }

        public void OnGap(StreamDirection direction, long length)
        {
        }

        public void OnEnd()
        {
        }
    }
}
