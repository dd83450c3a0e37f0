namespace NetSecStream.Signatures.Keywords;

/// <summary><c>dns.query; dotprefix; content:".example.com"; endswith;</c> prefixes the buffer with '.' for domain-suffix matches.</summary>
public sealed class DotPrefixKeyword() : TransformKeyword("dotprefix", "Transform: prefix the sticky buffer with a '.' for domain-suffix matches.", "dotprefix")
{
    public override byte[] Apply(ReadOnlySpan<byte> input, TransformOption transform)
    {
        byte[] output = new byte[input.Length + 1];
        output[0] = (byte)'.';
        input.CopyTo(output.AsSpan(1));
        return output;
    }
}
