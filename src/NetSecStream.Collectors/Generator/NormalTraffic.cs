using System.Globalization;
using NetSecStream.Core.Events;
using static NetSecStream.Collectors.Generator.FlowBuilder;

namespace NetSecStream.Collectors.Generator;

/// <summary>
/// The cluster's everyday traffic. Shop visits, carts, checkouts and logins arrive as a Poisson process whose
/// rate follows the time of day (quiet at night, busiest in the afternoon, lighter at weekends); background
/// chatter (Kafka replication, API-server watches, internet scanners, DNS) arrives at a steady rate; Prometheus
/// scrapes, kubelet probes, Cilium health checks and Argo CD's git polls run on their timers.
/// </summary>
internal sealed class NormalTraffic
{
    private const string ShopHost = "shop.example.com";

    // Peak arrivals per second of the user-driven activities; they are scaled by the diurnal curve.
    private const double PageViewRate = 0.5;
    private const double CartRate = 0.1;
    private const double CheckoutRate = 0.03;
    private const double LoginRate = 0.04;
    private const double AssetSyncRate = 0.01;
    private const double EmailRate = 0.03;
    private const double DashboardRate = 0.02;
    private const double PartnerUploadRate = 0.003;
    private const double DiurnalRate = PageViewRate + CartRate + CheckoutRate + LoginRate + AssetSyncRate + EmailRate + DashboardRate + PartnerUploadRate;

    // Arrivals per second of activities that do not sleep at night.
    private const double ReplicationRate = 0.12;
    private const double ApiWatchRate = 0.06;
    private const double InternetScannerRate = 0.008;
    private const double LookupRate = 0.04;
    private const double SteadyRate = ReplicationRate + ApiWatchRate + InternetScannerRate + LookupRate;

    private const long ScrapeInterval = 30 * Second;
    private const long ProbeInterval = 30 * Second;
    private const long HealthInterval = 60 * Second;
    private const long GitPollInterval = 180 * Second;
    private const long UpdateCheckInterval = 600 * Second;

    private static readonly string[] BrowserAgents =
    [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36 Edg/123.0.2420.81",
    ];

    private static readonly string[] StaticAssets =
        ["/static/js/main.3f9a1c7e.js", "/static/css/main.8d21b0a4.css", "/static/media/logo.4c1f0e2b.svg", "/favicon.ico"];

    // Internet scanners come from hosting ranges rather than consumer ISPs.
    private static readonly int[] ScannerFirstOctets = [45, 185, 193, 162, 89];

    private static readonly string[] Categories = ["shoes", "outdoor", "kitchen", "books", "electronics", "garden", "toys"];

    private static readonly string[] SearchTerms = ["running+shoes", "tent", "coffee+grinder", "lego", "headphones", "rain+jacket", "usb-c+cable"];

    private static readonly string[] ScannerPaths =
        ["/.env", "/wp-login.php", "/.git/config", "/phpmyadmin/index.php", "/actuator/health", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", "/cgi-bin/luci"];

    private static readonly string[] ScannerAgents =
        ["Mozilla/5.0 zgrab/0.x", "python-requests/2.31.0", "Go-http-client/1.1", "curl/7.88.1", "Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)"];

    private static readonly string[] DashboardQueries =
    [
        "sum%28rate%28http_requests_total%7Bnamespace%3D%22shop%22%7D%5B5m%5D%29%29+by+%28service%29",
        "histogram_quantile%280.99%2C+sum%28rate%28http_request_duration_seconds_bucket%5B5m%5D%29%29+by+%28le%29%29",
        "sum%28container_memory_working_set_bytes%7Bnamespace%3D%22shop%22%7D%29+by+%28pod%29",
        "sum%28rate%28container_cpu_usage_seconds_total%7Bnamespace%3D%22data%22%7D%5B5m%5D%29%29",
        "kafka_consumergroup_lag%7Bconsumergroup%3D%22notifier%22%7D",
        "up%7Bjob%3D%22kubernetes-pods%22%7D",
    ];

    private readonly Cluster _cluster;
    private readonly FlowBuilder _b;
    private readonly SimRandom _random;
    private readonly double _trafficScale;
    private readonly List<(Peer Pod, long Offset)> _scrapeTargets = [];
    private readonly List<(Peer Pod, long Offset)> _probeTargets = [];
    private readonly Peer[] _scannerSources;

    private long _nextArrival;
    private long _nextScrape;
    private long _nextProbe;
    private long _nextHealth;
    private long _nextGitPoll;
    private long _nextUpdateCheck;

    public NormalTraffic(Cluster cluster, FlowBuilder builder, SimRandom random, double trafficScale, long startNs)
    {
        _cluster = cluster;
        _b = builder;
        _random = random;
        _trafficScale = trafficScale;

        foreach (var workload in cluster.Workloads)
        {
            if (workload.MetricsPort == 0 || ReferenceEquals(workload, cluster.Prometheus))
            {
                continue;
            }

            foreach (var pod in workload.Pods)
            {
                // Prometheus spreads its targets over the interval at fixed offsets.
                _scrapeTargets.Add((pod, (long)(random.NextDouble() * ScrapeInterval)));
            }
        }

        foreach (var workload in new[] { cluster.Frontend, cluster.Catalog, cluster.Cart, cluster.Checkout, cluster.Payments, cluster.Notifier, cluster.Grafana })
        {
            foreach (var pod in workload.Pods)
            {
                _probeTargets.Add((pod, (long)(random.NextDouble() * ProbeInterval)));
            }
        }

        _scannerSources = Enumerable.Range(0, 40)
            .Select(_ => cluster.WorldPeer(string.Create(CultureInfo.InvariantCulture, $"{random.Pick(ScannerFirstOctets)}.{random.Next(256)}.{random.Next(256)}.{random.Next(1, 255)}"), null))
            .ToArray();

        _nextScrape = startNs;
        _nextProbe = startNs + (long)(random.NextDouble() * ProbeInterval);
        _nextHealth = startNs + (long)(random.NextDouble() * HealthInterval);
        _nextGitPoll = startNs + (long)(random.NextDouble() * GitPollInterval);
        _nextUpdateCheck = startNs + (long)(random.NextDouble() * UpdateCheckInterval);
        _nextArrival = startNs + NextGap(startNs);
    }

    /// <summary>When the next activity starts.</summary>
    public long NextTime => Math.Min(_nextArrival, Math.Min(Math.Min(_nextScrape, _nextProbe), Math.Min(_nextHealth, Math.Min(_nextGitPoll, _nextUpdateCheck))));

    /// <summary>
    /// Load multiplier for an instant: 0.12 at 04:00 UTC rising to 1.0 at 16:00 UTC (the shop's customers are in
    /// Europe), times 0.6 on Saturdays and Sundays.
    /// </summary>
    public static double Diurnal(long unixNs)
    {
        double hours = unixNs / (3600.0 * Second) % 24.0;
        double phase = (1.0 - Math.Cos(2.0 * Math.PI * (hours - 4.0) / 24.0)) / 2.0;
        double load = 0.12 + (0.88 * Math.Pow(phase, 1.6));
        long day = unixNs / (86400L * Second);
        int dayOfWeek = (int)((day + 4) % 7); // 1970-01-01 was a Thursday; 0 is Sunday.
        return dayOfWeek is 0 or 6 ? load * 0.6 : load;
    }

    /// <summary>Schedules the flows of the next due activity and advances its timer.</summary>
    public void SpawnNext()
    {
        long t = NextTime;
        _b.Use(TrafficLabels.Normal, null);
        if (t == _nextScrape)
        {
            ScrapeRound(t);
            _nextScrape += ScrapeInterval;
        }
        else if (t == _nextProbe)
        {
            ProbeRound(t);
            _nextProbe += ProbeInterval;
        }
        else if (t == _nextHealth)
        {
            HealthRound(t);
            _nextHealth += HealthInterval;
        }
        else if (t == _nextGitPoll)
        {
            GitPoll(t);
            _nextGitPoll += GitPollInterval + (long)(_random.NextDouble() * 5.0 * Second);
        }
        else if (t == _nextUpdateCheck)
        {
            BlockedUpdateCheck(t);
            _nextUpdateCheck += UpdateCheckInterval;
        }
        else
        {
            Arrival(t);
            _nextArrival = t + NextGap(t);
        }
    }

    private long NextGap(long now)
    {
        double rate = _trafficScale * ((DiurnalRate * Diurnal(now)) + SteadyRate);
        return Math.Max(1, (long)(_random.Exponential(1.0 / rate) * Second));
    }

    private void Arrival(long t)
    {
        double load = Diurnal(t);
        double pick = _random.NextDouble() * ((DiurnalRate * load) + SteadyRate);
        if (pick < SteadyRate)
        {
            if ((pick -= ReplicationRate) < 0)
            {
                KafkaReplication(t);
            }
            else if ((pick -= ApiWatchRate) < 0)
            {
                ApiServerWatch(t);
            }
            else if ((pick -= InternetScannerRate) < 0)
            {
                InternetScanner(t);
            }
            else
            {
                ServiceLookup(t);
            }

            return;
        }

        pick = (pick - SteadyRate) / load;
        if ((pick -= PageViewRate) < 0)
        {
            PageView(t);
        }
        else if ((pick -= CartRate) < 0)
        {
            AddToCart(t);
        }
        else if ((pick -= CheckoutRate) < 0)
        {
            Checkout(t);
        }
        else if ((pick -= LoginRate) < 0)
        {
            Login(t);
        }
        else if ((pick -= AssetSyncRate) < 0)
        {
            AssetSync(t);
        }
        else if ((pick -= EmailRate) < 0)
        {
            SendEmail(t);
        }
        else if ((pick -= DashboardRate) < 0)
        {
            Dashboard(t);
        }
        else
        {
            PartnerUpload(t);
        }
    }

    // ---- shop requests: browser -> ingress-nginx -> frontend -> services ----

    private void PageView(long t)
    {
        double r = _random.NextDouble();
        string sku = _random.Pick(_cluster.Products);
        string session = _cluster.RandomToken(12, "abcdef0123456789");
        if (r < 0.13)
        {
            string asset = _random.Pick(StaticAssets);
            ShopRequest(t, "GET", asset, client: null, static (_, _, at) => (at + Us(300), 200));
            return;
        }

        string path = r switch
        {
            < 0.45 => "/",
            < 0.78 => "/product/" + sku,
            < 0.9 => "/category/" + _random.Pick(Categories),
            _ => "/search?q=" + _random.Pick(SearchTerms),
        };
        ShopRequest(t, "GET", path, client: null, (fe, frontendPod, at) =>
        {
            int code = 200;
            long end = at;
            if (path == "/")
            {
                end = Math.Max(end, fe.CallCatalog(frontendPod, at, "/api/v1/products?featured=true&limit=12", out _));
                end = Math.Max(end, fe.CallCart(frontendPod, at + Us(40), "GET", "/api/v1/carts/" + session + "/count", 200));
            }
            else if (path.StartsWith("/product/", StringComparison.Ordinal))
            {
                bool missing = fe._random.Chance(0.02);
                end = Math.Max(end, fe.CallCatalog(frontendPod, at, "/api/v1/products/" + sku, out int catalogCode, missing ? 404 : 0));
                if (catalogCode == 200)
                {
                    end = Math.Max(end, fe.CallCatalog(frontendPod, at + Us(60), "/api/v1/products/" + sku + "/recommendations?limit=4", out _));
                }

                end = Math.Max(end, fe.CallCart(frontendPod, at + Us(30), "GET", "/api/v1/carts/" + session + "/count", 200));
                code = catalogCode >= 500 ? 502 : catalogCode;
            }
            else
            {
                end = Math.Max(end, fe.CallCatalog(frontendPod, at, "/api/v1" + (path.StartsWith("/search", StringComparison.Ordinal) ? path : "/products?category=" + path["/category/".Length..] + "&page=1"), out int catalogCode));
                code = catalogCode >= 500 ? 502 : 200;
            }

            return (end, code);
        });
    }

    private void AddToCart(long t)
    {
        string session = _cluster.RandomToken(12, "abcdef0123456789");
        ShopRequest(t, "POST", "/api/cart", client: null, (fe, frontendPod, at) =>
        {
            int code = fe._random.Chance(0.01) ? 500 : 201;
            long end = fe.CallCart(frontendPod, at, "POST", "/api/v1/carts/" + session + "/items", code, contentLength: fe._random.Next(40, 90));
            return (end, code == 201 ? 200 : 502);
        }, contentLength: _random.Next(40, 90));
    }

    private void Login(long t)
    {
        ShopRequest(t, "POST", "/api/login", client: null, (fe, frontendPod, at) =>
        {
            // Users mistype passwords: a few failed logins are part of normal traffic.
            int code = fe._random.Chance(0.1) ? 401 : 200;
            long end = fe.RedisCommands(frontendPod, at, code == 200 ? 2 : 1);
            return (end + Ms(fe._random.LogNormal(40, 0.3)), code);
        }, contentLength: _random.Next(48, 80));
    }

    private void Checkout(long t)
    {
        string session = _cluster.RandomToken(12, "abcdef0123456789");
        ShopRequest(t, "POST", "/api/checkout", client: null, (fe, frontendPod, at) =>
        {
            var checkout = fe._cluster.Checkout.PickPod(fe._random);
            var conn = fe._b.Pooled(frontendPod, checkout, 8080, fe._cluster.Checkout, out bool fresh);
            long start = fresh ? fe._b.Handshake(conn, at, fe._b.Rtt(frontendPod, checkout)) : at;
            long work = start + Us(200);
            work = Math.Max(work, fe.CallCart(checkout, work, "GET", "/api/v1/carts/" + session, 200));
            bool declined = fe._random.Chance(0.04);
            work = fe.CallPayments(checkout, work + Us(100), declined);
            int code = declined ? 402 : 201;
            if (!declined)
            {
                work = fe.PostgresQueries(checkout, work, fe._random.Next(2, 5));
                work = fe.KafkaProduce(checkout, work);
            }

            var exchange = new HttpExchange
            {
                Method = "POST",
                Url = "http://" + fe._cluster.Checkout.HostFor("shop") + "/api/v1/orders",
                Code = code,
                LatencyNs = work - start + Us(fe._random.Next(200, 900)),
                Headers = Headers(("Accept", "application/json"), ("Content-Length", Port((ushort)fe._random.Next(180, 420))),
                    ("Content-Type", "application/json"), ("User-Agent", "axios/1.6.8"), ("X-Request-Id", fe._b.Uuid())),
            };
            long end = fe._b.Http(conn, start, exchange);
            return (end, declined ? 402 : 200);
        }, contentLength: _random.Next(200, 600));
    }

    /// <summary>
    /// One browser request: TLS to the ingress controller (new or kept-alive connection), nginx proxying it to a
    /// frontend pod (an L7 request and response), the frontend's calls in between, and the bytes back.
    /// </summary>
    private void ShopRequest(long t, string method, string path, Peer? client, Func<NormalTraffic, Peer, long, (long End, int Code)> handle,
        int contentLength = 0, string? userAgent = null)
    {
        client ??= _random.Pick(_cluster.Clients);
        var ingressPod = _cluster.Ingress.PickPod(_random);
        var outer = new Conn(client, ingressPod, _random.EphemeralPort(), 443, Ingress: true);
        long clientRtt = Ms(_random.LogNormal(40, 0.5));
        long now = t;
        bool fresh = _random.Chance(0.55);
        if (fresh)
        {
            now = _b.Handshake(outer, now, clientRtt);
            now = _b.Exchange(outer, now, clientRtt, Us(_random.Next(300, 900))) + Us(200);
        }

        _b.Packet(outer, now, reply: false, TcpFlags.Psh | TcpFlags.Ack);
        now += Us(_random.Next(80, 300));

        var frontendPod = _cluster.Frontend.PickPod(_random);
        var inner = _b.Pooled(ingressPod, frontendPod, 8080, _cluster.Frontend, out bool innerFresh);
        if (innerFresh)
        {
            now = _b.Handshake(inner, now, _b.Rtt(ingressPod, frontendPod));
        }

        var (end, code) = handle(this, frontendPod, now + Us(_random.Next(100, 400)));
        long latency = Math.Max(end - now, Us(400)) + Us(_random.Next(300, 2500));
        if (method == "GET" && path.StartsWith("/static/", StringComparison.Ordinal))
        {
            code = _random.Chance(0.4) ? 304 : 200;
        }
        else if (_random.Chance(0.003))
        {
            code = 500;
        }

        var headers = new List<(string, string)>
        {
            ("Accept", method == "GET" ? "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" : "application/json"),
            ("User-Agent", userAgent ?? _random.Pick(BrowserAgents)),
            ("X-Forwarded-For", client.Ip),
            ("X-Forwarded-Proto", "https"),
            ("X-Request-Id", _b.Uuid()),
        };
        if (contentLength > 0)
        {
            headers.Add(("Content-Length", contentLength.ToString(CultureInfo.InvariantCulture)));
            headers.Add(("Content-Type", "application/json"));
        }

        var exchange = new HttpExchange
        {
            Method = method,
            Url = "http://" + ShopHost + path,
            Code = code,
            LatencyNs = latency,
            Headers = Headers([.. headers]),
        };
        long responded = _b.Http(inner, now, exchange);
        _b.Packet(outer, responded + Us(_random.Next(40, 200)), reply: true, TcpFlags.Psh | TcpFlags.Ack);
        if (_random.Chance(0.3))
        {
            _b.Close(outer, responded + clientRtt, clientRtt);
        }
    }

    private long CallCatalog(Peer frontendPod, long at, string path, out int code, int forcedCode = 0)
    {
        var catalog = _cluster.Catalog.PickPod(_random);
        var conn = _b.Pooled(frontendPod, catalog, 8080, _cluster.Catalog, out bool fresh);
        long start = fresh ? _b.Handshake(conn, at, _b.Rtt(frontendPod, catalog)) : at;
        long work = start + Us(_random.Next(100, 400));
        if (_random.Chance(0.3))
        {
            work = PostgresQueries(catalog, work, 1);
        }

        code = forcedCode != 0 ? forcedCode : _random.Chance(0.004) ? 503 : 200;
        var exchange = new HttpExchange
        {
            Method = "GET",
            Url = "http://" + _cluster.Catalog.HostFor("shop") + path,
            Code = code,
            LatencyNs = Math.Max(work - start, 0) + Ms(_random.LogNormal(4, 0.6)),
            Headers = Headers(("Accept", "application/json"), ("User-Agent", "axios/1.6.8"), ("X-Request-Id", _b.Uuid())),
        };
        return _b.Http(conn, start, exchange);
    }

    private long CallCart(Peer client, long at, string method, string path, int code, int contentLength = 0)
    {
        var cart = _cluster.Cart.PickPod(_random);
        var conn = _b.Pooled(client, cart, 8080, _cluster.Cart, out bool fresh);
        long start = fresh ? _b.Handshake(conn, at, _b.Rtt(client, cart)) : at;
        long work = RedisCommands(cart, start + Us(80), method == "GET" ? 1 : 2);
        var exchange = new HttpExchange
        {
            Method = method,
            Url = "http://" + _cluster.Cart.HostFor(client.Workload?.Namespace) + path,
            Code = code,
            LatencyNs = work - start + Us(_random.Next(150, 900)),
            Headers = contentLength > 0
                ? Headers(("Accept", "application/json"), ("Content-Length", contentLength.ToString(CultureInfo.InvariantCulture)), ("Content-Type", "application/json"),
                    ("User-Agent", client.Workload == _cluster.Checkout ? "Go-http-client/1.1" : "axios/1.6.8"), ("X-Request-Id", _b.Uuid()))
                : Headers(("Accept", "application/json"), ("User-Agent", client.Workload == _cluster.Checkout ? "Go-http-client/1.1" : "axios/1.6.8"), ("X-Request-Id", _b.Uuid())),
        };
        return _b.Http(conn, start, exchange);
    }

    /// <summary>checkout -> payments -> Stripe (HTTPS, so only L3/L4 is visible past the payments pod).</summary>
    private long CallPayments(Peer checkoutPod, long at, bool declined)
    {
        var payments = _cluster.Payments.PickPod(_random);
        var conn = _b.Pooled(checkoutPod, payments, 8080, _cluster.Payments, out bool fresh);
        long start = fresh ? _b.Handshake(conn, at, _b.Rtt(checkoutPod, payments)) : at;
        long work = start + Us(150);
        var stripe = _random.Pick(_cluster.Stripe.Addresses);
        if (_random.Chance(0.25))
        {
            work = _b.ResolveExternal(payments, _cluster.Stripe.Name, _cluster.Stripe.Ips, work, ttl: 60);
        }

        var api = _b.Pooled(payments, stripe, 443, null, out bool apiFresh);
        long rtt = _b.Rtt(payments, stripe);
        if (apiFresh)
        {
            work = _b.Handshake(api, work, rtt);
            work = _b.Exchange(api, work, rtt, Ms(1)) + Us(100);
        }

        work = _b.Exchange(api, work, rtt, Ms(_random.LogNormal(180, 0.4)));
        var exchange = new HttpExchange
        {
            Method = "POST",
            Url = "http://" + _cluster.Payments.HostFor("shop") + "/api/v1/charges",
            Code = declined ? 402 : 201,
            LatencyNs = work - start + Us(_random.Next(200, 800)),
            Headers = Headers(("Accept", "application/json"), ("Content-Length", Port((ushort)_random.Next(120, 260))), ("Content-Type", "application/json"),
                ("User-Agent", "Go-http-client/1.1"), ("X-Request-Id", _b.Uuid())),
        };
        return _b.Http(conn, start, exchange);
    }

    private long RedisCommands(Peer client, long at, int commands)
    {
        var redis = _cluster.Redis.Pods[0];
        var conn = _b.Pooled(client, redis, 6379, _cluster.Redis, out bool fresh);
        long rtt = _b.Rtt(client, redis);
        long t = fresh ? _b.Handshake(conn, at, rtt) : at;
        for (int i = 0; i < commands; i++)
        {
            t = _b.Exchange(conn, t, rtt, Us(_random.Next(20, 150))) + Us(_random.Next(10, 40));
        }

        return t;
    }

    private long PostgresQueries(Peer client, long at, int queries)
    {
        var postgres = _cluster.Postgres.Pods[0];
        var conn = _b.Pooled(client, postgres, 5432, _cluster.Postgres, out bool fresh);
        long rtt = _b.Rtt(client, postgres);
        long t = fresh ? _b.Exchange(conn, _b.Handshake(conn, at, rtt), rtt, Ms(2)) : at;
        for (int i = 0; i < queries; i++)
        {
            t = _b.Exchange(conn, t, rtt, Ms(_random.LogNormal(1.2, 0.7))) + Us(_random.Next(20, 80));
        }

        return t;
    }

    private long KafkaProduce(Peer client, long at)
    {
        var broker = _cluster.Kafka.PickPod(_random);
        var conn = _b.Pooled(client, broker, 9092, _cluster.Kafka, out bool fresh);
        long rtt = _b.Rtt(client, broker);
        long t = fresh ? _b.Handshake(conn, at, rtt) : at;
        return _b.Exchange(conn, t, rtt, Ms(_random.LogNormal(2, 0.5)));
    }

    // ---- back-office and platform traffic ----

    private void AssetSync(long t)
    {
        var catalog = _cluster.Catalog.PickPod(_random);
        var bucket = _cluster.AssetBucket;
        long now = _random.Chance(0.5) ? _b.ResolveExternal(catalog, bucket.Name, bucket.Ips, t, ttl: 5) : t;
        var s3 = _random.Pick(bucket.Addresses);
        var conn = new Conn(catalog, s3, _random.EphemeralPort(), 443);
        long rtt = _b.Rtt(catalog, s3);
        now = _b.Handshake(conn, now, rtt);
        now = _b.Exchange(conn, now, rtt, Ms(1));
        int objects = _random.Next(2, 9);
        for (int i = 0; i < objects; i++)
        {
            now = _b.Exchange(conn, now + Us(200), rtt, Ms(_random.LogNormal(15, 0.6)));
        }

        _b.Close(conn, now + Ms(1), rtt);
    }

    private void SendEmail(long t)
    {
        var notifier = _cluster.Notifier.Pods[0];
        long now = KafkaFetch(notifier, t);
        if (_random.Chance(0.4))
        {
            now = _b.ResolveExternal(notifier, _cluster.SendGrid.Name, _cluster.SendGrid.Ips, now, ttl: 300);
        }

        var sendgrid = _random.Pick(_cluster.SendGrid.Addresses);
        var conn = new Conn(notifier, sendgrid, _random.EphemeralPort(), 443);
        long rtt = _b.Rtt(notifier, sendgrid);
        now = _b.Handshake(conn, now, rtt);
        now = _b.Exchange(conn, now, rtt, Ms(1));
        now = _b.Exchange(conn, now + Us(150), rtt, Ms(_random.LogNormal(60, 0.4)));
        _b.Close(conn, now + Ms(2), rtt);
    }

    private long KafkaFetch(Peer client, long at)
    {
        var broker = _cluster.Kafka.PickPod(_random);
        var conn = _b.Pooled(client, broker, 9092, _cluster.Kafka, out bool fresh);
        long rtt = _b.Rtt(client, broker);
        long t = fresh ? _b.Handshake(conn, at, rtt) : at;
        return _b.Exchange(conn, t, rtt, Ms(_random.LogNormal(5, 0.8)));
    }

    private void Dashboard(long t)
    {
        var grafana = _cluster.Grafana.Pods[0];
        var prometheus = _cluster.Prometheus.Pods[0];
        var conn = _b.Pooled(grafana, prometheus, 9090, _cluster.Prometheus, out bool fresh);
        long now = fresh ? _b.Handshake(conn, t, _b.Rtt(grafana, prometheus)) : t;
        long endSeconds = t / Second;
        string range = string.Create(CultureInfo.InvariantCulture, $"&start={endSeconds - 3600}&end={endSeconds}&step=30");
        int panels = _random.Next(3, 9);
        for (int i = 0; i < panels; i++)
        {
            var exchange = new HttpExchange
            {
                Method = "GET",
                Url = "http://" + _cluster.Prometheus.HostFor("monitoring") + "/api/v1/query_range?query=" + _random.Pick(DashboardQueries) + range,
                Code = _random.Chance(0.01) ? 422 : 200,
                LatencyNs = Ms(_random.LogNormal(25, 0.8)),
                Headers = Headers(("Accept", "application/json, text/plain, */*"), ("Accept-Encoding", "gzip"), ("User-Agent", "Grafana/10.4.2"), ("X-Request-Id", _b.Uuid())),
            };
            _b.Http(conn, now + Ms(_random.Next(0, 40)), exchange);
        }
    }

    private void PartnerUpload(long t)
    {
        var partner = _random.Pick(_cluster.Partners);
        var sftp = _cluster.Sftp.Pods[0];
        var conn = new Conn(partner, sftp, _random.EphemeralPort(), 22, Ingress: true);
        long rtt = _b.Rtt(partner, sftp);
        long now = _b.Handshake(conn, t, rtt);
        now = _b.Exchange(conn, now, rtt, Ms(2));
        now = _b.Exchange(conn, now, rtt, Ms(8));
        int chunks = _random.Next(10, 40);
        for (int i = 0; i < chunks; i++)
        {
            now = _b.Exchange(conn, now + Ms(_random.Next(20, 300)), rtt, Us(300));
        }

        _b.Close(conn, now + Ms(5), rtt);
    }

    private void KafkaReplication(long t)
    {
        var follower = _cluster.Kafka.PickPod(_random);
        var leader = _cluster.Kafka.Pods[(_cluster.Kafka.Pods.IndexOf(follower) + _random.Next(1, _cluster.Kafka.Pods.Count)) % _cluster.Kafka.Pods.Count];
        var conn = _b.Pooled(follower, leader, 9092, null, out bool fresh);
        long rtt = _b.Rtt(follower, leader);
        long now = fresh ? _b.Handshake(conn, t, rtt) : t;
        int fetches = _random.Next(1, 4);
        for (int i = 0; i < fetches; i++)
        {
            now = _b.Exchange(conn, now, rtt, Ms(_random.LogNormal(20, 0.8))) + Us(50);
        }
    }

    private void ApiServerWatch(long t)
    {
        var watcher = _random.Pick(new[] { _cluster.CoreDns, _cluster.Prometheus, _cluster.RepoServer, _cluster.Ingress }).PickPod(_random);
        var conn = _b.Pooled(watcher, _cluster.ApiServer, 443, null, out bool fresh);
        long rtt = _b.Rtt(watcher, _cluster.ApiServer);
        if (fresh)
        {
            long open = _b.Handshake(conn, t, rtt);
            _b.Exchange(conn, open, rtt, Ms(3));
            return;
        }

        // A watch event pushed by the API server, acknowledged by the client.
        _b.Packet(conn, t, reply: true, TcpFlags.Psh | TcpFlags.Ack);
        _b.Packet(conn, t + Us(_random.Next(40, 200)), reply: false, TcpFlags.Ack);
    }

    private void InternetScanner(long t)
    {
        var scanner = _random.Pick(_scannerSources);
        string path = _random.Pick(ScannerPaths);
        string agent = _random.Pick(ScannerAgents);
        ShopRequest(t, "GET", path, scanner, static (fe, _, at) => (at + Us(fe._random.Next(300, 900)), 404), userAgent: agent);
    }

    private void ServiceLookup(long t)
    {
        var client = _random.Pick(new[] { _cluster.Frontend, _cluster.Cart, _cluster.Checkout, _cluster.Catalog, _cluster.Notifier }).PickPod(_random);
        if (_random.Chance(0.06))
        {
            // A stale configuration still naming a service that was renamed.
            var miss = new DnsExchange { Query = "redis.shop.svc.cluster.local.", QueryType = "A", Rcode = 3, Ttl = uint.MaxValue };
            _b.Dns(client, miss, t, Us(_random.Next(150, 700)));
            return;
        }

        var target = client.Workload == _cluster.Frontend
            ? _random.Pick(new[] { _cluster.Catalog, _cluster.Cart, _cluster.Checkout })
            : client.Workload == _cluster.Notifier || client.Workload == _cluster.Checkout
                ? _cluster.Kafka
                : client.Workload == _cluster.Catalog ? _cluster.Postgres : _cluster.Redis;
        long end = _b.ResolveService(client, target, t);
        var aaaa = new DnsExchange { Query = target.Fqdn, QueryType = "AAAA", Ttl = 30 };
        _b.Dns(client, aaaa, t + Us(_random.Next(5, 30)), end - t, withDatagram: false);
    }

    // ---- timers ----

    private void ScrapeRound(long t)
    {
        var prometheus = _cluster.Prometheus.Pods[0];
        foreach (var (pod, offset) in _scrapeTargets)
        {
            long at = t + offset;
            var port = pod.Workload!.MetricsPort;
            var conn = _b.Pooled(prometheus, pod, port, null, out bool fresh);
            if (fresh)
            {
                at = _b.Handshake(conn, at, _b.Rtt(prometheus, pod));
            }

            var exchange = new HttpExchange
            {
                Method = "GET",
                Url = "http://" + pod.Ip + ":" + Port(port) + "/metrics",
                Code = _random.Chance(0.003) ? 503 : 200,
                LatencyNs = Ms(_random.LogNormal(8, 0.7)),
                Headers = Headers(
                    ("Accept", "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
                    ("Accept-Encoding", "gzip"), ("User-Agent", "Prometheus/2.53.1"), ("X-Prometheus-Scrape-Timeout-Seconds", "10"), ("X-Request-Id", _b.Uuid())),
            };
            _b.Http(conn, at, exchange);
        }

        // A stale scrape job for a metrics port the sftp gateway's policy never allowed: dropped every round.
        var sftp = _cluster.Sftp.Pods[0];
        var denied = new Conn(prometheus, sftp, _random.EphemeralPort(), 9100);
        _b.DroppedSyn(denied, t + Ms(_random.Next(0, 500)), atDestination: true);
    }

    private void ProbeRound(long t)
    {
        foreach (var (pod, offset) in _probeTargets)
        {
            var node = pod.Node!;
            var conn = new Conn(node.Host, pod, _random.EphemeralPort(), pod.Workload!.ServicePort, Ingress: true);
            string path = pod.Workload == _cluster.Grafana ? "/api/health" : _random.Chance(0.5) ? "/healthz" : "/readyz";
            var exchange = new HttpExchange
            {
                Method = "GET",
                Url = "http://" + pod.Ip + ":" + Port(pod.Workload.ServicePort) + path,
                Code = 200,
                LatencyNs = Us(_random.Next(300, 3000)),
                Headers = Headers(("Accept", "*/*"), ("Connection", "close"), ("User-Agent", "kube-probe/1.30")),
            };
            _b.Http(conn, t + offset, exchange);
        }
    }

    private void HealthRound(long t)
    {
        foreach (var node in _cluster.Nodes)
        {
            foreach (var from in _cluster.Nodes)
            {
                var source = ReferenceEquals(from, node) ? node.Host : from.RemoteNode;
                var conn = new Conn(source, node.Health, 0, 0, Protocol: 1, Ingress: true);
                long at = t + Ms(_random.Next(0, 2000));
                _b.Icmp(conn, at, reply: false, type: 8);
                _b.Icmp(conn, at + _b.Rtt(source, node.Health), reply: true, type: 0);
            }
        }
    }

    private void GitPoll(long t)
    {
        var repo = _cluster.RepoServer.Pods[0];
        long now = _random.Chance(0.5) ? _b.ResolveExternal(repo, _cluster.GitHub.Name, _cluster.GitHub.Ips, t, ttl: 60) : t;
        var github = _random.Pick(_cluster.GitHub.Addresses);
        var conn = new Conn(repo, github, _random.EphemeralPort(), 443);
        long rtt = _b.Rtt(repo, github);
        now = _b.Handshake(conn, now, rtt);
        now = _b.Exchange(conn, now, rtt, Ms(1));
        int rounds = _random.Next(2, 6);
        for (int i = 0; i < rounds; i++)
        {
            now = _b.Exchange(conn, now + Us(300), rtt, Ms(_random.LogNormal(30, 0.5)));
        }

        _b.Close(conn, now + Ms(1), rtt);
    }

    /// <summary>Grafana's update check: its name resolves, but the namespace's egress policy denies the connection.</summary>
    private void BlockedUpdateCheck(long t)
    {
        var grafana = _cluster.Grafana.Pods[0];
        long now = _b.ResolveExternal(grafana, _cluster.GrafanaCom.Name, _cluster.GrafanaCom.Ips, t, ttl: 300);
        var conn = new Conn(grafana, _cluster.GrafanaCom.Addresses[0], _random.EphemeralPort(), 443);
        _b.DroppedSyn(conn, now + Us(100), atDestination: false);
    }
}
