using NetSecStream.Behaviour.Features;
using NetSecStream.Collectors.Hubble;

namespace NetSecStream.Behaviour.Tests;

public sealed class FeatureFilesTests
{
    private static List<FeatureRow> SomeRows(int events = 400) =>
        [.. new FlowFeatureExtractor().ExtractRows(Flows.Generated("attack-heavy", events, 11))];

    [Fact]
    public void Csv_round_trips_every_column()
    {
        var rows = SomeRows();
        var text = new StringWriter();
        FeatureFiles.WriteCsv(text, rows);
        string csv = text.ToString();
        Assert.StartsWith("schema_version,timestamp,source_key,workload_key,destination_key,community_id,label,episode,flow.duration_s,flow.bytes_out,", csv, StringComparison.Ordinal);

        var errors = new List<InputError>();
        var back = FeatureFiles.ReadCsv(new StringReader(csv), "f.csv", errors.Add).ToList();
        Assert.Empty(errors);
        AssertSame(rows, back);
        Assert.Contains(back, r => r.Label != "normal" && r.Episode is not null);
    }

    [Fact]
    public async Task Parquet_round_trips_every_column_and_carries_the_schema_version()
    {
        var rows = SomeRows();
        using var stream = new MemoryStream();
        await FeatureFiles.WriteParquetAsync(stream, rows, rowGroupSize: 150);
        stream.Position = 0;
        var back = await FeatureFiles.ReadParquetAsync(stream);
        AssertSame(rows, back);

        stream.Position = 0;
        await using var reader = await Parquet.ParquetReader.CreateAsync(stream);
        Assert.Equal(FeatureSchema.Version, reader.CustomMetadata["netsec.feature_schema_version"]);
        Assert.Equal(3, reader.RowGroupCount);
        Assert.Equal(FeatureFiles.Header, reader.Schema.GetDataFields().Select(f => f.Name));
    }

    [Fact]
    public void Malformed_csv_rows_are_reported_with_their_line_and_skipped()
    {
        var text = new StringWriter();
        FeatureFiles.WriteCsv(text, SomeRows(3));
        string[] lines = text.ToString().TrimEnd('\n').Split('\n');
        string good = lines[1];
        string csv = string.Join('\n', lines[0], good, "1,2025-06-02T08:00:00Z,a,b", good + ",\"unterminated",
            "2" + good[1..], ReplaceLastValue(good, "x"), good) + "\n";

        var errors = new List<InputError>();
        var rows = FeatureFiles.ReadCsv(new StringReader(csv), "f.csv", errors.Add).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Equal([3L, 4, 5, 6], errors.Select(e => e.Line));
        Assert.Contains("4 columns", errors[0].Reason, StringComparison.Ordinal);
        Assert.Contains("quotes", errors[1].Reason, StringComparison.Ordinal);
        Assert.Contains("schema_version '2'", errors[2].Reason, StringComparison.Ordinal);
        Assert.Equal("f.csv:6: column 49 (pair.error_rate): 'x' is not a number", errors[3].ToString());
        Assert.Throws<InvalidDataException>(() => FeatureFiles.ReadCsv(new StringReader("a,b\n"), "f.csv", errors.Add).ToList());
    }

    [Fact]
    public void Malformed_flow_lines_and_label_lines_are_reported_with_file_and_line_and_reading_goes_on()
    {
        // Three generated events of three different connections.
        var events = new Collectors.Generator.TrafficGenerator().Generate(new Collectors.Generator.GeneratorOptions("demo", 200, 5))
            .Select(g => (Json: System.Text.Encoding.UTF8.GetString(g.Json), Id: g.CommunityId))
            .DistinctBy(g => g.Id).Take(3).ToArray();
        Assert.Equal(3, events.Length);
        string flows = string.Join('\n', events[0].Json, "{not json", "", events[1].Json, "{\"flow\":{\"time\":\"2025-06-02T08:00:00Z\"}}", events[2].Json) + "\n";
        string labels = string.Join('\n',
            $"{{\"community_id\":\"{events[0].Id}\",\"outcome\":\"true_positive\"}}",
            "{\"community_id\":\"x\",\"outcome\":\"maybe\"}",
            "[1,2]",
            "nonsense",
            $"{{\"community_id\":\"{events[2].Id}\",\"outcome\":\"false_positive\"}}") + "\n";

        var errors = new List<InputError>();
        var labelSet = FlowInput.ReadLabels(new StringReader(labels), "triage.jsonl", errors.Add);
        var read = FlowInput.ReadFlows(new StringReader(flows), "flows.json", new HubbleFlowDecoder(), labelSet, errors.Add).ToList();

        Assert.Equal(3, read.Count);
        Assert.Equal(["attack", FlowInput.UnknownLabel, "normal"], read.Select(r => r.Label));
        Assert.Equal(events.Select(e => e.Id), read.Select(r => r.Flow.CommunityId));
        Assert.Equal(["triage.jsonl:2", "triage.jsonl:3", "triage.jsonl:4", "flows.json:2", "flows.json:5"], errors.Select(e => $"{e.File}:{e.Line}"));
        Assert.All(errors, e => Assert.False(string.IsNullOrWhiteSpace(e.Reason)));
    }

    private static string ReplaceLastValue(string line, string value) => line[..(line.LastIndexOf(',') + 1)] + value;

    private static void AssertSame(List<FeatureRow> expected, List<FeatureRow> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            var (e, a) = (expected[i], actual[i]);
            Assert.Equal((e.Timestamp, e.SourceKey, e.WorkloadKey, e.DestinationKey, e.CommunityId, e.Label, e.Episode),
                (a.Timestamp, a.SourceKey, a.WorkloadKey, a.DestinationKey, a.CommunityId, a.Label, a.Episode));
            Assert.Equal(e.Values, a.Values);
        }
    }
}
