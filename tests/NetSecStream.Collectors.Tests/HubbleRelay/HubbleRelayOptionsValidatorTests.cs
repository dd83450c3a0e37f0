using Microsoft.Extensions.Options;
using NetSecStream.Collectors.HubbleRelay;

namespace NetSecStream.Collectors.Tests.HubbleRelay;

public sealed class HubbleRelayOptionsValidatorTests
{
    private readonly HubbleRelayOptionsValidator _validator = new();

    [Fact]
    public void Validate_Defaults_Succeed()
    {
        Assert.True(_validator.Validate(null, new HubbleRelayOptions()).Succeeded);
    }

    [Theory]
    [InlineData("ftp://relay:80")]
    [InlineData("relay:4245")]
    [InlineData("")]
    public void Validate_AddressNotHttp_FailsNamingTheKey(string address)
    {
        var failure = Assert.Single(Failures(new HubbleRelayOptions { Address = address }));
        Assert.StartsWith("Collectors:HubbleRelay:Address must be an http(s) URL", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_TlsAndSchemeDisagree_Fails()
    {
        Assert.StartsWith(
            "Collectors:HubbleRelay:Address must be an https URL when Tls:Enabled is true",
            Assert.Single(Failures(new HubbleRelayOptions { Address = "http://relay:80", Tls = new HubbleRelayTlsOptions { Enabled = true } })),
            StringComparison.Ordinal);
        Assert.StartsWith(
            "Collectors:HubbleRelay:Address is an https URL",
            Assert.Single(Failures(new HubbleRelayOptions { Address = "https://relay:443" })),
            StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ClientCertificateWithoutKey_Fails()
    {
        var options = new HubbleRelayOptions
        {
            Address = "https://relay:443",
            Tls = new HubbleRelayTlsOptions { Enabled = true, ClientCertificatePath = "/etc/hubble/tls.crt" },
        };

        Assert.StartsWith("Collectors:HubbleRelay:Tls:ClientKeyPath is required", Assert.Single(Failures(options)), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_BadValues_EachFailureStartsWithItsFullKey()
    {
        var options = new HubbleRelayOptions
        {
            Follow = false,
            Last = 0,
            ReconnectInitialBackoff = TimeSpan.FromSeconds(5),
            ReconnectMaxBackoff = TimeSpan.FromSeconds(1),
            MaxMessageBytes = 10,
            CollectorId = " ",
        };
        options.Allow.Verdicts.Add("ALLOWED");
        options.Allow.Ips.Add("10.0.0.0/33");
        options.Deny.Protocols.Add("quic");
        options.Deny.Namespaces.Add("a/b");

        var failures = Failures(options);

        string[] keys =
        [
            "Collectors:HubbleRelay:Last ",
            "Collectors:HubbleRelay:ReconnectMaxBackoff ",
            "Collectors:HubbleRelay:MaxMessageBytes ",
            "Collectors:HubbleRelay:CollectorId ",
            "Collectors:HubbleRelay:Allow:Verdicts:0 ",
            "Collectors:HubbleRelay:Allow:Ips:0 ",
            "Collectors:HubbleRelay:Deny:Protocols:0 ",
            "Collectors:HubbleRelay:Deny:Namespaces:0 ",
        ];
        Assert.Equal(keys.Length, failures.Count);
        Assert.All(keys, key => Assert.Contains(failures, failure => failure.StartsWith(key, StringComparison.Ordinal)));
    }

    [Fact]
    public void Constructor_InvalidOptions_Throws()
    {
        Assert.Throws<OptionsValidationException>(() => new HubbleRelaySource(new HubbleRelayOptions { Address = "nope" }));
    }

    private List<string> Failures(HubbleRelayOptions options)
    {
        var result = _validator.Validate(null, options);
        Assert.True(result.Failed);
        return [.. result.Failures!];
    }
}
