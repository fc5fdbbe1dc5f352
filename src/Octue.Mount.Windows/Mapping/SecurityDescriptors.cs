namespace Octue.Mount.Windows.Mapping;

/// <summary>
/// The one security descriptor every file and directory of the mount reports. Object stores have no ACLs and the
/// volume does not set PersistentAcls, so access is decided by the bucket's IAM, not by Windows: the descriptor grants
/// Everyone full access and the read-only flag of the volume (and of files) does the rest.
/// It is the self-relative form of the SDDL <c>O:WDG:WDD:P(A;;FA;;;WD)</c>, built here byte by byte so the binding
/// needs no advapi32 call and the bytes can be tested on any OS.
/// </summary>
internal static class SecurityDescriptors
{
    public static ReadOnlySpan<byte> EveryoneFullAccess =>
    [
        // SECURITY_DESCRIPTOR_RELATIVE: Revision 1, Sbz1, Control = SE_SELF_RELATIVE | SE_DACL_PROTECTED | SE_DACL_PRESENT
        0x01, 0x00, 0x04, 0x90,
        20, 0, 0, 0,          // OffsetOwner
        32, 0, 0, 0,          // OffsetGroup
        0, 0, 0, 0,           // OffsetSacl (none)
        44, 0, 0, 0,          // OffsetDacl
        // Owner S-1-1-0 (Everyone): Revision 1, 1 sub-authority, authority 1 (WORLD), sub-authority 0
        0x01, 0x01, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0,
        // Group S-1-1-0
        0x01, 0x01, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0,
        // ACL: Revision 2, Sbz1, AclSize 28, AceCount 1, Sbz2
        0x02, 0x00, 28, 0, 1, 0, 0, 0,
        // ACCESS_ALLOWED_ACE: type 0, flags 0, size 20, mask FILE_ALL_ACCESS 0x001F01FF, SID S-1-1-0
        0x00, 0x00, 20, 0, 0xFF, 0x01, 0x1F, 0x00,
        0x01, 0x01, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0,
    ];
}
