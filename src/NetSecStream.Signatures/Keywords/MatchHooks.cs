using NetSecStream.Core.Events;

namespace NetSecStream.Signatures.Keywords;

/// <summary>
/// Match hook of an option decided from the event alone, outside any buffer: ICMP type and code, TCP flags, flow
/// state, application protocol. The engine calls it after the rule header matched. Must not throw for any event.
/// </summary>
public interface IEventCondition
{
    bool Matches(FlowEvent flow);
}

/// <summary>
/// Match hook of a buffer option that has one outcome at a given detection pointer (isdataat, bsize, urilen,
/// byte_test, byte_jump, byte_extract). The engine's buffer matcher backtracks only over content and pcre; these
/// conditions either fail or succeed, possibly moving the pointer (byte_jump, byte_extract) or setting a variable
/// (byte_extract). Must not throw for any buffer, pointer or variable value.
/// </summary>
public interface IBufferCondition
{
    /// <param name="buffer">The whole (transformed) buffer.</param>
    /// <param name="position">The detection pointer: the end of the previous match, 0 at the start.</param>
    /// <param name="variables">byte_extract values of this buffer's earlier options.</param>
    bool Matches(ReadOnlySpan<byte> buffer, ref int position, ByteVariables variables);
}

/// <summary>
/// Why an option that parsed cannot run (a flag the engine lacks, e.g. byte_test's <c>dce</c>); null when it can.
/// The engine reports the text as the rule's not_evaluable reason.
/// </summary>
public interface INotEvaluableReason
{
    string? NotEvaluableReason { get; }
}

/// <summary>The byte_extract variables of one buffer inspection. Not thread-safe; the engine keeps one per thread.</summary>
public sealed class ByteVariables
{
    private const int Max = 16;
    private readonly string[] _names = new string[Max];
    private readonly long[] _values = new long[Max];
    private int _count;

    public void Clear() => _count = 0;

    public void Set(string name, long value)
    {
        for (int i = 0; i < _count; i++)
        {
            if (string.Equals(_names[i], name, StringComparison.Ordinal))
            {
                _values[i] = value;
                return;
            }
        }

        if (_count < Max)
        {
            _names[_count] = name;
            _values[_count++] = value;
        }
    }

    /// <summary>The number, or the variable's value; false when the variable was not extracted on this path.</summary>
    public bool TryResolve(IntOrVariable value, out long result)
    {
        if (value.Variable is not { } name)
        {
            result = value.Value;
            return true;
        }

        for (int i = 0; i < _count; i++)
        {
            if (string.Equals(_names[i], name, StringComparison.Ordinal))
            {
                result = _values[i];
                return true;
            }
        }

        result = 0;
        return false;
    }
}
