namespace NetSecStream.Collectors.NetFlow;

/// <summary>What the decoder keeps per exporter: its observation domains, and how many templates they hold.</summary>
internal sealed class NetFlowExporterState(NetFlowAddress address)
{
    public NetFlowAddress Address { get; } = address;

    /// <summary>The address as text, for metric tags and origins; made once.</summary>
    public string Name { get; } = address.ToString();

    public long LastSeenMs { get; set; }

    public int TemplateCount { get; set; }

    /// <summary>Interface names and sampler rates kept for this exporter, all domains together.</summary>
    public int OptionEntries { get; set; }

    /// <summary>Keyed by <c>version &lt;&lt; 32 | domain</c>: a v9 source id and an IPFIX domain with the same number are different streams.</summary>
    public Dictionary<ulong, NetFlowDomainState> Domains { get; } = [];

    public NetFlowDomainState? LastDomain { get; set; }
}

/// <summary>
/// One (exporter, version, observation domain) stream: its templates, sequence position and the facts its options
/// records gave (sampling rates per sampler, interface names, system init time).
/// </summary>
internal sealed class NetFlowDomainState(ulong key, uint id)
{
    public ulong Key { get; } = key;

    public uint Id { get; } = id;

    public Dictionary<ushort, NetFlowTemplate> Templates { get; } = [];

    public NetFlowTemplate? LastTemplate { get; set; }

    public bool HasSequence { get; set; }

    public uint NextSequence { get; set; }

    /// <summary>Sampling rate from options records that named no sampler, or the last sampler announced; 0 = unknown.</summary>
    public uint DefaultSamplingRate { get; set; }

    public Dictionary<ulong, uint> SamplerRates { get; } = [];

    public Dictionary<uint, string> InterfaceNames { get; } = [];

    /// <summary>IPFIX systemInitTimeMilliseconds from options records, for sysUpTime-relative timestamps; 0 = unknown.</summary>
    public long SystemInitMs { get; set; }
}
