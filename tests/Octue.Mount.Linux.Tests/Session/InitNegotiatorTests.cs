using Octue.Mount.Linux.Protocol;
using Octue.Mount.Linux.Session;

namespace Octue.Mount.Linux.Tests.Session;

public sealed class InitNegotiatorTests
{
    // What kernel 6.18 offered on this kind of machine (fuse-notes §1.1).
    private static FuseInitIn Kernel618 => new() { Major = 7, Minor = 45, MaxReadahead = 131072, Flags = 0x73fffffb, Flags2 = 0x000005fd };

    [Fact]
    public void Kernel_6_18_gets_minor_45_one_mib_requests_and_the_recommended_flags()
    {
        var decision = InitNegotiator.Negotiate(Kernel618, new FuseSessionOptions { Passthrough = true });
        Assert.True(decision.Accepted);
        var reply = decision.Reply;
        Assert.Equal(7u, reply.Major);
        Assert.Equal(45u, reply.Minor);
        Assert.Equal(1u << 20, reply.MaxWrite);
        Assert.Equal(256, reply.MaxPages);
        Assert.Equal(131072u, reply.MaxReadahead);
        Assert.Equal(64, reply.MaxBackground);
        Assert.Equal(48, reply.CongestionThreshold);
        Assert.Equal(1u, reply.TimeGran);
        var flags = (FuseInitFlags)reply.Flags;
        foreach (var wanted in new[] { FuseInitFlags.AsyncRead, FuseInitFlags.AtomicOTrunc, FuseInitFlags.ParallelDirops, FuseInitFlags.DoReaddirplus,
                     FuseInitFlags.BigWrites, FuseInitFlags.AutoInvalData, FuseInitFlags.AsyncDio, FuseInitFlags.MaxPages })
            Assert.True(flags.HasFlag(wanted), $"{wanted} should be negotiated");
        foreach (var unwanted in new[] { FuseInitFlags.WritebackCache, FuseInitFlags.PosixLocks, FuseInitFlags.FlockLocks, FuseInitFlags.SpliceRead,
                     FuseInitFlags.HandleKillpriv, FuseInitFlags.PosixAcl, FuseInitFlags.ReaddirplusAuto, FuseInitFlags.SetxattrExt })
            Assert.False(flags.HasFlag(unwanted), $"{unwanted} must stay off");
        // Passthrough is the one flags2 bit (bit 37), so INIT_EXT is set with it; backing files sit on a plain file system.
        Assert.True(flags.HasFlag(FuseInitFlags.InitExt));
        Assert.Equal((uint)((ulong)FuseInitFlags.Passthrough >> 32), reply.Flags2);
        Assert.Equal(1u, reply.MaxStackDepth);
    }

    [Fact]
    public void Without_passthrough_no_flags2_bit_and_no_init_ext()
    {
        var reply = InitNegotiator.Negotiate(Kernel618, new FuseSessionOptions { Passthrough = false }).Reply;
        Assert.False(((FuseInitFlags)reply.Flags).HasFlag(FuseInitFlags.InitExt));
        Assert.Equal(0u, reply.Flags2);
        Assert.Equal(0u, reply.MaxStackDepth);
        // Nor when the kernel does not offer it.
        var old = InitNegotiator.Negotiate(Kernel618 with { Flags2 = 0 }, new FuseSessionOptions { Passthrough = true }).Reply;
        Assert.Equal(0u, old.Flags2);
        Assert.Equal(0u, old.MaxStackDepth);
    }

    [Fact]
    public void Killpriv_v2_is_claimed_only_when_no_file_can_have_a_privilege_to_clear()
    {
        // Without --suid: nothing a write could have to clear, so the file system "handles" it and the kernel stops
        // asking security.capability before every WRITE.
        var plain = (FuseInitFlags)InitNegotiator.Negotiate(Kernel618, new FuseSessionOptions { NothingToKillOnWrite = true }).Reply.Flags;
        Assert.True(plain.HasFlag(FuseInitFlags.HandleKillprivV2));
        Assert.False(plain.HasFlag(FuseInitFlags.HandleKillpriv));
        // With --suid the kernel keeps clearing setuid bits itself.
        var suid = (FuseInitFlags)InitNegotiator.Negotiate(Kernel618, new FuseSessionOptions { NothingToKillOnWrite = false }).Reply.Flags;
        Assert.False(suid.HasFlag(FuseInitFlags.HandleKillprivV2));
        // Never claimed when the kernel does not offer it.
        var older = Kernel618 with { Flags = Kernel618.Flags & ~(uint)FuseInitFlags.HandleKillprivV2 };
        var old = (FuseInitFlags)InitNegotiator.Negotiate(older, new FuseSessionOptions { NothingToKillOnWrite = true }).Reply.Flags;
        Assert.False(old.HasFlag(FuseInitFlags.HandleKillprivV2));
    }

    [Fact]
    public void Flags_the_kernel_does_not_offer_are_not_claimed()
    {
        var init = Kernel618 with { Flags = (uint)FuseInitFlags.AsyncRead };
        var decision = InitNegotiator.Negotiate(init, new FuseSessionOptions());
        Assert.Equal((uint)FuseInitFlags.AsyncRead, decision.Reply.Flags);
        // Without MAX_PAGES the kernel caps requests at 32 pages.
        Assert.Equal(128u * 1024, decision.Reply.MaxWrite);
        Assert.Equal(0, decision.Reply.MaxPages);
    }

    [Fact]
    public void A_newer_kernel_minor_is_answered_with_ours()
    {
        var decision = InitNegotiator.Negotiate(Kernel618 with { Minor = 50 }, new FuseSessionOptions());
        Assert.Equal(45u, decision.Reply.Minor);
        var older = InitNegotiator.Negotiate(Kernel618 with { Minor = 38 }, new FuseSessionOptions());
        Assert.Equal(38u, older.Reply.Minor);
    }

    [Fact]
    public void Too_old_kernels_are_refused_with_eproto()
    {
        Assert.Equal(Errno.EPROTO, InitNegotiator.Negotiate(Kernel618 with { Minor = 30 }, new FuseSessionOptions()).Errno);
        Assert.Equal(Errno.EPROTO, InitNegotiator.Negotiate(Kernel618 with { Major = 6 }, new FuseSessionOptions()).Errno);
    }

    [Fact]
    public void A_newer_major_gets_major_7_only_and_waits_for_a_second_init()
    {
        var decision = InitNegotiator.Negotiate(Kernel618 with { Major = 8 }, new FuseSessionOptions());
        Assert.True(decision.AwaitSecondInit);
        Assert.Equal(7u, decision.Reply.Major);
        Assert.Equal(0u, decision.Reply.Flags);
    }

    [Fact]
    public void Readahead_is_never_raised_above_the_kernel_offer()
    {
        var decision = InitNegotiator.Negotiate(Kernel618 with { MaxReadahead = 4096 }, new FuseSessionOptions());
        Assert.Equal(4096u, decision.Reply.MaxReadahead);
    }

    [Fact]
    public void Request_buffers_hold_the_largest_write_plus_headers()
    {
        var options = new FuseSessionOptions();
        Assert.True(options.RequestBufferSize >= FuseInHeader.Size + FuseWriteIn.Size + (int)options.MaxWrite);
    }
}
