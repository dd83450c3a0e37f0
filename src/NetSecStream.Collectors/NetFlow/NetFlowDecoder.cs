using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace NetSecStream.Collectors.NetFlow;

/// <summary>
/// Decodes NetFlow v5, NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) export datagrams into <see cref="NetFlowRecord"/>s.
/// Templates and options templates are kept per exporter address, version and source id / observation domain, and
/// expire when not refreshed within <see cref="NetFlowOptions.TemplateTimeout"/>. Options data records are not flows:
/// they update the stream's sampling rates, interface names and system init time. Every limit is bounded (exporters,
/// domains, templates, fields, option entries); bad input never throws: each problem is counted by reason in
/// <see cref="Telemetry"/> and the rest of the datagram is decoded where it can be.
/// Not thread-safe: one decoder per reader.
/// </summary>
public sealed class NetFlowDecoder
{
    private const int V5HeaderLength = 24;
    private const int V5RecordLength = 48;
    private const int V5MaxRecords = 30;
    private const int V9HeaderLength = 20;
    private const int IpfixHeaderLength = 16;
    private const int MaxNameBytes = 64;
    private const long NtpEpochOffsetSeconds = 2_208_988_800;

    /// <summary>Sequence numbers this far behind the expected one are a late datagram, not an exporter restart.</summary>
    private const int ReorderWindow = 1 << 16;

    private readonly int _maxDatagramBytes;
    private readonly long _templateTimeoutMs;
    private readonly int _maxExporters;
    private readonly int _maxTemplatesPerExporter;
    private readonly int _maxDomainsPerExporter;
    private readonly int _maxFieldsPerTemplate;
    private readonly int _maxOptionEntries;
    private readonly Dictionary<NetFlowAddress, NetFlowExporterState> _exporters = [];
    private readonly NetFlowTemplate.FieldSpec[] _specs;
    private NetFlowExporterState? _lastExporter;

    public NetFlowDecoder(NetFlowOptions options, NetFlowTelemetry? telemetry = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        NetFlowOptionsValidator.ThrowIfInvalid(options);
        _maxDatagramBytes = options.MaxDatagramBytes;
        _templateTimeoutMs = (long)options.TemplateTimeout.TotalMilliseconds;
        _maxExporters = options.MaxExporters;
        _maxTemplatesPerExporter = options.MaxTemplatesPerExporter;
        _maxDomainsPerExporter = options.MaxDomainsPerExporter;
        _maxFieldsPerTemplate = options.MaxFieldsPerTemplate;
        _maxOptionEntries = options.MaxOptionEntries;
        _specs = new NetFlowTemplate.FieldSpec[Math.Min(options.MaxFieldsPerTemplate, ushort.MaxValue)];
        Telemetry = telemetry ?? new NetFlowTelemetry(NetFlowUdpSource.ComponentId, null);
    }

    public NetFlowTelemetry Telemetry { get; }

    /// <summary>Exporters whose state is kept.</summary>
    public int ExporterCount => _exporters.Count;

    /// <summary>The name an options record gave an interface of an exporter's stream.</summary>
    public bool TryGetInterfaceName(NetFlowAddress exporter, int version, uint domain, uint ifIndex, out string? name)
    {
        name = null;
        return _exporters.TryGetValue(exporter, out var state)
            && state.Domains.TryGetValue(DomainKey(version, domain), out var stream)
            && stream.InterfaceNames.TryGetValue(ifIndex, out name);
    }

    /// <summary>The sampling rate options records announced for a stream without naming a sampler (0 = none known).</summary>
    public uint DefaultSamplingRate(NetFlowAddress exporter, int version, uint domain) =>
        _exporters.TryGetValue(exporter, out var state) && state.Domains.TryGetValue(DomainKey(version, domain), out var stream)
            ? stream.DefaultSamplingRate
            : 0;

    /// <summary>
    /// Decodes one datagram sent by <paramref name="exporter"/> and received at <paramref name="receivedMs"/>
    /// (Unix milliseconds; template expiry is measured in this clock), appending its flow records to
    /// <paramref name="output"/>. Never throws for bad input.
    /// </summary>
    public NetFlowDecodeResult Decode(ReadOnlySpan<byte> datagram, NetFlowAddress exporter, long receivedMs, NetFlowRecordBuffer output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var run = new Run(output.Count);
        if (datagram.Length > _maxDatagramBytes)
        {
            Fail(ref run, NetFlowRejectReason.Oversized);
        }
        else if (datagram.Length < 2)
        {
            Fail(ref run, NetFlowRejectReason.TruncatedHeader);
        }
        else
        {
            switch (BinaryPrimitives.ReadUInt16BigEndian(datagram))
            {
                case 5:
                    DecodeV5(datagram, exporter, receivedMs, output, ref run);
                    break;
                case 9:
                    DecodeV9(datagram, exporter, receivedMs, output, ref run);
                    break;
                case 10:
                    DecodeIpfix(datagram, exporter, receivedMs, output, ref run);
                    break;
                default:
                    Fail(ref run, NetFlowRejectReason.UnsupportedVersion);
                    break;
            }
        }

        return new NetFlowDecodeResult(output.Count - run.StartCount, run.OptionsRecords, run.Templates, run.Failures, run.FirstFailure);
    }

    /// <summary>
    /// The benchmark's baseline: walks a datagram's header, its sets and its records' boundaries (with the same
    /// exporter, domain and template lookups as <see cref="Decode"/>) without reading a field. Returns the records.
    /// </summary>
    internal int WalkRecords(ReadOnlySpan<byte> datagram, NetFlowAddress exporterAddress)
    {
        if (datagram.Length < 4 || !_exporters.TryGetValue(exporterAddress, out var exporter))
        {
            return 0;
        }

        int version = BinaryPrimitives.ReadUInt16BigEndian(datagram);
        if (version == 5)
        {
            return BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        }

        int headerLength = version == 10 ? IpfixHeaderLength : V9HeaderLength;
        if (datagram.Length < headerLength)
        {
            return 0;
        }

        uint domain = BinaryPrimitives.ReadUInt32BigEndian(datagram[(headerLength - 4)..]);
        if (!exporter.Domains.TryGetValue(DomainKey(version, domain), out var stream))
        {
            return 0;
        }

        int records = 0;
        int offset = headerLength;
        while (datagram.Length - offset >= 4)
        {
            int setId = BinaryPrimitives.ReadUInt16BigEndian(datagram[offset..]);
            int setLength = BinaryPrimitives.ReadUInt16BigEndian(datagram[(offset + 2)..]);
            if (setLength < 4 || setLength > datagram.Length - offset)
            {
                break;
            }

            if (setId >= 256 && stream.Templates.TryGetValue((ushort)setId, out var template) && !template.IsOptions)
            {
                records += (setLength - 4) / template.MinRecordLength;
            }

            offset += setLength;
        }

        return records;
    }

    /// <summary>Per-datagram tallies.</summary>
    private struct Run(int startCount)
    {
        public readonly int StartCount = startCount;
        public int OptionsRecords;
        public int Templates;
        public int Failures;
        public NetFlowRejectReason FirstFailure;
        public bool UnknownSets;
        public int Version;
        public long ExportMs;
        public uint SysUptimeMs;
    }

    /// <summary>Values of a data record that need the header or the stream to become record fields.</summary>
    private struct Pending
    {
        public uint FirstUptime;
        public uint LastUptime;
        public ulong StartDeltaUs;
        public ulong EndDeltaUs;
        public ulong SamplerId;
        public uint SamplingInterval;
        public long SystemInitMs;
        public NetFlowAddress SourceV6;
        public NetFlowAddress DestinationV6;
        public byte Has;
    }

    private const byte HasFirstUptime = 1;
    private const byte HasLastUptime = 2;
    private const byte HasStartDelta = 4;
    private const byte HasEndDelta = 8;
    private const byte HasSamplerId = 16;
    private const byte HasSystemInit = 32;
    private const byte HasV6 = 64;

    private void Fail(ref Run run, NetFlowRejectReason reason)
    {
        if (run.Failures++ == 0)
        {
            run.FirstFailure = reason;
        }

        Telemetry.Reject(reason);
    }

    private void DecodeV5(ReadOnlySpan<byte> datagram, NetFlowAddress exporterAddress, long receivedMs, NetFlowRecordBuffer output, ref Run run)
    {
        if (datagram.Length < V5HeaderLength)
        {
            Fail(ref run, NetFlowRejectReason.TruncatedHeader);
            return;
        }

        int count = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        if (count is 0 or > V5MaxRecords || datagram.Length < V5HeaderLength + (count * V5RecordLength))
        {
            Fail(ref run, NetFlowRejectReason.BadLength);
            return;
        }

        uint sysUptime = BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]);
        long exportMs = (BinaryPrimitives.ReadUInt32BigEndian(datagram[8..]) * 1000L) + (BinaryPrimitives.ReadUInt32BigEndian(datagram[12..]) / 1_000_000);
        uint sequence = BinaryPrimitives.ReadUInt32BigEndian(datagram[16..]);
        uint engine = ((uint)datagram[20] << 8) | datagram[21];
        int sampling = BinaryPrimitives.ReadUInt16BigEndian(datagram[22..]) & 0x3FFF;
        var exporter = Exporter(exporterAddress, receivedMs);
        var stream = Domain(exporter, 5, engine, ref run);
        if (stream is null)
        {
            return;
        }

        var proto = new NetFlowRecord
        {
            Version = 5,
            Exporter = exporterAddress,
            ObservationDomain = engine,
            ExportMs = exportMs,
            Direction = 255,
            SamplingRate = sampling > 1 ? (uint)sampling : 1,
        };
        var records = datagram.Slice(V5HeaderLength, count * V5RecordLength);
        for (int i = 0; i < count; i++)
        {
            var rec = records.Slice(i * V5RecordLength, V5RecordLength);
            ref var r = ref output.Add();
            r = proto;
            r.SourceAddress = NetFlowAddress.FromIPv4(rec);
            r.DestinationAddress = NetFlowAddress.FromIPv4(rec[4..]);
            r.InputInterface = BinaryPrimitives.ReadUInt16BigEndian(rec[12..]);
            r.OutputInterface = BinaryPrimitives.ReadUInt16BigEndian(rec[14..]);
            r.Packets = BinaryPrimitives.ReadUInt32BigEndian(rec[16..]);
            r.Bytes = BinaryPrimitives.ReadUInt32BigEndian(rec[20..]);
            r.StartMs = exportMs - (int)(sysUptime - BinaryPrimitives.ReadUInt32BigEndian(rec[24..]));
            r.EndMs = exportMs - (int)(sysUptime - BinaryPrimitives.ReadUInt32BigEndian(rec[28..]));
            r.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(rec[32..]);
            r.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(rec[34..]);
            r.TcpFlags = rec[37];
            r.Protocol = rec[38];
            r.Tos = rec[39];
            if (r.Protocol is 1 or 58)
            {
                r.IcmpTypeCode = r.DestinationPort;
                r.HasIcmp = true;
            }
        }

        CheckSequence(exporter, stream, sequence, (uint)count, ref run);
    }

    private void DecodeV9(ReadOnlySpan<byte> datagram, NetFlowAddress exporterAddress, long receivedMs, NetFlowRecordBuffer output, ref Run run)
    {
        if (datagram.Length < V9HeaderLength)
        {
            Fail(ref run, NetFlowRejectReason.TruncatedHeader);
            return;
        }

        run.Version = 9;
        run.SysUptimeMs = BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]);
        run.ExportMs = BinaryPrimitives.ReadUInt32BigEndian(datagram[8..]) * 1000L;
        uint sequence = BinaryPrimitives.ReadUInt32BigEndian(datagram[12..]);
        uint sourceId = BinaryPrimitives.ReadUInt32BigEndian(datagram[16..]);
        var exporter = Exporter(exporterAddress, receivedMs);
        var stream = Domain(exporter, 9, sourceId, ref run);
        if (stream is null)
        {
            return;
        }

        DecodeSets(datagram[V9HeaderLength..], exporter, stream, receivedMs, output, ref run);
        CheckSequence(exporter, stream, sequence, 1, ref run);
    }

    private void DecodeIpfix(ReadOnlySpan<byte> datagram, NetFlowAddress exporterAddress, long receivedMs, NetFlowRecordBuffer output, ref Run run)
    {
        if (datagram.Length < IpfixHeaderLength)
        {
            Fail(ref run, NetFlowRejectReason.TruncatedHeader);
            return;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        if (length < IpfixHeaderLength || length > datagram.Length)
        {
            Fail(ref run, NetFlowRejectReason.BadLength);
            return;
        }

        run.Version = 10;
        run.ExportMs = BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]) * 1000L;
        uint sequence = BinaryPrimitives.ReadUInt32BigEndian(datagram[8..]);
        uint domainId = BinaryPrimitives.ReadUInt32BigEndian(datagram[12..]);
        var exporter = Exporter(exporterAddress, receivedMs);
        var stream = Domain(exporter, 10, domainId, ref run);
        if (stream is null)
        {
            return;
        }

        int before = output.Count;
        DecodeSets(datagram[IpfixHeaderLength..length], exporter, stream, receivedMs, output, ref run);
        CheckSequence(exporter, stream, sequence, (uint)(output.Count - before + run.OptionsRecords), ref run);
    }

    /// <summary>
    /// Walks the sets (flowsets) of a v9 or IPFIX message twice: templates first, then data, so a data set that
    /// precedes its template in the same datagram (some exporters do this) still decodes.
    /// </summary>
    private void DecodeSets(ReadOnlySpan<byte> sets, NetFlowExporterState exporter, NetFlowDomainState stream, long nowMs, NetFlowRecordBuffer output, ref Run run)
    {
        bool ipfix = run.Version == 10;
        int offset = 0;
        bool anyData = false;
        while (sets.Length - offset >= 4)
        {
            int setId = BinaryPrimitives.ReadUInt16BigEndian(sets[offset..]);
            int setLength = BinaryPrimitives.ReadUInt16BigEndian(sets[(offset + 2)..]);
            if (setLength < 4 || setLength > sets.Length - offset)
            {
                Fail(ref run, NetFlowRejectReason.BadSetLength);
                break;
            }

            var body = sets.Slice(offset + 4, setLength - 4);
            offset += setLength;
            switch (setId)
            {
                case 0 when !ipfix:
                case 2 when ipfix:
                    ReadTemplates(body, exporter, stream, nowMs, ipfix, ref run);
                    break;
                case 1 when !ipfix:
                    ReadV9OptionsTemplates(body, exporter, stream, nowMs, ref run);
                    break;
                case 3 when ipfix:
                    ReadIpfixOptionsTemplates(body, exporter, stream, nowMs, ref run);
                    break;
                case >= 256:
                    anyData = true;
                    break;
                default:
                    // Reserved set ids carry nothing we know how to read; their length lets us step over them.
                    break;
            }
        }

        if (!anyData)
        {
            return;
        }

        int end = offset;
        offset = 0;
        while (offset < end)
        {
            int setId = BinaryPrimitives.ReadUInt16BigEndian(sets[offset..]);
            int setLength = BinaryPrimitives.ReadUInt16BigEndian(sets[(offset + 2)..]);
            if (setId >= 256)
            {
                ReadDataSet((ushort)setId, sets.Slice(offset + 4, setLength - 4), exporter, stream, nowMs, output, ref run);
            }

            offset += setLength;
        }
    }

    private void ReadTemplates(ReadOnlySpan<byte> body, NetFlowExporterState exporter, NetFlowDomainState stream, long nowMs, bool ipfix, ref Run run)
    {
        int p = 0;
        while (body.Length - p >= 4)
        {
            int start = p;
            ushort templateId = BinaryPrimitives.ReadUInt16BigEndian(body[p..]);
            int fieldCount = BinaryPrimitives.ReadUInt16BigEndian(body[(p + 2)..]);
            p += 4;
            if (fieldCount == 0)
            {
                if (templateId == 0)
                {
                    return; // padding
                }

                if (ipfix)
                {
                    Withdraw(exporter, stream, templateId, options: false);
                    continue;
                }

                Fail(ref run, NetFlowRejectReason.BadTemplate);
                return;
            }

            if (templateId < 256 || fieldCount > _specs.Length || !ReadSpecs(body, ref p, fieldCount, 0, ipfix))
            {
                Fail(ref run, NetFlowRejectReason.BadTemplate);
                return;
            }

            Store(exporter, stream, templateId, isOptions: false, v9: !ipfix, fieldCount, body[start..p], nowMs, ref run);
        }
    }

    private void ReadV9OptionsTemplates(ReadOnlySpan<byte> body, NetFlowExporterState exporter, NetFlowDomainState stream, long nowMs, ref Run run)
    {
        int p = 0;
        while (body.Length - p >= 6)
        {
            int start = p;
            ushort templateId = BinaryPrimitives.ReadUInt16BigEndian(body[p..]);
            int scopeLength = BinaryPrimitives.ReadUInt16BigEndian(body[(p + 2)..]);
            int optionLength = BinaryPrimitives.ReadUInt16BigEndian(body[(p + 4)..]);
            if (templateId == 0 && scopeLength == 0 && optionLength == 0)
            {
                return; // padding
            }

            p += 6;
            int scopeCount = scopeLength / 4;
            int fieldCount = scopeCount + (optionLength / 4);
            if (templateId < 256 || scopeLength % 4 != 0 || optionLength % 4 != 0 || fieldCount == 0 || fieldCount > _specs.Length
                || !ReadSpecs(body, ref p, fieldCount, scopeCount, ipfix: false))
            {
                Fail(ref run, NetFlowRejectReason.BadTemplate);
                return;
            }

            Store(exporter, stream, templateId, isOptions: true, v9: true, fieldCount, body[start..p], nowMs, ref run);
        }
    }

    private void ReadIpfixOptionsTemplates(ReadOnlySpan<byte> body, NetFlowExporterState exporter, NetFlowDomainState stream, long nowMs, ref Run run)
    {
        int p = 0;
        while (body.Length - p >= 4)
        {
            int start = p;
            ushort templateId = BinaryPrimitives.ReadUInt16BigEndian(body[p..]);
            int fieldCount = BinaryPrimitives.ReadUInt16BigEndian(body[(p + 2)..]);
            if (fieldCount == 0)
            {
                if (templateId == 0)
                {
                    return; // padding
                }

                p += 4;
                Withdraw(exporter, stream, templateId, options: true);
                continue;
            }

            if (body.Length - p < 6)
            {
                return; // padding
            }

            int scopeCount = BinaryPrimitives.ReadUInt16BigEndian(body[(p + 4)..]);
            p += 6;
            if (templateId < 256 || scopeCount > fieldCount || fieldCount > _specs.Length || !ReadSpecs(body, ref p, fieldCount, scopeCount, ipfix: true))
            {
                Fail(ref run, NetFlowRejectReason.BadTemplate);
                return;
            }

            Store(exporter, stream, templateId, isOptions: true, v9: false, fieldCount, body[start..p], nowMs, ref run);
        }
    }

    /// <summary>Reads field specifiers into the scratch array; false when they run past the set.</summary>
    private bool ReadSpecs(ReadOnlySpan<byte> body, ref int p, int fieldCount, int scopeCount, bool ipfix)
    {
        for (int i = 0; i < fieldCount; i++)
        {
            if (body.Length - p < 4)
            {
                return false;
            }

            ushort id = BinaryPrimitives.ReadUInt16BigEndian(body[p..]);
            ushort length = BinaryPrimitives.ReadUInt16BigEndian(body[(p + 2)..]);
            p += 4;
            uint enterprise = 0;
            if (ipfix && (id & 0x8000) != 0)
            {
                if (body.Length - p < 4)
                {
                    return false;
                }

                enterprise = BinaryPrimitives.ReadUInt32BigEndian(body[p..]);
                id &= 0x7FFF;
                p += 4;
            }

            _specs[i] = new NetFlowTemplate.FieldSpec(id, length, enterprise, i < scopeCount);
        }

        return true;
    }

    private void Store(NetFlowExporterState exporter, NetFlowDomainState stream, ushort templateId, bool isOptions, bool v9, int fieldCount, ReadOnlySpan<byte> definition, long nowMs, ref Run run)
    {
        stream.Templates.TryGetValue(templateId, out var existing);
        if (existing is not null && existing.IsOptions == isOptions && existing.SameDefinition(definition))
        {
            existing.LastSeenMs = nowMs;
            run.Templates++;
            return;
        }

        var compiled = NetFlowTemplate.Compile(templateId, isOptions, v9, _specs.AsSpan(0, fieldCount), definition);
        if (compiled is null)
        {
            Fail(ref run, NetFlowRejectReason.BadTemplate);
            return;
        }

        if (existing is null)
        {
            if (exporter.TemplateCount >= _maxTemplatesPerExporter)
            {
                PurgeExpired(exporter, nowMs);
            }

            if (exporter.TemplateCount >= _maxTemplatesPerExporter)
            {
                Fail(ref run, NetFlowRejectReason.TemplateLimit);
                return;
            }

            exporter.TemplateCount++;
        }

        compiled.LastSeenMs = nowMs;
        stream.Templates[templateId] = compiled;
        stream.LastTemplate = compiled;
        run.Templates++;
    }

    private static void Withdraw(NetFlowExporterState exporter, NetFlowDomainState stream, ushort templateId, bool options)
    {
        // IPFIX: template id 2 (or 3 in an options template set) withdraws every template (options template) of the domain.
        bool all = templateId == (options ? 3 : 2);
        if (!all)
        {
            if (stream.Templates.Remove(templateId))
            {
                exporter.TemplateCount--;
            }
        }
        else
        {
            foreach (var (id, template) in stream.Templates)
            {
                if (template.IsOptions == options && stream.Templates.Remove(id))
                {
                    exporter.TemplateCount--;
                }
            }
        }

        stream.LastTemplate = null;
    }

    private void PurgeExpired(NetFlowExporterState exporter, long nowMs)
    {
        foreach (var stream in exporter.Domains.Values)
        {
            foreach (var (id, template) in stream.Templates)
            {
                if (nowMs - template.LastSeenMs > _templateTimeoutMs && stream.Templates.Remove(id))
                {
                    exporter.TemplateCount--;
                }
            }

            stream.LastTemplate = null;
        }
    }

    private void ReadDataSet(ushort setId, ReadOnlySpan<byte> body, NetFlowExporterState exporter, NetFlowDomainState stream, long nowMs, NetFlowRecordBuffer output, ref Run run)
    {
        var template = stream.LastTemplate;
        if (template is null || template.Id != setId)
        {
            if (!stream.Templates.TryGetValue(setId, out template))
            {
                run.UnknownSets = true;
                Fail(ref run, NetFlowRejectReason.TemplateMissing);
                return;
            }

            stream.LastTemplate = template;
        }

        if (nowMs - template.LastSeenMs > _templateTimeoutMs)
        {
            stream.Templates.Remove(setId);
            exporter.TemplateCount--;
            stream.LastTemplate = null;
            run.UnknownSets = true;
            Fail(ref run, NetFlowRejectReason.TemplateExpired);
            return;
        }

        if (template.IsOptions)
        {
            ReadOptionsRecords(body, template, exporter, stream, ref run);
            return;
        }

        var proto = new NetFlowRecord
        {
            Version = (byte)run.Version,
            Exporter = exporter.Address,
            ObservationDomain = stream.Id,
            TemplateId = setId,
            ExportMs = run.ExportMs,
            Direction = 255,
        };
        var ops = template.Ops;
        int min = template.MinRecordLength;
        int p = 0;
        while (body.Length - p >= min)
        {
            ref var r = ref output.Add();
            r = proto;
            var pending = default(Pending);
            if (!ReadDataRecord(body, ref p, ops, ref r, ref pending))
            {
                output.RemoveLast();
                if (!IsPadding(body[p..]))
                {
                    Fail(ref run, NetFlowRejectReason.TruncatedRecord);
                }

                return;
            }

            Complete(ref r, in pending, stream, in run);
        }
    }

    private static bool IsPadding(ReadOnlySpan<byte> rest) => !rest.ContainsAnyExcept((byte)0);

    /// <summary>Reads one data record at <paramref name="p"/>; false (and <paramref name="p"/> unchanged) when it overruns the set.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool ReadDataRecord(ReadOnlySpan<byte> body, ref int p, FieldOp[] ops, ref NetFlowRecord r, ref Pending pending)
    {
        int at = p;
        foreach (var op in ops)
        {
            int length = op.Length;
            if (op.Variable)
            {
                if (!TryReadVariableLength(body, ref at, out length))
                {
                    return false;
                }
            }

            if (length > body.Length - at)
            {
                return false;
            }

            if (op.Kind != FieldKind.Skip)
            {
                Apply(op.Kind, body.Slice(at, length), ref r, ref pending);
            }

            at += length;
        }

        p = at;
        return true;
    }

    private static bool TryReadVariableLength(ReadOnlySpan<byte> body, ref int at, out int length)
    {
        length = 0;
        if (at >= body.Length)
        {
            return false;
        }

        length = body[at++];
        if (length == 255)
        {
            if (body.Length - at < 2)
            {
                return false;
            }

            length = BinaryPrimitives.ReadUInt16BigEndian(body[at..]);
            at += 2;
        }

        return true;
    }

    private static void Apply(FieldKind kind, ReadOnlySpan<byte> f, ref NetFlowRecord r, ref Pending pending)
    {
        switch (kind)
        {
            case FieldKind.SourceV4:
                r.SourceAddress = NetFlowAddress.FromIPv4(f);
                break;
            case FieldKind.DestinationV4:
                r.DestinationAddress = NetFlowAddress.FromIPv4(f);
                break;
            case FieldKind.SourceV6:
                pending.SourceV6 = NetFlowAddress.FromIPv6(f);
                pending.Has |= HasV6;
                break;
            case FieldKind.DestinationV6:
                pending.DestinationV6 = NetFlowAddress.FromIPv6(f);
                pending.Has |= HasV6;
                break;
            case FieldKind.SourcePort:
                r.SourcePort = (ushort)ReadUnsigned(f);
                break;
            case FieldKind.DestinationPort:
                r.DestinationPort = (ushort)ReadUnsigned(f);
                break;
            case FieldKind.Protocol:
                r.Protocol = (byte)ReadUnsigned(f);
                break;
            case FieldKind.Tos:
                r.Tos = (byte)ReadUnsigned(f);
                break;
            case FieldKind.TcpFlags:
                r.TcpFlags = (ushort)ReadUnsigned(f);
                break;
            case FieldKind.Bytes:
                r.Bytes = ReadUnsigned(f);
                break;
            case FieldKind.Packets:
                r.Packets = ReadUnsigned(f);
                break;
            case FieldKind.InputInterface:
                r.InputInterface = (uint)ReadUnsigned(f);
                break;
            case FieldKind.OutputInterface:
                r.OutputInterface = (uint)ReadUnsigned(f);
                break;
            case FieldKind.FirstUptime:
                pending.FirstUptime = (uint)ReadUnsigned(f);
                pending.Has |= HasFirstUptime;
                break;
            case FieldKind.LastUptime:
                pending.LastUptime = (uint)ReadUnsigned(f);
                pending.Has |= HasLastUptime;
                break;
            case FieldKind.StartSeconds:
                r.StartMs = (long)ReadUnsigned(f) * 1000;
                break;
            case FieldKind.EndSeconds:
                r.EndMs = (long)ReadUnsigned(f) * 1000;
                break;
            case FieldKind.StartMilliseconds:
                r.StartMs = (long)ReadUnsigned(f);
                break;
            case FieldKind.EndMilliseconds:
                r.EndMs = (long)ReadUnsigned(f);
                break;
            case FieldKind.StartNtp:
                r.StartMs = NtpToUnixMs(f);
                break;
            case FieldKind.EndNtp:
                r.EndMs = NtpToUnixMs(f);
                break;
            case FieldKind.StartDeltaMicroseconds:
                pending.StartDeltaUs = ReadUnsigned(f);
                pending.Has |= HasStartDelta;
                break;
            case FieldKind.EndDeltaMicroseconds:
                pending.EndDeltaUs = ReadUnsigned(f);
                pending.Has |= HasEndDelta;
                break;
            case FieldKind.IcmpTypeCode:
                r.IcmpTypeCode = (ushort)ReadUnsigned(f);
                r.HasIcmp = true;
                break;
            case FieldKind.IcmpType:
                r.IcmpTypeCode = (ushort)((ReadUnsigned(f) << 8) | (r.IcmpTypeCode & 0xFFu));
                r.HasIcmp = true;
                break;
            case FieldKind.IcmpCode:
                r.IcmpTypeCode = (ushort)((r.IcmpTypeCode & 0xFF00u) | (ReadUnsigned(f) & 0xFF));
                r.HasIcmp = true;
                break;
            case FieldKind.Direction:
                r.Direction = (byte)ReadUnsigned(f);
                break;
            case FieldKind.ForwardingStatus:
                // Reduced-size unsigned32 (RFC 7270 errata) or unsigned8: the status is in the low byte either way.
                r.ForwardingStatus = (byte)ReadUnsigned(f);
                break;
            case FieldKind.SamplingInterval:
                pending.SamplingInterval = (uint)Math.Min(ReadUnsigned(f), uint.MaxValue);
                break;
            case FieldKind.SamplerId:
                pending.SamplerId = ReadUnsigned(f);
                pending.Has |= HasSamplerId;
                break;
            case FieldKind.SystemInitMilliseconds:
                pending.SystemInitMs = (long)Math.Min(ReadUnsigned(f), long.MaxValue / 2);
                pending.Has |= HasSystemInit;
                break;
            default:
                break;
        }
    }

    /// <summary>Turns header- and stream-relative values into record fields.</summary>
    private static void Complete(ref NetFlowRecord r, in Pending pending, NetFlowDomainState stream, in Run run)
    {
        if (pending.Has != 0)
        {
            if ((pending.Has & HasV6) != 0)
            {
                // A template with both IPv4 and IPv6 addresses (Huawei, Cisco dual-stack): IPv4 wins unless it is unset,
                // as in pmacct.
                if (IsUnset(r.SourceAddress) && pending.SourceV6.Family != NetFlowAddress.None)
                {
                    r.SourceAddress = pending.SourceV6;
                }

                if (IsUnset(r.DestinationAddress) && pending.DestinationV6.Family != NetFlowAddress.None)
                {
                    r.DestinationAddress = pending.DestinationV6;
                }
            }

            long systemInitMs = (pending.Has & HasSystemInit) != 0 ? pending.SystemInitMs : stream.SystemInitMs;
            if ((pending.Has & HasFirstUptime) != 0)
            {
                r.StartMs = UptimeToUnixMs(pending.FirstUptime, systemInitMs, in run);
            }

            if ((pending.Has & HasLastUptime) != 0)
            {
                r.EndMs = UptimeToUnixMs(pending.LastUptime, systemInitMs, in run);
            }

            if ((pending.Has & HasStartDelta) != 0)
            {
                r.StartMs = run.ExportMs - (long)(Math.Min(pending.StartDeltaUs, long.MaxValue / 2) / 1000);
            }

            if ((pending.Has & HasEndDelta) != 0)
            {
                r.EndMs = run.ExportMs - (long)(Math.Min(pending.EndDeltaUs, long.MaxValue / 2) / 1000);
            }
        }

        uint rate = pending.SamplingInterval;
        if (rate == 0 && (pending.Has & HasSamplerId) != 0)
        {
            stream.SamplerRates.TryGetValue(pending.SamplerId, out rate);
        }

        if (rate == 0)
        {
            rate = stream.DefaultSamplingRate;
        }

        r.SamplingRate = rate == 0 ? 1 : rate;
        if (!r.HasIcmp && r.Protocol is 1 or 58)
        {
            // NetFlow v5/v9 exporters carry ICMP type and code in the destination port (type * 256 + code).
            r.IcmpTypeCode = r.DestinationPort;
            r.HasIcmp = true;
        }
    }

    private static bool IsUnset(NetFlowAddress address) => address.Family == NetFlowAddress.None || (address.IsIPv4 && address.Low == 0);

    private static long UptimeToUnixMs(uint uptime, long systemInitMs, in Run run)
    {
        if (run.Version == 10)
        {
            // IPFIX has no sysUpTime in its header: flowStart/EndSysUpTime count from systemInitTimeMilliseconds
            // (in the record, or from an options record); without it the export time is the best we know.
            return systemInitMs > 0 ? systemInitMs + uptime : run.ExportMs;
        }

        // Signed 32-bit difference so a sysUpTime that wrapped (49.7 days) between the two still subtracts right.
        return run.ExportMs - (int)(run.SysUptimeMs - uptime);
    }

    private void ReadOptionsRecords(ReadOnlySpan<byte> body, NetFlowTemplate template, NetFlowExporterState exporter, NetFlowDomainState stream, ref Run run)
    {
        int min = template.MinRecordLength;
        int p = 0;
        while (body.Length - p >= min)
        {
            if (!ReadOptionsRecord(body, ref p, template.Ops, exporter, stream))
            {
                if (!IsPadding(body[p..]))
                {
                    Fail(ref run, NetFlowRejectReason.TruncatedRecord);
                }

                return;
            }

            run.OptionsRecords++;
        }
    }

    private bool ReadOptionsRecord(ReadOnlySpan<byte> body, ref int p, FieldOp[] ops, NetFlowExporterState exporter, NetFlowDomainState stream)
    {
        int at = p;
        uint ifIndex = 0;
        bool hasIfIndex = false;
        ulong samplerId = 0;
        bool hasSamplerId = false;
        ulong interval = 0;
        ulong packetInterval = 0;
        ulong packetSpace = 0;
        ulong size = 0;
        ulong population = 0;
        int nameAt = -1, nameLength = 0, descriptionAt = -1, descriptionLength = 0;
        foreach (var op in ops)
        {
            int length = op.Length;
            if (op.Variable && !TryReadVariableLength(body, ref at, out length))
            {
                return false;
            }

            if (length > body.Length - at)
            {
                return false;
            }

            var f = body.Slice(at, length);
            switch (op.Kind)
            {
                case FieldKind.InterfaceIndex:
                case FieldKind.InputInterface:
                    ifIndex = (uint)ReadUnsigned(f);
                    hasIfIndex = true;
                    break;
                case FieldKind.SamplerId:
                    samplerId = ReadUnsigned(f);
                    hasSamplerId = true;
                    break;
                case FieldKind.SamplingInterval:
                case FieldKind.SamplerRandomInterval:
                    interval = ReadUnsigned(f);
                    break;
                case FieldKind.SamplingPacketInterval:
                    packetInterval = ReadUnsigned(f);
                    break;
                case FieldKind.SamplingPacketSpace:
                    packetSpace = ReadUnsigned(f);
                    break;
                case FieldKind.SamplingSize:
                    size = ReadUnsigned(f);
                    break;
                case FieldKind.SamplingPopulation:
                    population = ReadUnsigned(f);
                    break;
                case FieldKind.InterfaceName:
                    nameAt = at;
                    nameLength = length;
                    break;
                case FieldKind.InterfaceDescription:
                    descriptionAt = at;
                    descriptionLength = length;
                    break;
                case FieldKind.SystemInitMilliseconds:
                    stream.SystemInitMs = (long)Math.Min(ReadUnsigned(f), long.MaxValue / 2);
                    break;
                default:
                    break;
            }

            at += length;
        }

        p = at;
        if (interval == 0 && size > 0 && population > 0)
        {
            // PSAMP random n-out-of-N sampling (RFC 5475): samplingSize packets out of every samplingPopulation.
            interval = population / size;
        }
        else if (interval == 0 && packetInterval > 0 && packetSpace > 0)
        {
            // PSAMP systematic count-based sampling: packetInterval packets taken out of every interval + space.
            interval = (packetInterval + packetSpace) / packetInterval;
        }

        if (interval > 0)
        {
            uint rate = (uint)Math.Min(interval, uint.MaxValue);
            if (hasSamplerId)
            {
                if (stream.SamplerRates.ContainsKey(samplerId))
                {
                    stream.SamplerRates[samplerId] = rate;
                }
                else if (exporter.OptionEntries < _maxOptionEntries)
                {
                    exporter.OptionEntries++;
                    stream.SamplerRates[samplerId] = rate;
                }
            }

            stream.DefaultSamplingRate = rate;
        }

        if (hasIfIndex && (nameAt >= 0 || descriptionAt >= 0))
        {
            var text = nameAt >= 0 && nameLength > 0 ? body.Slice(nameAt, nameLength) : descriptionAt >= 0 ? body.Slice(descriptionAt, descriptionLength) : default;
            SetInterfaceName(exporter, stream, ifIndex, text);
        }

        return true;
    }

    private void SetInterfaceName(NetFlowExporterState exporter, NetFlowDomainState stream, uint ifIndex, ReadOnlySpan<byte> text)
    {
        text = text[..Math.Min(text.Length, MaxNameBytes)];
        int end = text.IndexOf((byte)0);
        if (end >= 0)
        {
            text = text[..end];
        }

        if (stream.InterfaceNames.TryGetValue(ifIndex, out string? known))
        {
            if (Encoding.UTF8.GetByteCount(known) == text.Length && Encoding.UTF8.GetString(text) == known)
            {
                return;
            }
        }
        else if (exporter.OptionEntries >= _maxOptionEntries)
        {
            return;
        }
        else
        {
            exporter.OptionEntries++;
        }

        stream.InterfaceNames[ifIndex] = Encoding.UTF8.GetString(text);
    }

    private void CheckSequence(NetFlowExporterState exporter, NetFlowDomainState stream, uint sequence, uint units, ref Run run)
    {
        if (run.UnknownSets)
        {
            // Records we could not read would count as lost; start again from the next datagram.
            stream.HasSequence = false;
            return;
        }

        if (stream.HasSequence)
        {
            int ahead = (int)(sequence - stream.NextSequence);
            if (ahead < 0 && ahead > -ReorderWindow)
            {
                return; // a late datagram: the gap it left was already counted
            }

            if (ahead > 0 && ahead < int.MaxValue / 2)
            {
                Telemetry.SequenceGap(exporter.Name, stream.Id, ahead);
            }
        }

        stream.HasSequence = true;
        stream.NextSequence = sequence + units;
    }

    private NetFlowExporterState Exporter(NetFlowAddress address, long nowMs)
    {
        var exporter = _lastExporter;
        if (exporter is null || exporter.Address != address)
        {
            if (!_exporters.TryGetValue(address, out exporter))
            {
                if (_exporters.Count >= _maxExporters)
                {
                    EvictLeastRecentExporter();
                }

                exporter = new NetFlowExporterState(address);
                _exporters[address] = exporter;
            }

            _lastExporter = exporter;
        }

        exporter.LastSeenMs = nowMs;
        return exporter;
    }

    private void EvictLeastRecentExporter()
    {
        NetFlowExporterState? oldest = null;
        foreach (var candidate in _exporters.Values)
        {
            if (oldest is null || candidate.LastSeenMs < oldest.LastSeenMs)
            {
                oldest = candidate;
            }
        }

        if (oldest is not null)
        {
            _exporters.Remove(oldest.Address);
            if (ReferenceEquals(_lastExporter, oldest))
            {
                _lastExporter = null;
            }
        }
    }

    private NetFlowDomainState? Domain(NetFlowExporterState exporter, int version, uint id, ref Run run)
    {
        ulong key = DomainKey(version, id);
        var stream = exporter.LastDomain;
        if (stream is not null && stream.Key == key)
        {
            return stream;
        }

        if (!exporter.Domains.TryGetValue(key, out stream))
        {
            if (exporter.Domains.Count >= _maxDomainsPerExporter)
            {
                Fail(ref run, NetFlowRejectReason.DomainLimit);
                return null;
            }

            stream = new NetFlowDomainState(key, id);
            exporter.Domains[key] = stream;
        }

        exporter.LastDomain = stream;
        return stream;
    }

    private static ulong DomainKey(int version, uint id) => ((ulong)(uint)version << 32) | id;

    /// <summary>An unsigned big-endian integer of 1 to 8 bytes (IPFIX reduced-size encoding); longer fields keep their last 8 bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong ReadUnsigned(ReadOnlySpan<byte> f)
    {
        switch (f.Length)
        {
            case 1:
                return f[0];
            case 2:
                return BinaryPrimitives.ReadUInt16BigEndian(f);
            case 4:
                return BinaryPrimitives.ReadUInt32BigEndian(f);
            case 8:
                return BinaryPrimitives.ReadUInt64BigEndian(f);
            default:
                if (f.Length > 8)
                {
                    f = f[^8..];
                }

                ulong value = 0;
                foreach (byte b in f)
                {
                    value = (value << 8) | b;
                }

                return value;
        }
    }

    /// <summary>NTP timestamp (seconds since 1900, 32-bit fraction) as Unix milliseconds.</summary>
    private static long NtpToUnixMs(ReadOnlySpan<byte> f)
    {
        long seconds = BinaryPrimitives.ReadUInt32BigEndian(f);
        ulong fraction = BinaryPrimitives.ReadUInt32BigEndian(f[4..]);
        return ((seconds - NtpEpochOffsetSeconds) * 1000) + (long)((fraction * 1000) >> 32);
    }
}
