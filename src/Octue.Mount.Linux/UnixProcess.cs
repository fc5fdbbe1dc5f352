using Octue.Mount.Linux.Native;

namespace Octue.Mount.Linux;

/// <summary>Process-level calls a daemon needs and .NET does not offer: who we run as, and detaching from the terminal.</summary>
public static class UnixProcess
{
    public static uint EffectiveUid => LibC.GetEuid();

    public static uint EffectiveGid => LibC.GetEgid();

    public static bool IsRoot => LibC.GetEuid() == 0;

    /// <summary>Starts a new session (setsid), so the terminal's hang-up and Ctrl-C no longer reach this process.</summary>
    public static bool StartNewSession() => LibC.SetSid() >= 0;

    /// <summary>
    /// Asks a process to stop (SIGTERM), as <c>kill PID</c> does; false when it is gone already. .NET's
    /// <c>Process.Kill</c> only sends SIGKILL, which leaves a FUSE mount behind and no chance to clean up.
    /// </summary>
    public static bool Terminate(int processId) => LibC.Kill(processId, 15) == 0;

    /// <summary>Points stdin, stdout and stderr at /dev/null (after a background daemon reported readiness).</summary>
    public static void DetachStandardStreams()
    {
        var devNull = LibC.Open("/dev/null", LibC.O_RDWR);
        if (devNull < 0)
            return;
        LibC.Dup2(devNull, 0);
        LibC.Dup2(devNull, 1);
        LibC.Dup2(devNull, 2);
        if (devNull > 2)
            LibC.Close(devNull);
    }
}
