namespace Octue.Mount.Linux.Protocol;

/// <summary>Codes of daemon-to-kernel notifications (sent with <c>unique = 0</c> and <c>error = code</c>).</summary>
public enum FuseNotifyCode
{
    Poll = 1,
    InvalInode = 2,
    InvalEntry = 3,
    Store = 4,
    Retrieve = 5,
    Delete = 6,
}
