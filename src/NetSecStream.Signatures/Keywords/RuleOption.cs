namespace NetSecStream.Signatures.Keywords;

/// <summary>A parsed option of a rule; each keyword parses into its own subclass.</summary>
public abstract class RuleOption
{
    /// <summary>The keyword as written (after alias resolution the table keeps the written name here).</summary>
    public required string Keyword { get; init; }

    /// <summary>The buffer this option inspects; detection options only. Legacy modifiers may move it.</summary>
    public string Buffer { get; internal set; } = RuleBuilder.PayloadBuffer;

    /// <summary>The transforms of the sticky buffer this option inspects, in order (empty for most).</summary>
    public IReadOnlyList<TransformOption> Transforms { get; internal set; } = [];

    /// <summary>True for options that inspect a buffer (content, pcre, byte_*, isdataat, bsize ...).</summary>
    public virtual bool InspectsBuffer => false;
}

/// <summary>An option the engine does not act on yet but that is parsed and kept (e.g. tag, prefilter).</summary>
public sealed class KeptOption : RuleOption
{
    public string? Value { get; init; }

    public bool BufferBound { get; init; }

    public override bool InspectsBuffer => BufferBound;
}
