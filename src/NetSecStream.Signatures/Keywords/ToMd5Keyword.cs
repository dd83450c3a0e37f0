using System.Security.Cryptography;

namespace NetSecStream.Signatures.Keywords;

/// <summary><c>to_md5;</c> replaces the sticky buffer by its MD5 digest (raw bytes; rules match it as |hex| content).</summary>
public sealed class ToMd5Keyword() : TransformKeyword("to_md5", "Transform: the MD5 digest of the buffer.", "to-md5")
{
    // The digest is what the rule language asks for (rules carry MD5 values to compare), not a security control.
#pragma warning disable CA5351
    public override byte[] Apply(ReadOnlySpan<byte> input, TransformOption transform) => MD5.HashData(input);
#pragma warning restore CA5351
}
