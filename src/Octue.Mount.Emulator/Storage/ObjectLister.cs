namespace Octue.Mount.Emulator;

/// <summary>Builds one page of objects.list from a bucket's sorted names (the caller holds the bucket's lock).</summary>
internal static class ObjectLister
{
    public static ListPage List(BucketState bucket, ListQuery query, PageToken? token)
    {
        var items = new List<StoredObject>();
        var prefixes = new List<string>();
        var comparer = Utf8OrdinalComparer.Instance;

        var lower = query.Prefix;
        if (query.StartOffset is { } start && comparer.Compare(start, lower) > 0)
            lower = start;
        if (token is { } t && comparer.Compare(t.LastKey, lower) > 0)
            lower = t.LastKey;
        if (comparer.Compare(lower, Utf8OrdinalComparer.AboveAllNames) >= 0)
            return new ListPage(items, prefixes, null);

        var delimiter = string.IsNullOrEmpty(query.Delimiter) ? null : query.Delimiter;
        var emitted = 0;
        string? lastKey = null;
        var lastWasPrefix = false;
        string? nextPageToken = null;

        foreach (var name in bucket.Names.GetViewBetween(lower, Utf8OrdinalComparer.AboveAllNames))
        {
            if (!name.StartsWith(query.Prefix, StringComparison.Ordinal))
                break;
            if (query.EndOffset is { } end && comparer.Compare(name, end) >= 0)
                break;
            if (token is { } previous)
            {
                if (previous.LastWasPrefix ? name.StartsWith(previous.LastKey, StringComparison.Ordinal) : name == previous.LastKey)
                    continue;
            }
            if (lastWasPrefix && name.StartsWith(lastKey!, StringComparison.Ordinal))
                continue;

            var cut = delimiter is null ? -1 : name.IndexOf(delimiter, query.Prefix.Length, StringComparison.Ordinal);
            var key = cut < 0 ? name : name[..(cut + delimiter!.Length)];
            if (emitted == query.MaxResults)
            {
                nextPageToken = new PageToken(lastKey!, lastWasPrefix).Encode();
                break;
            }
            emitted++;
            if (cut < 0)
            {
                items.Add(bucket.Objects[name]);
                lastKey = name;
                lastWasPrefix = false;
            }
            else
            {
                prefixes.Add(key);
                // An object named exactly like its prefix ("dir/") is also listed as an item when asked for.
                if (query.IncludeTrailingDelimiter && key.Length == name.Length)
                    items.Add(bucket.Objects[name]);
                lastKey = key;
                lastWasPrefix = true;
            }
        }
        return new ListPage(items, prefixes, nextPageToken);
    }
}
