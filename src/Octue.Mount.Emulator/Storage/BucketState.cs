namespace Octue.Mount.Emulator;

/// <summary>A bucket's objects: a map for lookups and a sorted set of names for listings, under one lock.</summary>
internal sealed class BucketState(string name, DateTimeOffset timeCreated)
{
    public string Name { get; } = name;

    public DateTimeOffset TimeCreated { get; } = timeCreated;

    public Lock Gate { get; } = new();

    public Dictionary<string, StoredObject> Objects { get; } = new(StringComparer.Ordinal);

    public SortedSet<string> Names { get; } = new(Utf8OrdinalComparer.Instance);

    public void Put(StoredObject obj)
    {
        if (Objects.TryAdd(obj.Name, obj))
            Names.Add(obj.Name);
        else
            Objects[obj.Name] = obj;
    }

    public void Remove(string objectName)
    {
        if (Objects.Remove(objectName))
            Names.Remove(objectName);
    }
}
