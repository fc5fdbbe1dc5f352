namespace Octue.Mount.Vfs;

/// <summary>What a change that lost a metadata race (its precondition on the metageneration or generation failed) does.</summary>
internal static class MetadataRaces
{
    /// <summary>How many times a change that lost a metadata race is merged again and retried.</summary>
    public const int MaxRetries = 3;
}
