namespace Octue.Mount.ModelTest;

/// <summary>
/// What the model knows of an open descriptor: whether it may write, and the name of the file it refers to (null once
/// that file lost its name: unlinked, or replaced by a rename).
/// </summary>
public sealed class SlotState
{
    public bool Open { get; set; }
    public bool Writable { get; set; }
    public string? Path { get; set; }

    public void Clear()
    {
        Open = false;
        Writable = false;
        Path = null;
    }
}
