using System.Text;
using System.Text.Json;

namespace NetSecStream.Core.Text;

/// <summary>Wording shared by the JSON decoders' error messages.</summary>
public static class JsonText
{
    /// <summary>"a string", "an object" ...: what a token is, for "expected X, got Y" messages.</summary>
    public static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        _ => token.ToString(),
    };

    /// <summary>A bounded, printable rendering of input text for error messages.</summary>
    public static string Quote(ReadOnlySpan<byte> text)
    {
        const int MaxShown = 64;
        string shown = Encoding.UTF8.GetString(text.Length > MaxShown ? text[..MaxShown] : text);
        return text.Length > MaxShown ? shown + "..." : shown;
    }
}
