using System.Collections.Frozen;

namespace NetSecStream.Signatures.Keywords;

/// <summary>
/// Every rule keyword NetSecStream knows, by name. A keyword absent here makes its rule fail with an
/// "unsupported keyword" diagnostic; nothing is skipped silently.
/// </summary>
public static class KeywordTable
{
    private const string Http = "http-keywords.html";
    private const string Payload = "payload-keywords.html";

    private static readonly FrozenDictionary<string, RuleKeyword> Keywords = Build();

    public static IReadOnlyDictionary<string, RuleKeyword> All => Keywords;

    public static RuleKeyword? Find(string name) => Keywords.GetValueOrDefault(name);

    private static FrozenDictionary<string, RuleKeyword> Build()
    {
        var list = new List<RuleKeyword>
        {
            // Meta.
            new MsgKeyword(), new SidKeyword(), new RevKeyword(), new GidKeyword(), new ClasstypeKeyword(), new PriorityKeyword(),
            new ReferenceKeyword(), new MetadataKeyword(), new TargetKeyword(),

            // Payload.
            new ContentKeyword(), new NocaseKeyword(), new DepthKeyword(), new OffsetKeyword(), new DistanceKeyword(), new WithinKeyword(),
            new StartsWithKeyword(), new EndsWithKeyword(), new FastPatternKeyword(), new RawbytesKeyword(),
            new UricontentKeyword(), new PcreKeyword(), new IsDataAtKeyword(), new DsizeKeyword(), new BsizeKeyword(), new ByteTestKeyword(), new ByteJumpKeyword(),
            new ByteExtractKeyword(), new UrilenKeyword(),

            // Transforms of the sticky buffer.
            new DotPrefixKeyword(), new ToLowercaseKeyword(), new ToUppercaseKeyword(), new StripWhitespaceKeyword(), new CompressWhitespaceKeyword(),
            new UrlDecodeKeyword(), new ToMd5Keyword(), new ToSha1Keyword(), new ToSha256Keyword(), new HeaderLowercaseKeyword(), new XorKeyword(),

            // Flow and state.
            new FlowKeyword(), new FlowbitsKeyword(), new ThresholdKeyword(), new DetectionFilterKeyword(), new AppLayerProtocolKeyword(),
            new IprepKeyword(), new DatasetKeyword(),
            new XbitsKeyword(),

            // Header.
            new IcmpTypeCodeKeyword("itype"), new IcmpTypeCodeKeyword("icode"), new IpProtoKeyword(), new FlagsKeyword("flags"), new FlagsKeyword("tcp.flags"),
        };

        // Sticky buffers.
        foreach ((string name, string description, string doc) in (ReadOnlySpan<(string, string, string)>)
        [
            ("http.uri", "The normalized HTTP request URI.", Http + "#http-uri-and-http-uri-raw"),
            ("http.uri.raw", "The raw HTTP request URI.", Http + "#http-uri-and-http-uri-raw"),
            ("http.method", "The HTTP request method.", Http + "#http-method"),
            ("http.request_line", "The whole HTTP request line.", Http + "#http-request-line"),
            ("http.request_body", "The HTTP request body.", Http + "#http-client-body"),
            ("http.response_body", "The HTTP response body.", Http + "#http-response-body"),
            ("http.header", "The normalized HTTP headers.", Http + "#http-header-and-http-raw-header"),
            ("http.header.raw", "The raw HTTP headers.", Http + "#http-header-and-http-raw-header"),
            ("http.header_names", "The HTTP header names.", Http + "#http-header-names"),
            ("http.cookie", "The HTTP Cookie header value.", Http + "#http-cookie"),
            ("http.user_agent", "The HTTP User-Agent header value.", Http + "#http-user-agent"),
            ("http.host", "The normalized HTTP Host header value.", Http + "#http-host-and-http-raw-host"),
            ("http.host.raw", "The raw HTTP Host header value.", Http + "#http-host-and-http-raw-host"),
            ("http.accept", "The HTTP Accept header value.", Http + "#http-accept"),
            ("http.accept_enc", "The HTTP Accept-Encoding header value.", Http + "#http-accept-enc"),
            ("http.accept_lang", "The HTTP Accept-Language header value.", Http + "#http-accept-lang"),
            ("http.connection", "The HTTP Connection header value.", Http + "#http-connection"),
            ("http.content_type", "The HTTP Content-Type header value.", Http + "#http-content-type"),
            ("http.content_len", "The HTTP Content-Length header value.", Http + "#http-content-len"),
            ("http.referer", "The HTTP Referer header value.", Http + "#http-referer"),
            ("http.start", "The HTTP start line and headers.", Http + "#http-start"),
            ("http.protocol", "The HTTP protocol field.", Http + "#http-protocol"),
            ("http.stat_code", "The HTTP response status code.", Http + "#http-stat-code"),
            ("http.stat_msg", "The HTTP response status message.", Http + "#http-stat-msg"),
            ("http.response_line", "The whole HTTP response line.", Http + "#http-response-line"),
            ("http.server", "The HTTP Server header value.", Http + "#http-server"),
            ("http.location", "The HTTP Location header value.", Http + "#http-location"),
            ("http.request_header", "One HTTP/2 request header as name: value.", "http2-keywords.html#http-request-header"),
            ("http.response_header", "One HTTP/2 response header as name: value.", "http2-keywords.html#http-response-header"),
            ("file.data", "File contents (HTTP bodies, SMTP attachments, SMB/FTP transfers).", "file-keywords.html#file-data"),
            ("file.name", "The name of a transferred file.", "file-keywords.html#file-name"),
            ("dns.query", "The DNS query name.", "dns-keywords.html#dns-query"),
            ("tls.sni", "The TLS Server Name Indication.", "tls-keywords.html#tls-sni"),
            ("tls.cert_subject", "The TLS certificate subject.", "tls-keywords.html#tls-cert-subject"),
            ("tls.cert_issuer", "The TLS certificate issuer.", "tls-keywords.html#tls-cert-issuer"),
            ("tls.cert_serial", "The TLS certificate serial.", "tls-keywords.html#tls-cert-serial"),
            ("tls.cert_fingerprint", "The TLS certificate SHA-1 fingerprint.", "tls-keywords.html#tls-cert-fingerprint"),
            ("tls.certs", "Each TLS certificate in the chain.", "tls-keywords.html#tls-certs"),
            ("tls.subjectaltname", "The TLS certificate subject alternative names.", "tls-keywords.html#tls-subjectaltname"),
            ("tls.alpn", "The TLS ALPN values.", "tls-keywords.html#tls-alpn"),
            ("ja3.hash", "The JA3 client fingerprint hash.", "ja3-keywords.html#ja3-hash"),
            ("ja3.string", "The JA3 client fingerprint string.", "ja3-keywords.html#ja3-string"),
            ("ja3s.hash", "The JA3S server fingerprint hash.", "ja3-keywords.html#ja3s-hash"),
            ("ja3s.string", "The JA3S server fingerprint string.", "ja3-keywords.html#ja3s-string"),
            ("ssh.proto", "The SSH protocol version string.", "ssh-keywords.html#ssh-proto"),
            ("ssh.software", "The SSH software version string.", "ssh-keywords.html#ssh-software"),
            ("base64_data", "The data decoded by the preceding base64_decode.", "base64-keywords.html#base64-data"),
        ])
        {
            list.Add(new StickyBufferKeyword(name, description, doc));
        }

        // Sticky buffers under their older underscore names (written before the content, like the dotted ones).
        foreach ((string alias, string buffer) in (ReadOnlySpan<(string, string)>)
        [
            ("file_data", "file.data"), ("dns_query", "dns.query"), ("tls_sni", "tls.sni"), ("ja3_hash", "ja3.hash"), ("ja3_string", "ja3.string"),
            ("ja3s_hash", "ja3s.hash"), ("tls_cert_subject", "tls.cert_subject"), ("tls_cert_issuer", "tls.cert_issuer"),
            ("tls_cert_serial", "tls.cert_serial"), ("ssh_proto", "ssh.proto"), ("ssh_software", "ssh.software"),
            ("http_request_line", "http.request_line"), ("http_response_line", "http.response_line"),
            ("http_accept", "http.accept"), ("http_accept_enc", "http.accept_enc"), ("http_accept_lang", "http.accept_lang"),
            ("http_connection", "http.connection"), ("http_content_type", "http.content_type"), ("http_content_len", "http.content_len"),
            ("http_referer", "http.referer"), ("http_start", "http.start"), ("http_protocol", "http.protocol"),
            ("http_header_names", "http.header_names"), ("http_server", "http.server"), ("http_location", "http.location"),
        ])
        {
            list.Add(new StickyBufferKeyword(alias, $"Older name of the {buffer} sticky buffer.", "intro.html#modifier-keywords", buffer));
        }

        list.Add(new StickyBufferKeyword("pkt_data", "Return to the packet payload after a sticky buffer.", Payload + "#pkt-data", RuleBuilder.PayloadBuffer));

        // Legacy content modifiers: written after the content they move.
        foreach ((string modifier, string buffer) in (ReadOnlySpan<(string, string)>)
        [
            ("http_uri", "http.uri"), ("http_raw_uri", "http.uri.raw"), ("http_method", "http.method"), ("http_header", "http.header"),
            ("http_raw_header", "http.header.raw"), ("http_cookie", "http.cookie"), ("http_raw_cookie", "http.cookie"),
            ("http_user_agent", "http.user_agent"), ("http_host", "http.host"), ("http_raw_host", "http.host.raw"),
            ("http_stat_code", "http.stat_code"), ("http_stat_msg", "http.stat_msg"), ("http_client_body", "http.request_body"),
            ("http_server_body", "http.response_body"),
        ])
        {
            list.Add(new LegacyBufferModifierKeyword(modifier, buffer, Http));
        }

        // Parsed and kept; the engine does not evaluate these yet (see KeptKeyword).
        foreach ((string name, string description, string doc, KeywordValue value, bool buffer) in (ReadOnlySpan<(string, string, string, KeywordValue, bool)>)
        [
            ("tag", "Log packets of the session or host after the alert.", "tag.html", KeywordValue.Required, false),
            ("noalert", "Match but do not alert (used with flowbits:set).", "flow-keywords.html#flowbits", KeywordValue.None, false),
            ("prefilter", "Use this keyword's pattern as the prefilter.", "prefilter-keywords.html#prefilter", KeywordValue.None, false),
            ("ipv4-csum", "Check the IPv4 header checksum.", "header-keywords.html", KeywordValue.Required, false),
            ("tcpv4-csum", "Check the TCP checksum over IPv4.", "header-keywords.html", KeywordValue.Required, false),
            ("udpv4-csum", "Check the UDP checksum over IPv4.", "header-keywords.html", KeywordValue.Required, false),
            ("icmpv4-csum", "Check the ICMPv4 checksum.", "header-keywords.html", KeywordValue.Required, false),
            ("tcpv6-csum", "Check the TCP checksum over IPv6.", "header-keywords.html", KeywordValue.Required, false),
            ("udpv6-csum", "Check the UDP checksum over IPv6.", "header-keywords.html", KeywordValue.Required, false),
            ("icmpv6-csum", "Check the ICMPv6 checksum.", "header-keywords.html", KeywordValue.Required, false),
            ("igmp-csum", "Check the IGMP checksum.", "header-keywords.html", KeywordValue.Required, false),
            ("ftpbounce", "Detect FTP bounce attacks (PORT to a third host).", "ftp-keywords.html#ftpbounce", KeywordValue.None, false),
            ("flowint", "Integer variables on the flow.", "flow-keywords.html#flowint", KeywordValue.Required, false),
            ("stream_size", "Match on the stream's byte count.", "flow-keywords.html#stream-size", KeywordValue.Required, false),
            ("tls.version", "Match on the TLS version.", "tls-keywords.html#tls-version", KeywordValue.Required, false),
            ("ssl_version", "Match on the SSL/TLS version.", "tls-keywords.html#ssl-version", KeywordValue.Required, false),
            ("ssl_state", "Match on the SSL/TLS handshake state.", "tls-keywords.html#ssl-state", KeywordValue.Required, false),
            ("tls.store", "Store the TLS certificate.", "tls-keywords.html#tls-store", KeywordValue.None, false),
            ("base64_decode", "Decode base64 from the buffer for base64_data.", "base64-keywords.html#base64-decode", KeywordValue.Optional, true),
            ("asn1", "Check ASN.1 encodings for anomalies.", "asn1-keywords.html", KeywordValue.Required, true),
            ("app-layer-event", "Match an application-layer decoder event.", "app-layer.html#app-layer-event", KeywordValue.Required, false),
            ("decode-event", "Match a packet decoder event.", "decode-layer.html", KeywordValue.Required, false),
            ("stream-event", "Match a stream engine event.", "intro.html", KeywordValue.Required, false),
            ("ttl", "Match the IP time-to-live.", "header-keywords.html#ttl", KeywordValue.Required, false),
            ("id", "Match the IP identification field.", "header-keywords.html#id", KeywordValue.Required, false),
            ("tos", "Match the IP type of service.", "header-keywords.html#tos", KeywordValue.Required, false),
            ("ipopts", "Match IP options.", "header-keywords.html#ipopts", KeywordValue.Required, false),
            ("fragbits", "Match IP fragmentation bits.", "header-keywords.html#fragbits", KeywordValue.Required, false),
            ("fragoffset", "Match the IP fragment offset.", "header-keywords.html#fragoffset", KeywordValue.Required, false),
            ("sameip", "Source and destination address are equal.", "header-keywords.html#sameip", KeywordValue.None, false),
            ("seq", "Match the TCP sequence number.", "header-keywords.html#seq", KeywordValue.Required, false),
            ("ack", "Match the TCP acknowledgement number.", "header-keywords.html#ack", KeywordValue.Required, false),
            ("window", "Match the TCP window size.", "header-keywords.html#window", KeywordValue.Required, false),
            ("icmp_id", "Match the ICMP id.", "header-keywords.html#icmp-id", KeywordValue.Required, false),
            ("icmp_seq", "Match the ICMP sequence number.", "header-keywords.html#icmp-seq", KeywordValue.Required, false),
            ("dns.opcode", "Match the DNS opcode.", "dns-keywords.html#dns-opcode", KeywordValue.Required, false),
            ("filestore", "Store files of the flow.", "file-keywords.html#filestore", KeywordValue.Optional, false),
            ("filemagic", "Match the file's libmagic type.", "file-keywords.html#filemagic", KeywordValue.Required, false),
            ("filename", "Match the file name.", "file-keywords.html#filename", KeywordValue.Required, false),
            ("fileext", "Match the file extension.", "file-keywords.html#fileext", KeywordValue.Required, false),
            ("filesize", "Match the file size.", "file-keywords.html#filesize", KeywordValue.Required, false),
            ("filemd5", "Match the file MD5 against a list.", "file-keywords.html#filemd5", KeywordValue.Required, false),
            ("pcrexform", "Transform: keep the pcre capture of the buffer.", "transforms.html#pcrexform", KeywordValue.Required, true),
        ])
        {
            list.Add(new KeptKeyword(name, description, doc, value, buffer));
        }

        return list.ToFrozenDictionary(k => k.Name, StringComparer.Ordinal);
    }
}
