using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using NetSecStream.Core.Events;

namespace NetSecStream.Collectors.Pcap.L7;

/// <summary>
/// Reads the TLS handshake's first messages from a connection's two streams: the ClientHello (RFC 8446 4.1.2;
/// RFC 5246 7.4.1.2) for the server name (RFC 6066 section 3), the highest offered version, the ALPN list (RFC 7301)
/// and the JA3 fingerprint; the ServerHello for the version the server chose (its <c>supported_versions</c> extension
/// for TLS 1.3) and the protocol it selected; and up to TLS 1.2 the server's Certificate message (RFC 5246 7.4.2),
/// which is still cleartext there (<see cref="TlsCertificateReader"/>). Handshake messages may span records and records
/// may span segments; both are reassembled up to a bound. After that the connection is encrypted and is not read.
/// </summary>
internal sealed class TlsHelloParser
{
    private const int MaxHandshakeBytes = 64 * 1024;

    private readonly L7Session _session;
    private readonly Side _client = new();
    private readonly Side _server = new();
    private L7Transaction? _transaction;
    private TlsFacts? _clientFacts;
    private string? _serverVersion;
    private IReadOnlyList<string>? _serverAlpn;
    private IReadOnlyList<TlsCertificate>? _certificates;
    private bool _serverHelloSeen;
    private bool _retryRequested;

    public TlsHelloParser(L7Session session) => _session = session;

    /// <summary>True when <paramref name="data"/> starts like a TLS handshake record (content type 22, version 3.x).</summary>
    public static bool LooksLikeHandshake(ReadOnlySpan<byte> data) =>
        data.Length >= 3 && data[0] == 22 && data[1] == 3 && data[2] <= 4;

    public int Parse(ReadOnlySpan<byte> data, bool toServer, long ticks)
    {
        var side = toServer ? _client : _server;
        int consumed = 0;
        while (!side.Done)
        {
            var rest = data[consumed..];
            if (rest.Length < 5)
            {
                break;
            }

            bool changeCipherSpec = rest[0] == 20 && rest[1] == 3;
            if ((rest[0] != 22 || rest[1] != 3) && !(changeCipherSpec && _retryRequested))
            {
                // Not (or no longer) a handshake record: an alert, change cipher spec or application data.
                side.Done = true;
                break;
            }

            int length = BinaryPrimitives.ReadUInt16BigEndian(rest[3..]);
            if (rest.Length < 5 + length)
            {
                break;
            }

            consumed += 5 + length;
            if (changeCipherSpec)
            {
                // TLS 1.3 middlebox compatibility: a change cipher spec may come before the second ClientHello.
                continue;
            }

            side.Handshake ??= [];
            if (side.Handshake.Count + length > MaxHandshakeBytes)
            {
                side.Done = true;
                break;
            }

            side.Handshake.AddRange(rest.Slice(5, length));
            while (!side.Done && TryReadHello(side, toServer, ticks))
            {
            }
        }

        return side.Done ? data.Length : consumed;
    }

    public void OnGap(bool toServer) => (toServer ? _client : _server).Done = true;

    public void Finish()
    {
        if (_transaction is not null && _clientFacts is { } tls)
        {
            _transaction.Tls = new TlsFacts
            {
                Sni = tls.Sni,
                Ja3 = tls.Ja3,
                Version = _serverVersion ?? tls.Version,
                ClientAlpn = tls.ClientAlpn,
                ServerAlpn = _serverAlpn,
                Certificates = _certificates,
            };
        }
    }

    /// <summary>Reads one whole handshake message if there is one; false when more bytes are needed.</summary>
    private bool TryReadHello(Side side, bool toServer, long ticks)
    {
        var bytes = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(side.Handshake);
        if (bytes.Length < 4)
        {
            return false;
        }

        int bodyLength = (bytes[1] << 16) | (bytes[2] << 8) | bytes[3];
        if (bytes.Length < 4 + bodyLength)
        {
            if (4 + bodyLength > MaxHandshakeBytes)
            {
                side.Done = true;
            }

            return false;
        }

        var body = bytes.Slice(4, bodyLength);
        side.Done = true;
        if (toServer && bytes[0] == 1)
        {
            var facts = ReadClientHello(body);
            if (facts is not null)
            {
                _clientFacts = facts;
                if (_transaction is null)
                {
                    _transaction = new L7Transaction { Ticks = ticks, Tls = facts };
                    _session.AddTransaction(_transaction);
                }
                else
                {
                    // The second ClientHello after a HelloRetryRequest belongs to the same handshake: one transaction,
                    // as Suricata keeps one TLS session (its rules are not inspected again).
                    _transaction.Tls = facts;
                }

                Finish();
            }

            // After a HelloRetryRequest the client sends a second ClientHello (RFC 8446 4.1.4): one more exchange.
            side.Done = side.Hellos++ > 0;
        }
        else if (!toServer && bytes[0] == 2 && !_serverHelloSeen)
        {
            if (body.Length >= 34 && body.Slice(2, 32).SequenceEqual(HelloRetryRandom) && !_retryRequested)
            {
                _retryRequested = true;
                side.Done = false;
            }
            else
            {
                (_serverVersion, _serverAlpn) = ReadServerHello(body);
                _serverHelloSeen = true;
                Finish();

                // Up to TLS 1.2 the Certificate message follows in the clear; TLS 1.3 encrypts it.
                side.Done = _serverVersion is null or "TLS 1.3";
            }
        }
        else if (!toServer && bytes[0] == 11 && _serverHelloSeen)
        {
            _certificates = TlsCertificateReader.ReadCertificateMessage(body);
            Finish();
        }
        else if (!toServer && _serverHelloSeen && bytes[0] is not 14)
        {
            // Another message before the certificate (none is expected there): keep looking, within the bound.
            side.Done = false;
        }

        side.Handshake!.RemoveRange(0, Math.Min(side.Handshake.Count, 4 + bodyLength));
        return !side.Done;
    }

    internal static TlsFacts? ReadClientHello(ReadOnlySpan<byte> body)
    {
        var reader = new Reader(body);
        if (!reader.TryU16(out int legacyVersion) || !reader.Skip(32) || !reader.TryVector8(out _)
            || !reader.TryVector16(out var ciphers) || !reader.TryVector8(out _))
        {
            return null;
        }

        var ja3 = new StringBuilder(256);
        ja3.Append(legacyVersion.ToString(CultureInfo.InvariantCulture)).Append(',');
        AppendList(ja3, ciphers, 2);
        ja3.Append(',');
        string? sni = null;
        int highest = legacyVersion;
        ReadOnlySpan<byte> groups = default;
        ReadOnlySpan<byte> pointFormats = default;
        List<string>? alpn = null;
        bool firstExtension = true;
        if (reader.TryVector16(out var extensions))
        {
            var ext = new Reader(extensions);
            while (ext.TryU16(out int type) && ext.TryVector16(out var data))
            {
                if (!IsGrease(type))
                {
                    if (!firstExtension)
                    {
                        ja3.Append('-');
                    }

                    ja3.Append(type.ToString(CultureInfo.InvariantCulture));
                    firstExtension = false;
                }

                switch (type)
                {
                    case 0:
                        sni ??= ReadServerName(data);
                        break;
                    case 16:
                        alpn ??= ReadAlpn(data);
                        break;
                    case 10:
                        if (new Reader(data).TryVector16(out var list))
                        {
                            groups = list;
                        }

                        break;
                    case 11:
                        if (new Reader(data).TryVector8(out var formats))
                        {
                            pointFormats = formats;
                        }

                        break;
                    case 43:
                        if (new Reader(data).TryVector8(out var versions))
                        {
                            for (int i = 0; i + 1 < versions.Length; i += 2)
                            {
                                int version = BinaryPrimitives.ReadUInt16BigEndian(versions[i..]);
                                if (!IsGrease(version) && version > highest && version <= 0x0304)
                                {
                                    highest = version;
                                }
                            }
                        }

                        break;
                }
            }
        }

        ja3.Append(',');
        AppendList(ja3, groups, 2);
        ja3.Append(',');
        AppendList(ja3, pointFormats, 1);
        return new TlsFacts { Sni = sni, Version = VersionName(highest), Ja3 = Ja3Hash(ja3.ToString()), ClientAlpn = alpn };
    }

    internal static string? ReadServerHelloVersion(ReadOnlySpan<byte> body) => ReadServerHello(body).Version;

    /// <summary>The version the server chose and the ALPN protocol it selected (RFC 7301 3.1: exactly one name).</summary>
    internal static (string? Version, IReadOnlyList<string>? Alpn) ReadServerHello(ReadOnlySpan<byte> body)
    {
        var reader = new Reader(body);
        if (!reader.TryU16(out int version) || !reader.Skip(32) || !reader.TryVector8(out _) || !reader.Skip(3))
        {
            return (null, null);
        }

        List<string>? alpn = null;
        if (reader.TryVector16(out var extensions))
        {
            var ext = new Reader(extensions);
            while (ext.TryU16(out int type) && ext.TryVector16(out var data))
            {
                if (type == 43 && data.Length == 2)
                {
                    version = BinaryPrimitives.ReadUInt16BigEndian(data);
                }
                else if (type == 16)
                {
                    alpn ??= ReadAlpn(data);
                }
            }
        }

        return (VersionName(version), alpn);
    }

    /// <summary>An ALPN ProtocolNameList: a 16-bit length, then names each with an 8-bit length; bounded in count.</summary>
    private static List<string>? ReadAlpn(ReadOnlySpan<byte> data)
    {
        const int MaxNames = 32;
        if (!new Reader(data).TryVector16(out var list))
        {
            return null;
        }

        var names = new List<string>();
        var reader = new Reader(list);
        while (names.Count < MaxNames && reader.TryVector8(out var name))
        {
            names.Add(Encoding.UTF8.GetString(name));
        }

        return names.Count == 0 ? null : names;
    }

    /// <summary>JA3 (Salesforce): the MD5 of the fingerprint string, lower-case hex; MD5 is what the JA3 spec defines.</summary>
#pragma warning disable CA5351 // JA3 is defined as an MD5 digest; it identifies clients, it protects nothing.
    internal static string Ja3Hash(string ja3String) => Convert.ToHexStringLower(MD5.HashData(Encoding.ASCII.GetBytes(ja3String)));
#pragma warning restore CA5351

    /// <summary>GREASE values (RFC 8701): 0x0a0a, 0x1a1a ... 0xfafa; JA3 leaves them out.</summary>
    internal static bool IsGrease(int value) => (value & 0x0F0F) == 0x0A0A && (value >> 8) == (value & 0xFF);

    private static void AppendList(StringBuilder text, ReadOnlySpan<byte> values, int width)
    {
        bool first = true;
        for (int i = 0; i + width <= values.Length; i += width)
        {
            int value = width == 2 ? BinaryPrimitives.ReadUInt16BigEndian(values[i..]) : values[i];
            if (width == 2 && IsGrease(value))
            {
                continue;
            }

            if (!first)
            {
                text.Append('-');
            }

            text.Append(value.ToString(CultureInfo.InvariantCulture));
            first = false;
        }
    }

    private static string? ReadServerName(ReadOnlySpan<byte> data)
    {
        var reader = new Reader(data);
        if (!reader.TryVector16(out var list))
        {
            return null;
        }

        var names = new Reader(list);
        while (names.TryU8(out int nameType) && names.TryVector16(out var name))
        {
            if (nameType == 0)
            {
                return Encoding.UTF8.GetString(name);
            }
        }

        return null;
    }

    private static string? VersionName(int version) => version switch
    {
        0x0300 => "SSL 3.0",
        0x0301 => "TLS 1.0",
        0x0302 => "TLS 1.1",
        0x0303 => "TLS 1.2",
        0x0304 => "TLS 1.3",
        0x0200 or 0x0002 => "SSL 2.0",
        _ => null,
    };

    /// <summary>The ServerHello random that marks a HelloRetryRequest: SHA-256 of "HelloRetryRequest" (RFC 8446 4.1.3).</summary>
    private static ReadOnlySpan<byte> HelloRetryRandom =>
    [
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
        0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
    ];

    private sealed class Side
    {
        public int Hellos { get; set; }

        public List<byte>? Handshake { get; set; }

        public bool Done { get; set; }
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private ReadOnlySpan<byte> _data = data;

        public bool TryU8(out int value)
        {
            value = 0;
            if (_data.Length < 1)
            {
                return false;
            }

            value = _data[0];
            _data = _data[1..];
            return true;
        }

        public bool TryU16(out int value)
        {
            value = 0;
            if (_data.Length < 2)
            {
                return false;
            }

            value = BinaryPrimitives.ReadUInt16BigEndian(_data);
            _data = _data[2..];
            return true;
        }

        public bool Skip(int count)
        {
            if (_data.Length < count)
            {
                return false;
            }

            _data = _data[count..];
            return true;
        }

        public bool TryVector8(out ReadOnlySpan<byte> vector) => TryVector(1, out vector);

        public bool TryVector16(out ReadOnlySpan<byte> vector) => TryVector(2, out vector);

        private bool TryVector(int lengthBytes, out ReadOnlySpan<byte> vector)
        {
            vector = default;
            if (_data.Length < lengthBytes)
            {
                return false;
            }

            int length = lengthBytes == 1 ? _data[0] : BinaryPrimitives.ReadUInt16BigEndian(_data);
            if (_data.Length < lengthBytes + length)
            {
                return false;
            }

            vector = _data.Slice(lengthBytes, length);
            _data = _data[(lengthBytes + length)..];
            return true;
        }
    }
}
