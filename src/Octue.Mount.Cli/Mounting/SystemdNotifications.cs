using System.Net.Sockets;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace Octue.Mount.Cli.Mounting;

/// <summary>
/// Tells systemd how a foreground mount is doing, for units of <c>Type=notify</c>: <c>READY=1</c> once the mount
/// answers, <c>STOPPING=1</c> when it starts to unmount, each with a <c>STATUS=</c> line for <c>systemctl status</c>.
/// Outside systemd (no <c>NOTIFY_SOCKET</c>) it does nothing.
/// <para>
/// The datagrams are sent by <see cref="SystemdNotifier"/> of Microsoft.Extensions.Hosting.Systemd (it reads
/// <c>NOTIFY_SOCKET</c>, abstract <c>@</c> names included). Only the notifier is used: <c>UseSystemd()</c> and its
/// <c>SystemdLifetime</c> expect the generic host to own the process's lifetime, whereas here <see cref="MountHost"/>
/// does (the FUSE session, the signals, the uploads that finish before the process ends), and readiness means "the
/// mount answers", which only it knows.
/// </para>
/// </summary>
internal sealed class SystemdNotifications(ISystemdNotifier notifier, ILogger logger)
{
    public static SystemdNotifications FromEnvironment(ILogger logger) => new(new SystemdNotifier(), logger);

    public void Ready(string status) => Send("READY=1", status);

    public void Stopping(string status) => Send("STOPPING=1", status);

    private void Send(string state, string status)
    {
        if (!notifier.IsEnabled)
            return;
        try
        {
            // A status is one line of text: a source or path with a line break must not add assignments of its own.
            notifier.Notify(new ServiceState($"{state}\nSTATUS={status.ReplaceLineEndings(" ")}"));
        }
        catch (SocketException e)
        {
            // A socket that is gone (NOTIFY_SOCKET inherited from elsewhere) must not take the mount down with it.
            logger.LogWarning("Cannot notify systemd of {State} at NOTIFY_SOCKET: {Message}", state, e.Message);
        }
    }
}
