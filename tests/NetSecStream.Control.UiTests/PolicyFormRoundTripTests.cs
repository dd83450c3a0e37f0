using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace NetSecStream.Control.UiTests;

/// <summary>
/// The two views stay in sync through the parser: the YAML the page writes from a form (policies.js writeYaml, run in
/// the browser) parses back, on the server, to the same form, for both kinds and every kind of peer and port.
/// </summary>
public sealed class PolicyFormRoundTripTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    public static TheoryData<string> Forms => new()
    {
        """
        {"kind":"NetworkPolicy","name":"web","namespace":"shop","selector":{"app":"web","tier":"front"},"ingress_isolated":true,"egress_isolated":true,
         "ingress":[{"peers":[{"labels":{"app":"frontend"},"namespace":null,"cidr":null},{"labels":{"app":"api"},"namespace":"billing","cidr":null},
                              {"labels":{},"namespace":"*","cidr":null},{"labels":null,"namespace":null,"cidr":"10.8.0.0/16"}],
                    "ports":[{"port":8080,"protocol":"TCP"},{"port":null,"protocol":"UDP"}]},
                   {"peers":[],"ports":[{"port":9090,"protocol":"TCP"}]}],
         "egress":[{"peers":[{"labels":{"app":"db"},"namespace":null,"cidr":null}],"ports":[]}]}
        """,
        """
        {"kind":"NetworkPolicy","name":"deny-all","namespace":"payments","selector":{},"ingress_isolated":true,"egress_isolated":false,"ingress":[],"egress":[]}
        """,
        """
        {"kind":"CiliumNetworkPolicy","name":"web","namespace":"shop","selector":{"app":"web"},"ingress_isolated":true,"egress_isolated":true,
         "ingress":[{"peers":[{"labels":{"app":"frontend"},"namespace":null,"cidr":null},{"labels":{"app":"api"},"namespace":"billing","cidr":null},
                              {"labels":null,"namespace":null,"cidr":"192.168.0.0/24"}],
                    "ports":[{"port":8080,"protocol":"TCP"},{"port":53,"protocol":"ANY"}]}],
         "egress":[{"peers":[],"ports":[{"port":5432,"protocol":"TCP"}]}]}
        """,
    };

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task Yaml_written_from_a_form_parses_back_to_the_same_form(string formJson)
    {
        await using var server = await UiServer.StartAsync();
        var (context, page, errors) = await browser.OpenAsync(server);
        await using var _ = context;
        await page.GotoAsync("/ui/");
        var form = JsonNode.Parse(formJson)!;
        string yaml = await page.EvaluateAsync<string>("f => import('/ui/js/policies.js').then(m => m.writeYaml(JSON.parse(f)))", formJson);

        using var client = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.Tokens["analyst"]);
        var response = await client.PostAsJsonAsync("/api/policies/validate", new { yaml });
        var validation = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(validation["valid"]!.GetValue<bool>(), yaml + "\n" + validation["diagnostics"]!.ToJsonString());
        Assert.True(validation["form"] is JsonObject, yaml + "\nform note: " + validation["form_note"]);
        Assert.True(JsonNode.DeepEquals(form, validation["form"]), $"{yaml}\nwritten from {form.ToJsonString()}\nread back as {validation["form"]!.ToJsonString()}");
        Assert.Empty(errors);
    }
}
