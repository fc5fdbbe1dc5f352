using System.IO.Pipes;
using System.Runtime.Versioning;
using System.Security.AccessControl;
using System.Security.Principal;

namespace Octue.Mount.Windows.Control;

/// <summary>
/// Both ends of the unmount pipe, restricted to the user who mounted and to this machine.
/// <para>
/// On Windows the server's pipe gets an ACL of its own: owned by, and fully open to, the current token's owner (the
/// user; in an elevated window, the Administrators group), and an explicit deny for the NETWORK group, since named
/// pipes are otherwise reachable from other machines over SMB (.NET does not set PIPE_REJECT_REMOTE_CLIENTS). Elsewhere .NET implements named pipes as Unix-domain sockets,
/// which are local by nature, and <see cref="PipeOptions.CurrentUserOnly"/> checks the peer's user. The client
/// always asks for CurrentUserOnly, so it refuses to talk to a pipe another user created under the same name.
/// </para>
/// </summary>
internal static class UnmountPipe
{
    public static NamedPipeServerStream CreateServer(string pipeName) =>
        OperatingSystem.IsWindows()
            ? CreateWindowsServer(pipeName)
            : new NamedPipeServerStream(pipeName, PipeDirection.InOut, NamedPipeServerStream.MaxAllowedServerInstances,
                PipeTransmissionMode.Byte, PipeOptions.Asynchronous | PipeOptions.CurrentUserOnly);

    public static NamedPipeClientStream CreateClient(string pipeName) =>
        new(".", pipeName, PipeDirection.InOut, PipeOptions.Asynchronous | PipeOptions.CurrentUserOnly);

    [SupportedOSPlatform("windows")]
    private static NamedPipeServerStream CreateWindowsServer(string pipeName)
    {
        // The token's owner SID, as .NET's own CurrentUserOnly servers use: the client's CurrentUserOnly check compares
        // the pipe's owner with exactly that SID (which is BUILTIN\Administrators in an elevated session).
        using WindowsIdentity identity = WindowsIdentity.GetCurrent();
        SecurityIdentifier owner = identity.Owner ?? throw new InvalidOperationException("The current Windows token has no owner SID.");
        var security = new PipeSecurity();
        security.SetOwner(owner);
        security.AddAccessRule(new PipeAccessRule(owner, PipeAccessRights.FullControl, AccessControlType.Allow));
        security.AddAccessRule(new PipeAccessRule(new SecurityIdentifier(WellKnownSidType.NetworkSid, null),
            PipeAccessRights.FullControl, AccessControlType.Deny));
        return NamedPipeServerStreamAcl.Create(pipeName, PipeDirection.InOut, NamedPipeServerStream.MaxAllowedServerInstances,
            PipeTransmissionMode.Byte, PipeOptions.Asynchronous, 0, 0, security);
    }
}
