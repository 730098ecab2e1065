namespace PcapForge.Dissectors.Dns;

/// <summary>
/// Numbers and names of DNS record types, classes and response codes (IANA "Domain Name System (DNS) Parameters"),
/// named as Zeek's <c>base/protocols/dns/consts.zeek</c> names them so that dns.log readers find the same strings;
/// a number without a name gives Zeek's fallback (<c>query-N</c>, <c>qclass-N</c>, <c>rcode-N</c>).
/// </summary>
public static class DnsTypes
{
    public const ushort A = 1;
    public const ushort Ns = 2;
    public const ushort Md = 3;
    public const ushort Mf = 4;
    public const ushort Cname = 5;
    public const ushort Soa = 6;
    public const ushort Mb = 7;
    public const ushort Mg = 8;
    public const ushort Mr = 9;
    public const ushort Ptr = 12;
    public const ushort Mx = 15;
    public const ushort Txt = 16;
    public const ushort Aaaa = 28;
    public const ushort Srv = 33;
    public const ushort Dname = 39;
    public const ushort Opt = 41;
    public const ushort Spf = 99;
    public const ushort Caa = 257;

    private static readonly Dictionary<int, string> TypeNames = new()
    {
        [1] = "A", [2] = "NS", [3] = "MD", [4] = "MF", [5] = "CNAME", [6] = "SOA", [7] = "MB", [8] = "MG", [9] = "MR",
        [10] = "NULL", [11] = "WKS", [12] = "PTR", [13] = "HINFO", [14] = "MINFO", [15] = "MX", [16] = "TXT",
        [17] = "RP", [18] = "AFSDB", [19] = "X25", [20] = "ISDN", [21] = "RT", [22] = "NSAP", [23] = "NSAP-PTR",
        [24] = "SIG", [25] = "KEY", [26] = "PX", [27] = "GPOS", [28] = "AAAA", [29] = "LOC", [30] = "EID",
        [31] = "NIMLOC", [32] = "NB", [33] = "SRV", [34] = "ATMA", [35] = "NAPTR", [36] = "KX", [37] = "CERT",
        [38] = "A6", [39] = "DNAME", [40] = "SINK", [41] = "OPT", [42] = "APL", [43] = "DS", [44] = "SSHFP",
        [45] = "IPSECKEY", [46] = "RRSIG", [47] = "NSEC", [48] = "DNSKEY", [49] = "DHCID", [50] = "NSEC3",
        [51] = "NSEC3PARAM", [52] = "TLSA", [53] = "SMIMEA", [55] = "HIP", [56] = "NINFO", [57] = "RKEY",
        [58] = "TALINK", [59] = "CDS", [60] = "CDNSKEY", [61] = "OPENPGPKEY", [62] = "CSYNC", [63] = "ZONEMD",
        [64] = "SVCB", [65] = "HTTPS", [99] = "SPF", [100] = "UINFO", [101] = "UID", [102] = "GID", [103] = "UNSPEC",
        [249] = "TKEY", [250] = "TSIG", [251] = "IXFR", [252] = "AXFR", [253] = "MAILB", [254] = "MAILA", [255] = "*",
        [256] = "URI", [257] = "CAA", [32768] = "TA", [32769] = "DLV",
    };

    private static readonly Dictionary<int, string> ClassNames = new()
    {
        [1] = "C_INTERNET", [2] = "C_CSNET", [3] = "C_CHAOS", [4] = "C_HESIOD", [254] = "C_NONE", [255] = "C_ANY",
    };

    private static readonly string[] RcodeNames =
    [
        "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSet", "NOTAUTH",
        "NOTZONE", "unassigned-11", "unassigned-12", "unassigned-13", "unassigned-14", "unassigned-15", "BADVERS",
        "BADKEY", "BADTIME", "BADMODE", "BADNAME", "BADALG", "BADTRUNC", "BADCOOKIE",
    ];

    // The names are made once: a row names its type, class and rcode, and these few strings are shared by all rows.
    private static readonly string[] TypeFallback = Enumerable.Range(0, 256).Select(n => TypeNames.GetValueOrDefault(n, $"query-{n}")).ToArray();

    /// <summary>Name of a record or query type (<c>A</c>, <c>AAAA</c>, <c>*</c> for 255), or <c>query-N</c>.</summary>
    public static string TypeName(int type) =>
        (uint)type < (uint)TypeFallback.Length ? TypeFallback[type] : TypeNames.GetValueOrDefault(type) ?? $"query-{type}";

    /// <summary>Name of a class (<c>C_INTERNET</c>), or <c>qclass-N</c>.</summary>
    public static string ClassName(int @class) => ClassNames.GetValueOrDefault(@class) ?? $"qclass-{@class}";

    /// <summary>Name of a response code (<c>NXDOMAIN</c>), or <c>rcode-N</c>.</summary>
    public static string RcodeName(int rcode) => (uint)rcode < (uint)RcodeNames.Length ? RcodeNames[rcode] : $"rcode-{rcode}";
}
