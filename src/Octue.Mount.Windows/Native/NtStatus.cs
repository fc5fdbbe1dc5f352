namespace Octue.Mount.Windows.Native;

/// <summary>The NTSTATUS values the adapter returns (ntstatus.h). NTSTATUS is a signed 32-bit integer.</summary>
internal static class NtStatus
{
    public const int Success = 0;
    public const int Pending = 0x00000103;
    public const int BufferOverflow = unchecked((int)0x80000005);
    public const int InvalidHandle = unchecked((int)0xC0000008);
    public const int InvalidParameter = unchecked((int)0xC000000D);
    public const int EndOfFile = unchecked((int)0xC0000011);
    public const int InvalidDeviceRequest = unchecked((int)0xC0000010);
    public const int AccessDenied = unchecked((int)0xC0000022);
    public const int BufferTooSmall = unchecked((int)0xC0000023);
    public const int ObjectNameInvalid = unchecked((int)0xC0000033);
    public const int ObjectNameNotFound = unchecked((int)0xC0000034);
    public const int ObjectNameCollision = unchecked((int)0xC0000035);
    public const int ObjectPathNotFound = unchecked((int)0xC000003A);
    public const int EaTooLarge = unchecked((int)0xC0000050);
    public const int NonexistentEaEntry = unchecked((int)0xC0000051);
    public const int InvalidEaName = unchecked((int)0x80000013);
    public const int DiskFull = unchecked((int)0xC000007F);
    public const int FileInvalid = unchecked((int)0xC0000098);
    public const int MediaWriteProtected = unchecked((int)0xC00000A2);
    public const int FileIsADirectory = unchecked((int)0xC00000BA);
    public const int NotSupported = unchecked((int)0xC00000BB);
    public const int NetworkBusy = unchecked((int)0xC00000BF);
    public const int NotSameDevice = unchecked((int)0xC00000D4);
    public const int UnexpectedIoError = unchecked((int)0xC00000E9);
    public const int DirectoryNotEmpty = unchecked((int)0xC0000101);
    public const int NotADirectory = unchecked((int)0xC0000103);
    public const int Cancelled = unchecked((int)0xC0000120);
    public const int CannotDelete = unchecked((int)0xC0000121);
    public const int FileTooLarge = unchecked((int)0xC0000904);
}
