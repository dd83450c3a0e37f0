using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using NetSecStream.Core.Events;

namespace NetSecStream.Collectors.Pcap.L7;

/// <summary>
/// The certificates of a TLS 1.2 (and older) Certificate handshake message (RFC 5246 7.4.2: a 24-bit length, then each
/// certificate's DER with a 24-bit length), with the facts Suricata prints: subject and issuer in certificate order
/// (<c>C=US, O=Example, CN=www.example.com</c>), serial as colon-joined upper-case hex, SHA-1 fingerprint as colon-joined
/// lower-case hex, subjectAltName DNS names and validity. Bounded: at most <see cref="MaxCertificates"/> certificates of
/// at most <see cref="MaxCertificateBytes"/> bytes; one that does not parse keeps its DER and fingerprint only.
/// </summary>
internal static class TlsCertificateReader
{
    public const int MaxCertificates = 10;
    public const int MaxCertificateBytes = 32 * 1024;
    private const int MaxNames = 64;

    public static IReadOnlyList<TlsCertificate>? ReadCertificateMessage(ReadOnlySpan<byte> body)
    {
        if (body.Length < 3)
        {
            return null;
        }

        int total = Uint24(body);
        var list = body[3..];
        if (total < list.Length)
        {
            list = list[..total];
        }

        var certificates = new List<TlsCertificate>();
        while (list.Length >= 3 && certificates.Count < MaxCertificates)
        {
            int length = Uint24(list);
            if (length == 0 || list.Length < 3 + length)
            {
                break;
            }

            if (length <= MaxCertificateBytes)
            {
                certificates.Add(Read(list.Slice(3, length)));
            }

            list = list[(3 + length)..];
        }

        return certificates.Count == 0 ? null : certificates;
    }

    public static TlsCertificate Read(ReadOnlySpan<byte> der)
    {
        byte[] bytes = der.ToArray();
#pragma warning disable CA5350 // The SHA-1 fingerprint is an identifier rules and analysts match on; it protects nothing.
        string fingerprint = HexPairs(SHA1.HashData(bytes), lower: true);
#pragma warning restore CA5350
        try
        {
            using var certificate = X509CertificateLoader.LoadCertificate(bytes);
            return new TlsCertificate
            {
                Der = bytes,
                Subject = Name(certificate.SubjectName),
                Issuer = Name(certificate.IssuerName),
                Serial = HexPairs(certificate.SerialNumberBytes.Span, lower: false),
                Sha1Fingerprint = fingerprint,
                SubjectAltNames = AltNames(certificate),
                NotBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero),
                NotAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero),
            };
        }
        catch (CryptographicException)
        {
            return new TlsCertificate { Der = bytes, Sha1Fingerprint = fingerprint };
        }
    }

    /// <summary>A distinguished name in encoded order, <c>type=value</c> joined by <c>", "</c>, with the short names Suricata uses.</summary>
    internal static string Name(X500DistinguishedName name)
    {
        var text = new StringBuilder();
        int count = 0;
        foreach (var rdn in name.EnumerateRelativeDistinguishedNames(reversed: false))
        {
            if (++count > MaxNames)
            {
                break;
            }

            if (rdn.HasMultipleElements)
            {
                // Multi-valued RDNs are rare; .NET formats them as a whole.
                text.Append(text.Length == 0 ? "" : ", ").Append(new X500DistinguishedName(rdn.RawData.Span).Name);
                continue;
            }

            string oid = rdn.GetSingleElementType().Value ?? "";
            text.Append(text.Length == 0 ? "" : ", ").Append(ShortName(oid)).Append('=').Append(rdn.GetSingleElementValue());
        }

        return text.ToString();
    }

    private static string ShortName(string oid) => oid switch
    {
        "2.5.4.3" => "CN",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "street",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.5" => "serialNumber",
        "2.5.4.12" => "title",
        "2.5.4.17" => "postalCode",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        "1.2.840.113549.1.9.1" => "emailAddress",
        "1.3.6.1.4.1.311.60.2.1.3" => "jurisdictionC",
        "2.5.4.15" => "businessCategory",
        _ => oid,
    };

    private static List<string>? AltNames(X509Certificate2 certificate)
    {
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san)
            {
                var names = new List<string>();
                foreach (string dns in san.EnumerateDnsNames())
                {
                    if (names.Count == MaxNames)
                    {
                        break;
                    }

                    names.Add(dns);
                }

                return names.Count == 0 ? null : names;
            }
        }

        return null;
    }

    internal static string HexPairs(ReadOnlySpan<byte> bytes, bool lower)
    {
        var text = new StringBuilder(bytes.Length * 3);
        foreach (byte b in bytes)
        {
            if (text.Length > 0)
            {
                text.Append(':');
            }

            text.Append(b.ToString(lower ? "x2" : "X2", CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    private static int Uint24(ReadOnlySpan<byte> data) => (data[0] << 16) | (data[1] << 8) | data[2];
}
