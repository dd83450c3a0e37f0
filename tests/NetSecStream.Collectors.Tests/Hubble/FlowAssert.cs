using NetSecStream.Core.Events;

namespace NetSecStream.Collectors.Tests.Hubble;

/// <summary>Field-by-field equality of decoded flows, with the field named when they differ.</summary>
internal static class FlowAssert
{
    public static void Equivalent(FlowEvent expected, FlowEvent actual)
    {
        Assert.Equal(expected.Timestamp, actual.Timestamp);
        Endpoint(expected.Source, actual.Source);
        Endpoint(expected.Destination, actual.Destination);
        Assert.Equal(expected.IpProtocol, actual.IpProtocol);
        Assert.Equal(expected.Direction, actual.Direction);
        Assert.Equal(expected.Verdict, actual.Verdict);
        Assert.Equal(expected.IsReply, actual.IsReply);
        Assert.Equal(expected.Bytes, actual.Bytes);
        Assert.Equal(expected.Packets, actual.Packets);
        Assert.Equal(expected.TcpFlags, actual.TcpFlags);
        Assert.Equal(expected.IcmpType, actual.IcmpType);
        Assert.Equal(expected.IcmpCode, actual.IcmpCode);
        Assert.Equal(expected.CollectorId, actual.CollectorId);
        Assert.Equal(expected.NodeName, actual.NodeName);
        Assert.Equal(expected.Cluster, actual.Cluster);
        Assert.Equal(expected.CommunityId, actual.CommunityId);
        Assert.Equal(expected.Summary, actual.Summary);
        Assert.Equal(expected.Dns is null, actual.Dns is null);
        if (expected.Dns is not null && actual.Dns is not null)
        {
            Assert.Equal(expected.Dns.Query, actual.Dns.Query);
            Assert.Equal(expected.Dns.QueryTypes, actual.Dns.QueryTypes);
            Assert.Equal(expected.Dns.Rcode, actual.Dns.Rcode);
            Assert.Equal(expected.Dns.Answers, actual.Dns.Answers);
            Assert.Equal(expected.Dns.IsResponse, actual.Dns.IsResponse);
        }

        Assert.Equal(expected.Http is null, actual.Http is null);
        if (expected.Http is not null && actual.Http is not null)
        {
            Assert.Equal(expected.Http.Method, actual.Http.Method);
            Assert.Equal(expected.Http.Host, actual.Http.Host);
            Assert.Equal(expected.Http.Uri, actual.Http.Uri);
            Assert.Equal(expected.Http.Url, actual.Http.Url);
            Assert.Equal(expected.Http.UserAgent, actual.Http.UserAgent);
            Assert.Equal(expected.Http.StatusCode, actual.Http.StatusCode);
            Assert.Equal(expected.Http.Protocol, actual.Http.Protocol);
            Assert.Equal(expected.Http.Headers, actual.Http.Headers);
            Assert.Equal(expected.Http.IsResponse, actual.Http.IsResponse);
        }
    }

    private static void Endpoint(FlowEndpoint expected, FlowEndpoint actual)
    {
        Assert.Equal(expected.Ip, actual.Ip);
        Assert.Equal(expected.Port, actual.Port);
        Assert.Equal(expected.Namespace, actual.Namespace);
        Assert.Equal(expected.Pod, actual.Pod);
        Assert.Equal(expected.Workload, actual.Workload);
        Assert.Equal(expected.Identity, actual.Identity);
        Assert.Equal(expected.ReservedEntity, actual.ReservedEntity);
        Assert.Equal(expected.DnsNames, actual.DnsNames);
        Assert.Equal(
            expected.Labels?.OrderBy(pair => pair.Key, StringComparer.Ordinal),
            actual.Labels?.OrderBy(pair => pair.Key, StringComparer.Ordinal));
    }
}
