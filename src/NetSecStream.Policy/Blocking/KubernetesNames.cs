namespace NetSecStream.Policy.Blocking;

/// <summary>Kubernetes name syntax the block writer and the options rely on.</summary>
public static class KubernetesNames
{
    /// <summary>RFC 1123 label: what namespaces and Calico tiers are named by.</summary>
    public static bool IsDnsLabel(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.Length > 63 || text[0] == '-' || text[^1] == '-')
        {
            return false;
        }

        foreach (char c in text)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
            {
                return false;
            }
        }

        return true;
    }
}
