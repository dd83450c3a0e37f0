using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using NetSecStream.Core.Events;
using Xunit.Abstractions;

namespace NetSecStream.Control.UiTests;

/// <summary>
/// The namespace page's API over a store of 200 000 alerts all inside its windows (the worst case: every alert is
/// counted and grouped). The times are printed for bench/RESULTS.md, not asserted: speed targets live in benchmarks.
/// </summary>
public sealed class ControlUiModesScaleTests(ITestOutputHelper output)
{
    private const int Alerts = 200_000;

    [Fact]
    public async Task Namespace_overview_over_200k_recent_alerts_counts_every_alert_and_is_timed()
    {
        await using var server = await UiServer.StartAsync();
        var now = DateTimeOffset.UtcNow;
        var batch = new List<Alert>(10_000);
        for (int i = 0; i < Alerts; i++)
        {
            var alert = UiServer.SignatureAlert(i);
            int ns = i % 40;
            var flow = NetSecStream.Testing.Flows.Tcp("10.0.0." + (1 + (i % 200)), (ushort)(40000 + (i % 20000)), "10.1.0.9", 443,
                sourceNamespace: "ns-" + ns.ToString(CultureInfo.InvariantCulture), time: now.AddSeconds(-(i % 80_000)),
                workload: "w-" + (i % 400).ToString(CultureInfo.InvariantCulture));
            batch.Add(new Alert
            {
                Id = "scale-" + i.ToString(CultureInfo.InvariantCulture),
                Timestamp = flow.Timestamp,
                Detector = alert.Detector,
                RuleId = alert.RuleId,
                RuleName = alert.RuleName,
                Severity = alert.Severity,
                RiskScore = alert.RiskScore,
                Explanation = alert.Explanation,
                DedupeKey = "scale|" + i.ToString(CultureInfo.InvariantCulture),
                Flow = flow,
            });
            if (batch.Count == batch.Capacity)
            {
                server.Store.InsertAlerts(batch);
                batch.Clear();
            }
        }

        server.Store.InsertAlerts(batch);
        using var client = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.Tokens["viewer"]);
        string first = await client.GetStringAsync("/api/modes/namespaces");
        using (var doc = JsonDocument.Parse(first))
        {
            var namespaces = doc.RootElement.GetProperty("namespaces");
            Assert.Equal(40 + 2, namespaces.GetArrayLength()); // ns-0..39 and the seed's payments and shop
            Assert.Equal(Alerts, namespaces.EnumerateArray().Where(n => n.GetProperty("name").GetString()!.StartsWith("ns-", StringComparison.Ordinal))
                .Sum(n => n.GetProperty("alerts_24h").GetInt64()));
        }

        var times = new List<double>();
        for (int i = 0; i < 5; i++)
        {
            var clock = Stopwatch.StartNew();
            _ = await client.GetStringAsync("/api/modes/namespaces");
            times.Add(clock.Elapsed.TotalMilliseconds);
        }

        times.Sort();
        output.WriteLine($"GET /api/modes/namespaces over {Alerts} alerts in the last 24 h (40 namespaces, 400 workloads): median {times[2]:F0} ms, min {times[0]:F0} ms, max {times[4]:F0} ms");
    }

    [Fact]
    public async Task Blocks_made_and_revoked_through_the_api_are_timed_for_the_record()
    {
        await using var server = await UiServer.StartAsync(enforcement: true);
        using var client = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.Tokens["admin"]);
        var create = new List<double>();
        var ids = new List<string>();
        for (int i = 0; i < 8; i++)
        {
            var clock = Stopwatch.StartNew();
            using var response = await client.PostAsync("/api/blocks", new StringContent(
                JsonSerializer.Serialize(new { source = $"203.0.113.{i + 1}", @namespace = "shop", labels = new { app = "web" } }), System.Text.Encoding.UTF8, "application/json"));
            string body = await response.Content.ReadAsStringAsync();
            create.Add(clock.Elapsed.TotalMilliseconds);
            Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, body);
            using var doc = JsonDocument.Parse(body);
            ids.Add(doc.RootElement.GetProperty("blocks")[0].GetProperty("id").GetString()!);
        }

        var revoke = new List<double>();
        foreach (string id in ids)
        {
            var clock = Stopwatch.StartNew();
            using var response = await client.DeleteAsync("/api/blocks/" + id);
            revoke.Add(clock.Elapsed.TotalMilliseconds);
            Assert.True(response.IsSuccessStatusCode, $"revoke {id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        create.Sort();
        revoke.Sort();
        output.WriteLine($"POST /api/blocks (GitOps target, applied before the answer): median {create[4]:F1} ms, max {create[7]:F1} ms; "
            + $"DELETE /api/blocks/{{id}}: median {revoke[4]:F1} ms, max {revoke[7]:F1} ms (8 each)");
        Assert.Empty(server.Enforcement!.ActiveBlocks);
    }
}
