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
    /// PASSTHROUGH (a flags2 bit, with INIT_EXT) is added when <see cref="FuseSessionOptions.Passthrough"/> allows it. READDIRPLUS_AUTO is left out on purpose: with it the
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
        // Passthrough lets the kernel read a whole, verified cached copy itself (no READ reaches the daemon). It is a
        // flags2 bit, so INIT_EXT goes with it; the backing files live on an ordinary file system (stack depth 1).
        var passthrough = options.Passthrough && (request.AllFlags & (FuseInitFlags.Passthrough | FuseInitFlags.InitExt))
            == (FuseInitFlags.Passthrough | FuseInitFlags.InitExt);
        if (passthrough)
            granted |= FuseInitFlags.Passthrough | FuseInitFlags.InitExt;
        // With nothing that a write could have to clear, saying "the file system clears it" is true, and spares the
        // kernel a GETXATTR security.capability before every WRITE (FuseSessionOptions.NothingToKillOnWrite).
        if (options.NothingToKillOnWrite)
            granted |= request.AllFlags & FuseInitFlags.HandleKillprivV2;
        var maxPagesGranted = (granted & FuseInitFlags.MaxPages) != 0;
        var reply = new FuseInitOut
        {
            Major = Major,
            Minor = Math.Min(request.Minor, HighestMinor),
            MaxReadahead = Math.Min(request.MaxReadahead, options.MaxReadahead),
            Flags = (uint)((ulong)granted & 0xFFFF_FFFF),
            Flags2 = (uint)((ulong)granted >> 32),
            MaxBackground = options.MaxBackground,
            CongestionThreshold = options.CongestionThreshold,
            // Without MAX_PAGES the kernel caps requests at 32 pages.
            MaxWrite = maxPagesGranted ? options.MaxWrite : Math.Min(options.MaxWrite, 32u * 4096),
            TimeGran = 1,
            MaxPages = maxPagesGranted ? options.MaxPages : (ushort)0,
            MaxStackDepth = passthrough ? 1u : 0u,
        };
        return new InitDecision(reply, 0, false);
    }
}
