using System.Security.Cryptography;

namespace NetSecStream.Signatures.Keywords;

/// <summary><c>to_sha1;</c> replaces the sticky buffer by its SHA1 digest (raw bytes; rules match it as |hex| content).</summary>
public sealed class ToSha1Keyword() : TransformKeyword("to_sha1", "Transform: the SHA1 digest of the buffer.", "to-sha1")
{
    // The digest is what the rule language asks for (rules carry SHA1 values to compare), not a security control.
#pragma warning disable CA5350
    public override byte[] Apply(ReadOnlySpan<byte> input, TransformOption transform) => SHA1.HashData(input);
#pragma warning restore CA5350
}
