namespace NetSecStream.Collectors.NetFlow;

/// <summary>What one datagram yielded: records, options records and templates taken, and the failures met.</summary>
public readonly record struct NetFlowDecodeResult(
    int Records,
    int OptionsRecords,
    int Templates,
    int Failures,
    NetFlowRejectReason FirstFailure)
{
    /// <summary>True when nothing in the datagram was rejected.</summary>
    public bool IsClean => Failures == 0;
}
