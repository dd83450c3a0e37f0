using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;
using NetSecStream.Signatures.Engine;
using NetSecStream.Signatures.Engine.State;

namespace NetSecStream.Signatures.Tests.Engine;

/// <summary>
/// The control plane's rules directory (<c>Detectors:Signatures:ControlDirectory</c>): uploaded files and the
/// disabled-rules threshold file reach a running detector through its reload check, and a broken file never replaces
/// the rules in force.
/// </summary>
public sealed class ControlDirectoryTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "netsec-sigctl-" + Guid.NewGuid().ToString("N"));
    private readonly string _control;
    private readonly string _base;
    private DateTime _clock = DateTime.UtcNow;

    public ControlDirectoryTests()
    {
        _control = Path.Combine(_dir, "control-rules");
        _base = Path.Combine(_dir, "base.rules");
        Directory.CreateDirectory(_dir);
        File.WriteAllText(_base, """alert dns any any -> any any (msg:"base"; dns.query; content:"evil"; sid:100;)""" + "\n");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Uploaded_files_and_disabled_rules_reach_the_running_detector_and_a_broken_file_is_refused()
    {
        using var metrics = new NetSecMetrics();
        using var reloads = new ReloadRecorder(metrics);
        // The control directory does not exist yet: the control plane creates it on its first change.
        using var detector = new SignatureDetector(new SignatureOptions { Paths = [_base], ControlDirectory = _control, ReloadInterval = TimeSpan.Zero }, metrics);
        await detector.StartAsync(CancellationToken.None);
        Assert.Equal(["100"], Sids(detector));
        Assert.True(detector.Reload(force: false, out _));

        // An uploaded file: its rule alerts from the next batch on, beside the configured rules.
        Write(Path.Combine(_control, "local.rules"), """alert dns any any -> any any (msg:"uploaded"; dns.query; content:"example"; sid:200;)""");
        Assert.True(detector.Reload(force: false, out string? reason), reason);
        Assert.Equal(["100", "200"], Sids(detector));

        // A rule disabled through the API (the control plane's threshold file): its alerts stop, the others go on.
        Write(Path.Combine(_control, SignatureOptions.DisabledRulesFileName), "# Written by netsec control\nsuppress gen_id 1, sig_id 100\n");
        Assert.True(detector.Reload(force: false, out reason), reason);
        Assert.Equal(["200"], Sids(detector));

        // Enabled again: the file lists nothing.
        Write(Path.Combine(_control, SignatureOptions.DisabledRulesFileName), "# Written by netsec control\n");
        Assert.True(detector.Reload(force: false, out reason), reason);
        Assert.Equal(["100", "200"], Sids(detector));

        // A new file of which no rule loads is refused with its name; what was in force keeps alerting.
        Write(Path.Combine(_control, "garbled.rules"), "alert dns any any -> any any (msg:\"broken\"; content:\"unterminated; sid:300;)");
        Assert.False(detector.Reload(force: false, out reason));
        Assert.Contains("garbled.rules: none of its 1 rules loads", reason, StringComparison.Ordinal);
        Assert.Equal(["100", "200"], Sids(detector));

        // Left there unchanged, it is not loaded (nor counted) again at every check.
        Assert.False(detector.Reload(force: false, out string? again));
        Assert.Equal(reason, again);
        Assert.Equal(1, reloads.Count("signatures", "failed"));

        // A file that only repeats rules in force elsewhere (a copy of the configured rules uploaded) adds nothing, and
        // must not block later changes: taken.
        File.Delete(Path.Combine(_control, "garbled.rules"));
        Write(Path.Combine(_control, "copy.rules"), """alert dns any any -> any any (msg:"base"; dns.query; content:"evil"; sid:100;)""");
        Assert.True(detector.Reload(force: false, out reason), reason);
        Assert.Equal(["100", "200"], Sids(detector));
        File.Delete(Path.Combine(_control, "copy.rules"));

        // So is a good file turned bad (a truncated copy): its rules in force stay.
        Write(Path.Combine(_control, "local.rules"), "alert dns any any -> any any (msg:\"uploaded\"; dns.query; content:\"exa");
        Assert.False(detector.Reload(force: false, out reason));
        Assert.Contains("local.rules: none of its 1 rules loads", reason, StringComparison.Ordinal);
        Assert.Equal(["100", "200"], Sids(detector));

        // A malformed disabled-rules file is refused too, naming the file and line.
        Write(Path.Combine(_control, "local.rules"), """alert dns any any -> any any (msg:"uploaded v2"; dns.query; content:"example"; sid:200; rev:2;)""");
        Write(Path.Combine(_control, SignatureOptions.DisabledRulesFileName), "suppress gen_id 1, sig_id banana\n");
        Assert.False(detector.Reload(force: false, out reason));
        Assert.Contains(SignatureOptions.DisabledRulesFileName + ":1:", reason, StringComparison.Ordinal);
        Assert.Equal(["100", "200"], Sids(detector));

        // Fixed: taken.
        Write(Path.Combine(_control, SignatureOptions.DisabledRulesFileName), "suppress gen_id 1, sig_id 200\n");
        Assert.True(detector.Reload(force: false, out reason), reason);
        Assert.Equal(["100"], Sids(detector));

        // The directory gone (a shared volume unmounted): the uploaded rules and the disabled ones stay as they are.
        Directory.Move(_control, _control + ".away");
        Assert.False(detector.Reload(force: false, out reason));
        Assert.Contains("ControlDirectory", reason, StringComparison.Ordinal);
        Assert.Contains("is gone", reason, StringComparison.Ordinal);
        Assert.Equal(["100"], Sids(detector));
        Directory.Move(_control + ".away", _control);
        Write(Path.Combine(_control, SignatureOptions.DisabledRulesFileName), "# nothing disabled\n");
        Assert.True(detector.Reload(force: false, out reason), reason);
        Assert.Equal(["100", "200"], Sids(detector));

        Assert.Equal(4, reloads.Count("signatures", "failed"));
        Assert.Equal(6, reloads.Count("signatures", "ok"));
    }

    [Fact]
    public async Task The_control_directory_alone_is_enough_and_a_file_broken_since_start_does_not_block_reloads()
    {
        Directory.CreateDirectory(_control);
        Write(Path.Combine(_control, "unsupported.rules"), "alert dns any any -> any any (msg:\"x\"; frobnicate; sid:400;)");
        Write(Path.Combine(_control, "good.rules"), """alert dns any any -> any any (msg:"good"; dns.query; content:"evil"; sid:450;)""");
        var options = new SignatureOptions { ControlDirectory = _control, ReloadInterval = TimeSpan.Zero };
        Assert.Empty(options.Validate());
        using var metrics = new NetSecMetrics();
        using var detector = new SignatureDetector(options, metrics);
        await detector.StartAsync(CancellationToken.None);
        Assert.Equal(["450"], Sids(detector));

        Write(Path.Combine(_control, "local.rules"), """alert dns any any -> any any (msg:"uploaded"; dns.query; content:"evil"; sid:500;)""");
        Assert.True(detector.Reload(force: false, out string? reason), reason);
        Assert.Equal(["450", "500"], Sids(detector));

        Assert.Contains(new SignatureOptions { ControlDirectory = " " }.Validate(), e => e.Contains("ControlDirectory must not be empty", StringComparison.Ordinal));
        Assert.Contains(new SignatureOptions { ControlDirectory = _base }.Validate(), e => e.Contains("is a file", StringComparison.Ordinal));
        Assert.Contains(new SignatureOptions().Validate(), e => e.Contains("Paths must name at least one", StringComparison.Ordinal));
    }

    [Fact]
    public void Threshold_files_combine_and_problems_name_their_file()
    {
        string first = Path.Combine(_dir, "threshold.config");
        string second = Path.Combine(_dir, SignatureOptions.DisabledRulesFileName);
        File.WriteAllText(first, "threshold gen_id 1, sig_id 7, type limit, track by_src, count 1, seconds 60\n");
        File.WriteAllText(second, "suppress gen_id 1, sig_id 8\nsuppress gen_id 1, sig_id\n");
        var config = ThresholdConfig.LoadFiles([first, second]);
        Assert.Equal(1, config.ThresholdCount);
        Assert.Equal(1, config.SuppressionCount);
        var problem = Assert.Single(config.Problems);
        Assert.Equal(second, problem.Source);
        Assert.Equal(2, problem.Line);
    }

    private static string[] Sids(SignatureDetector detector)
    {
        var alerts = new List<Alert>();
        detector.Detect([SignatureEngineTests.Flow(proto: 17, dport: 53, dns: new DnsFacts { Query = "evil.example" })], alerts);
        return [.. alerts.Select(a => a.RuleId).Order(StringComparer.Ordinal)];
    }

    /// <summary>Writes as the control plane does (whole file, then rename), with a later write time so the check sees it.</summary>
    private void Write(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path + ".tmp", text + "\n");
        File.Move(path + ".tmp", path, overwrite: true);
        _clock = _clock.AddSeconds(2);
        File.SetLastWriteTimeUtc(path, _clock);
    }

    private sealed class ReloadRecorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<(string? Component, string? Outcome)> _reloads = new();

        public ReloadRecorder(NetSecMetrics metrics)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter == metrics.Meter && instrument.Name == "netsec_component_reloads")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
            {
                string? component = null, outcome = null;
                foreach (var tag in tags)
                {
                    component = tag.Key == "component" ? tag.Value as string : component;
                    outcome = tag.Key == "outcome" ? tag.Value as string : outcome;
                }

                _reloads.Enqueue((component, outcome));
            });
            _listener.Start();
        }

        public int Count(string component, string outcome) => _reloads.Count(r => r.Component == component && r.Outcome == outcome);

        public void Dispose() => _listener.Dispose();
    }
}
