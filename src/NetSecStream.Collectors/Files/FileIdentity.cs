using Microsoft.Win32.SafeHandles;

namespace NetSecStream.Collectors.Files;

/// <summary>
/// Tells whether the file an open handle reads is still the file its path names, the way <c>tail -F</c> notices
/// rotation. On Linux the handle's <c>/proc/self/fd</c> link shows where the open file now lives (a new name after
/// a rename, <c>(deleted)</c> after removal) and the path's resolved target shows a retargeted symlink; both are
/// compared with what they were when the file was opened. Elsewhere the path's creation time is compared.
/// </summary>
internal sealed class FileIdentity
{
    private readonly string _path;
    private readonly string? _handleLink;
    private readonly string? _pathTarget;
    private readonly DateTime _creationTimeUtc;

    private FileIdentity(string path, string? handleLink, string? pathTarget, DateTime creationTimeUtc)
    {
        _path = path;
        _handleLink = handleLink;
        _pathTarget = pathTarget;
        _creationTimeUtc = creationTimeUtc;
    }

    public static FileIdentity Capture(string path, SafeFileHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (OperatingSystem.IsLinux())
        {
            string? link = HandleLink(handle);
            if (link is not null)
            {
                return new FileIdentity(path, link, PathTarget(path), default);
            }
        }

        return new FileIdentity(path, null, null, SafeCreationTime(path));
    }

    /// <summary>True when the path no longer names the open file (renamed, deleted, or the link retargeted).</summary>
    public bool IsReplaced(SafeFileHandle handle)
    {
        if (_handleLink is not null)
        {
            return HandleLink(handle) != _handleLink || PathTarget(_path) != _pathTarget;
        }

        return SafeCreationTime(_path) != _creationTimeUtc;
    }

    private static string? HandleLink(SafeFileHandle handle)
    {
        try
        {
            return new FileInfo("/proc/self/fd/" + handle.DangerousGetHandle().ToInt64()).LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? PathTarget(string path)
    {
        try
        {
            return File.ResolveLinkTarget(path, returnFinalTarget: true)?.FullName ?? System.IO.Path.GetFullPath(path);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static DateTime SafeCreationTime(string path)
    {
        try
        {
            return File.GetCreationTimeUtc(path);
        }
        catch (IOException)
        {
            return default;
        }
        catch (UnauthorizedAccessException)
        {
            return default;
        }
    }
}
