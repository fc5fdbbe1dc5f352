namespace Octue.Mount.Storage;

/// <summary>
/// What a download's response said about the object it serves, known once <see cref="IObjectStore.OpenReadAsync"/>
/// returned: the generation (and metageneration) of an unpinned read, so that one GET both fetches an object and tells
/// which version it is (an open revalidates with its download instead of a stat before it).
/// </summary>
public interface IServedObject
{
    /// <summary>The generation served (null when the server did not say).</summary>
    long? ServedGeneration { get; }

    /// <summary>The metageneration of the generation served (null when the server did not say).</summary>
    long? ServedMetageneration { get; }

    /// <summary>The object's whole size, as stored.</summary>
    long ServedObjectSize { get; }
}
