using Xunit.Abstractions;
using NetSecStream.Collectors.NetFlow;

namespace NetSecStream.Collectors.Tests.NetFlow;

/// <summary>Every captured export datagram in shared/data/netflow decodes without a single rejection.</summary>
public sealed class NetFlowCaptureDecodeTests(ITestOutputHelper output)
{
    private static readonly NetFlowOptions Options = new() { TemplateTimeout = TimeSpan.FromDays(7) };

    [Fact]
    public void AkvoradoCaptures_EveryDatagramDecodesCleanly()
    {
        string? folder = NetFlowCaptures.RootOrSkip(output, "netflow/akvorado-testdata/netflow");
        if (folder is null)
        {
            return;
        }

        var problems = new List<string>();
        int datagrams = 0, records = 0;
        foreach (var (group, files) in NetFlowCaptures.AkvoradoGroups(folder))
        {
            // One decoder per group: templates of one capture must not meet the data of another.
            var decoder = new NetFlowDecoder(Options);
            var buffer = new NetFlowRecordBuffer();
            foreach (string file in files)
            {
                int fileRecords = 0, options = 0, templates = 0;
                var captured = NetFlowCaptures.Read(file);
                foreach (var d in captured)
                {
                    buffer.Clear();
                    var result = decoder.Decode(d.Payload, d.Exporter, d.TimestampMs, buffer);
                    if (!result.IsClean)
                    {
                        problems.Add($"{d.File} packet {d.Packet}: {result.Failures} failure(s), first {NetFlowRejectReasons.Name(result.FirstFailure)}");
                    }

                    fileRecords += result.Records;
                    options += result.OptionsRecords;
                    templates += result.Templates;
                }

                datagrams += captured.Count;
                records += fileRecords;
                output.WriteLine($"{group}: {Path.GetFileName(file)}: {captured.Count} datagrams, {fileRecords} records, {options} options records, {templates} templates");
            }
        }

        output.WriteLine($"total: {datagrams} datagrams, {records} records");
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
        Assert.True(records > 0);
    }

    [Fact]
    public void PmacctCaptures_EveryDatagramDecodesCleanly()
    {
        string? folder = NetFlowCaptures.RootOrSkip(output, "netflow/pmacct-tests");
        if (folder is null)
        {
            return;
        }

        var problems = new List<string>();
        foreach (string test in Directory.GetDirectories(folder).Order(StringComparer.Ordinal))
        {
            var decoder = new NetFlowDecoder(Options);
            var buffer = new NetFlowRecordBuffer();
            foreach (string file in Directory.GetFiles(test, "*.pcap").Order(StringComparer.Ordinal))
            {
                var captured = NetFlowCaptures.Read(file);
                int records = 0, options = 0;
                foreach (var d in captured)
                {
                    buffer.Clear();
                    var result = decoder.Decode(d.Payload, d.Exporter, d.TimestampMs, buffer);
                    if (!result.IsClean)
                    {
                        problems.Add($"{Path.GetFileName(test)}/{d.File} packet {d.Packet}: first failure {NetFlowRejectReasons.Name(result.FirstFailure)}");
                    }

                    records += result.Records;
                    options += result.OptionsRecords;
                }

                output.WriteLine($"{Path.GetFileName(test)}/{Path.GetFileName(file)}: {captured.Count} datagrams, {records} records, {options} options records");
            }
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void SflowCaptures_AreRejectedAsUnsupportedVersionWithoutThrowing()
    {
        string? folder = NetFlowCaptures.RootOrSkip(output, "netflow/akvorado-testdata/sflow");
        if (folder is null)
        {
            return;
        }

        var decoder = new NetFlowDecoder(Options);
        var buffer = new NetFlowRecordBuffer();
        int datagrams = 0;
        foreach (string file in Directory.GetFiles(folder, "*.pcap"))
        {
            foreach (var d in NetFlowCaptures.Read(file))
            {
                var result = decoder.Decode(d.Payload, d.Exporter, d.TimestampMs, buffer);
                Assert.Equal(NetFlowRejectReason.UnsupportedVersion, result.FirstFailure);
                datagrams++;
            }
        }

        output.WriteLine($"{datagrams} sFlow datagrams rejected as unsupported_version (sFlow is not NetFlow/IPFIX)");
        Assert.Equal(0, buffer.Count);
        Assert.Equal(datagrams, decoder.Telemetry.Rejected(NetFlowRejectReason.UnsupportedVersion));
    }
}

/// <summary>Sampling rates from the akvorado captures: per sampler id from options records, and in the record itself.</summary>
public sealed class NetFlowSamplingCaptureTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("multiplesamplingrates", new uint[] { 2000, 4000 })]
    [InlineData("samplingrate", new uint[] { 2048 })]
    [InlineData("nfv5", new uint[] { 1 })]
    public void SamplingRates_ComeFromOptionsRecordsOrTheRecord(string group, uint[] rates)
    {
        string? folder = NetFlowCaptures.RootOrSkip(output, "netflow/akvorado-testdata/netflow");
        if (folder is null)
        {
            return;
        }

        var decoder = new NetFlowDecoder(new NetFlowOptions { TemplateTimeout = TimeSpan.FromDays(7) });
        var buffer = new NetFlowRecordBuffer();
        foreach (string file in NetFlowCaptures.AkvoradoGroups(folder).Single(g => g.Group == group).Files)
        {
            foreach (var d in NetFlowCaptures.Read(file))
            {
                Assert.True(decoder.Decode(d.Payload, d.Exporter, d.TimestampMs, buffer).IsClean);
            }
        }

        var seen = buffer.AsSpan().ToArray().Select(r => r.SamplingRate).Distinct().Order().ToArray();
        output.WriteLine($"{group}: {buffer.Count} records, rates {string.Join(", ", seen)}");
        Assert.Equal(rates, seen);
    }
}
