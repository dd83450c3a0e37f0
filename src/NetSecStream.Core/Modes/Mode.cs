namespace NetSecStream.Core;

/// <summary>What NetSecStream does with detections in a namespace.</summary>
public enum Mode
{
    /// <summary>Record the finding in the alert store only; no alert is raised to sinks.</summary>
    Log = 0,

    /// <summary>Record and raise an alert to every alert sink.</summary>
    Alert = 1,

    /// <summary>Alert, and ask the control plane to push a deny rule.</summary>
    Block = 2,
}
