using static PcapForge.TestSupport.Frames;

namespace PcapForge.Flows.Tests;

/// <summary>
/// conn_state and history with Zeek's meanings, one hand-made conversation per state (Zeek's conn.log documentation
/// lists the states; the history letters are those of base/protocols/conn/main.zeek).
/// </summary>
public class ConnStateTests
{
    private static Dictionary<string, object?> OnlyFlow(Conversation c)
    {
        var rows = Analyzer.Run(c.Frames);
        return Assert.Single(rows["flows"]);
    }

    public static TheoryData<string, string, string> States => new()
    {
        { "S0", "S", "syn" },
        { "REJ", "Sr", "syn,rst-ack" },
        { "S1", "ShA", "syn,syn-ack,ack" },
        { "SF", "ShADadFf", "full" },
        { "RSTO", "ShADaR", "orig-reset" },
        { "RSTR", "ShADr", "resp-reset" },
        { "RSTOS0", "SR", "syn,orig-rst" },
        { "RSTRH", "^hr", "syn-ack,resp-rst" },
        { "SH", "SF", "syn,fin" },
        { "SHR", "^hf", "syn-ack,resp-fin" },
        { "S2", "ShAF", "orig-fin" },
        { "S3", "ShAf", "resp-fin" },
        { "OTH", "Dd", "midstream" },
    };

    private static Conversation Script(string name)
    {
        var c = new Conversation();
        switch (name)
        {
            case "syn":
                c.C(Syn);
                break;
            case "syn,rst-ack":
                c.C(Syn).S(Rst | Ack);
                break;
            case "syn,syn-ack,ack":
                c.C(Syn).S(Syn | Ack).C(Ack);
                break;
            case "full":
                c.C(Syn).S(Syn | Ack).C(Ack).C(Ack | Psh, "GET / HTTP/1.0\r\n\r\n").S(Ack).S(Ack | Psh, "HTTP/1.0 200 OK\r\n\r\n")
                    .C(Ack).C(Fin | Ack).S(Fin | Ack).C(Ack);
                break;
            case "orig-reset":
                c.C(Syn).S(Syn | Ack).C(Ack).C(Ack | Psh, "hello").S(Ack).C(Rst | Ack);
                break;
            case "resp-reset":
                c.C(Syn).S(Syn | Ack).C(Ack).C(Ack | Psh, "hello").S(Rst | Ack);
                break;
            case "syn,orig-rst":
                c.C(Syn).C(Rst);
                break;
            case "syn-ack,resp-rst":
                c.S(Syn | Ack).S(Rst);
                break;
            case "syn,fin":
                c.C(Syn).C(Fin);
                break;
            case "syn-ack,resp-fin":
                c.S(Syn | Ack).S(Fin | Ack);
                break;
            case "orig-fin":
                c.C(Syn).S(Syn | Ack).C(Ack).C(Fin | Ack);
                break;
            case "resp-fin":
                c.C(Syn).S(Syn | Ack).C(Ack).S(Fin | Ack);
                break;
            case "midstream":
                c.C(Ack | Psh, "abc").S(Ack | Psh, "def");
                break;
        }

        return c;
    }

    [Theory]
    [MemberData(nameof(States))]
    public void Each_state_from_its_conversation(string state, string history, string script)
    {
        var flow = OnlyFlow(Script(script));
        Assert.Equal(state, flow["conn_state"]);
        Assert.Equal(history, flow["history"]);
    }

    [Fact]
    public void Full_connection_counts_both_sides()
    {
        var flow = OnlyFlow(Script("full"));
        Assert.Equal("10.0.0.1", flow["orig_h"]);
        Assert.Equal(40000, flow["orig_p"]);
        Assert.Equal("10.0.0.2", flow["resp_h"]);
        Assert.Equal(80, flow["resp_p"]);
        Assert.Equal("tcp", flow["proto"]);
        Assert.Equal(6L, flow["orig_pkts"]);
        Assert.Equal(4L, flow["resp_pkts"]);
        Assert.Equal((long)"GET / HTTP/1.0\r\n\r\n".Length, flow["orig_bytes"]);
        Assert.Equal((long)"HTTP/1.0 200 OK\r\n\r\n".Length, flow["resp_bytes"]);
        Assert.Equal(6L * 40 + "GET / HTTP/1.0\r\n\r\n".Length, flow["orig_ip_bytes"]);
        Assert.Equal(0L, flow["missed_bytes"]);
        Assert.Equal(true, flow["start_seen"]);
        Assert.Equal(0.002, (double)flow["handshake_rtt"]!, 9);
        Assert.Equal(9_000_000L, flow["duration_ns"]);
        Assert.Equal("fin", flow["end_reason"]);
        Assert.Equal(1L, flow["first_frame"]);
        Assert.Equal(10L, flow["last_frame"]);
        Assert.Equal("02:00:00:00:00:0a", flow["orig_l2_addr"]);
        Assert.Equal("02:00:00:00:00:0b", flow["resp_l2_addr"]);
    }

    [Fact]
    public void Syn_ack_first_makes_its_receiver_the_originator()
    {
        var flow = OnlyFlow(Script("syn-ack,resp-fin"));
        Assert.Equal("10.0.0.1", flow["orig_h"]);
        Assert.Equal(false, flow["start_seen"]);
    }

    [Fact]
    public void Midstream_start_is_recorded()
    {
        var flow = OnlyFlow(Script("midstream"));
        Assert.Equal(false, flow["start_seen"]);
        Assert.Equal("end_of_input", flow["end_reason"]);
        Assert.Null(flow["handshake_rtt"]);
    }

    [Fact]
    public void Retransmission_out_of_order_and_gap()
    {
        var c = new Conversation();
        c.C(Syn).S(Syn | Ack).C(Ack);
        uint start = c.ClientSeq;
        c.C(Ack, "aaaa", seq: start);          // 0..4
        c.C(Ack, "aaaa", seq: start);          // retransmission
        c.C(Ack, "cccc", seq: start + 8);      // 8..12: opens a hole 4..8
        c.C(Ack, "bbbb", seq: start + 4);      // fills it: out of order
        c.C(Ack, "eeee", seq: start + 16);     // 16..20: a hole 12..16 never filled
        c.S(Ack, window: 0);
        var flow = OnlyFlow(c);
        Assert.Equal(1L, flow["orig_retrans_pkts"]);
        Assert.Equal(4L, flow["orig_retrans_bytes"]);
        Assert.Equal(1L, flow["orig_ooo_pkts"]);
        Assert.Equal(4L, flow["missed_bytes"]);
        Assert.Equal(20L, flow["orig_bytes"]);
        Assert.Equal(1L, flow["resp_zero_windows"]);
        Assert.Equal("ShADTawG", flow["history"]);
    }

    [Fact]
    public void Keep_alive_probes_are_neither_data_nor_retransmissions()
    {
        // Windows sends one garbage byte at the sequence number before the next, Linux none (RFC 9293, 3.8.4).
        var c = new Conversation();
        c.C(Syn).S(Syn | Ack).C(Ack).C(Ack | Psh, "hello").S(Ack);
        c.Wait(TimeSpan.FromSeconds(30)).C(Ack, "\0", seq: c.ClientSeq - 1).S(Ack);
        c.Wait(TimeSpan.FromSeconds(30)).C(Ack, "", seq: c.ClientSeq - 1).S(Ack);
        c.S(Ack | Psh, "world").C(Ack);
        var flow = OnlyFlow(c);
        Assert.Equal(0L, flow["orig_retrans_pkts"]);
        Assert.Equal(0L, flow["orig_retrans_bytes"]);
        Assert.Equal(5L, flow["orig_bytes"]);
        Assert.Equal(6L, flow["orig_pkts"]);
        Assert.Equal("ShADad", flow["history"]);

        // On a connection that never sent data the probe is still no data: no 'D'.
        var idle = new Conversation();
        idle.C(Syn).S(Syn | Ack).C(Ack);
        idle.Wait(TimeSpan.FromSeconds(30)).C(Ack, "\0", seq: idle.ClientSeq - 1).S(Ack);
        flow = OnlyFlow(idle);
        Assert.Equal("ShAa", flow["history"]);
        Assert.Equal(0L, flow["orig_bytes"]);
        Assert.Equal(0L, flow["orig_retrans_pkts"]);

        // A one-byte segment that is not one before the next expected is a retransmission as before.
        var resent = new Conversation();
        resent.C(Syn).S(Syn | Ack).C(Ack).C(Ack | Psh, "hello").S(Ack);
        resent.C(Ack, "e", seq: resent.ClientSeq - 4).S(Ack);
        Assert.Equal(1L, OnlyFlow(resent)["orig_retrans_pkts"]);
    }

    [Fact]
    public void Sequence_numbers_wrap()
    {
        var c = new Conversation(clientIsn: 0xFFFF_FFF0);
        c.C(Syn).S(Syn | Ack).C(Ack);
        for (int i = 0; i < 8; i++)
            c.C(Ack, "0123456789");
        c.C(Fin | Ack).S(Fin | Ack).C(Ack);
        var flow = OnlyFlow(c);
        Assert.Equal(80L, flow["orig_bytes"]);
        Assert.Equal(0L, flow["orig_retrans_pkts"]);
        Assert.Equal(0L, flow["missed_bytes"]);
        Assert.Equal("SF", flow["conn_state"]);
    }

    [Fact]
    public void Syn_retransmission_stays_in_one_flow()
    {
        var c = new Conversation();
        c.C(Syn);
        uint isn = c.ClientSeq - 1;
        c.Wait(TimeSpan.FromSeconds(1)).C(Syn, seq: isn).S(Syn | Ack).C(Ack);
        var flow = OnlyFlow(c);
        Assert.Equal("S1", flow["conn_state"]);
        Assert.Equal(3L, flow["orig_pkts"]);
    }

    [Fact]
    public void Syn_on_a_closed_four_tuple_opens_a_new_flow()
    {
        var c = new Conversation();
        c.C(Syn).S(Syn | Ack).C(Ack).C(Fin | Ack).S(Fin | Ack).C(Ack);
        c.C(Syn, seq: 900_000).S(Syn | Ack).C(Ack);
        var rows = Analyzer.Run(c.Frames);
        var flows = rows["flows"].OrderBy(f => (long)f["first_frame"]!).ToList();
        Assert.Equal(2, flows.Count);
        Assert.Equal("SF", flows[0]["conn_state"]);
        Assert.Equal("reopened", flows[0]["end_reason"]);
        Assert.Equal("S1", flows[1]["conn_state"]);
        Assert.NotEqual(flows[0]["flow_uid"], flows[1]["flow_uid"]);
    }

    [Fact]
    public void Data_after_fin_and_rst_is_counted_in_the_same_flow()
    {
        var c = new Conversation();
        c.C(Syn).S(Syn | Ack).C(Ack).C(Fin | Ack).S(Ack, "late data").S(Rst).C(Ack, "after reset");
        var flow = OnlyFlow(c);
        Assert.Equal(4L, flow["orig_pkts"]);
        Assert.Equal(3L, flow["resp_pkts"]);
        Assert.Equal(9L, flow["resp_bytes"]);
        Assert.Equal("RSTR", flow["conn_state"]);
    }

    [Fact]
    public void Inactivity_timeout_splits_flows()
    {
        var c = new Conversation();
        c.C(Ack, "a").Wait(TimeSpan.FromMinutes(6)).C(Ack, "b");
        var rows = Analyzer.Run(c.Frames);
        Assert.Equal(2, rows["flows"].Count);
        Assert.Equal("timeout", rows["flows"].OrderBy(f => (long)f["first_frame"]!).First()["end_reason"]);
    }

    [Fact]
    public void Same_input_gives_the_same_uids()
    {
        var a = Analyzer.Run(Script("full").Frames);
        var b = Analyzer.Run(Script("full").Frames);
        Assert.Equal(a["flows"][0]["flow_uid"], b["flows"][0]["flow_uid"]);
        Assert.Matches("^C[0-9A-Za-z]{17}$", (string)a["flows"][0]["flow_uid"]!);
    }
}
