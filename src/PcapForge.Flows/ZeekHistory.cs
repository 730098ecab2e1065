using System.Text;

namespace PcapForge.Flows;

/// <summary>
/// Zeek's connection history (base/protocols/conn/main.zeek, <c>history</c>): one letter per kind of event in the order
/// first seen, upper case for the originator. Most letters are recorded once per direction; C, G, T and W again each
/// time their count reaches 10, 100, 1000…, as Zeek does, so that their repetition shows.
/// </summary>
public sealed class ZeekHistory
{
    private ulong _seen;
    private StringBuilder? _letters;
    private int _origGaps, _respGaps, _origRetrans, _respRetrans, _origZero, _respZero, _origBadSum, _respBadSum;

    public const char Syn = 's', SynAck = 'h', Ack = 'a', Data = 'd', Fin = 'f', Reset = 'r', BadChecksum = 'c', Gap = 'g',
        Retransmission = 't', ZeroWindow = 'w', Inconsistent = 'i', MultiFlag = 'q', Flipped = '^';

    public override string ToString() => _letters?.ToString() ?? "";

    /// <summary>Records <paramref name="letter"/> (lower case) for the originator (upper case) or the responder, once.</summary>
    public void Once(char letter, bool orig)
    {
        char c = orig ? char.ToUpperInvariant(letter) : letter;
        int bit = c == Flipped ? 63 : c >= 'a' ? c - 'a' : 26 + c - 'A';
        if ((_seen & (1UL << bit)) != 0)
            return;
        _seen |= 1UL << bit;
        (_letters ??= new StringBuilder(12)).Append(c);
    }

    /// <summary>Counts a repeatable event (C, G, T, W) and records its letter at counts 1, 10, 100…</summary>
    public void Repeated(char letter, bool orig)
    {
        ref int count = ref Counter(letter, orig);
        count++;
        if (IsPowerOfTen(count))
            (_letters ??= new StringBuilder(12)).Append(orig ? char.ToUpperInvariant(letter) : letter);
    }

    private ref int Counter(char letter, bool orig)
    {
        switch (letter)
        {
            case Gap: return ref orig ? ref _origGaps : ref _respGaps;
            case Retransmission: return ref orig ? ref _origRetrans : ref _respRetrans;
            case ZeroWindow: return ref orig ? ref _origZero : ref _respZero;
            default: return ref orig ? ref _origBadSum : ref _respBadSum;
        }
    }

    private static bool IsPowerOfTen(int n)
    {
        for (int p = 1; p > 0 && p <= n; p *= 10)
        {
            if (p == n)
                return true;
            if (p > int.MaxValue / 10)
                break;
        }

        return false;
    }
}
