using NetSecStream.Behaviour.NslKdd;
using NetSecStream.Testing;

namespace NetSecStream.Behaviour.Tests;

public sealed class NslKddTests
{
    private const string Good = "0,tcp,ftp_data,SF,491,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,2,2,0.00,0.00,0.00,0.00,1.00,0.00,0.00,150,25,0.17,0.03,0.17,0.00,0.00,0.00,0.05,0.00,normal,20";

    [Theory]
    [InlineData("0,tcp,http,SF,1,2", 2, "6 columns")]
    [InlineData("0,tcp,http,SF,abc,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,2,2,0.00,0.00,0.00,0.00,1.00,0.00,0.00,150,25,0.17,0.03,0.17,0.00,0.00,0.00,0.05,0.00,normal,20", 2, "column 5 (src_bytes): 'abc' is not a number")]
    [InlineData("0,tcp,http,SF,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,2,2,0.00,0.00,0.00,0.00,1.00,0.00,0.00,150,25,0.17,0.03,0.17,0.00,0.00,0.00,0.05,0.00,,20", 2, "label is empty")]
    [InlineData("0,tcp,http,SF,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,2,2,0.00,0.00,0.00,0.00,1.00,0.00,0.00,150,25,0.17,0.03,0.17,0.00,0.00,0.00,0.05,NaN,normal,20", 2, "is not a number")]
    [InlineData("0,tcp,http,SF,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,2,2,0.00,0.00,0.00,0.00,1.00,0.00,0.00,150,25,0.17,0.03,0.17,0.00,0.00,0.00,0.05,0.00,normal,x", 2, "difficulty")]
    public void Malformed_rows_stop_with_file_line_and_reason(string bad, int line, string reason)
    {
        var ex = Assert.Throws<NslKddFormatException>(() => NslKddReader.Read(new StringReader(Good + "\n" + bad + "\n"), "t.txt"));
        Assert.Equal(line, ex.Line);
        Assert.StartsWith($"t.txt:{line}: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rows_read_with_their_families_and_arff_headers_are_skipped()
    {
        var rows = NslKddReader.Read(new StringReader("@relation x\n" + Good + "\n" + Good.Replace("normal,20", "neptune,21", StringComparison.Ordinal) + "\n"), "t.txt");
        Assert.Equal(2, rows.Count);
        Assert.Equal(("tcp", "ftp_data", "SF", false, "normal"), (rows[0].ProtocolType, rows[0].Service, rows[0].Flag, rows[0].Label, rows[0].Family));
        Assert.Equal(491f, rows[0].Numeric[1]);
        Assert.Equal((true, "DoS", 21), (rows[1].Label, rows[1].Family, rows[1].Difficulty));
    }

    [Fact]
    public void A_small_training_run_on_the_real_data_chooses_a_trainer_by_cross_validation_and_writes_its_card()
    {
        string data = Path.Combine(TestData.Require("datasets/nsl-kdd"), "KDDTrain+_20Percent.txt");
        var rows = NslKddReader.Read(data);
        Assert.Equal(25_192, rows.Count);
        string dir = Path.Combine(Path.GetTempPath(), "netsec-nslkdd-" + Guid.NewGuid().ToString("N"));
        try
        {
            // Train on the first 4,000 rows, score the next 4,000 the model never saw.
            TrainResult result = NslKddModel.Train(rows.GetRange(0, 4000), dir, "KDDTrain+_20Percent.txt (first 4,000)", folds: 3);
            Assert.Equal(2, result.CrossValidation.Count);
            Assert.All(result.CrossValidation, s => Assert.InRange(s.Accuracy, 0.95, 1.0));
            Assert.True(File.Exists(Path.Combine(dir, NslKddModel.ModelFile)));
            Assert.Contains("cross-validation", File.ReadAllText(Path.Combine(dir, "MODEL_CARD.md")), StringComparison.Ordinal);
            Assert.Contains("\"accuracy\"", File.ReadAllText(Path.Combine(dir, "metrics.json")), StringComparison.Ordinal);

            DetectionMetrics heldOut = NslKddModel.Evaluate(dir, rows.GetRange(4000, 4000));
            Assert.Equal(4000, heldOut.Rows);
            Assert.InRange(heldOut.Accuracy, 0.95, 1.0);
            Assert.Equal(4000, heldOut.TruePositives + heldOut.FalsePositives + heldOut.TrueNegatives + heldOut.FalseNegatives);
            Assert.Contains("DoS", heldOut.Families.Keys);
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }
}
