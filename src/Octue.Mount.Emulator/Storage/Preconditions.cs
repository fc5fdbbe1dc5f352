namespace Octue.Mount.Emulator;

/// <summary>The generation preconditions of a request; an object that does not exist has generation 0.</summary>
internal readonly record struct Preconditions(
    long? IfGenerationMatch,
    long? IfGenerationNotMatch,
    long? IfMetagenerationMatch,
    long? IfMetagenerationNotMatch)
{
    public static Preconditions None => default;

    public bool IsSatisfiedBy(StoredObject? current)
    {
        var generation = current?.Generation ?? 0;
        if (IfGenerationMatch is { } match && generation != match)
            return false;
        if (IfGenerationNotMatch is { } notMatch && generation == notMatch)
            return false;
        if (IfMetagenerationMatch is { } metaMatch && (current is null || current.Metageneration != metaMatch))
            return false;
        if (IfMetagenerationNotMatch is { } metaNotMatch && current is not null && current.Metageneration == metaNotMatch)
            return false;
        return true;
    }
}
