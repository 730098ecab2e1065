using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using PcapForge.Abstractions.Dissection;

namespace PcapForge.Dissection.Filters;

/// <summary>
/// A display filter in Wireshark's language, the subset typed daily: field presence, <c>== != &lt; &lt;= &gt; &gt;=</c>
/// (and <c>eq ne lt le gt ge</c>), <c>&amp;</c> (bitwise and), <c>contains</c>, <c>matches</c>, <c>in {…}</c> with
/// values and <c>a..b</c> ranges, <c>and or not &amp;&amp; || !</c>, parentheses; integer, IPv4/IPv6 (with CIDR
/// prefixes), MAC, string and byte-string literals. Compiled once to a predicate over a dissected frame.
/// As in Wireshark, <c>==</c> holds when any occurrence of the field matches and <c>!=</c> when none does, so the
/// two-sided fields (<c>ip.addr</c>, <c>tcp.port</c>, <c>eth.addr</c>), added once per side, match either side.
/// </summary>
public sealed class DisplayFilter
{
    private readonly Node _root;

    private DisplayFilter(string text, Node root)
    {
        Text = text;
        _root = root;
    }

    public string Text { get; }

    /// <summary>Compiles a filter against the fields and protocols the loaded dissectors declared.</summary>
    /// <exception cref="FilterSyntaxException">The filter is not valid; the exception names the column.</exception>
    public static DisplayFilter Compile(string text, DissectorRegistry registry)
    {
        var parser = new Parser(text, FilterLexer.Tokenize(text), registry);
        var root = parser.ParseExpression();
        parser.Expect(TokenKind.End, "end of the filter");
        return new DisplayFilter(text, root);
    }

    /// <summary>True when the dissected frame matches.</summary>
    public bool Matches(PacketContext context, ReadOnlySpan<byte> frame) => _root.Evaluate(context, frame);

    // ---------------------------------------------------------------- compiled nodes

    private abstract class Node
    {
        public abstract bool Evaluate(PacketContext c, ReadOnlySpan<byte> frame);
    }

    private sealed class And(Node a, Node b) : Node
    {
        public override bool Evaluate(PacketContext c, ReadOnlySpan<byte> f) => a.Evaluate(c, f) && b.Evaluate(c, f);
    }

    private sealed class Or(Node a, Node b) : Node
    {
        public override bool Evaluate(PacketContext c, ReadOnlySpan<byte> f) => a.Evaluate(c, f) || b.Evaluate(c, f);
    }

    private sealed class Not(Node a) : Node
    {
        public override bool Evaluate(PacketContext c, ReadOnlySpan<byte> f) => !a.Evaluate(c, f);
    }

    private sealed class FieldPresent(int field) : Node
    {
        public override bool Evaluate(PacketContext c, ReadOnlySpan<byte> f)
        {
            foreach (var v in c.Fields)
            {
                if (v.Field == field)
                    return true;
            }

            return false;
        }
    }

    private sealed class ProtocolPresent(int protocol) : Node
    {
        public override bool Evaluate(PacketContext c, ReadOnlySpan<byte> f)
        {
            foreach (var l in c.Layers)
            {
                if (l.Protocol == protocol)
                    return true;
            }

            return false;
        }
    }

    /// <summary>A test on each occurrence of a field: any must pass (or, for <c>!=</c>, none may fail the equality).</summary>
    private sealed class FieldTest(int field, Func<FieldValue, ReadOnlySpan<byte>, bool> test, bool all) : Node
    {
        public override bool Evaluate(PacketContext c, ReadOnlySpan<byte> frame)
        {
            bool any = false;
            foreach (var v in c.Fields)
            {
                if (v.Field != field)
                    continue;
                any = true;
                bool ok = test(v, v.Source == FieldSource.Text ? System.Text.Encoding.UTF8.GetBytes(c.Text(v)) : c.Bytes(v, frame));
                if (all && !ok)
                    return false;
                if (!all && ok)
                    return true;
            }

            return all && any;
        }
    }

    /// <summary><c>proto contains …</c> / <c>proto matches …</c>: over the bytes of the protocol's layers, from their header to the end of the frame.</summary>
    private sealed class ProtocolBytesTest(int protocol, Func<ReadOnlySpan<byte>, bool> test) : Node
    {
        public override bool Evaluate(PacketContext c, ReadOnlySpan<byte> frame)
        {
            foreach (var l in c.Layers)
            {
                if (l.Protocol != protocol)
                    continue;
                ReadOnlySpan<byte> data = l.Source == FieldSource.Reassembled ? c.Reassembled.Span : frame;
                if (l.Offset <= data.Length && test(data[l.Offset..]))
                    return true;
            }

            return false;
        }
    }

    /// <summary>
    /// A slice of a field's or protocol's bytes (Wireshark's <c>[i:n]</c>, <c>[i-j]</c>, <c>[i]</c>, <c>[:n]</c>,
    /// <c>[i:]</c>, negative i from the end) tested against a byte string; any occurrence may match (all, for <c>!=</c>).
    /// </summary>
    private sealed class SliceTest(int field, int protocol, int start, int? length, Func<ReadOnlySpan<byte>, bool> test, bool all) : Node
    {
        public override bool Evaluate(PacketContext c, ReadOnlySpan<byte> frame)
        {
            bool any = false;
            if (field >= 0)
            {
                foreach (var v in c.Fields)
                {
                    if (v.Field != field)
                        continue;
                    any = true;
                    bool ok = Slice(c.Bytes(v, frame), out var s) && test(s);
                    if (all && !ok)
                        return false;
                    if (!all && ok)
                        return true;
                }

                return all && any;
            }

            foreach (var l in c.Layers)
            {
                if (l.Protocol != protocol)
                    continue;
                // As in Wireshark, a protocol's bytes for a slice are its header (the layer's own length), while
                // 'contains' on a protocol searches from its header to the end of the frame.
                ReadOnlySpan<byte> data = l.Source == FieldSource.Reassembled ? c.Reassembled.Span : frame;
                if (l.Offset <= data.Length && Slice(data.Slice(l.Offset, Math.Min(l.Length, data.Length - l.Offset)), out var s) && test(s))
                    return true;
            }

            return false;
        }

        private bool Slice(ReadOnlySpan<byte> bytes, out ReadOnlySpan<byte> slice)
        {
            int from = start < 0 ? bytes.Length + start : start;
            int count = length ?? bytes.Length - from;
            slice = default;
            if (from < 0 || count < 0 || from + count > bytes.Length)
                return false;
            slice = bytes.Slice(from, count);
            return true;
        }
    }

    // ---------------------------------------------------------------- parser

    private sealed class Parser(string text, List<Token> tokens, DissectorRegistry registry)
    {
        private int _i;

        private Token Peek => tokens[_i];

        private Token Next() => tokens[_i++];

        public Token Expect(TokenKind kind, string what)
        {
            var t = Peek;
            if (t.Kind != kind)
                throw Error(t, t.Kind == TokenKind.End ? $"expected {what}, but the filter ends" : $"expected {what}, found '{t.Text}'");
            return Next();
        }

        private FilterSyntaxException Error(Token t, string message) => new(text, t.Column, message);

        public Node ParseExpression()
        {
            var left = ParseAnd();
            while (Peek.Kind == TokenKind.Or)
            {
                Next();
                left = new Or(left, ParseAnd());
            }

            return left;
        }

        private Node ParseAnd()
        {
            var left = ParseNot();
            while (Peek.Kind == TokenKind.And)
            {
                Next();
                left = new And(left, ParseNot());
            }

            return left;
        }

        private Node ParseNot()
        {
            if (Peek.Kind == TokenKind.Not)
            {
                Next();
                return new Not(ParseNot());
            }

            return ParsePrimary();
        }

        private Node ParsePrimary()
        {
            var t = Peek;
            if (t.Kind == TokenKind.LParen)
            {
                Next();
                var inner = ParseExpression();
                Expect(TokenKind.RParen, "')'");
                return inner;
            }

            if (t.Kind != TokenKind.Word)
                throw Error(t, t.Kind == TokenKind.End ? "expected a field or protocol name, but the filter ends" : $"expected a field or protocol name, found '{t.Text}'");
            Next();
            int field = registry.FieldIndex(t.Text);
            int protocol = field < 0 ? registry.ProtocolIndex(t.Text) : -1;
            if (field < 0 && protocol < 0)
                throw Error(t, $"'{t.Text}' is neither a field nor a protocol (see 'pcapforge fields list')");

            if (Peek.Kind == TokenKind.LBracket)
                return ParseSlice(field, protocol);

            var op = Peek;
            if (protocol >= 0)
            {
                return op.Kind switch
                {
                    TokenKind.Contains => ProtocolContains(protocol),
                    TokenKind.Matches => ProtocolMatches(protocol),
                    TokenKind.Comparison or TokenKind.In or TokenKind.BitAnd => throw Error(op, $"'{t.Text}' is a protocol: it can be tested for presence, 'contains' or 'matches'"),
                    _ => new ProtocolPresent(protocol),
                };
            }

            var descriptor = registry.Fields[field];
            switch (op.Kind)
            {
                case TokenKind.Comparison:
                    Next();
                    return Comparison(field, descriptor, op, ParseValue(descriptor));
                case TokenKind.BitAnd:
                    Next();
                    var maskToken = Expect(TokenKind.Word, "a number after '&'");
                    if (!IsInteger(descriptor.Type) || !TryParseInteger(maskToken.Text, out ulong mask))
                        throw Error(maskToken, $"'&' needs an integer field and an integer mask; '{descriptor.FilterName}' is {descriptor.Type}");
                    return new FieldTest(field, (v, _) => (v.Value & mask) != 0, all: false);
                case TokenKind.Contains:
                    Next();
                    byte[] needle = ParseByteString(descriptor);
                    return new FieldTest(field, (_, bytes) => bytes.IndexOf(needle) >= 0, all: false);
                case TokenKind.Matches:
                    Next();
                    var regex = ParseRegex();
                    return new FieldTest(field, (_, bytes) => regex.IsMatch(Encoding.UTF8.GetString(bytes)), all: false);
                case TokenKind.In:
                    Next();
                    return ParseSet(field, descriptor);
                default:
                    return new FieldPresent(field);
            }
        }

        private Node ParseSlice(int field, int protocol)
        {
            Next(); // [
            var range = Expect(TokenKind.Word, "a slice such as 0:3, 2-4, 5, :2 or -2:");
            Expect(TokenKind.RBracket, "']'");
            if (!TryParseRange(range.Text, out int start, out int? length))
                throw Error(range, $"'{range.Text}' is not a slice (i:n, i-j, i, :n, i:, with i negative from the end)");

            var op = Next();
            switch (op.Kind)
            {
                case TokenKind.Comparison when op.Text is "==" or "!=":
                    var literal = Next();
                    if (literal.Kind is not (TokenKind.Word or TokenKind.String))
                        throw Error(literal, "expected a byte string such as 00:1b:21 or 0x12");
                    byte[] value = SliceLiteral(literal, length);
                    bool equal = op.Text == "==";
                    return new SliceTest(field, protocol, start, length, s => s.SequenceEqual(value) == equal, all: !equal);
                case TokenKind.Contains:
                    var needleToken = Next();
                    byte[] needle = needleToken.Kind == TokenKind.String ? Encoding.UTF8.GetBytes(needleToken.Text) : ParseHexBytes(needleToken);
                    return new SliceTest(field, protocol, start, length, s => s.IndexOf(needle) >= 0, all: false);
                default:
                    throw Error(op, "a slice is compared with == or != or tested with contains");
            }
        }

        /// <summary>A byte string for a slice: 00:1b:21 or aabbcc, or a number (0x12, 18) as big-endian bytes of the slice's length.</summary>
        private byte[] SliceLiteral(Token t, int? length)
        {
            if (t.Kind == TokenKind.String)
                return Encoding.UTF8.GetBytes(t.Text);
            if (TryParseInteger(t.Text, out ulong n) && !t.Text.Contains(':'))
            {
                int size = length ?? Math.Max(1, (64 - System.Numerics.BitOperations.LeadingZeroCount(n) + 7) / 8);
                if (size > 8 || (size < 8 && n >> (size * 8) != 0))
                    throw Error(t, $"{t.Text} does not fit in {size} byte(s)");
                var bytes = new byte[size];
                for (int i = size - 1; i >= 0; i--, n >>= 8)
                    bytes[i] = (byte)n;
                return bytes;
            }

            return ParseHexBytes(t);
        }

        private static bool TryParseRange(string text, out int start, out int? length)
        {
            start = 0;
            length = null;
            int colon = text.IndexOf(':');
            if (colon >= 0)
            {
                string a = text[..colon], b = text[(colon + 1)..];
                if (a.Length > 0 && !int.TryParse(a, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out start))
                    return false;
                if (b.Length > 0)
                {
                    if (!int.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out int n))
                        return false;
                    length = n;
                }

                return true;
            }

            int dash = text.IndexOf('-', 1);
            if (dash > 0)
            {
                if (!int.TryParse(text[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out start)
                    || !int.TryParse(text[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int end) || end < start)
                    return false;
                length = end - start + 1;
                return true;
            }

            if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out start))
                return false;
            length = 1;
            return true;
        }

        private Node ProtocolContains(int protocol)
        {
            Next();
            var needleToken = Peek;
            byte[] needle = needleToken.Kind == TokenKind.String ? Encoding.UTF8.GetBytes(Next().Text) : ParseHexBytes(Expect(TokenKind.Word, "a string or byte string"));
            return new ProtocolBytesTest(protocol, bytes => bytes.IndexOf(needle) >= 0);
        }

        private Node ProtocolMatches(int protocol)
        {
            Next();
            var regex = ParseRegex();
            return new ProtocolBytesTest(protocol, bytes => regex.IsMatch(Encoding.Latin1.GetString(bytes)));
        }

        private Regex ParseRegex()
        {
            var t = Expect(TokenKind.String, "a quoted regular expression");
            try
            {
                // Non-backtracking: a hostile pattern or payload cannot make matching take exponential time.
                return new Regex(t.Text, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
            }
            catch (Exception e) when (e is ArgumentException or NotSupportedException)
            {
                throw Error(t, $"invalid regular expression: {e.Message}");
            }
        }

        private Node ParseSet(int field, FieldDescriptor descriptor)
        {
            Expect(TokenKind.LBrace, "'{'");
            Node? set = null;
            while (Peek.Kind != TokenKind.RBrace)
            {
                if (Peek.Kind == TokenKind.Comma)
                {
                    Next();
                    continue;
                }

                var low = ParseValue(descriptor);
                Node member;
                if (Peek.Kind == TokenKind.Range)
                {
                    Next();
                    var high = ParseValue(descriptor);
                    // A range must hold for one occurrence, not low for one and high for another.
                    member = new FieldTest(field, (v, b) => Compare(descriptor, v, b, low) >= 0 && Compare(descriptor, v, b, high) <= 0, all: false);
                }
                else
                {
                    member = Comparison(field, descriptor, new Token(TokenKind.Comparison, "==", 0), low);
                }

                set = set is null ? member : new Or(set, member);
            }

            var close = Next();
            return set ?? throw Error(close, "an empty set matches nothing");
        }

        private Node Comparison(int field, FieldDescriptor descriptor, Token op, Literal value)
        {
            if (descriptor.Type == FieldType.None)
                throw Error(op, $"'{descriptor.FilterName}' has no value; test it for presence only");
            return op.Text switch
            {
                "==" => new FieldTest(field, (v, b) => Equal(descriptor, v, b, value), all: false),
                "!=" => new FieldTest(field, (v, b) => !Equal(descriptor, v, b, value), all: true),
                "<" => new FieldTest(field, (v, b) => Compare(descriptor, v, b, value) < 0, all: false),
                "<=" => new FieldTest(field, (v, b) => Compare(descriptor, v, b, value) <= 0, all: false),
                ">" => new FieldTest(field, (v, b) => Compare(descriptor, v, b, value) > 0, all: false),
                _ => new FieldTest(field, (v, b) => Compare(descriptor, v, b, value) >= 0, all: false),
            };
        }

        /// <summary>A literal for a field of the given type: parsed now, so a bad value is a syntax error, not a mismatch.</summary>
        private Literal ParseValue(FieldDescriptor d)
        {
            var t = Next();
            if (t.Kind is not (TokenKind.Word or TokenKind.String))
                throw Error(t, t.Kind == TokenKind.End ? "expected a value, but the filter ends" : $"expected a value, found '{t.Text}'");
            string s = t.Text;
            switch (d.Type)
            {
                case FieldType.Boolean:
                    if (s is "1" or "True" or "true" or "TRUE")
                        return new Literal(1, null, 0);
                    if (s is "0" or "False" or "false" or "FALSE")
                        return new Literal(0, null, 0);
                    break;
                case var ty when IsInteger(ty):
                    if (t.Kind == TokenKind.Word && TryParseInteger(s, out ulong n))
                        return new Literal(n, null, 0);
                    break;
                case FieldType.IPv4:
                case FieldType.IPv6:
                    int slash = s.IndexOf('/');
                    string address = slash >= 0 ? s[..slash] : s;
                    var family = d.Type == FieldType.IPv4 ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;
                    int bits = d.Type == FieldType.IPv4 ? 32 : 128;
                    if (IPAddress.TryParse(address, out var ip) && ip.AddressFamily == family)
                    {
                        int prefix = bits;
                        if (slash >= 0 && (!int.TryParse(s[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > bits))
                            throw Error(t, $"'{s[(slash + 1)..]}' is not a prefix length from 0 to {bits}");
                        return new Literal(0, ip.GetAddressBytes(), prefix);
                    }

                    break;
                case FieldType.Ether:
                    var mac = s.Replace('-', ':').Split(':');
                    if (mac.Length == 6 && mac.All(p => p.Length is 1 or 2 && p.All(char.IsAsciiHexDigit)))
                        return new Literal(0, mac.Select(p => Convert.ToByte(p, 16)).ToArray(), 48);
                    break;
                case FieldType.String:
                    return new Literal(0, Encoding.UTF8.GetBytes(s), 0);
                case FieldType.Bytes:
                    return new Literal(0, t.Kind == TokenKind.String ? Encoding.UTF8.GetBytes(s) : ParseHexBytes(t), 0);
            }

            throw Error(t, $"'{s}' is not a valid {TypeDescription(d.Type)} for '{d.FilterName}'");
        }

        private byte[] ParseByteString(FieldDescriptor d)
        {
            var t = Next();
            if (t.Kind == TokenKind.String)
                return Encoding.UTF8.GetBytes(t.Text);
            if (t.Kind == TokenKind.Word && d.Type is FieldType.Bytes or FieldType.String)
                return ParseHexBytes(t);
            throw Error(t, "'contains' needs a quoted string or a byte string such as 47:45:54");
        }

        private byte[] ParseHexBytes(Token t)
        {
            string hex = t.Text.Replace(":", "").Replace("-", "").Replace(".", "");
            if (hex.Length == 0 || hex.Length % 2 != 0 || !hex.All(char.IsAsciiHexDigit))
                throw Error(t, $"'{t.Text}' is not a byte string (hex bytes separated by ':')");
            return Convert.FromHexString(hex);
        }
    }

    /// <summary>A parsed literal: a number, or address/byte bytes with a prefix length in bits for addresses.</summary>
    private sealed record Literal(ulong Number, byte[]? Bytes, int PrefixBits);

    private static bool Equal(FieldDescriptor d, in FieldValue v, ReadOnlySpan<byte> bytes, Literal l)
    {
        switch (d.Type)
        {
            case FieldType.IPv4 or FieldType.IPv6:
                return bytes.Length == l.Bytes!.Length && PrefixEqual(bytes, l.Bytes, l.PrefixBits);
            case FieldType.Ether or FieldType.String or FieldType.Bytes:
                return bytes.SequenceEqual(l.Bytes);
            default:
                return v.Value == l.Number;
        }
    }

    private static int Compare(FieldDescriptor d, in FieldValue v, ReadOnlySpan<byte> bytes, Literal l) => d.Type switch
    {
        FieldType.IPv4 or FieldType.IPv6 or FieldType.Ether or FieldType.String or FieldType.Bytes => bytes.SequenceCompareTo(l.Bytes),
        FieldType.Int32 or FieldType.Int64 => ((long)v.Value).CompareTo((long)l.Number),
        _ => v.Value.CompareTo(l.Number),
    };

    private static bool PrefixEqual(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, int bits)
    {
        int whole = bits / 8;
        if (!a[..whole].SequenceEqual(b[..whole]))
            return false;
        int rest = bits % 8;
        if (rest == 0)
            return true;
        int mask = 0xFF << (8 - rest) & 0xFF;
        return (a[whole] & mask) == (b[whole] & mask);
    }

    private static bool IsInteger(FieldType t) => t is FieldType.UInt8 or FieldType.UInt16 or FieldType.UInt24 or FieldType.UInt32
        or FieldType.UInt64 or FieldType.Int32 or FieldType.Int64 or FieldType.Boolean;

    private static bool TryParseInteger(string s, out ulong value)
    {
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            return ulong.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        if (s.StartsWith('-') && long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long negative))
        {
            value = (ulong)negative;
            return true;
        }

        return ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static string TypeDescription(FieldType t) => t switch
    {
        FieldType.IPv4 => "IPv4 address (a.b.c.d or a.b.c.d/prefix)",
        FieldType.IPv6 => "IPv6 address (with an optional /prefix)",
        FieldType.Ether => "MAC address (aa:bb:cc:dd:ee:ff)",
        FieldType.Boolean => "boolean (1, 0, True, False)",
        _ => "integer (decimal or 0x hex)",
    };
}
