namespace Octue.Mount.Emulator;

/// <summary>The parameters of an objects.list request.</summary>
internal sealed record ListQuery
{
    public const int MaxPageSize = 1000;

    public string Prefix { get; init; } = "";

    public string? Delimiter { get; init; }

    public int MaxResults { get; init; } = MaxPageSize;

    public string? PageToken { get; init; }

    public string? StartOffset { get; init; }

    public string? EndOffset { get; init; }

    public bool IncludeTrailingDelimiter { get; init; }
}

/// <summary>One page of a listing.</summary>
internal sealed record ListPage(List<StoredObject> Items, List<string> Prefixes, string? NextPageToken);
