using System.Text;
using NetSecStream.Core.Events;
using NetSecStream.Signatures.Engine;
using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Tests.Engine;

public sealed class DatasetTests
{
    [Fact]
    public void Isset_and_isnotset_test_the_buffer_against_a_loaded_file_and_bad_sets_are_not_evaluable()
    {
        string dir = Path.Combine(Path.GetTempPath(), "netsec-ds-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            // Suricata's string datasets hold base64 of each value, optionally followed by ",<reputation>".
            File.WriteAllLines(Path.Combine(dir, "bad-domains.lst"),
                [Convert.ToBase64String(Encoding.ASCII.GetBytes("evil.example")), Convert.ToBase64String(Encoding.ASCII.GetBytes("c2.example")) + ",50", "# comment"]);
            File.WriteAllLines(Path.Combine(dir, "hashes.lst"), ["d41d8cd98f00b204e9800998ecf8427e"]);
            File.WriteAllText(Path.Combine(dir, "local.rules"), """
                alert dns any any -> any any (msg:"listed"; dns.query; dataset:isset,bad-domains,type string,load bad-domains.lst; sid:1;)
                alert dns any any -> any any (msg:"not listed"; dns.query; dataset:isnotset,bad-domains,type string,load bad-domains.lst; sid:2;)
                alert dns any any -> any any (msg:"md5 of the name"; dns.query; to_md5; dataset:isset,h,type md5,load hashes.lst; sid:3;)
                alert dns any any -> any any (msg:"runtime set"; dns.query; dataset:set,seen,type string; sid:4;)
                alert dns any any -> any any (msg:"missing file"; dns.query; dataset:isset,x,type string,load nope.lst; sid:5;)
                """);
            RuleSetLoadResult load = SignatureEngine.Admit(RuleSetLoader.Load([dir]));
            Assert.Equal(3, load.Loaded);
            var reasons = load.Diagnostics.ToDictionary(d => d.Sid!.Value, d => d.Reason);
            Assert.Contains("dataset set", reasons[4], StringComparison.Ordinal);
            Assert.Contains("'nope.lst' not found", reasons[5], StringComparison.Ordinal);

            using var engine = new SignatureEngine(load);
            long[] Sids(string query) =>
                [.. engine.Match(SignatureEngineTests.Flow(proto: 17, dport: 53, dns: new DnsFacts { Query = query })).Select(m => m.Rule.Sid).Order()];
            Assert.Equal([1L], Sids("evil.example"));
            Assert.Equal([1L], Sids("c2.example"));
            Assert.Equal([2L], Sids("good.example"));

            // to_md5 of the empty name is d41d8cd9...: an empty buffer that is present is inspected.
            Assert.Equal([2L, 3], Sids(""));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
