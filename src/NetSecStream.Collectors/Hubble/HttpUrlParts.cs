namespace NetSecStream.Collectors.Hubble;

/// <summary>Splits an HTTP request URL (absolute or origin-form) into authority and path-plus-query, on UTF-8.</summary>
internal static class HttpUrlParts
{
    /// <summary>
    /// Finds the authority (<c>host[:port]</c>, user info removed; empty when the URL has none) and the path with
    /// query (fragment removed; empty when the URL has neither, which callers read as <c>/</c>).
    /// </summary>
    public static void Split(ReadOnlySpan<byte> url, out Range authority, out Range pathAndQuery)
    {
        int fragment = url.IndexOf((byte)'#');
        int end = fragment < 0 ? url.Length : fragment;
        int schemeEnd = url[..end].IndexOf("://"u8);
        if (schemeEnd <= 0 || !IsScheme(url[..schemeEnd]))
        {
            authority = default;
            pathAndQuery = 0..end;
            return;
        }

        int authorityStart = schemeEnd + 3;
        int pathStart = url[authorityStart..end].IndexOfAny((byte)'/', (byte)'?');
        pathStart = pathStart < 0 ? end : authorityStart + pathStart;
        int userInfo = url[authorityStart..pathStart].LastIndexOf((byte)'@');
        if (userInfo >= 0)
        {
            authorityStart += userInfo + 1;
        }

        authority = authorityStart..pathStart;
        pathAndQuery = pathStart..end;
    }

    private static bool IsScheme(ReadOnlySpan<byte> scheme)
    {
        foreach (byte b in scheme)
        {
            if (!(char.IsAsciiLetterOrDigit((char)b) || b is (byte)'+' or (byte)'-' or (byte)'.'))
            {
                return false;
            }
        }

        return char.IsAsciiLetter((char)scheme[0]);
    }
}
