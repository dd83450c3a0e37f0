using System.Runtime.InteropServices;

namespace NetSecStream.Signatures.Engine;

/// <summary>
/// Intel Hyperscan (Debian's <c>libhyperscan5</c>, loaded as <c>libhs.so.5</c>) in block mode, each pattern compiled as a
/// literal (<c>hs_compile_lit_multi</c>, so any byte is allowed) with <c>HS_FLAG_SINGLEMATCH</c>, and
/// <c>HS_FLAG_CASELESS</c> for nocase. Optional: <see cref="IsAvailable"/> says whether the library loads and the CPU
/// runs it (it needs SSSE3); callers fall back to <see cref="AhoCorasickMatcher"/> otherwise. Each scanning thread gets its
/// own scratch space, cloned from the first.
/// </summary>
public sealed class HyperscanMatcher : MultiPatternMatcher
{
    private const string Library = "libhs.so.5";
    private const int HsSuccess = 0;
    private const uint HsFlagCaseless = 1;
    private const uint HsFlagSingleMatch = 8;
    private const uint HsModeBlock = 1;

    private static readonly Lazy<string?> UnavailableReason = new(ProbeLibrary);

    // Kept in a static field so the delegate behind the native function pointer is never collected.
    private static readonly MatchCallback OnMatchDelegate = OnMatch;
    private static readonly IntPtr OnMatchPointer = Marshal.GetFunctionPointerForDelegate(OnMatchDelegate);

    [ThreadStatic]
    private static PrefilterMatches? t_current;

    private readonly IntPtr _database;
    private readonly IntPtr _prototypeScratch;
    private readonly ThreadLocal<IntPtr> _scratch;
    private readonly long _databaseBytes;
    private readonly long _scratchBytes;
    private int _disposed;

    private HyperscanMatcher(PrefilterPatternSet patterns)
        : base(patterns)
    {
        if (UnavailableReason.Value is { } reason)
        {
            throw new PlatformNotSupportedException($"Hyperscan is not available: {reason}");
        }

        _scratch = new ThreadLocal<IntPtr>(CloneScratch, trackAllValues: true);
        if (patterns.Count == 0)
        {
            // Hyperscan refuses an empty set; an empty matcher simply finds nothing.
            return;
        }

        _database = Compile(patterns);
        IntPtr scratch = IntPtr.Zero;
        Check(NativeMethods.hs_alloc_scratch(_database, ref scratch), "hs_alloc_scratch");
        _prototypeScratch = scratch;
        Check(NativeMethods.hs_database_size(_database, out nuint databaseBytes), "hs_database_size");
        Check(NativeMethods.hs_scratch_size(_prototypeScratch, out nuint scratchBytes), "hs_scratch_size");
        _databaseBytes = (long)databaseBytes;
        _scratchBytes = (long)scratchBytes;
    }

    private delegate int MatchCallback(uint id, ulong from, ulong to, uint flags, IntPtr context);

    public override string Name => "hyperscan";

    /// <summary>The compiled database plus one scratch space (each scanning thread holds one more).</summary>
    public override long MemoryBytes => _databaseBytes + _scratchBytes;

    /// <summary>Whether Hyperscan can be used here; when not, <paramref name="reason"/> says why.</summary>
    public static bool IsAvailable(out string reason)
    {
        reason = UnavailableReason.Value ?? "";
        return UnavailableReason.Value is null;
    }

    /// <exception cref="PlatformNotSupportedException">Hyperscan is not installed or the CPU lacks SSSE3.</exception>
    public static HyperscanMatcher Create(IReadOnlyList<PrefilterPattern> patterns, PrefilterLimits? limits = null) =>
        new(PrefilterPatternSet.Create(patterns, limits));

    private protected override void ScanCore(ReadOnlySpan<byte> buffer, PrefilterMatches matches)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_database == IntPtr.Zero)
        {
            return;
        }

        t_current = matches;
        try
        {
            int result = NativeMethods.hs_scan(_database, in MemoryMarshal.GetReference(buffer), (uint)buffer.Length, 0, _scratch.Value, OnMatchPointer, IntPtr.Zero);
            Check(result, "hs_scan");
        }
        finally
        {
            t_current = null;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (disposing)
        {
            foreach (IntPtr scratch in _scratch.Values)
            {
                _ = NativeMethods.hs_free_scratch(scratch);
            }

            _scratch.Dispose();
        }

        if (_database != IntPtr.Zero)
        {
            _ = NativeMethods.hs_free_scratch(_prototypeScratch);
            _ = NativeMethods.hs_free_database(_database);
        }
        base.Dispose(disposing);
    }

    private static int OnMatch(uint id, ulong from, ulong to, uint flags, IntPtr context)
    {
        t_current?.Add((int)id);
        return 0;
    }

    private static string? ProbeLibrary()
    {
        if (!NativeLibrary.TryLoad(Library, typeof(HyperscanMatcher).Assembly, DllImportSearchPath.SafeDirectories, out IntPtr handle))
        {
            return $"{Library} not found (Debian: apt-get install libhyperscan5)";
        }

        NativeLibrary.Free(handle);
        try
        {
            return NativeMethods.hs_valid_platform() == HsSuccess ? null : "this CPU lacks SSSE3 (hs_valid_platform failed)";
        }
        catch (EntryPointNotFoundException e)
        {
            return $"{Library} lacks an expected function: {e.Message}";
        }
        catch (DllNotFoundException e)
        {
            return $"{Library} did not load: {e.Message}";
        }
    }

    private static IntPtr Compile(PrefilterPatternSet patterns)
    {
        int count = patterns.Count;
        var pinned = new GCHandle[count];
        try
        {
            var expressions = new IntPtr[count];
            var flags = new uint[count];
            var ids = new uint[count];
            var lengths = new nuint[count];
            for (int i = 0; i < count; i++)
            {
                pinned[i] = GCHandle.Alloc(patterns.Bytes[i], GCHandleType.Pinned);
                expressions[i] = pinned[i].AddrOfPinnedObject();
                flags[i] = HsFlagSingleMatch | (patterns.NoCase[i] ? HsFlagCaseless : 0);
                ids[i] = (uint)patterns.Ids[i];
                lengths[i] = (nuint)patterns.Bytes[i].Length;
            }

            IntPtr database = IntPtr.Zero;
            IntPtr error = IntPtr.Zero;
            int result = NativeMethods.hs_compile_lit_multi(expressions, flags, ids, lengths, (uint)count, HsModeBlock, IntPtr.Zero, ref database, ref error);
            if (result != HsSuccess)
            {
                string message = error == IntPtr.Zero ? "" : Marshal.PtrToStringUTF8(Marshal.ReadIntPtr(error)) ?? "";
                int expression = error == IntPtr.Zero ? -1 : Marshal.ReadInt32(error, IntPtr.Size);
                if (error != IntPtr.Zero)
                {
                    _ = NativeMethods.hs_free_compile_error(error);
                }

                throw new ArgumentException($"Hyperscan refused the patterns (error {result}, pattern {expression}): {message}", nameof(patterns));
            }

            return database;
        }
        finally
        {
            foreach (GCHandle handle in pinned)
            {
                if (handle.IsAllocated)
                {
                    handle.Free();
                }
            }
        }
    }

    private static void Check(int result, string function)
    {
        if (result != HsSuccess)
        {
            throw new InvalidOperationException($"Hyperscan {function} failed with error {result}.");
        }
    }

    private IntPtr CloneScratch()
    {
        IntPtr clone = IntPtr.Zero;
        Check(NativeMethods.hs_clone_scratch(_prototypeScratch, ref clone), "hs_clone_scratch");
        return clone;
    }

    private static class NativeMethods
    {
        [DllImport(Library)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int hs_valid_platform();

        [DllImport(Library)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int hs_compile_lit_multi(IntPtr[] expressions, uint[] flags, uint[] ids, nuint[] lengths, uint elements, uint mode, IntPtr platform, ref IntPtr database, ref IntPtr error);

        [DllImport(Library)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int hs_free_compile_error(IntPtr error);

        [DllImport(Library)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int hs_free_database(IntPtr database);

        [DllImport(Library)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int hs_alloc_scratch(IntPtr database, ref IntPtr scratch);

        [DllImport(Library)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int hs_clone_scratch(IntPtr source, ref IntPtr clone);

        [DllImport(Library)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int hs_free_scratch(IntPtr scratch);

        [DllImport(Library)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int hs_database_size(IntPtr database, out nuint size);

        [DllImport(Library)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int hs_scratch_size(IntPtr scratch, out nuint size);

        [DllImport(Library)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int hs_scan(IntPtr database, in byte data, uint length, uint flags, IntPtr scratch, IntPtr onEvent, IntPtr context);
    }
}
