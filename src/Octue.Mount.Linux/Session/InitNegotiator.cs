using Octue.Mount.Linux.Protocol;

namespace Octue.Mount.Linux.Session;

/// <summary>The outcome of one INIT request.</summary>
internal readonly record struct InitDecision(FuseInitOut Reply, int Errno, bool AwaitSecondInit)
{
    public bool Accepted => Errno == 0 && !AwaitSecondInit;
}

/// <summary>
/// Chooses the protocol minor and capability flags from what the kernel offers. Pure, so it is unit-tested
/// against recorded INIT requests.
/// </summary>
internal static class InitNegotiator
{
    public const uint Major = 7;
    /// <summary>The highest minor whose structs this adapter speaks (kernel 6.18 offers 45).</summary>
    public const uint HighestMinor = 45;
    /// <summary>Older kernels lack features the adapter relies on (MAX_PAGES, READDIRPLUS_AUTO, PARALLEL_DIROPS...).</summary>
    public const uint LowestMinor = 31;

    /// <summary>
    /// Capabilities wanted when the kernel offers them. WRITEBACK_CACHE stays off: the kernel would own size and
    /// mtime, which is wrong for a store other writers change. Locks are not negotiated (they stay local).
    /// No flags2 bit is wanted, so INIT_EXT is not set either. READDIRPLUS_AUTO is left out on purpose: with it the
    /// kernel sends plain READDIR after the first page (ls reads every page before it stats anything), then one
    /// LOOKUP per entry. A listing here carries every entry's attributes anyway, so READDIRPLUS is always the cheaper
    /// answer: measured on 2,000 objects, `ls -l` went from 656 LOOKUPs to none.
    /// </summary>
    public const FuseInitFlags Wanted =
        FuseInitFlags.AsyncRead |
        FuseInitFlags.AtomicOTrunc |
        FuseInitFlags.BigWrites |
        FuseInitFlags.AutoInvalData |
        FuseInitFlags.DoReaddirplus |
        FuseInitFlags.AsyncDio |
        FuseInitFlags.ParallelDirops |
        FuseInitFlags.MaxPages |
        FuseInitFlags.CacheSymlinks;

    public static InitDecision Negotiate(in FuseInitIn request, FuseSessionOptions options)
    {
        if (request.Major < Major)
            return new InitDecision(default, Errno.EPROTO, false);
        if (request.Major > Major)
            // The kernel then sends a second INIT speaking our major.
            return new InitDecision(new FuseInitOut { Major = Major }, 0, true);
        if (request.Minor < LowestMinor)
            return new InitDecision(default, Errno.EPROTO, false);

        var granted = request.AllFlags & Wanted;
        var maxPagesGranted = (granted & FuseInitFlags.MaxPages) != 0;
        var reply = new FuseInitOut
        {
            Major = Major,
            Minor = Math.Min(request.Minor, HighestMinor),
            MaxReadahead = Math.Min(request.MaxReadahead, options.MaxReadahead),
            Flags = (uint)((ulong)granted & 0xFFFF_FFFF),
            Flags2 = 0,
            MaxBackground = options.MaxBackground,
            CongestionThreshold = options.CongestionThreshold,
            // Without MAX_PAGES the kernel caps requests at 32 pages.
            MaxWrite = maxPagesGranted ? options.MaxWrite : Math.Min(options.MaxWrite, 32u * 4096),
            TimeGran = 1,
            MaxPages = maxPagesGranted ? options.MaxPages : (ushort)0,
        };
        return new InitDecision(reply, 0, false);
    }
}
