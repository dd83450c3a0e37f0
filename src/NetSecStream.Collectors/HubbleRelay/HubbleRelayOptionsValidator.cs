using System.Net;
using Microsoft.Extensions.Options;

namespace NetSecStream.Collectors.HubbleRelay;

public sealed class HubbleRelayOptionsValidator : IValidateOptions<HubbleRelayOptions>
{
    public const int MinMessageBytes = 1024;
    public const int MaxAllowedMessageBytes = 256 * 1024 * 1024;

    private static readonly TimeSpan LongestBackoff = TimeSpan.FromMinutes(10);

    /// <summary>Verdict names of Cilium's flow.proto that a filter may name.</summary>
    internal static readonly IReadOnlySet<string> VerdictNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "FORWARDED", "DROPPED", "ERROR", "AUDIT", "REDIRECTED", "TRACED", "TRANSLATED",
    };

    /// <summary>Protocol names Hubble's protocol filter understands.</summary>
    internal static readonly IReadOnlySet<string> ProtocolNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "tcp", "udp", "icmp", "icmpv4", "icmpv6", "sctp", "http", "dns", "kafka",
    };

    public ValidateOptionsResult Validate(string? name, HubbleRelayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string Prefix = HubbleRelayOptions.SectionName + ":";
        var failures = new List<string>();
        var tls = options.Tls ?? new HubbleRelayTlsOptions();
        if (!Uri.TryCreate(options.Address, UriKind.Absolute, out var address)
            || (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(address.Host))
        {
            failures.Add($"{Prefix}Address must be an http(s) URL such as http://hubble-relay.kube-system.svc:80 (was '{options.Address}')");
        }
        else if (tls.Enabled && address.Scheme != Uri.UriSchemeHttps)
        {
            failures.Add($"{Prefix}Address must be an https URL when Tls:Enabled is true (was '{options.Address}')");
        }
        else if (!tls.Enabled && address.Scheme == Uri.UriSchemeHttps)
        {
            failures.Add($"{Prefix}Address is an https URL: set {Prefix}Tls:Enabled to true (and Tls:CaCertificatePath for a private CA)");
        }

        ValidateTls(tls, Prefix + "Tls:", failures);

        if (!options.Follow && options.Last == 0)
        {
            failures.Add($"{Prefix}Last must be greater than 0 when Follow is false: without following there is nothing else to read");
        }

        if (options.ReconnectInitialBackoff <= TimeSpan.Zero || options.ReconnectInitialBackoff > LongestBackoff)
        {
            failures.Add($"{Prefix}ReconnectInitialBackoff must be greater than 0 and at most {LongestBackoff} (was {options.ReconnectInitialBackoff})");
        }

        if (options.ReconnectMaxBackoff < options.ReconnectInitialBackoff || options.ReconnectMaxBackoff > LongestBackoff)
        {
            failures.Add($"{Prefix}ReconnectMaxBackoff must be at least ReconnectInitialBackoff and at most {LongestBackoff} (was {options.ReconnectMaxBackoff})");
        }

        if (options.MaxMessageBytes is < MinMessageBytes or > MaxAllowedMessageBytes)
        {
            failures.Add($"{Prefix}MaxMessageBytes must be between {MinMessageBytes} and {MaxAllowedMessageBytes} (was {options.MaxMessageBytes})");
        }

        if (string.IsNullOrWhiteSpace(options.CollectorId))
        {
            failures.Add(Prefix + "CollectorId is required");
        }

        ValidateFilter(options.Allow, Prefix + "Allow:", failures);
        ValidateFilter(options.Deny, Prefix + "Deny:", failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateTls(HubbleRelayTlsOptions tls, string prefix, List<string> failures)
    {
        bool hasCert = !string.IsNullOrWhiteSpace(tls.ClientCertificatePath);
        bool hasKey = !string.IsNullOrWhiteSpace(tls.ClientKeyPath);
        if (hasCert != hasKey)
        {
            failures.Add($"{prefix}{(hasCert ? "ClientKeyPath" : "ClientCertificatePath")} is required with {(hasCert ? "ClientCertificatePath" : "ClientKeyPath")} (mutual TLS needs both)");
        }

        if (!tls.Enabled && (hasCert || hasKey || !string.IsNullOrWhiteSpace(tls.CaCertificatePath) || !string.IsNullOrWhiteSpace(tls.ServerName)))
        {
            failures.Add($"{prefix}Enabled must be true when certificates or a server name are configured");
        }
    }

    private static void ValidateFilter(HubbleRelayFlowFilterOptions? filter, string prefix, List<string> failures)
    {
        if (filter is null)
        {
            return;
        }

        CheckEach(filter.Namespaces, prefix + "Namespaces", failures, value => value.Contains('/', StringComparison.Ordinal) ? "must be a namespace name, without '/'" : null);
        CheckEach(filter.PodPrefixes, prefix + "PodPrefixes", failures, value => value.Count(c => c == '/') > 1 ? "must be 'prefix' or 'namespace/prefix'" : null);
        CheckEach(filter.Labels, prefix + "Labels", failures, _ => null);
        CheckEach(filter.Ips, prefix + "Ips", failures, value => IPAddress.TryParse(value, out _) || IPNetwork.TryParse(value, out _) ? null : "is not an IP address or CIDR block");
        CheckEach(filter.Verdicts, prefix + "Verdicts", failures, value => VerdictNames.Contains(value) ? null : $"is not a verdict (one of {string.Join(", ", VerdictNames)})");
        CheckEach(filter.Protocols, prefix + "Protocols", failures, value => ProtocolNames.Contains(value) ? null : $"is not a protocol Hubble filters on (one of {string.Join(", ", ProtocolNames)})");
        CheckEach(filter.NodeNames, prefix + "NodeNames", failures, _ => null);
    }

    private static void CheckEach(List<string>? values, string key, List<string> failures, Func<string, string?> problem)
    {
        if (values is null)
        {
            return;
        }

        for (int i = 0; i < values.Count; i++)
        {
            string? value = values[i];
            string? reason = string.IsNullOrWhiteSpace(value) ? "must not be empty" : problem(value.Trim());
            if (reason is not null)
            {
                failures.Add($"{key}:{i} '{value}' {reason}");
            }
        }
    }
}
