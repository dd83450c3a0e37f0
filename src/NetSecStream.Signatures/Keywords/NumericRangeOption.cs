using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary>A numeric condition of dsize, bsize, urilen, itype, icode and the like.</summary>
public sealed class NumericRangeOption : RuleOption
{
    public required NumericRange Range { get; init; }

    /// <summary>Extra flags after the range, e.g. urilen's <c>raw</c>/<c>norm</c>.</summary>
    public string? Qualifier { get; init; }

    public bool BufferBound { get; init; }

    public override bool InspectsBuffer => BufferBound;
}
