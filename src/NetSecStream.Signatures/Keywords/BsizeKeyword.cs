using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary>A bsize check: the length of the whole sticky buffer (after its transforms), whatever the detection pointer.</summary>
public sealed class BsizeOption : RuleOption, IBufferCondition
{
    public required NumericRange Range { get; init; }

    public override bool InspectsBuffer => true;

    public bool Matches(ReadOnlySpan<byte> buffer, ref int position, ByteVariables variables) => Range.Matches(buffer.Length);
}

/// <summary><c>bsize:N;</c>, <c>bsize:&lt;N;</c>, <c>bsize:&gt;=N;</c>, <c>bsize:!N;</c>, <c>bsize:a&lt;&gt;b;</c> the length of the current sticky buffer.</summary>
public sealed class BsizeKeyword() : RuleKeyword("bsize", "Match on the length of the current sticky buffer.", "payload-keywords.html#bsize")
{
    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (rule.StickyBuffer is null)
        {
            throw RuleParseException.Invalid("bsize needs a sticky buffer before it");
        }

        rule.Add(new BsizeOption { Keyword = Name, Range = NumericRange.Parse(Name, value!) });
    }
}
