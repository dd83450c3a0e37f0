using System.Net;
using NetSecStream.Core.Events;

namespace NetSecStream.Core.Tests.Ecs;

/// <summary>Flows and alerts covering every fact the ECS mapping carries, and an equality check over all of them.</summary>
internal static class EcsSamples
{
    public static readonly DateTimeOffset Time = new(2025, 3, 14, 15, 9, 26, 535, TimeSpan.Zero);

    public static FlowEvent HttpFlowV4() => new()
    {
        Timestamp = Time.AddTicks(8979),
        Source = new FlowEndpoint
        {
            Ip = IPAddress.Parse("10.0.1.15"),
            Port = 43512,
            Namespace = "shop",
            Pod = "frontend-7d9c8-abcde",
            Workload = "frontend",
            Labels = new Dictionary<string, string> { ["app"] = "frontend", ["app.kubernetes.io/part-of"] = "shop" },
            Identity = 12345,
        },
        Destination = new FlowEndpoint
        {
            Ip = IPAddress.Parse("10.0.2.20"),
            Port = 8080,
            Namespace = "shop",
            Pod = "cart-5f6b7-xyz12",
            Workload = "cart",
            Labels = new Dictionary<string, string> { ["app"] = "cart" },
            Identity = 23456,
        },
        IpProtocol = 6,
        Direction = TrafficDirection.Egress,
        Verdict = DataplaneVerdict.Forwarded,
        IsReply = false,
        Bytes = 1834,
        Packets = 9,
        TcpFlags = TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Psh,
        Http = new HttpFacts
        {
            Method = "POST",
            Host = "cart.shop.svc.cluster.local",
            Uri = "/api/v1/items?id=42&q=a+b",
            Url = "http://cart.shop.svc.cluster.local:8080/api/v1/items?id=42&q=a+b",
            UserAgent = "Mozilla/5.0 (X11; Linux x86_64) <script>",
            StatusCode = 201,
            Protocol = "HTTP/1.1",
            IsResponse = true,
        },
        CollectorId = "hubble_file",
        NodeName = "node-a",
        Cluster = "prod-eu",
        CommunityId = CommunityId.Compute(IPAddress.Parse("10.0.1.15"), 43512, IPAddress.Parse("10.0.2.20"), 8080, 6),
        Summary = "TCP Flags: SYN, ACK, PSH",
    };

    public static FlowEvent DnsFlowV6() => new()
    {
        Timestamp = Time,
        Source = new FlowEndpoint
        {
            Ip = IPAddress.Parse("fd00:10:244::1a"),
            Port = 53001,
            Namespace = "payments",
            Pod = "api-0",
            Labels = new Dictionary<string, string> { ["app"] = "api" },
        },
        Destination = new FlowEndpoint
        {
            Ip = IPAddress.Parse("fd00:10:96::a"),
            Port = 53,
            Namespace = "kube-system",
            Pod = "coredns-1",
            Workload = "coredns",
            DnsNames = ["kube-dns.kube-system.svc.cluster.local", "dns"],
        },
        IpProtocol = 17,
        Direction = TrafficDirection.Egress,
        Verdict = DataplaneVerdict.Forwarded,
        Dns = new DnsFacts
        {
            Query = "evil-c2.example.com",
            QueryTypes = ["AAAA", "A"],
            Rcode = 3,
            Answers = ["2001:db8::7", "203.0.113.9", "cname.example.net"],
            IsResponse = true,
        },
        CollectorId = "hubble_grpc",
        NodeName = "node-b",
        CommunityId = "1:precomputed-id",
    };

    public static FlowEvent TlsFlowFromWorld() => new()
    {
        Timestamp = Time,
        Source = new FlowEndpoint { Ip = IPAddress.Parse("198.51.100.7"), Port = 51000, ReservedEntity = "world", Identity = 2 },
        Destination = new FlowEndpoint
        {
            Ip = IPAddress.Parse("10.0.3.3"),
            Port = 443,
            Namespace = "edge",
            Pod = "ingress-abc",
            Labels = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "ingress-nginx" },
        },
        IpProtocol = 6,
        Direction = TrafficDirection.Ingress,
        Verdict = DataplaneVerdict.Dropped,
        TcpFlags = TcpFlags.Syn,
        Tls = new TlsFacts { Sni = "shop.example.com", Version = "1.3", Ja3 = "e7d705a3286e19ea42f587b344ee6865" },
        Payload = new PayloadBuffers { ToServer = new byte[] { 0x16, 0x03, 0x01, 0x00, 0xff }, ToClient = new byte[] { 0x16, 0x03, 0x03 } },
        CollectorId = "pcap",
        CommunityId = "1:tls",
    };

    /// <summary>An L7 transaction with every fact the pcap collector's parsers add: bodies, status line, certificates, ALPN, SSH, DNS opcode.</summary>
    public static FlowEvent L7Transaction() => new()
    {
        Timestamp = Time,
        Source = new FlowEndpoint { Ip = IPAddress.Parse("10.0.1.5"), Port = 40000 },
        Destination = new FlowEndpoint { Ip = IPAddress.Parse("93.184.216.34"), Port = 443 },
        IpProtocol = 6,
        Http = new HttpFacts
        {
            Method = "POST",
            Uri = "/upload",
            Protocol = "HTTP/1.1",
            StatusCode = 302,
            Headers = [new("Host", "example.com")],
            RequestLine = "POST /upload HTTP/1.1",
            ResponseLine = "HTTP/1.1 302 Found",
            StatusMessage = "Found",
            ResponseProtocol = "HTTP/1.1",
            ResponseHeaders = [new("Server", "ng1nx"), new("Location", "/done")],
            RequestBody = "name=value"u8.ToArray(),
            ResponseBody = new byte[] { 0x1f, 0x8b, 0xff, 0x00 },
        },
        Tls = new TlsFacts
        {
            Sni = "example.com",
            Version = "1.2",
            ClientAlpn = ["h2", "http/1.1"],
            ServerAlpn = ["http/1.1"],
            Certificates =
            [
                new TlsCertificate
                {
                    Der = new byte[] { 0x30, 0x82, 0x01, 0x0a },
                    Subject = "C=US, O=Example, CN=example.com",
                    Issuer = "C=US, O=DigiCert Inc, CN=DigiCert TLS RSA SHA256 2020 CA1",
                    Serial = "0C:1F:CB:18",
                    Sha1Fingerprint = "aa:bb:cc:dd",
                    SubjectAltNames = ["example.com", "www.example.com"],
                    NotBefore = new DateTimeOffset(2025, 1, 15, 0, 0, 0, TimeSpan.Zero),
                    NotAfter = new DateTimeOffset(2026, 2, 15, 23, 59, 59, TimeSpan.Zero),
                },
            ],
        },
        Ssh = new SshFacts { ClientProto = "2.0", ClientSoftware = "OpenSSH_9.6" },
        Dns = new DnsFacts { Query = "example.com", QueryTypes = ["SOA"], Opcode = 4 },
        CollectorId = "pcap",
        CommunityId = "1:l7",
    };

    public static FlowEvent IcmpEchoV4() => new()
    {
        Timestamp = Time,
        Source = new FlowEndpoint { Ip = IPAddress.Parse("10.0.0.5") },
        Destination = new FlowEndpoint { Ip = IPAddress.Parse("10.0.0.6") },
        IpProtocol = 1,
        IcmpType = 8,
        IcmpCode = 0,
        Verdict = DataplaneVerdict.Audit,
        CollectorId = "netflow",
        CommunityId = "1:icmp",
    };

    public static FlowEvent Icmp6Unreachable() => new()
    {
        Timestamp = Time,
        Source = new FlowEndpoint { Ip = IPAddress.Parse("2001:db8::1") },
        Destination = new FlowEndpoint { Ip = IPAddress.Parse("2001:db8::2") },
        IpProtocol = 58,
        IcmpType = 1,
        IcmpCode = 4,
        IsReply = true,
        CommunityId = "1:icmp6",
    };

    /// <summary>Only what every flow has: addresses, protocol, time.</summary>
    public static FlowEvent Minimal() => new()
    {
        Timestamp = Time,
        Source = new FlowEndpoint { Ip = IPAddress.Parse("192.0.2.1"), Port = 1234 },
        Destination = new FlowEndpoint { Ip = IPAddress.Parse("192.0.2.2"), Port = 80 },
        IpProtocol = 6,
    };

    /// <summary>
    /// A flow with a random mix of every fact the ECS mapping carries, in the canonical forms the mapping keeps
    /// (TLS versions as ECS writes them, lower-case flags), so that reading its document gives it back exactly.
    /// </summary>
    public static FlowEvent RandomFlow(Random random)
    {
        string[] namespaces = ["shop", "payments", "kube-system", "edge", "ns-ü", "data.lake"];
        string[] apps = ["frontend", "cart", "api", "coredns", "ingress-nginx", "worker"];
        byte[] protocols = [6, 17, 1, 58, 132, 47];
        byte protocol = protocols[random.Next(protocols.Length)];
        bool v6 = protocol == 58 || random.Next(4) == 0;
        bool icmp = protocol is 1 or 58;
        bool ports = protocol is 6 or 17 or 132;
        return new FlowEvent
        {
            Timestamp = new DateTimeOffset(2020 + random.Next(10), 1 + random.Next(12), 1 + random.Next(28), random.Next(24), random.Next(60), random.Next(60), TimeSpan.Zero)
                .AddTicks(random.Next(4) == 0 ? 0 : random.Next(10_000_000)),
            Source = RandomEndpoint(random, v6, ports, namespaces, apps),
            Destination = RandomEndpoint(random, v6, ports, namespaces, apps),
            IpProtocol = protocol,
            Direction = (TrafficDirection)random.Next(3),
            Verdict = (DataplaneVerdict)random.Next(8),
            IsReply = random.Next(3) switch { 0 => null, 1 => true, _ => false },
            Bytes = random.Next(3) == 0 ? null : random.NextInt64(0, long.MaxValue),
            Packets = random.Next(3) == 0 ? null : random.Next(),
            TcpFlags = protocol == 6 ? (TcpFlags)random.Next(1 << 9) : TcpFlags.None,
            IcmpType = icmp && random.Next(4) > 0 ? (byte)random.Next(256) : null,
            IcmpCode = icmp && random.Next(4) > 0 ? (byte)random.Next(256) : null,
            Dns = random.Next(4) == 0 ? RandomDns(random) : null,
            Http = random.Next(4) == 0 ? RandomHttp(random) : null,
            Tls = random.Next(4) == 0 ? RandomTls(random) : null,
            Ssh = random.Next(6) == 0 ? RandomSsh(random) : null,
            Payload = random.Next(5) == 0
                ? new PayloadBuffers { ToServer = RandomBytes(random, 40), ToClient = random.Next(3) == 0 ? default : RandomBytes(random, 40) }
                : null,
            CollectorId = random.Next(4) == 0 ? "" : "hubble_" + random.Next(3),
            NodeName = random.Next(3) == 0 ? null : "node-" + random.Next(5),
            Cluster = random.Next(2) == 0 ? null : "prod-eu" + random.Next(2),
            CommunityId = "1:" + Convert.ToBase64String(RandomBytes(random, 20, exact: true)),
            Summary = random.Next(3) == 0 ? null : "TCP Flags: \"SYN\" \\ <ack>\n\t✓ " + random.Next(100),
            Kind = (FlowEventKind)random.Next(4),
            PacketNumber = random.Next(2) == 0 ? null : random.NextInt64(1, long.MaxValue),
            Established = random.Next(3) switch { 0 => null, 1 => true, _ => false },
            AppProtocol = random.Next(3) == 0 ? null : new[] { "http", "tls", "dns", "ssh" }[random.Next(4)],
        };
    }

    private static FlowEndpoint RandomEndpoint(Random random, bool v6, bool ports, string[] namespaces, string[] apps)
    {
        bool pod = random.Next(3) > 0;
        string app = apps[random.Next(apps.Length)];
        string ns = namespaces[random.Next(namespaces.Length)];
        return new FlowEndpoint
        {
            Ip = v6
                ? new IPAddress([0xfd, 0, 0, 0x10, 2, 0x44, 0, 0, 0, 0, 0, 0, 0, 0, (byte)random.Next(256), (byte)random.Next(256)])
                : new IPAddress([10, (byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)]),
            Port = ports ? (ushort)random.Next(65536) : (ushort)0,
            Namespace = pod ? ns : null,
            Pod = pod ? $"{app}-7d9c8-{random.Next(30):x4}" : null,
            Workload = pod && random.Next(4) > 0 ? app : null,
            Labels = random.Next(5) switch
            {
                0 => null,
                1 => new Dictionary<string, string>(),
                _ => new Dictionary<string, string>
                {
                    ["app"] = app,
                    ["app.kubernetes.io/part-of"] = ns,
                    ["io.cilium.k8s.policy.serviceaccount"] = app + "-sa",
                    ["quote\"key"] = "välue " + random.Next(3),
                },
            },
            Identity = random.Next(4) == 0 ? null : (uint)random.NextInt64(0, uint.MaxValue + 1L),
            ReservedEntity = pod ? null : random.Next(2) == 0 ? "world" : "host",
            DnsNames = random.Next(4) == 0 ? [$"{app}.{ns}.svc.cluster.local", "alias.example"] : null,
        };
    }

    private static DnsFacts RandomDns(Random random)
    {
        bool response = random.Next(2) == 0;
        string[][] typeSets = [["A"], ["AAAA", "A"], ["TXT"], ["A", "AAAA", "MX"]];
        return new DnsFacts
        {
            Query = random.Next(5) == 0 ? null : $"svc{random.Next(50)}.example.com",
            QueryTypes = typeSets[random.Next(typeSets.Length)],
            Rcode = response ? random.Next(25) : null,
            Answers = response && random.Next(3) > 0 ? ["203.0.113." + random.Next(256), "2001:db8::" + random.Next(1000), "cname.example.net"] : null,
            IsResponse = response,
            Opcode = random.Next(3) switch { 0 => null, 1 => 0, _ => random.Next(16) },
        };
    }

    private static HttpFacts RandomHttp(Random random)
    {
        // Always at least the method: facts that are all unknown write no section, and read back as no HTTP at all.
        string? uri = random.Next(4) switch
        {
            0 => null,
            1 => "/api/v1/items",
            2 => "/api/v1/items?id=" + random.Next(1000) + "&q=a+b",
            _ => "/search?",
        };
        string? host = random.Next(3) == 0 ? null : "cart.shop.svc.cluster.local";
        return new HttpFacts
        {
            Method = random.Next(4) == 0 ? "DELETE" : "GET",
            Host = host,
            Uri = uri,
            Url = host is not null && uri is not null && random.Next(2) == 0 ? "http://" + host + uri : null,
            UserAgent = random.Next(3) == 0 ? null : "Mozilla/5.0 (X11) \"quoted\" ünïcode",
            StatusCode = random.Next(3) == 0 ? null : 200 + random.Next(400),
            Protocol = random.Next(4) switch { 0 => null, 1 => "HTTP/1.1", 2 => "HTTP/2", _ => "HTTP/1.0" },
            IsResponse = random.Next(2) == 0,
            Headers = random.Next(3) == 0 ? null : [new("Host", "cart"), new("X-Ünïcode", "välue \"q\"")],
            RequestLine = random.Next(3) == 0 ? null : "GET " + (uri ?? "/") + " HTTP/1.1",
            ResponseLine = random.Next(3) == 0 ? null : "HTTP/1.1 404 Not Found",
            StatusMessage = random.Next(3) switch { 0 => null, 1 => "", _ => "Not Found" },
            ResponseProtocol = random.Next(3) == 0 ? null : "HTTP/1.0",
            ResponseHeaders = random.Next(3) == 0 ? null : [new("Server", "nginx"), new("Location", "/x?a=1")],
            RequestBody = random.Next(3) switch { 0 => null, 1 => "a=1&b=ü"u8.ToArray(), _ => RandomBytes(random, 60) },
            ResponseBody = random.Next(3) switch { 0 => null, 1 => "<html>\n\"ok\"</html>"u8.ToArray(), _ => RandomBytes(random, 60) },
        };
    }

    private static SshFacts RandomSsh(Random random) => new()
    {
        ClientProto = random.Next(3) == 0 ? null : "2.0",
        ClientSoftware = random.Next(3) == 0 ? null : "OpenSSH_for_Windows_7.7",
        ServerProto = random.Next(3) == 0 ? null : "1.99",
        ServerSoftware = random.Next(3) == 0 ? null : "OpenSSH_7.4",
    };

    private static TlsCertificate RandomCertificate(Random random) => new()
    {
        Der = RandomBytes(random, 80),
        Subject = random.Next(4) == 0 ? null : "C=US, O=Example Ünï, CN=www.example.com",
        Issuer = random.Next(4) == 0 ? null : "C=US, O=Let's Encrypt, CN=R3",
        Serial = random.Next(4) == 0 ? null : "0C:1F:" + random.Next(256).ToString("X2", System.Globalization.CultureInfo.InvariantCulture),
        Sha1Fingerprint = random.Next(4) == 0 ? null : "aa:bb:cc:" + random.Next(256).ToString("x2", System.Globalization.CultureInfo.InvariantCulture),
        SubjectAltNames = random.Next(3) == 0 ? null : ["www.example.com", "*.example.com"],
        NotBefore = random.Next(4) == 0 ? null : new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero),
        NotAfter = random.Next(4) == 0 ? null : new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(random.Next(1000)),
    };

    private static TlsFacts RandomTls(Random random)
    {
        string? sni = random.Next(3) == 0 ? null : "shop.example.com";
        string? ja3 = random.Next(3) == 0 ? null : "e7d705a3286e19ea42f587b344ee6865";
        // Versions in the form ECS keeps ("1.3"), so they read back unchanged; at least one fact, or no section is written.
        string? version = random.Next(3) == 0 && (sni is not null || ja3 is not null) ? null : random.Next(2) == 0 ? "1.2" : "1.3";
        return new TlsFacts
        {
            Sni = sni,
            Version = version,
            Ja3 = ja3,
            ClientAlpn = random.Next(3) == 0 ? null : ["h2", "http/1.1"],
            ServerAlpn = random.Next(3) == 0 ? null : ["http/1.1"],
            Certificates = random.Next(3) == 0 ? null : [RandomCertificate(random), RandomCertificate(random)],
        };
    }

    private static byte[] RandomBytes(Random random, int maxLength, bool exact = false)
    {
        byte[] bytes = new byte[exact ? maxLength : 1 + random.Next(maxLength)];
        random.NextBytes(bytes);
        return bytes;
    }

    public static Alert AlertOn(FlowEvent flow) => new()
    {
        Id = "01JPBX7Q8W3M4K5N6P7R8S9T0V",
        Timestamp = Time.AddSeconds(2),
        Detector = DetectorKinds.Signature,
        RuleId = "2027865",
        RuleName = "ET POLICY Observed DNS Query to .example TLD",
        RuleCategory = "Potentially Bad Traffic",
        Ruleset = "emerging-threats",
        RuleVersion = "3",
        Severity = 2,
        RiskScore = 63.5,
        Mode = Mode.Block,
        Explanation = "content:\"evil\"; dns.query matched",
        DedupeKey = "signature:2027865:shop/frontend",
        DedupeCount = 4,
        Flow = flow,
    };

    public static void AssertSameFlow(FlowEvent expected, FlowEvent actual)
    {
        Assert.Equal(expected.Timestamp, actual.Timestamp);
        Assert.Equal(TimeSpan.Zero, actual.Timestamp.Offset);
        AssertSameEndpoint(expected.Source, actual.Source);
        AssertSameEndpoint(expected.Destination, actual.Destination);
        Assert.Equal(expected.IpProtocol, actual.IpProtocol);
        Assert.Equal(expected.Direction, actual.Direction);
        Assert.Equal(expected.Verdict, actual.Verdict);
        Assert.Equal(expected.IsReply, actual.IsReply);
        Assert.Equal(expected.Bytes, actual.Bytes);
        Assert.Equal(expected.Packets, actual.Packets);
        Assert.Equal(expected.TcpFlags, actual.TcpFlags);
        Assert.Equal(expected.IcmpType, actual.IcmpType);
        Assert.Equal(expected.IcmpCode, actual.IcmpCode);
        Assert.Equal(expected.CollectorId, actual.CollectorId);
        Assert.Equal(expected.NodeName, actual.NodeName);
        Assert.Equal(expected.Cluster, actual.Cluster);
        Assert.Equal(expected.CommunityId, actual.CommunityId);
        Assert.Equal(expected.Summary, actual.Summary);
        Assert.Equal(expected.Kind, actual.Kind);
        Assert.Equal(expected.PacketNumber, actual.PacketNumber);
        Assert.Equal(expected.Established, actual.Established);
        Assert.Equal(expected.AppProtocol, actual.AppProtocol);

        Assert.Equal(expected.Dns is null, actual.Dns is null);
        if (expected.Dns is { } dns)
        {
            Assert.Equal(dns.Query, actual.Dns!.Query);
            Assert.Equal(dns.QueryTypes, actual.Dns.QueryTypes);
            Assert.Equal(dns.Rcode, actual.Dns.Rcode);
            Assert.Equal(dns.Answers, actual.Dns.Answers);
            Assert.Equal(dns.IsResponse, actual.Dns.IsResponse);
            Assert.Equal(dns.Opcode, actual.Dns.Opcode);
        }

        Assert.Equal(expected.Http is null, actual.Http is null);
        if (expected.Http is { } http)
        {
            Assert.Equal(http.Method, actual.Http!.Method);
            Assert.Equal(http.Host, actual.Http.Host);
            Assert.Equal(http.Uri, actual.Http.Uri);
            Assert.Equal(http.Url, actual.Http.Url);
            Assert.Equal(http.UserAgent, actual.Http.UserAgent);
            Assert.Equal(http.StatusCode, actual.Http.StatusCode);
            Assert.Equal(http.Protocol, actual.Http.Protocol);
            Assert.Equal(http.IsResponse, actual.Http.IsResponse);
            Assert.Equal(http.Headers, actual.Http.Headers);
            Assert.Equal(http.RequestLine, actual.Http.RequestLine);
            Assert.Equal(http.ResponseLine, actual.Http.ResponseLine);
            Assert.Equal(http.StatusMessage, actual.Http.StatusMessage);
            Assert.Equal(http.ResponseProtocol, actual.Http.ResponseProtocol);
            Assert.Equal(http.ResponseHeaders, actual.Http.ResponseHeaders);
            Assert.Equal(http.RequestBody?.ToArray(), actual.Http.RequestBody?.ToArray());
            Assert.Equal(http.ResponseBody?.ToArray(), actual.Http.ResponseBody?.ToArray());
        }

        Assert.Equal(expected.Tls is null, actual.Tls is null);
        if (expected.Tls is { } tls)
        {
            Assert.Equal(tls.Sni, actual.Tls!.Sni);
            Assert.Equal(tls.Version, actual.Tls.Version);
            Assert.Equal(tls.Ja3, actual.Tls.Ja3);
            Assert.Equal(tls.ClientAlpn, actual.Tls.ClientAlpn);
            Assert.Equal(tls.ServerAlpn, actual.Tls.ServerAlpn);
            Assert.Equal(tls.Certificates is null, actual.Tls.Certificates is null);
            for (int i = 0; i < (tls.Certificates?.Count ?? 0); i++)
            {
                var want = tls.Certificates![i];
                var got = actual.Tls.Certificates![i];
                Assert.Equal(want.Der.ToArray(), got.Der.ToArray());
                Assert.Equal(want.Subject, got.Subject);
                Assert.Equal(want.Issuer, got.Issuer);
                Assert.Equal(want.Serial, got.Serial);
                Assert.Equal(want.Sha1Fingerprint, got.Sha1Fingerprint);
                Assert.Equal(want.SubjectAltNames, got.SubjectAltNames);
                Assert.Equal(want.NotBefore, got.NotBefore);
                Assert.Equal(want.NotAfter, got.NotAfter);
            }

            Assert.Equal(tls.Certificates?.Count, actual.Tls.Certificates?.Count);
        }

        Assert.Equal(expected.Ssh is null, actual.Ssh is null);
        if (expected.Ssh is { } ssh)
        {
            Assert.Equal(ssh.ClientProto, actual.Ssh!.ClientProto);
            Assert.Equal(ssh.ClientSoftware, actual.Ssh.ClientSoftware);
            Assert.Equal(ssh.ServerProto, actual.Ssh.ServerProto);
            Assert.Equal(ssh.ServerSoftware, actual.Ssh.ServerSoftware);
        }

        Assert.Equal(expected.Payload is null, actual.Payload is null);
        if (expected.Payload is { } payload)
        {
            Assert.Equal(payload.ToServer.ToArray(), actual.Payload!.ToServer.ToArray());
            Assert.Equal(payload.ToClient.ToArray(), actual.Payload.ToClient.ToArray());
        }
    }

    private static void AssertSameEndpoint(FlowEndpoint expected, FlowEndpoint actual)
    {
        Assert.Equal(expected.Ip, actual.Ip);
        Assert.Equal(expected.Port, actual.Port);
        Assert.Equal(expected.Namespace, actual.Namespace);
        Assert.Equal(expected.Pod, actual.Pod);
        Assert.Equal(expected.Workload, actual.Workload);
        Assert.Equal(expected.Identity, actual.Identity);
        Assert.Equal(expected.ReservedEntity, actual.ReservedEntity);
        Assert.Equal(expected.DnsNames, actual.DnsNames);
        Assert.Equal(expected.Labels is null, actual.Labels is null);
        if (expected.Labels is not null)
        {
            Assert.Equal(expected.Labels.OrderBy(l => l.Key, StringComparer.Ordinal), actual.Labels!.OrderBy(l => l.Key, StringComparer.Ordinal));
        }
    }
}
