namespace NetSecStream.Core.Events;

/// <summary>Versions every serialised NetSecStream document carries.</summary>
public static class SchemaVersion
{
    /// <summary>Version of the NetSecStream document schema (<c>netsec.schema_version</c>); bump on breaking changes.</summary>
    public const string Current = "1";

    /// <summary>The Elastic Common Schema version the documents follow (<c>ecs.version</c>).</summary>
    public const string EcsVersion = "8.11.0";
}
