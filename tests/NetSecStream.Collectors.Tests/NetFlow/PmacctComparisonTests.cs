using System.Globalization;
using System.Text.Json;
using NetSecStream.Collectors.NetFlow;
using Xunit.Abstractions;

namespace NetSecStream.Collectors.Tests.NetFlow;

/// <summary>
/// For each pmacct regression test (shared/data/netflow/pmacct-tests/NNN-*: traffic-*.pcap replayed to nfacctd, whose
/// Kafka output is output-flow-00.json), the decoder's data records must agree with nfacctd's flows in addresses,
/// ports, protocol, TCP flags, ToS, interfaces, timestamps (where pmacct reports them) and packet and byte counters.
/// The exporter address (<c>peer_ip_src</c>) is not compared: pmacct's traffic reproducer re-sends the captures from
/// its own addresses (172.21.1.101, fd25::101).
/// nfacctd aggregates records with equal primitives, so both sides are summed per key before comparing; sampling is
/// applied to our counters exactly when the test's nfacctd-00.conf says <c>nfacctd_renormalize: true</c>.
/// Options records are not flows and are not compared.
/// </summary>
public sealed class PmacctComparisonTests(ITestOutputHelper output)
{
    public static TheoryData<string> Tests
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (string name in new[]
            {
                "100-IPFIXv10-CISCO",
                "101-NFv9-CISCO-cust_primitives",
                "104-IPFIXv10-IPv6-CISCO-sampling_option",
                "106-IPFIXv10-HUAWEI-vrf_name",
                "111-IPFIXv10-NFv9-IPv6-IPv4-mix_sources",
            })
            {
                data.Add(name);
            }

            return data;
        }
    }

    private static readonly Dictionary<string, byte> ProtocolNumbers = new(StringComparer.Ordinal)
    {
        ["icmp"] = 1,
        ["igmp"] = 2,
        ["tcp"] = 6,
        ["udp"] = 17,
        ["gre"] = 47,
        ["esp"] = 50,
        ["ipv6-icmp"] = 58,
        ["ospf"] = 89,
        ["vrrp"] = 112,
        ["sctp"] = 132,
    };

    private static readonly Dictionary<string, int> FlagBits = new(StringComparer.Ordinal)
    {
        ["FIN"] = 0x01,
        ["SYN"] = 0x02,
        ["RST"] = 0x04,
        ["PSH"] = 0x08,
        ["ACK"] = 0x10,
        ["URG"] = 0x20,
    };

    [Theory]
    [MemberData(nameof(Tests))]
    public void DecodedRecords_AgreeWithPmacctOutput(string test)
    {
        string? folder = NetFlowCaptures.RootOrSkip(output, "netflow/pmacct-tests/" + test);
        if (folder is null)
        {
            return;
        }

        bool renormalize = File.ReadLines(Path.Combine(folder, "nfacctd-00.conf"))
            .Any(line => line.Replace(" ", "", StringComparison.Ordinal).StartsWith("nfacctd_renormalize:true", StringComparison.OrdinalIgnoreCase));
        var expectedRows = File.ReadLines(Path.Combine(folder, "output-flow-00.json")).Where(l => l.Trim().Length > 0).ToList();
        bool withTimes = expectedRows.Count > 0 && expectedRows[0].Contains("\"timestamp_start\"", StringComparison.Ordinal);

        var expected = new Dictionary<string, (ulong Packets, ulong Bytes, int Rows)>(StringComparer.Ordinal);
        foreach (string row in expectedRows)
        {
            using var doc = JsonDocument.Parse(row);
            var e = doc.RootElement;
            byte protocol = ProtocolNumber(e.GetProperty("ip_proto").GetString()!);
            int flags = 0;
            foreach (var flag in e.GetProperty("tcp_flags").EnumerateArray())
            {
                flags |= FlagBits[flag.GetString()!];
            }

            string key = Key(
                e.GetProperty("ip_src").GetString()!,
                e.GetProperty("ip_dst").GetString()!,
                e.GetProperty("port_src").GetInt32(),
                e.GetProperty("port_dst").GetInt32(),
                protocol,
                flags,
                e.GetProperty("tos").GetInt32(),
                e.GetProperty("iface_in").GetInt64(),
                e.GetProperty("iface_out").GetInt64(),
                withTimes ? Seconds(e.GetProperty("timestamp_start").GetString()!) : 0,
                withTimes ? Seconds(e.GetProperty("timestamp_end").GetString()!) : 0);
            expected.TryGetValue(key, out var sum);
            expected[key] = (sum.Packets + e.GetProperty("packets").GetUInt64(), sum.Bytes + e.GetProperty("bytes").GetUInt64(), sum.Rows + 1);
        }

        var decoder = new NetFlowDecoder(new NetFlowOptions { TemplateTimeout = TimeSpan.FromDays(7) });
        var buffer = new NetFlowRecordBuffer();
        foreach (string pcap in Directory.GetFiles(folder, "traffic-*.pcap").Order(StringComparer.Ordinal))
        {
            foreach (var d in NetFlowCaptures.Read(pcap))
            {
                var result = decoder.Decode(d.Payload, d.Exporter, d.TimestampMs, buffer);
                Assert.True(result.IsClean, $"{d.File} packet {d.Packet}: {NetFlowRejectReasons.Name(result.FirstFailure)}");
            }
        }

        var actual = new Dictionary<string, (ulong Packets, ulong Bytes, int Rows)>(StringComparer.Ordinal);
        foreach (var r in buffer.AsSpan())
        {
            ulong rate = renormalize ? r.SamplingRate : 1;
            string key = Key(
                r.SourceAddress.ToString(),
                r.DestinationAddress.ToString(),
                r.SourcePort,
                r.DestinationPort,
                r.Protocol,
                r.TcpFlags & 0x3F,
                r.Tos,
                r.InputInterface,
                r.OutputInterface,
                withTimes ? PmacctSeconds(in r, r.StartMs) : 0,
                withTimes ? PmacctSeconds(in r, r.EndMs) : 0);
            actual.TryGetValue(key, out var sum);
            actual[key] = (sum.Packets + (r.Packets * rate), sum.Bytes + (r.Bytes * rate), sum.Rows + 1);
        }

        output.WriteLine($"{test}: pmacct {expectedRows.Count} rows in {expected.Count} keys; decoded {buffer.Count} records in {actual.Count} keys; renormalize={renormalize}, timestamps compared={withTimes}");
        var mismatches = new List<string>();
        foreach (var (key, want) in expected)
        {
            if (!actual.TryGetValue(key, out var got))
            {
                mismatches.Add($"missing: {key} packets={want.Packets} bytes={want.Bytes}");
            }
            else if (got.Packets != want.Packets || got.Bytes != want.Bytes)
            {
                mismatches.Add($"counters differ: {key}: pmacct packets={want.Packets} bytes={want.Bytes}, decoded packets={got.Packets} bytes={got.Bytes}");
            }
        }

        foreach (var (key, got) in actual)
        {
            if (!expected.ContainsKey(key))
            {
                mismatches.Add($"unexpected: {key} packets={got.Packets} bytes={got.Bytes}");
            }
        }

        foreach (string mismatch in mismatches)
        {
            output.WriteLine("MISMATCH " + mismatch);
        }

        Assert.True(mismatches.Count == 0, $"{mismatches.Count} mismatches with pmacct:{Environment.NewLine}{string.Join(Environment.NewLine, mismatches)}");
        Assert.Equal(expectedRows.Count, expected.Values.Sum(v => v.Rows));
        Assert.Equal(expected.Values.Sum(v => (long)v.Packets), actual.Values.Sum(v => (long)v.Packets));
    }

    private static byte ProtocolNumber(string name) =>
        ProtocolNumbers.TryGetValue(name, out byte number) ? number
        : byte.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out number) ? number
        : throw new InvalidDataException("protocol name not in the test's table: " + name);

    /// <summary>
    /// nfacctd turns a v5/v9 sysUpTime-relative time into seconds as export seconds minus whole seconds of uptime
    /// difference, which is our millisecond time rounded up; absolute IPFIX times it truncates.
    /// </summary>
    private static long PmacctSeconds(in NetFlowRecord r, long ms) => r.Version == 10 ? ms / 1000 : (ms + 999) / 1000;

    private static long Seconds(string pmacctTime) =>
        long.Parse(pmacctTime.AsSpan(0, pmacctTime.IndexOf('.', StringComparison.Ordinal) is int dot and >= 0 ? dot : pmacctTime.Length), CultureInfo.InvariantCulture);

    private static string Key(string src, string dst, long sport, long dport, byte protocol, int flags, long tos, long ifIn, long ifOut, long start, long end) =>
        FormattableString.Invariant($"{src}:{sport} -> {dst}:{dport} proto={protocol} flags=0x{flags:X2} tos={tos} if={ifIn}/{ifOut}")
        + (start != 0 || end != 0 ? FormattableString.Invariant($" time={start}-{end}") : "");
}
