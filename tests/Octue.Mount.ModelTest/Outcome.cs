namespace Octue.Mount.ModelTest;

/// <summary>What an operation gave on one side: success (with the bytes a read returned, or a number), or an error.</summary>
public readonly record struct Outcome(string? Error, byte[]? Data = null, long Value = 0)
{
    public static Outcome Ok(long value = 0) => new(null, null, value);

    public static Outcome Read(byte[] data) => new(null, data, data.Length);

    public static Outcome Failed(Exception e) => new(Describe(e));

    public static Outcome Failed(int errno) => new($"errno {errno}");

    public bool Succeeded => Error is null;

    /// <summary>Both sides went through the same .NET code: the exception type and its errno-carrying HResult say what failed.</summary>
    private static string Describe(Exception e) => $"{e.GetType().Name} (0x{e.HResult:X8})";

    public override string ToString() => Error ?? (Data is { } data ? $"{data.Length} bytes" : $"ok {Value}");
}
