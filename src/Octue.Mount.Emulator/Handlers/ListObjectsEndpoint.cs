namespace Octue.Mount.Emulator;

/// <summary>
/// objects.list: prefix, delimiter, pages of at most 1000 entries, offsets, trailing delimiters, and a partial
/// response (<c>fields</c>, e.g. <c>items(name,size),prefixes,nextPageToken</c>).
/// </summary>
internal static class ListObjectsEndpoint
{
    public static Task ListAsync(EmulatorContext c)
    {
        var request = c.Request;
        if (QueryParameters.String(request, "matchGlob") is not null)
            throw GcsException.BadRequest("matchGlob is not supported by this emulator.");
        var maxResults = QueryParameters.Long(request, "maxResults") ?? ListQuery.MaxPageSize;
        var fields = FieldSelection.Parse(QueryParameters.String(request, "fields"));
        var itemFields = fields.Inside("items");
        var query = new ListQuery
        {
            Prefix = QueryParameters.String(request, "prefix") ?? "",
            Delimiter = QueryParameters.String(request, "delimiter"),
            MaxResults = (int)Math.Clamp(maxResults, 1, ListQuery.MaxPageSize),
            StartOffset = NullIfEmpty(QueryParameters.String(request, "startOffset")),
            EndOffset = NullIfEmpty(QueryParameters.String(request, "endOffset")),
            IncludeTrailingDelimiter = QueryParameters.Bool(request, "includeTrailingDelimiter"),
        };
        PageToken? token = null;
        if (NullIfEmpty(QueryParameters.String(request, "pageToken")) is { } text)
        {
            if (!PageToken.TryDecode(text, out var decoded))
                throw GcsException.BadRequest($"Invalid pageToken '{text}'.");
            token = decoded;
        }

        var result = c.Store.List(c.Route.Bucket!, query, token);
        if (result.Status != StoreStatus.Ok)
            throw GcsException.From(result.Status, c.Route.Bucket!, null);
        var page = result.Value!;
        return JsonReplies.WriteAsync(c.Http, 200, w =>
        {
            w.WriteStartObject();
            if (fields.Has("kind"))
                w.WriteString("kind", "storage#objects");
            if (page.NextPageToken is not null && fields.Has("nextPageToken"))
                w.WriteString("nextPageToken", page.NextPageToken);
            if (page.Prefixes.Count > 0 && fields.Has("prefixes"))
            {
                w.WriteStartArray("prefixes");
                foreach (var prefix in page.Prefixes)
                    w.WriteStringValue(prefix);
                w.WriteEndArray();
            }
            if (page.Items.Count > 0 && fields.Has("items"))
            {
                w.WriteStartArray("items");
                foreach (var item in page.Items)
                    ResourceJson.WriteObject(w, item, c.BaseUrl, itemFields);
                w.WriteEndArray();
            }
            w.WriteEndObject();
        });
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
