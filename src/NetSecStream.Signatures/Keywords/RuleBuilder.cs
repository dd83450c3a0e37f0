using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary>The state keywords write into while one rule's options are parsed in order.</summary>
public sealed class RuleBuilder
{
    /// <summary>Buffer name for options outside any sticky buffer (packet or stream payload).</summary>
    public const string PayloadBuffer = "payload";

    private readonly List<RuleOption> _options = [];
    private readonly HashSet<string> _byteVariables = new(StringComparer.Ordinal);
    private TransformOption[] _transforms = [];
    private string? _stickyBuffer;

    internal RuleBuilder(ClassificationConfig? classifications, PcreRegexCache regexes)
    {
        Classifications = classifications;
        Regexes = regexes;
    }

    internal PcreRegexCache Regexes { get; }

    public ClassificationConfig? Classifications { get; }

    /// <summary>The sticky buffer set by the last buffer keyword (http.uri, dns.query ...), or null for the payload.</summary>
    public string? StickyBuffer
    {
        get => _stickyBuffer;
        set
        {
            // A new sticky buffer (even the same one again) starts untransformed.
            _stickyBuffer = value;
            _transforms = [];
        }
    }

    /// <summary>The transforms applied so far to the current sticky buffer, in order.</summary>
    public IReadOnlyList<TransformOption> Transforms => _transforms;

    public string? Msg { get; set; }

    public long? Sid { get; set; }

    public int? Rev { get; set; }

    public int? Gid { get; set; }

    public string? Classtype { get; set; }

    public int? ClasstypePriority { get; set; }

    public int? Priority { get; set; }

    public string? Target { get; set; }

    public FlowOption? Flow { get; set; }

    public ThresholdOption? Threshold { get; set; }

    public ThresholdOption? DetectionFilter { get; set; }

    public List<KeyValuePair<string, string>> Metadata { get; } = [];

    public List<RuleReference> References { get; } = [];

    public List<FlowbitsOption> Flowbits { get; } = [];

    public IReadOnlyList<RuleOption> Options => _options;

    /// <summary>The last content, for modifiers (nocase, depth, http_uri ...) that apply to it.</summary>
    public ContentMatch? LastContent { get; private set; }

    /// <summary>The last content or pcre, for modifiers that apply to either.</summary>
    public RuleOption? LastPattern { get; private set; }

    /// <summary>Adds an option; detection options take the current sticky buffer.</summary>
    public void Add(RuleOption option)
    {
        ArgumentNullException.ThrowIfNull(option);
        if (option.InspectsBuffer)
        {
            option.Buffer = StickyBuffer ?? PayloadBuffer;
            option.Transforms = _transforms;
        }

        _options.Add(option);
        if (option is ContentMatch content)
        {
            LastContent = content;
            LastPattern = content;
        }
        else if (option is PcreMatch)
        {
            LastPattern = option;
        }
    }

    /// <summary>Adds a detection option that inspects <paramref name="buffer"/> (untransformed) whatever the sticky buffer is (urilen).</summary>
    public void AddToBuffer(RuleOption option, string buffer)
    {
        ArgumentNullException.ThrowIfNull(option);
        _options.Add(option);
        option.Buffer = buffer;
        option.Transforms = [];
    }

    /// <summary>
    /// Appends a transform to the current sticky buffer. Options written after it inspect the transformed buffer; those
    /// written before it keep inspecting the buffer as it was (Suricata makes the transformed buffer a buffer of its own).
    /// </summary>
    public void AddTransform(TransformOption transform)
    {
        ArgumentNullException.ThrowIfNull(transform);
        if (StickyBuffer is null)
        {
            throw RuleParseException.Invalid($"transform '{transform.Keyword}' needs a sticky buffer before it");
        }

        transform.Buffer = StickyBuffer;
        _options.Add(transform);
        _transforms = [.. _transforms, transform];
    }

    /// <summary>The content a modifier applies to, or a diagnostic naming the modifier.</summary>
    public ContentMatch RequireContent(string keyword) =>
        LastContent ?? throw RuleParseException.Invalid($"'{keyword}' needs a preceding content");

    /// <summary>Records a byte_extract variable so later byte_test/byte_jump/content modifiers may name it.</summary>
    public void DeclareByteVariable(string name) => _byteVariables.Add(name);

    public bool IsByteVariable(string name) => _byteVariables.Contains(name);

    /// <summary>An integer or a byte_extract variable name (stored as text).</summary>
    public IntOrVariable ParseIntOrVariable(string keyword, string text, long max = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(text);
        string t = text.Trim();
        if (t.Length > 0 && (char.IsAsciiLetter(t[0]) || t[0] == '_'))
        {
            return IsByteVariable(t) ? new IntOrVariable(0, t)
                : throw RuleParseException.Invalid($"{keyword}: '{t}' is neither a number nor a byte_extract variable");
        }

        return new IntOrVariable(SignedNumber(keyword, t, max), null);
    }

    internal static long SignedNumber(string keyword, string t, long max = int.MaxValue)
    {
        bool negative = t.StartsWith('-');
        long v = NumericRange.Number(keyword, negative ? t[1..] : t, max);
        return negative ? -v : v;
    }

    internal Rule Build(RuleHeader header, string? file, int line, int textLength)
    {
        long sid = Sid ?? throw RuleParseException.Invalid("rule has no sid");
        var buffers = new List<BufferMatches>();
        var index = new Dictionary<string, List<RuleOption>>(StringComparer.Ordinal);
        foreach (RuleOption o in _options)
        {
            if (!o.InspectsBuffer)
            {
                continue;
            }

            // A legacy modifier or pcre flag that moved the option out of its sticky buffer leaves that buffer's transforms behind.
            if (o.Transforms.Count > 0 && o.Transforms[0].Buffer != o.Buffer)
            {
                o.Transforms = [];
            }

            // The same buffer under other transforms is another buffer (dns.query; content ... dns.query; dotprefix; content ...).
            string key = o.Transforms.Count == 0 ? o.Buffer : o.Buffer + "|" + string.Join("|", o.Transforms.Select(t => t.Key));
            if (!index.TryGetValue(key, out List<RuleOption>? list))
            {
                list = [];
                index[key] = list;
                buffers.Add(new BufferMatches(o.Buffer, list) { Transforms = o.Transforms });
            }

            list.Add(o);
        }

        return new Rule
        {
            Action = header.Action,
            Protocol = header.Protocol,
            Source = header.Source,
            SourcePorts = header.SourcePorts,
            Direction = header.Direction,
            Destination = header.Destination,
            DestinationPorts = header.DestinationPorts,
            Sid = sid,
            Rev = Rev ?? 0,
            Gid = Gid ?? 1,
            Msg = Msg,
            Classtype = Classtype,
            Priority = Priority ?? ClasstypePriority,
            Metadata = Metadata.ToArray(),
            References = References.ToArray(),
            Target = Target,
            Flow = Flow,
            Flowbits = Flowbits.ToArray(),
            Threshold = Threshold,
            DetectionFilter = DetectionFilter,
            Options = _options.ToArray(),
            Buffers = buffers,
            File = file,
            Line = line,
            TextLength = textLength,
        };
    }
}

/// <summary>A number, or the name of a byte_extract variable that supplies it at match time.</summary>
public readonly record struct IntOrVariable(long Value, string? Variable)
{
    public override string ToString() => Variable ?? Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>The parsed header fields of a rule.</summary>
internal sealed record RuleHeader(
    RuleAction Action, string Protocol, AddressSet Source, PortSet SourcePorts, RuleDirection Direction, AddressSet Destination, PortSet DestinationPorts);
