using PcapForge.Abstractions;
using PcapForge.Abstractions.Dissection;
using PcapForge.Dissectors.Core;

namespace PcapForge.Dissection.Tests;

public class EngineTests
{
    [DissectorExport("boom")]
    private sealed class Boom : IDissector
    {
        public void Declare(IDissectorSetup setup)
        {
            setup.Protocol("boom", "Boom", "Throws on every packet");
            setup.AttachTo("udp.port", 9999);
        }

        public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data) => throw new InvalidOperationException("kaboom");
    }

    [DissectorExport("toy")]
    private sealed class Toy : IDissector
    {
        private FieldHandle _magic;

        public void Declare(IDissectorSetup setup)
        {
            setup.Protocol("toy", "Toy", "A heuristic protocol starting with 'TOY'");
            _magic = setup.Field("toy.magic", "Magic", FieldType.String, "The magic");
            setup.AttachHeuristic("udp");
        }

        public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data)
        {
            if (data.Length < 3 || data[0] != 'T' || data[1] != 'O' || data[2] != 'Y')
                return DissectResult.NotMine;
            context.Add(_magic, 0, 3);
            return DissectResult.Done(data.Length);
        }
    }

    private static byte[] Udp(ushort dst, string payload)
    {
        var p = System.Text.Encoding.ASCII.GetBytes(payload);
        var udp = new byte[8 + p.Length];
        udp[0] = 0x30; udp[1] = 0x39; // 12345
        udp[2] = (byte)(dst >> 8); udp[3] = (byte)dst;
        udp[4] = (byte)(udp.Length >> 8); udp[5] = (byte)udp.Length;
        p.CopyTo(udp, 8);
        var ip = Convert.FromHexString("450000000001000040110000" + "0a000001" + "0a000002");
        int total = ip.Length + udp.Length;
        ip[2] = (byte)(total >> 8); ip[3] = (byte)total;
        var eth = Convert.FromHexString("020000000002" + "020000000001" + "0800");
        return eth.Concat(ip).Concat(udp).ToArray();
    }

    [Fact]
    public void ADissectorThatThrowsBecomesAnAnomalyNamingItAndTheFrameKeepsItsOuterLayers()
    {
        var harness = new Harness(new Ethernet(), new Ipv4(), new Udp(), new Boom());
        var d = harness.Dissect(Udp(9999, "x"), LinkTypes.Ethernet);

        Assert.Equal(["eth", "ip", "udp"], d.Layers);
        Assert.Contains("engine.dissector_exception", d.Anomalies);
    }

    [Fact]
    public void HeuristicDissectorsAreTriedWhenNoPortClaimsThePayload()
    {
        var harness = new Harness(new Ethernet(), new Ipv4(), new Udp(), new Toy());
        Assert.Equal(["eth", "ip", "udp", "toy"], harness.Dissect(Udp(4000, "TOY!"), LinkTypes.Ethernet).Layers);
        Assert.Equal(["eth", "ip", "udp"], harness.Dissect(Udp(4000, "NOPE"), LinkTypes.Ethernet).Layers);
    }

    [DissectorExport("derived")]
    private sealed class BadDerivation(bool fromLater) : IDissector
    {
        public void Declare(IDissectorSetup setup)
        {
            setup.Protocol("derived", "Derived", "Declares a bit field of a field it does not record");
            var flags = setup.Field("derived.flags", "Flags", FieldType.UInt8, "Recorded");
            var bit = setup.BitmaskField("derived.flags.a", "A", FieldType.Boolean, "Bit 0", flags, 1);
            if (fromLater)
                setup.EitherField("derived.either", "Either", FieldType.UInt8, "Both sides", flags, new FieldHandle(flags.Id + 5));
            else
                setup.BitmaskField("derived.flags.a.b", "B", FieldType.Boolean, "A bit of a derived field", bit, 1);
        }

        public DissectResult Dissect(PacketContext context, ReadOnlySpan<byte> data) => DissectResult.NotMine;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DerivedFieldsMustComeFromRecordedFieldsDeclaredBefore(bool fromLater)
    {
        var problems = new List<PluginProblem>();
        var registry = DissectorRegistry.Build([new LoadedDissector(new BadDerivation(fromLater), "derived", 0, "d.dll")], problems);

        Assert.Empty(registry.Protocols);
        Assert.Null(registry.Derivations);
        Assert.Contains("must come from a recorded field it declared before", Assert.Single(problems).Reason);
    }

    [Fact]
    public void DuplicateProtocolIdIsReportedAndSkipped()
    {
        var problems = new List<PluginProblem>();
        var registry = DissectorRegistry.Build([new LoadedDissector(new Udp(), "udp", 0, "a.dll"), new LoadedDissector(new Udp(), "udp", 0, "b.dll")], problems);

        Assert.Single(registry.Protocols);
        var problem = Assert.Single(problems);
        Assert.Contains("duplicate protocol id 'udp'", problem.Reason);
    }
}

