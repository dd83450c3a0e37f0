namespace NetSecStream.Policy.Evaluation;

public enum VerdictKind
{
    /// <summary>No policy selects the source (egress) or the destination (ingress): the dataplane allows the flow.</summary>
    NotSelected,

    /// <summary>Policies select an endpoint and a rule allows the flow (or the endpoint is not default-deny).</summary>
    Allowed,

    /// <summary>A deny rule matches, or an endpoint is default-deny and no rule allows the flow.</summary>
    Denied,

    /// <summary>The deciding rule depends on facts a flow does not carry (L7 rules, named ports, FQDN peers ...).</summary>
    NotEvaluated,
}

/// <summary>
/// The verdict on one flow, the policies that decided it and why, in words. <see cref="Subjects"/> is parallel to
/// <see cref="Policies"/>: the namespace of the endpoint each policy decided for (a cluster-wide policy decides for
/// pods of any namespace).
/// </summary>
public sealed record PolicyVerdict(VerdictKind Kind, IReadOnlyList<string> Policies, string Reason)
{
    public static PolicyVerdict NotSelected { get; } = new(VerdictKind.NotSelected, [], "no policy selects the source or the destination");

    public IReadOnlyList<string> Subjects { get; init; } = [];

    public static string KindName(VerdictKind kind) => kind switch
    {
        VerdictKind.NotSelected => "not_selected",
        VerdictKind.Allowed => "allowed",
        VerdictKind.Denied => "denied",
        _ => "not_evaluated",
    };

    public override string ToString() => $"{KindName(Kind)} [{string.Join(",", Policies)}]: {Reason}";
}
