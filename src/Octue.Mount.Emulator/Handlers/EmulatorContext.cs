using Microsoft.AspNetCore.Http;

namespace Octue.Mount.Emulator;

/// <summary>One request as the handlers see it: the HTTP exchange, where it goes, and the fault it carries.</summary>
internal sealed class EmulatorContext(HttpContext http, Route route, FaultRule? fault, EmulatorStore store, ResumableUploads uploads)
{
    public HttpContext Http { get; } = http;

    public HttpRequest Request => Http.Request;

    public HttpResponse Response => Http.Response;

    public CancellationToken Aborted => Http.RequestAborted;

    public Route Route { get; } = route;

    public FaultRule? Fault { get; } = fault;

    public EmulatorStore Store { get; } = store;

    public ResumableUploads Uploads { get; } = uploads;

    /// <summary>The root the client reached the emulator at (links in resources point back to it).</summary>
    public string BaseUrl => $"http://{Request.Host}/";

    /// <summary>Replies with an object resource, the fields the request's <c>fields</c> parameter selects.</summary>
    public Task WriteObjectAsync(StoredObject obj, int status = 200)
    {
        var fields = FieldSelection.Parse(QueryParameters.String(Request, "fields"));
        return JsonReplies.WriteAsync(Http, status, w => ResourceJson.WriteObject(w, obj, BaseUrl, fields));
    }

    public StoredObject Require(StoreResult<StoredObject> result, string bucket, string? name) =>
        result.Status == StoreStatus.Ok ? result.Value! : throw GcsException.From(result.Status, bucket, name);
}
