using Microsoft.ML.Data;

namespace NetSecStream.Behaviour.NslKdd;

/// <summary>
/// One NSL-KDD connection record: the 41 features of KDD Cup 99 (3 categorical, 38 numeric), the label and the
/// difficulty level (Tavallaee et al., 2009). Field order is the files' column order.
/// </summary>
public sealed class NslKddRecord
{
    /// <summary>The 38 numeric feature names, in column order (columns 1, 5-41 of the file).</summary>
    public static readonly string[] NumericNames =
    [
        "duration", "src_bytes", "dst_bytes", "land", "wrong_fragment", "urgent", "hot", "num_failed_logins", "logged_in",
        "num_compromised", "root_shell", "su_attempted", "num_root", "num_file_creations", "num_shells", "num_access_files",
        "num_outbound_cmds", "is_host_login", "is_guest_login", "count", "srv_count", "serror_rate", "srv_serror_rate",
        "rerror_rate", "srv_rerror_rate", "same_srv_rate", "diff_srv_rate", "srv_diff_host_rate", "dst_host_count",
        "dst_host_srv_count", "dst_host_same_srv_rate", "dst_host_diff_srv_rate", "dst_host_same_src_port_rate",
        "dst_host_srv_diff_host_rate", "dst_host_serror_rate", "dst_host_srv_serror_rate", "dst_host_rerror_rate",
        "dst_host_srv_rerror_rate",
    ];

    public string ProtocolType { get; set; } = "";

    public string Service { get; set; } = "";

    public string Flag { get; set; } = "";

    [VectorType(38)]
    public float[] Numeric { get; set; } = new float[38];

    /// <summary>The original label (normal, neptune, smurf ...).</summary>
    public string AttackType { get; set; } = "";

    /// <summary>True for every label but <c>normal</c>.</summary>
    public bool Label { get; set; }

    public int Difficulty { get; set; }

    /// <summary>DoS, Probe, R2L, U2R or normal (the usual grouping of the labels; unknown attacks are "other").</summary>
    public string Family => NslKddFamilies.Of(AttackType);
}

/// <summary>The attack families of NSL-KDD's labels (the grouping used since KDD Cup 99).</summary>
public static class NslKddFamilies
{
    private static readonly Dictionary<string, string> Families = Build();

    public static string Of(string attack) => attack == "normal" ? "normal" : Families.GetValueOrDefault(attack, "other");

    private static Dictionary<string, string> Build()
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string a in (string[])["back", "land", "neptune", "pod", "smurf", "teardrop", "apache2", "udpstorm", "processtable", "mailbomb", "worm"])
        {
            map[a] = "DoS";
        }

        foreach (string a in (string[])["satan", "ipsweep", "nmap", "portsweep", "mscan", "saint"])
        {
            map[a] = "Probe";
        }

        foreach (string a in (string[])["guess_passwd", "ftp_write", "imap", "phf", "multihop", "warezmaster", "warezclient", "spy", "xlock", "xsnoop",
            "snmpguess", "snmpgetattack", "httptunnel", "sendmail", "named"])
        {
            map[a] = "R2L";
        }

        foreach (string a in (string[])["buffer_overflow", "loadmodule", "rootkit", "perl", "sqlattack", "xterm", "ps"])
        {
            map[a] = "U2R";
        }

        return map;
    }
}
