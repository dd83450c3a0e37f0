namespace NetSecStream.Sinks.Tests.Elasticsearch;

/// <summary>
/// A fact that needs a Docker engine (Testcontainers), as in NetSecStream.Kafka.Tests. Where none is reachable it is
/// reported as skipped, with the reason, instead of failing or passing silently.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class DockerFactAttribute : FactAttribute
{
    public DockerFactAttribute()
    {
        if (NoDockerReason() is { } reason)
        {
            Skip = reason;
        }
    }

    /// <summary>Why Docker is unavailable, or null when an engine endpoint is configured or its socket exists.</summary>
    public static string? NoDockerReason()
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOCKER_HOST")))
        {
            return null;
        }

        const string Socket = "/var/run/docker.sock";
        return File.Exists(Socket)
            ? null
            : $"no Docker engine: DOCKER_HOST is not set and {Socket} does not exist (the real-Elasticsearch test runs Elasticsearch in a container)";
    }
}
