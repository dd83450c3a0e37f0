using System.Net;
using Microsoft.Extensions.Options;

namespace NetSecStream.Collectors.NetFlow;

/// <summary>
/// Options of the <c>netflow</c> source (configuration section <c>Collectors:NetFlow</c>): where it listens, how much
/// it buffers, and the decoder's template and state limits (also used by <see cref="NetFlowPcapSource"/>).
/// With the defaults the decoder's state stays below about 400 MB however hostile the input (512 exporters x 256
/// templates of at most 256 fields, plus 1,024 option entries each); real exporters use a few KB each.
/// </summary>
public sealed class NetFlowOptions
{
    public const string SectionName = "Collectors:NetFlow";

    /// <summary>Address to listen on (<c>0.0.0.0</c> all IPv4, <c>::</c> all IPv4 and IPv6).</summary>
    public string Listen { get; set; } = "0.0.0.0";

    /// <summary>UDP port (2055 is customary for NetFlow, 4739 for IPFIX); 0 lets the system pick a free one (logged).</summary>
    public int Port { get; set; } = 2055;

    /// <summary>Socket receive buffer requested from the kernel (bursts beyond it are dropped by the kernel).</summary>
    public int ReceiveBufferBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Datagrams received but not yet decoded; when full the receive loop waits (the kernel buffer fills).</summary>
    public int QueueDatagrams { get; set; } = 1024;

    /// <summary>Longer datagrams are rejected (<c>oversized</c>).</summary>
    public int MaxDatagramBytes { get; set; } = 65535;

    /// <summary>A template not refreshed for this long is dropped; data for it is rejected (<c>template_expired</c>).</summary>
    public TimeSpan TemplateTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Exporters whose templates and options are kept; beyond it the least recently heard exporter is forgotten.</summary>
    public int MaxExporters { get; set; } = 512;

    /// <summary>Templates kept per exporter (all its domains); a new one beyond it is rejected (<c>template_limit</c>).</summary>
    public int MaxTemplatesPerExporter { get; set; } = 256;

    /// <summary>Observation domains (v9 source ids) kept per exporter; beyond it data is rejected (<c>domain_limit</c>).</summary>
    public int MaxDomainsPerExporter { get; set; } = 64;

    /// <summary>Fields allowed in one template; a longer template is rejected (<c>bad_template</c>).</summary>
    public int MaxFieldsPerTemplate { get; set; } = 256;

    /// <summary>Interface names (up to 64 bytes each) and sampler rates kept per exporter, all its domains together.</summary>
    public int MaxOptionEntries { get; set; } = 1024;

    /// <summary>
    /// Multiply bytes and packets by the sampling rate the exporter announced (v5 header, sampling options records,
    /// or a samplingInterval field in the record), as pmacct does with <c>nfacctd_renormalize</c>. Off: counters are
    /// reported as exported.
    /// </summary>
    public bool ApplySampling { get; set; } = true;
}

public sealed class NetFlowOptionsValidator : IValidateOptions<NetFlowOptions>
{
    public ValidateOptionsResult Validate(string? name, NetFlowOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string Prefix = NetFlowOptions.SectionName + ":";
        var failures = new List<string>();
        if (!IPAddress.TryParse(options.Listen, out _))
        {
            failures.Add($"{Prefix}Listen must be an IP address such as 0.0.0.0 or :: (was '{options.Listen}')");
        }

        if (options.Port is < 0 or > 65535)
        {
            failures.Add($"{Prefix}Port must be 0-65535, 0 for any free port (was {options.Port})");
        }

        Range(failures, Prefix + "ReceiveBufferBytes", options.ReceiveBufferBytes, 64 * 1024, 1024 * 1024 * 1024);
        Range(failures, Prefix + "QueueDatagrams", options.QueueDatagrams, 1, 1_000_000);
        Range(failures, Prefix + "MaxDatagramBytes", options.MaxDatagramBytes, 512, 65535);
        Range(failures, Prefix + "MaxExporters", options.MaxExporters, 1, 1_000_000);
        Range(failures, Prefix + "MaxTemplatesPerExporter", options.MaxTemplatesPerExporter, 1, 65535);
        Range(failures, Prefix + "MaxDomainsPerExporter", options.MaxDomainsPerExporter, 1, 65535);
        Range(failures, Prefix + "MaxFieldsPerTemplate", options.MaxFieldsPerTemplate, 1, 65535);
        Range(failures, Prefix + "MaxOptionEntries", options.MaxOptionEntries, 1, 1_000_000);
        if (options.TemplateTimeout <= TimeSpan.Zero || options.TemplateTimeout > TimeSpan.FromDays(7))
        {
            failures.Add($"{Prefix}TemplateTimeout must be greater than 0 and at most 7.00:00:00 (was {options.TemplateTimeout})");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Throws <see cref="OptionsValidationException"/> naming every bad key.</summary>
    public static void ThrowIfInvalid(NetFlowOptions options)
    {
        var result = new NetFlowOptionsValidator().Validate(null, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(NetFlowOptions.SectionName, typeof(NetFlowOptions), result.Failures);
        }
    }

    private static void Range(List<string> failures, string key, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            failures.Add($"{key} must be {min}-{max} (was {value})");
        }
    }
}
