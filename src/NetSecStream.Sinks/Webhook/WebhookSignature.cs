using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace NetSecStream.Sinks.Webhook;

/// <summary>
/// The webhook signature scheme. The sender puts the Unix time in seconds in <c>X-NetSec-Timestamp</c> and
/// <c>sha256=</c> + lower-case hex of HMAC-SHA256(secret, <c>timestamp + "." + body</c>) in <c>X-NetSec-Signature</c>.
/// A receiver recomputes it over the raw body it got, compares in constant time, and rejects timestamps too far from
/// its clock (five minutes is usual) so a captured request cannot be replayed later.
/// </summary>
public static class WebhookSignature
{
    public const string SignatureHeader = "X-NetSec-Signature";
    public const string TimestampHeader = "X-NetSec-Timestamp";

    /// <summary>Names the request's batch; a retry carries the same value so receivers can drop duplicates.</summary>
    public const string DeliveryHeader = "X-NetSec-Delivery";

    public const string Prefix = "sha256=";

    public static string Sign(string secret, long unixSeconds, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(secret);
        byte[] timestamp = Encoding.ASCII.GetBytes(unixSeconds.ToString(CultureInfo.InvariantCulture) + ".");
        byte[] signed = new byte[timestamp.Length + body.Length];
        timestamp.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(timestamp.Length));
        return Prefix + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
    }

    /// <summary>What a receiver does: recompute and compare in constant time (the timestamp's age is the receiver's own check).</summary>
    public static bool Verify(string secret, string? timestampHeader, string? signatureHeader, ReadOnlySpan<byte> body)
    {
        if (signatureHeader is null || !long.TryParse(timestampHeader, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds))
        {
            return false;
        }

        byte[] expected = Encoding.ASCII.GetBytes(Sign(secret, seconds, body));
        byte[] actual = Encoding.ASCII.GetBytes(signatureHeader);
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }
}
