using System.Net;
using NetSecStream.Core.Events;

namespace NetSecStream.Core.Tests.Events;

public sealed class CommunityIdTests
{
    // Published Community ID v1 test vectors.
    // Source: https://github.com/corelight/community-id-spec, baseline/baseline_deflt.json (seed 0) and
    // baseline/baseline_seed1.json (seed 1), produced by pycommunityid's community-id-pcap on pcaps/combined.pcap.gz.
    // Columns: protocol, source, destination, source port, destination port, seed, expected id.
    // For ICMP/ICMPv6 the tool prints the type as the source "port" and, for request/response types, the
    // counterpart type as the destination "port" (for one-way types: the code). Feeding those back as (type, code)
    // gives the same tuple because the code of a request/response type does not enter the hash.
    // Port-less protocols (RSVP, 46) carry null ports in the file; 0 here, ignored by the algorithm.
    public static TheoryData<byte, string, string, ushort, ushort, ushort, string> BaselineVectors => new()
    {
        { 58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 136, 0, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=" },
        { 58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 135, 0, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=" },
        { 58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 135, 136, 0, "1:zavyT/cezQr1fmImYCwYnMXbgck=" },
        { 58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 136, 135, 0, "1:zavyT/cezQr1fmImYCwYnMXbgck=" },
        { 58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0, 0, "1:2ObVBgIn28oZvibYZhZMBgh7WdQ=" },
        { 58, "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 1, 4, 0, "1:hLZd0XGWojozrvxqE0dWB1iM6R0=" },
        { 58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 129, 0, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=" },
        { 58, "3ffe:501:0:1001::2", "3ffe:507:0:1:200:86ff:fe05:80da", 129, 128, 0, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=" },
        { 58, "fe80::200:86ff:fe05:80da", "ff02::2", 133, 134, 0, "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=" },
        { 58, "fe80::260:97ff:fe07:69ea", "ff02::1", 134, 133, 0, "1:pkvHqCL88/tg1k4cPigmZXUtL00=" },
        { 1, "192.168.0.89", "192.168.0.1", 8, 0, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=" },
        { 1, "192.168.0.1", "192.168.0.89", 0, 8, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=" },
        { 1, "10.0.0.1", "10.0.0.2", 11, 0, 0, "1:YHxtAirCG//0OzkcVAukqKQN9xM=" },
        { 6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25, 0, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=" },
        { 6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943, 0, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=" },
        { 132, "192.168.170.8", "192.168.170.56", 7, 7, 0, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=" },
        { 132, "192.168.170.56", "192.168.170.8", 7, 7, 0, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=" },
        { 6, "128.232.110.120", "66.35.250.204", 34855, 80, 0, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=" },
        { 6, "66.35.250.204", "128.232.110.120", 80, 34855, 0, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=" },
        { 17, "192.168.1.52", "8.8.8.8", 54585, 53, 0, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=" },
        { 17, "8.8.8.8", "192.168.1.52", 53, 54585, 0, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=" },
        { 46, "10.1.12.1", "10.1.12.2", 0, 0, 0, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=" },
        { 46, "10.1.12.2", "10.1.12.1", 0, 0, 0, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=" },
        { 58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 136, 1, "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY=" },
        { 58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 135, 1, "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY=" },
        { 58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 135, 136, 1, "1:2hSqmsDZ2kdcY9kbiUzOEBic0iM=" },
        { 58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 136, 135, 1, "1:2hSqmsDZ2kdcY9kbiUzOEBic0iM=" },
        { 58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0, 1, "1:lVEtCZpYu84Xqaa++3lXFyuu2n4=" },
        { 58, "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 1, 4, 1, "1:W8MHwXpWzpoSTD+cGcaJr4u0ys8=" },
        { 58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 129, 1, "1:GfZxjAkDk2MkegpBYHV6tadtFXQ=" },
        { 58, "3ffe:501:0:1001::2", "3ffe:507:0:1:200:86ff:fe05:80da", 129, 128, 1, "1:GfZxjAkDk2MkegpBYHV6tadtFXQ=" },
        { 58, "fe80::200:86ff:fe05:80da", "ff02::2", 133, 134, 1, "1:L7Ka0ZMYu+J3bL4ulW2PrqyXNo8=" },
        { 58, "fe80::260:97ff:fe07:69ea", "ff02::1", 134, 133, 1, "1:K/ee5UCqAMAQXDorP5nSa2CGLjc=" },
        { 1, "192.168.0.89", "192.168.0.1", 8, 0, 1, "1:03g6IloqVBdcZlPyX8r0hgoE7kA=" },
        { 1, "192.168.0.1", "192.168.0.89", 0, 8, 1, "1:03g6IloqVBdcZlPyX8r0hgoE7kA=" },
        { 1, "10.0.0.1", "10.0.0.2", 11, 0, 1, "1:XjUibYHaafLQ3pxQeiMI8g25q20=" },
        { 6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25, 1, "1:eJYTW6AOzFLlSUoESovMjnu7rMw=" },
        { 6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943, 1, "1:eJYTW6AOzFLlSUoESovMjnu7rMw=" },
        { 132, "192.168.170.8", "192.168.170.56", 7, 7, 1, "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg=" },
        { 132, "192.168.170.56", "192.168.170.8", 7, 7, 1, "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg=" },
        { 6, "128.232.110.120", "66.35.250.204", 34855, 80, 1, "1:3V71V58M3Ksw/yuFALMcW0LAHvc=" },
        { 6, "66.35.250.204", "128.232.110.120", 80, 34855, 1, "1:3V71V58M3Ksw/yuFALMcW0LAHvc=" },
        { 17, "192.168.1.52", "8.8.8.8", 54585, 53, 1, "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=" },
        { 17, "8.8.8.8", "192.168.1.52", 53, 54585, 1, "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=" },
        { 46, "10.1.12.1", "10.1.12.2", 0, 0, 1, "1:rYir8gphR31noO9iDRQmF/BteEI=" },
        { 46, "10.1.12.2", "10.1.12.1", 0, 0, 1, "1:rYir8gphR31noO9iDRQmF/BteEI=" },
    };

    // Source: the tables in https://github.com/corelight/community-id-spec/blob/master/baseline/README.md
    // ("Default settings" and "A custom seed=1 value"). Here ICMP columns are the raw message type and code, so the
    // echo reply row (type 0, code 0) checks that a reply pairs with its request.
    public static TheoryData<byte, string, string, ushort, ushort, ushort, string> ReadmeTableVectors => new()
    {
        { 6, "1.2.3.4", "5.6.7.8", 1122, 3344, 0, "1:wCb3OG7yAFWelaUydu0D+125CLM=" },
        { 6, "5.6.7.8", "1.2.3.4", 3344, 1122, 0, "1:wCb3OG7yAFWelaUydu0D+125CLM=" },
        { 17, "1.2.3.4", "5.6.7.8", 1122, 3344, 0, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=" },
        { 17, "5.6.7.8", "1.2.3.4", 3344, 1122, 0, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=" },
        { 132, "1.2.3.4", "5.6.7.8", 1122, 3344, 0, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=" },
        { 132, "5.6.7.8", "1.2.3.4", 3344, 1122, 0, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=" },
        { 1, "1.2.3.4", "5.6.7.8", 8, 0, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=" },
        { 1, "5.6.7.8", "1.2.3.4", 0, 0, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=" },
        { 1, "1.2.3.4", "5.6.7.8", 11, 0, 0, "1:f/YiSyWqczrTgfUCZlBUnvHRcPk=" },
        { 58, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 128, 0, 0, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=" },
        { 58, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", 129, 0, 0, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=" },
        { 58, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 146, 0, 0, "1:fYC8+pz24E+EhANP1EZhpX0Dw10=" },
        { 46, "1.2.3.4", "5.6.7.8", 0, 0, 0, "1:ikv3kmf89luf73WPz1jOs49S768=" },
        { 46, "5.6.7.8", "1.2.3.4", 0, 0, 0, "1:ikv3kmf89luf73WPz1jOs49S768=" },
        { 46, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 0, 0, 0, "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=" },
        { 46, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", 0, 0, 0, "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=" },
        { 6, "1.2.3.4", "5.6.7.8", 1122, 3344, 1, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=" },
        { 6, "5.6.7.8", "1.2.3.4", 3344, 1122, 1, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=" },
        { 17, "1.2.3.4", "5.6.7.8", 1122, 3344, 1, "1:OShq+iKDAMVouh/4bMxB9Sz4amw=" },
        { 17, "5.6.7.8", "1.2.3.4", 3344, 1122, 1, "1:OShq+iKDAMVouh/4bMxB9Sz4amw=" },
        { 132, "1.2.3.4", "5.6.7.8", 1122, 3344, 1, "1:uitchpn5MMGAQKBJh7bIr/bAr7s=" },
        { 132, "5.6.7.8", "1.2.3.4", 3344, 1122, 1, "1:uitchpn5MMGAQKBJh7bIr/bAr7s=" },
        { 1, "1.2.3.4", "5.6.7.8", 8, 0, 1, "1:9pr4ZGTICiuZoIh90RRYE2RyXpU=" },
        { 1, "5.6.7.8", "1.2.3.4", 0, 0, 1, "1:9pr4ZGTICiuZoIh90RRYE2RyXpU=" },
        { 1, "1.2.3.4", "5.6.7.8", 11, 0, 1, "1:1DD7cWGC/Yg91YGsQeni8du3pIA=" },
        { 58, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 128, 0, 1, "1:IO27GQzPuCtNnwFvjWALMHu5tJE=" },
        { 58, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", 129, 0, 1, "1:IO27GQzPuCtNnwFvjWALMHu5tJE=" },
        { 58, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 146, 0, 1, "1:Cv4IKJe56BNkF0MBW2YxQ3Nwc3s=" },
        { 46, "1.2.3.4", "5.6.7.8", 0, 0, 1, "1:/buhqeOmaRCopOZFy9HnoJd5XW8=" },
        { 46, "5.6.7.8", "1.2.3.4", 0, 0, 1, "1:/buhqeOmaRCopOZFy9HnoJd5XW8=" },
        { 46, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 0, 0, 1, "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM=" },
        { 46, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", 0, 0, 1, "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM=" },
    };

    // Source: https://github.com/corelight/pycommunityid tests/communityid_test.py (seed 0 and seed 1 columns):
    // cases the baseline does not cover, such as a type without a counterpart (20) whose code enters the hash,
    // an echo reply whose code is ignored, ICMPv6 destination-unreachable in both directions (one-way, so distinct
    // ids), SCTP on distinct ports, and equal-address ordering by port.
    public static TheoryData<byte, string, string, ushort, ushort, ushort, string> PyCommunityIdVectors => new()
    {
        { 1, "192.168.0.89", "192.168.0.1", 20, 0, 0, "1:3o2RFccXzUgjl7zDpqmY7yJi8rI=" },
        { 1, "192.168.0.89", "192.168.0.1", 20, 0, 1, "1:lCXHHxavE1Vq3oX9NH5ladQg02o=" },
        { 1, "192.168.0.89", "192.168.0.1", 20, 1, 0, "1:tz/fHIDUHs19NkixVVoOZywde+I=" },
        { 1, "192.168.0.89", "192.168.0.1", 20, 1, 1, "1:Ie3wmFyxiEyikbsbcO03d2nh+PM=" },
        { 1, "192.168.0.1", "192.168.0.89", 0, 20, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=" },
        { 1, "192.168.0.1", "192.168.0.89", 0, 20, 1, "1:03g6IloqVBdcZlPyX8r0hgoE7kA=" },
        { 58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 0, 0, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=" },
        { 58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 0, 0, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=" },
        { 58, "3ffe:507:0:1:260:97ff:fe07:69ea", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0, 0, "1:NdobDX8PQNJbAyfkWxhtL2Pqp5w=" },
        { 58, "3ffe:507:0:1:260:97ff:fe07:69ea", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0, 1, "1:OlOWx9psIbBFi7lOCw/4MhlKR9M=" },
        { 58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:507:0:1:260:97ff:fe07:69ea", 3, 0, 0, "1:/OGBt9BN1ofenrmSPWYicpij2Vc=" },
        { 58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:507:0:1:260:97ff:fe07:69ea", 3, 0, 1, "1:Ij4ZxnC87/MXzhOjvH2vHu7LRmE=" },
        { 132, "192.168.170.8", "192.168.170.56", 7, 80, 0, "1:jQgCxbku+pNGw8WPbEc/TS/uTpQ=" },
        { 132, "192.168.170.56", "192.168.170.8", 80, 7, 0, "1:jQgCxbku+pNGw8WPbEc/TS/uTpQ=" },
        { 132, "192.168.170.8", "192.168.170.56", 7, 80, 1, "1:Y1/0jQg6e+I3ZwZZ9LP65DNbTXU=" },
        { 6, "10.0.0.1", "10.0.0.2", 10, 11569, 0, "1:SXBGMX1lBOwhhoDrZynfROxnhnM=" },
        { 6, "10.0.0.1", "10.0.0.2", 10, 11569, 1, "1:HmBRGR+fUyXF4t8WEtal7Y0gEAo=" },
        { 46, "10.1.24.4", "10.1.12.1", 0, 0, 0, "1:/nQI4Rh/TtY3mf0R2gJFBkVlgS4=" },
        { 46, "10.1.12.1", "10.1.24.4", 0, 0, 0, "1:/nQI4Rh/TtY3mf0R2gJFBkVlgS4=" },
        { 46, "10.1.12.1", "10.1.24.4", 0, 0, 1, "1:BK3BVW3U2eemuwVQVN3zd/GULno=" },
    };

    [Theory]
    [MemberData(nameof(BaselineVectors))]
    [MemberData(nameof(ReadmeTableVectors))]
    [MemberData(nameof(PyCommunityIdVectors))]
    public void Compute_PublishedVector_MatchesExpectedId(byte protocol, string source, string destination, ushort sourcePort, ushort destinationPort, ushort seed, string expected)
    {
        var src = IPAddress.Parse(source);
        var dst = IPAddress.Parse(destination);
        bool icmp = protocol is 1 or 58;

        // The tuple API: for ICMP the "ports" are type and code, as in pycommunityid's FlowTuple.
        Assert.Equal(expected, CommunityId.Compute(src, sourcePort, dst, destinationPort, protocol, seed));

        if (icmp)
        {
            Assert.Equal(expected, CommunityId.ComputeIcmp(src, dst, protocol, (byte)sourcePort, (byte)destinationPort, seed));
        }

        // The event API, as collectors call it.
        var flow = new FlowEvent
        {
            Timestamp = DateTimeOffset.UnixEpoch,
            Source = new FlowEndpoint { Ip = src, Port = icmp ? (ushort)0 : sourcePort },
            Destination = new FlowEndpoint { Ip = dst, Port = icmp ? (ushort)0 : destinationPort },
            IpProtocol = protocol,
            IcmpType = icmp ? (byte)sourcePort : null,
            IcmpCode = icmp ? (byte)destinationPort : null,
        };
        Assert.Equal(expected, CommunityId.Compute(flow, seed));
    }

    [Fact]
    public void Compute_DefaultSeed_IsZero()
    {
        var src = IPAddress.Parse("128.232.110.120");
        var dst = IPAddress.Parse("66.35.250.204");

        Assert.Equal("1:LQU9qZlK+B5F3KDmev6m5PMibrg=", CommunityId.Compute(src, 34855, dst, 80, 6));
    }

    [Theory]
    [InlineData((byte)1, (byte)8, (byte)0)] // echo request / reply
    [InlineData((byte)1, (byte)13, (byte)14)] // timestamp
    [InlineData((byte)1, (byte)15, (byte)16)] // information
    [InlineData((byte)1, (byte)10, (byte)9)] // router solicitation / advertisement
    [InlineData((byte)1, (byte)17, (byte)18)] // address mask
    [InlineData((byte)58, (byte)128, (byte)129)] // echo
    [InlineData((byte)58, (byte)130, (byte)131)] // multicast listener query / report
    [InlineData((byte)58, (byte)133, (byte)134)] // router solicitation / advertisement
    [InlineData((byte)58, (byte)135, (byte)136)] // neighbour solicitation / advertisement
    [InlineData((byte)58, (byte)139, (byte)140)] // node information ("who are you") query / reply
    [InlineData((byte)58, (byte)144, (byte)145)] // home agent address discovery
    public void ComputeIcmp_RequestAndReply_ShareOneId(byte protocol, byte requestType, byte replyType)
    {
        var (client, server) = protocol == 1
            ? (IPAddress.Parse("10.0.0.9"), IPAddress.Parse("10.0.0.1"))
            : (IPAddress.Parse("fd00::9"), IPAddress.Parse("fd00::1"));

        string request = CommunityId.ComputeIcmp(client, server, protocol, requestType, 0);
        string reply = CommunityId.ComputeIcmp(server, client, protocol, replyType, 0);

        Assert.Equal(request, reply);
    }

    [Fact]
    public void ComputeIcmp_OneWayType_IsNotFlippedAndKeepsCode()
    {
        var a = IPAddress.Parse("10.0.0.1");
        var b = IPAddress.Parse("10.0.0.2");

        // Destination unreachable (3) has no counterpart: direction and code both change the id.
        Assert.NotEqual(CommunityId.ComputeIcmp(a, b, 1, 3, 1), CommunityId.ComputeIcmp(b, a, 1, 3, 1));
        Assert.NotEqual(CommunityId.ComputeIcmp(a, b, 1, 3, 1), CommunityId.ComputeIcmp(a, b, 1, 3, 3));
    }

    [Fact]
    public void Compute_IcmpFlowWithoutTypeAndCode_HashesTypeZeroCodeZero()
    {
        var flow = new FlowEvent
        {
            Timestamp = DateTimeOffset.UnixEpoch,
            Source = new FlowEndpoint { Ip = IPAddress.Parse("5.6.7.8") },
            Destination = new FlowEndpoint { Ip = IPAddress.Parse("1.2.3.4") },
            IpProtocol = 1,
        };

        // Type 0 is an echo reply; it pairs with the README's echo request from 1.2.3.4.
        Assert.Equal("1:crodRHL2FEsHjbv3UkRrfbs4bZ0=", CommunityId.Compute(flow));
    }

    [Fact]
    public void Compute_Ipv4MappedIpv6AgainstIpv4_HashesAsIpv4()
    {
        var mapped = IPAddress.Parse("::ffff:128.232.110.120");
        var dst = IPAddress.Parse("66.35.250.204");

        Assert.Equal("1:LQU9qZlK+B5F3KDmev6m5PMibrg=", CommunityId.Compute(mapped, 34855, dst, 80, 6));
    }

    [Fact]
    public void Compute_MixedAddressFamilies_Throws()
    {
        var v4 = IPAddress.Parse("10.0.0.1");
        var v6 = IPAddress.Parse("fd00::1");

        Assert.Throws<ArgumentException>(() => CommunityId.Compute(v4, 1, v6, 2, 6));
    }
}
