namespace PcapForge.Dissection.Filters;

internal enum TokenKind
{
    Word,      // a field name, protocol name, number, address, or bare value
    String,    // "quoted"
    LParen,
    RParen,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Comparison, // == != < <= > >= and their word forms
    BitAnd,    // &
    And,
    Or,
    Not,
    Contains,
    Matches,
    In,
    Range,     // .. inside a set
    Comma,
    End,
}

internal readonly record struct Token(TokenKind Kind, string Text, int Column);

/// <summary>Splits a display filter (Wireshark's language, the subset in daily use) into tokens.</summary>
internal static class FilterLexer
{
    public static List<Token> Tokenize(string filter)
    {
        var tokens = new List<Token>();
        int i = 0;
        while (i < filter.Length)
        {
            char c = filter[i];
            int column = i + 1;
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }

            switch (c)
            {
                case '(':
                    tokens.Add(new(TokenKind.LParen, "(", column));
                    i++;
                    continue;
                case ')':
                    tokens.Add(new(TokenKind.RParen, ")", column));
                    i++;
                    continue;
                case '{':
                    tokens.Add(new(TokenKind.LBrace, "{", column));
                    i++;
                    continue;
                case '}':
                    tokens.Add(new(TokenKind.RBrace, "}", column));
                    i++;
                    continue;
                case ',':
                    tokens.Add(new(TokenKind.Comma, ",", column));
                    i++;
                    continue;
                case '[':
                    tokens.Add(new(TokenKind.LBracket, "[", column));
                    i++;
                    continue;
                case ']':
                    tokens.Add(new(TokenKind.RBracket, "]", column));
                    i++;
                    continue;
                case '"':
                    tokens.Add(new(TokenKind.String, ReadString(filter, ref i), column));
                    continue;
            }

            string two = i + 1 < filter.Length ? filter.Substring(i, 2) : "";
            if (two is "==" or "!=" or "<=" or ">=")
            {
                tokens.Add(new(TokenKind.Comparison, two, column));
                i += 2;
                continue;
            }

            if (two == "&&" || two == "||")
            {
                tokens.Add(new(two == "&&" ? TokenKind.And : TokenKind.Or, two, column));
                i += 2;
                continue;
            }

            if (c is '<' or '>')
            {
                tokens.Add(new(TokenKind.Comparison, c.ToString(), column));
                i++;
                continue;
            }

            if (c == '!')
            {
                tokens.Add(new(TokenKind.Not, "!", column));
                i++;
                continue;
            }

            if (c == '&')
            {
                tokens.Add(new(TokenKind.BitAnd, "&", column));
                i++;
                continue;
            }

            if (two == ".." )
            {
                tokens.Add(new(TokenKind.Range, "..", column));
                i += 2;
                continue;
            }

            if (IsWordChar(c))
            {
                int start = i;
                while (i < filter.Length && IsWordChar(filter[i]) && !(filter[i] == '.' && i + 1 < filter.Length && filter[i + 1] == '.'))
                    i++;
                string word = filter[start..i];
                tokens.Add(word.ToLowerInvariant() switch
                {
                    "and" => new(TokenKind.And, word, column),
                    "or" => new(TokenKind.Or, word, column),
                    "not" => new(TokenKind.Not, word, column),
                    "contains" => new(TokenKind.Contains, word, column),
                    "matches" => new(TokenKind.Matches, word, column),
                    "in" => new(TokenKind.In, word, column),
                    "eq" => new(TokenKind.Comparison, "==", column),
                    "ne" => new(TokenKind.Comparison, "!=", column),
                    "lt" => new(TokenKind.Comparison, "<", column),
                    "le" => new(TokenKind.Comparison, "<=", column),
                    "gt" => new(TokenKind.Comparison, ">", column),
                    "ge" => new(TokenKind.Comparison, ">=", column),
                    _ => new(TokenKind.Word, word, column),
                });
                continue;
            }

            if (c == '~')
            {
                tokens.Add(new(TokenKind.Matches, "~", column));
                i++;
                continue;
            }

            throw new FilterSyntaxException(filter, column, $"unexpected character '{c}'");
        }

        tokens.Add(new(TokenKind.End, "", filter.Length + 1));
        return tokens;
    }

    /// <summary>Letters, digits and the punctuation of field names, numbers and addresses (10.0.0.0/8, fe80::1, aa:bb:…, -1).</summary>
    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c is '.' or '_' or ':' or '/' or '-';

    private static string ReadString(string filter, ref int i)
    {
        int column = i + 1;
        i++; // opening quote
        var b = new System.Text.StringBuilder();
        while (i < filter.Length && filter[i] != '"')
        {
            if (filter[i] == '\\' && i + 1 < filter.Length)
            {
                char e = filter[i + 1];
                b.Append(e switch { 'n' => '\n', 'r' => '\r', 't' => '\t', _ => e });
                i += 2;
                continue;
            }

            b.Append(filter[i++]);
        }

        if (i >= filter.Length)
            throw new FilterSyntaxException(filter, column, "string not closed: a '\"' is missing");
        i++; // closing quote
        return b.ToString();
    }
}
