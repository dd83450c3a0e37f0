using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using NetSecStream.Control.Policies;
using NetSecStream.Core.Events;
using Xunit.Abstractions;
using static NetSecStream.Control.Tests.ControlHarness;

namespace NetSecStream.Control.Tests;

/// <summary>
/// The policy editor over a full default window (200 000 flows, 400 workloads in 20 namespaces) with 20 applied
/// policies: every flow is judged and the answers are complete. The times are printed for bench/RESULTS.md, not
/// asserted: speed targets live in benchmarks, and this VM is shared.
/// </summary>
public sealed class PolicyEditorScaleTests(ITestOutputHelper output)
{
    private const int Flows = 200_000;
    private const int Namespaces = 20;
    private const int WorkloadsPerNamespace = 20;

    private static string Policy(int ns, int app, int port) => string.Create(CultureInfo.InvariantCulture, $"""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: app{app}-ingress
          namespace: ns{ns}
        spec:
          podSelector:
            matchLabels:
              app: app{app}
          policyTypes: [Ingress]
          ingress:
            - from:
                - podSelector:
                    matchLabels:
                      app: app{(app + 1) % WorkloadsPerNamespace}
              ports:
                - port: {port}

        """);

    [Fact]
    public async Task Validate_and_plan_over_a_full_window_answer_for_every_flow_and_are_timed()
    {
        await using var h = await StartAsync();
        var labels = new Dictionary<string, string>[Namespaces, WorkloadsPerNamespace];
        for (int n = 0; n < Namespaces; n++)
        {
            for (int w = 0; w < WorkloadsPerNamespace; w++)
            {
                labels[n, w] = new Dictionary<string, string>(StringComparer.Ordinal) { ["app"] = "app" + w, ["tier"] = w % 2 == 0 ? "web" : "data" };
            }
        }

        // Deterministic traffic: each flow from one workload to another of the same namespace (a tenth across), on 8000-8009.
        var random = new Random(7);
        var batch = new List<FlowEvent>(Flows);
        for (int i = 0; i < Flows; i++)
        {
            int n = random.Next(Namespaces);
            int m = random.Next(10) == 0 ? random.Next(Namespaces) : n;
            int a = random.Next(WorkloadsPerNamespace);
            int b = random.Next(WorkloadsPerNamespace);
            batch.Add(new FlowEvent
            {
                Timestamp = T0.AddMilliseconds(i),
                Source = new FlowEndpoint { Ip = IPAddress.Parse($"10.{n}.{a}.{1 + (i % 200)}"), Port = (ushort)(30000 + (i % 30000)), Namespace = "ns" + n, Labels = labels[n, a] },
                Destination = new FlowEndpoint { Ip = IPAddress.Parse($"10.{m}.{b}.9"), Port = (ushort)(8000 + random.Next(10)), Namespace = "ns" + m, Labels = labels[m, b] },
                IpProtocol = 6,
                CollectorId = "scale",
            });
        }

        h.App.Services.GetRequiredService<RecentFlows>().Add(batch);
        using var admin = h.As("admin");
        for (int p = 0; p < 20; p++)
        {
            var saved = await Expect(await admin.PostAsync("/api/policies", JsonBody(new { yaml = Policy(p, p % WorkloadsPerNamespace, 8000 + (p % 10)) })), HttpStatusCode.Created);
            await Expect(await admin.PostAsync($"/api/policies/{saved.GetProperty("policy").GetProperty("id").GetString()}/apply", null), HttpStatusCode.OK);
        }

        string candidate = Policy(3, 5, 8005).Replace("[Ingress]", "[Ingress, Egress]", StringComparison.Ordinal);
        var workloads = await Expect(await admin.GetAsync("/api/workloads"), HttpStatusCode.OK);
        Assert.Equal(Namespaces * WorkloadsPerNamespace, workloads.GetProperty("workloads_seen").GetInt32());

        var validate = new List<double>();
        for (int i = 0; i < 15; i++)
        {
            var clock = Stopwatch.StartNew();
            var result = await Expect(await admin.PostAsync("/api/policies/validate", JsonBody(new { yaml = candidate + "# edit " + i + "\n" })), HttpStatusCode.OK);
            validate.Add(clock.Elapsed.TotalMilliseconds);
            Assert.Equal(1, result.GetProperty("selection").GetProperty("selected").GetArrayLength());
        }

        var plans = new List<double>();
        long judged = 0;
        for (int i = 0; i < 3; i++)
        {
            var clock = Stopwatch.StartNew();
            var plan = await Expect(await admin.PostAsync("/api/policies/plan", JsonBody(new { yaml = candidate })), HttpStatusCode.OK);
            plans.Add(clock.Elapsed.TotalMilliseconds);
            judged = plan.GetProperty("judged").GetInt64();
            Assert.Equal(21, plan.GetProperty("policies_in_force").GetInt32() + 1);
            Assert.True(plan.GetProperty("newly_denied").GetInt64() > 0);
        }

        Assert.Equal(Flows, judged);
        double validateMedian = validate.Order().ElementAt(validate.Count / 2);
        double planMedian = plans.Order().ElementAt(plans.Count / 2);
        var report = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"validate (400 workloads): median {validateMedian:F1} ms, max {validate.Max():F1} ms")
            .AppendLine(CultureInfo.InvariantCulture, $"plan ({Flows} flows, 20 applied + 1 candidate): median {planMedian:F0} ms, all {string.Join(", ", plans.Select(p => p.ToString("F0", CultureInfo.InvariantCulture)))} ms");
        output.WriteLine(report.ToString());
    }
}
