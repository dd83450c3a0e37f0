namespace NetSecStream.Testing;

/// <summary>Finds the shared test data (../shared/data) through NETSEC_TESTDATA.</summary>
public static class TestData
{
    /// <summary>The data root, or null when it is absent (tests then say so and skip their data part).</summary>
    public static string? Root
    {
        get
        {
            string? configured = Environment.GetEnvironmentVariable("NETSEC_TESTDATA");
            if (!string.IsNullOrEmpty(configured))
            {
                return Directory.Exists(configured) ? Path.GetFullPath(configured) : null;
            }

            // Default: ../shared/data relative to the repository root, found by walking up from the test binary.
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null)
            {
                if (File.Exists(Path.Combine(dir.FullName, "NetSecStream.sln")))
                {
                    string candidate = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data"));
                    return Directory.Exists(candidate) ? candidate : null;
                }

                dir = dir.Parent;
            }

            return null;
        }
    }

    /// <summary>The repository root (the folder holding NetSecStream.sln).</summary>
    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "NetSecStream.sln")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("NetSecStream.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>Path of a file under the data root; fails the test with a clear message when the data is absent.</summary>
    public static string Require(string relative)
    {
        string root = Root ?? throw new InvalidOperationException(
            "Shared test data not found: set NETSEC_TESTDATA to the shared/data folder (default ../shared/data beside the clone).");
        string path = Path.Combine(root, relative);
        return File.Exists(path) || Directory.Exists(path) ? path : throw new FileNotFoundException("test data file missing: " + path);
    }
}
