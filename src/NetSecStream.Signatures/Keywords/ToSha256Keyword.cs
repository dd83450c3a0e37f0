using System.Security.Cryptography;

namespace NetSecStream.Signatures.Keywords;

/// <summary><c>to_sha256;</c> replaces the sticky buffer by its SHA256 digest (raw bytes; rules match it as |hex| content).</summary>
public sealed class ToSha256Keyword() : TransformKeyword("to_sha256", "Transform: the SHA256 digest of the buffer.", "to-sha256")
{
    public override byte[] Apply(ReadOnlySpan<byte> input, TransformOption transform) => SHA256.HashData(input);
}
