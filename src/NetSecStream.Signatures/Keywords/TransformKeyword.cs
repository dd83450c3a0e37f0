namespace NetSecStream.Signatures.Keywords;

/// <summary>One transform of a sticky buffer, as written in the rule (<c>dotprefix</c>, <c>xor:"0d0a"</c>).</summary>
public sealed class TransformOption : RuleOption
{
    public required TransformKeyword Transform { get; init; }

    public string? Value { get; init; }

    /// <summary>The transform with its value: two options with equal keys transform alike.</summary>
    public string Key => Value is null ? Keyword : Keyword + ":" + Value;

    /// <summary>The transformed copy of <paramref name="input"/>. Never throws; bounded by the input length.</summary>
    public byte[] Apply(ReadOnlySpan<byte> input) => Transform.Apply(input, this);
}

/// <summary>
/// A Suricata transform: turns the sticky buffer into something else before the buffer's content, pcre, bsize ...
/// inspect it. Transforms chain in rule order; each keyword's file holds its <see cref="Apply"/>.
/// </summary>
public abstract class TransformKeyword(string name, string description, string docAnchor, KeywordValue value = KeywordValue.None)
    : RuleKeyword(name, description, "transforms.html#" + docAnchor, value)
{
    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        rule.AddTransform(new TransformOption { Keyword = Name, Transform = this, Value = Validate(value) });
    }

    /// <summary>The value as kept (null for transforms without one); throws a parse error when it is malformed.</summary>
    protected virtual string? Validate(string? value) => null;

    public abstract byte[] Apply(ReadOnlySpan<byte> input, TransformOption transform);

    /// <summary>C's isspace over bytes.</summary>
    internal static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or 0x0B or 0x0C;
}
