using Microsoft.Extensions.Options;

namespace NetSecStream.Collectors.Pcap;

/// <summary>Options of the <c>pcap</c> source (configuration section <c>Collectors:Pcap</c>).</summary>
public sealed class PcapOptions
{
    public const string SectionName = "Collectors:Pcap";

    /// <summary>A pcap or pcapng file to read once. Exactly one of <see cref="File"/> and <see cref="Interface"/> is required.</summary>
    public string? File { get; set; }

    /// <summary>A network interface to capture from live through libpcap (needs CAP_NET_RAW).</summary>
    public string? Interface { get; set; }

    /// <summary>Berkeley Packet Filter expression (tcpdump syntax); empty: every packet.</summary>
    public string? Filter { get; set; }

    /// <summary>Live capture: bytes kept of each packet.</summary>
    public int Snaplen { get; set; } = 65535;

    /// <summary>Live capture: put the interface in promiscuous mode.</summary>
    public bool Promiscuous { get; set; } = true;

    /// <summary>A flow without packets for this long (packet time) ends.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A flow older than this (packet time) is reported and starts over, so long connections are seen.</summary>
    public TimeSpan ActiveTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Flows tracked at once; when full the least recently active flow is ended early (counted).</summary>
    public int MaxFlows { get; set; } = 100_000;

    /// <summary>TCP bytes reassembled per direction and fed to the L7 parsers; later bytes are only counted.</summary>
    public int MaxReassemblyBytesPerDirection { get; set; } = 64 * 1024;

    /// <summary>Out-of-order TCP segments held per direction before the missing bytes are given up as a gap.</summary>
    public int MaxOutOfOrderSegments { get; set; } = 16;

    /// <summary>First bytes of each direction kept in <c>FlowEvent.Payload</c> for the signature engine; 0: none.</summary>
    public int PayloadBytesPerDirection { get; set; } = 4096;

    /// <summary>L7 transactions (DNS queries, HTTP requests) held per flow before they are reported early.</summary>
    public int MaxTransactionsPerFlow { get; set; } = 64;

    /// <summary>
    /// Bytes kept of each HTTP request and response body (after chunked and gzip/deflate decoding) for the signature
    /// engine's body buffers; 0: none. Bodies only come from what TCP reassembly keeps (<see cref="MaxReassemblyBytesPerDirection"/>).
    /// </summary>
    public int HttpBodyBytes { get; set; } = 64 * 1024;

    /// <summary>Extract DNS, HTTP and TLS facts.</summary>
    public bool L7 { get; set; } = true;

    /// <summary>
    /// Packet inspection: report every packet (its flags and payload, numbered as Suricata's <c>pcap_cnt</c>) and every
    /// L7 transaction as it finishes as events of their own, and each flow's totals as a summary at its end, so
    /// signature rules alert per packet as Suricata does. Many more events; <c>netsec replay --rules</c> on a pcap turns it on.
    /// </summary>
    public bool PacketEvents { get; set; }

    /// <summary>Flow events waiting for the pipeline (live capture); a full queue makes the capture wait.</summary>
    public int QueueCapacity { get; set; } = 8192;
}

public sealed class PcapOptionsValidator : IValidateOptions<PcapOptions>
{
    public ValidateOptionsResult Validate(string? name, PcapOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string Prefix = PcapOptions.SectionName + ":";
        var failures = new List<string>();
        bool hasFile = !string.IsNullOrWhiteSpace(options.File);
        bool hasInterface = !string.IsNullOrWhiteSpace(options.Interface);
        if (hasFile == hasInterface)
        {
            failures.Add(Prefix + "File or Interface is required (exactly one of them)");
        }

        if (options.Snaplen is < 64 or > 262144)
        {
            failures.Add($"{Prefix}Snaplen must be between 64 and 262144 (was {options.Snaplen})");
        }

        if (options.IdleTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{Prefix}IdleTimeout must be > 0 (was {options.IdleTimeout})");
        }

        if (options.ActiveTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{Prefix}ActiveTimeout must be > 0 (was {options.ActiveTimeout})");
        }

        if (options.MaxFlows is < 1 or > 50_000_000)
        {
            failures.Add($"{Prefix}MaxFlows must be > 0 and at most 50000000 (was {options.MaxFlows})");
        }

        if (options.MaxReassemblyBytesPerDirection is < 0 or > 16 * 1024 * 1024)
        {
            failures.Add($"{Prefix}MaxReassemblyBytesPerDirection must be between 0 and {16 * 1024 * 1024} (was {options.MaxReassemblyBytesPerDirection})");
        }

        if (options.MaxOutOfOrderSegments is < 0 or > 1024)
        {
            failures.Add($"{Prefix}MaxOutOfOrderSegments must be between 0 and 1024 (was {options.MaxOutOfOrderSegments})");
        }

        if (options.PayloadBytesPerDirection is < 0 or > 1024 * 1024)
        {
            failures.Add($"{Prefix}PayloadBytesPerDirection must be between 0 and {1024 * 1024} (was {options.PayloadBytesPerDirection})");
        }

        if (options.MaxTransactionsPerFlow is < 1 or > 65536)
        {
            failures.Add($"{Prefix}MaxTransactionsPerFlow must be between 1 and 65536 (was {options.MaxTransactionsPerFlow})");
        }

        if (options.HttpBodyBytes is < 0 or > 16 * 1024 * 1024)
        {
            failures.Add($"{Prefix}HttpBodyBytes must be between 0 and {16 * 1024 * 1024} (was {options.HttpBodyBytes})");
        }

        if (options.QueueCapacity is < 1 or > 1_000_000)
        {
            failures.Add($"{Prefix}QueueCapacity must be between 1 and 1000000 (was {options.QueueCapacity})");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
