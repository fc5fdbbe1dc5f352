using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;

namespace Octue.Mount.Emulator;

/// <summary>
/// The emulator's single request handler: routes the raw target, counts the request, applies an injected fault,
/// runs the operation, and turns refusals into GCS's JSON error bodies.
/// </summary>
internal sealed class RequestDispatcher(EmulatorStore store, FaultInjector faults, RequestCounter counter, ResumableUploads uploads)
{
    private readonly ControlEndpoints _control = new(faults, counter);

    public async Task HandleAsync(HttpContext http)
    {
        var route = RouteParser.Parse(http);
        if (route.Operation is Operation.ControlFaults or Operation.ControlRequests)
        {
            await HandleControlAsync(http, route).ConfigureAwait(false);
            return;
        }
        counter.Increment(route.Kind);
        var fault = faults.Take(http.Request.Method, route.Kind, route.Bucket, ObjectNameOf(http, route));
        try
        {
            if (fault is not null && await ApplyFaultAsync(http, route, fault).ConfigureAwait(false))
                return;
            await DispatchAsync(new EmulatorContext(http, route, fault, store, uploads)).ConfigureAwait(false);
        }
        catch (GcsException e)
        {
            if (!http.Response.HasStarted)
            {
                // Refuse without reading what is left of a large body, but keep the connection usable when it is small.
                await JsonReplies.WriteErrorAsync(http, e.StatusCode, e.Reason, e.Message).ConfigureAwait(false);
            }
            else
            {
                http.Abort();
            }
        }
        catch (Exception e) when (IsClientGone(http, e))
        {
            // The client went away (or a fault reset the connection): nothing to answer.
        }
        catch (Exception e) when (!http.Response.HasStarted)
        {
            // A defect of the emulator: say what it was, as a GCS-shaped 500, rather than an empty reply.
            await JsonReplies.WriteErrorAsync(http, 500, "backendError", $"Emulator error: {e.GetType().Name}: {e.Message}").ConfigureAwait(false);
        }
    }

    private async Task HandleControlAsync(HttpContext http, Route route)
    {
        var context = new EmulatorContext(http, route, null, store, uploads);
        try
        {
            await (route.Operation == Operation.ControlFaults ? _control.FaultsAsync(context) : _control.RequestsAsync(context)).ConfigureAwait(false);
        }
        catch (GcsException e) when (!http.Response.HasStarted)
        {
            await JsonReplies.WriteErrorAsync(http, e.StatusCode, e.Reason, e.Message).ConfigureAwait(false);
        }
    }

    private static Task DispatchAsync(EmulatorContext c) => c.Route.Operation switch
    {
        Operation.ListBuckets => BucketEndpoints.ListAsync(c),
        Operation.InsertBucket => BucketEndpoints.InsertAsync(c),
        Operation.GetBucket => BucketEndpoints.GetAsync(c),
        Operation.DeleteBucket => BucketEndpoints.DeleteAsync(c),
        Operation.ListObjects => ListObjectsEndpoint.ListAsync(c),
        Operation.GetObject => ObjectEndpoints.GetAsync(c),
        Operation.Download => MediaDownloadEndpoint.DownloadAsync(c),
        Operation.PatchObject => ObjectEndpoints.PatchAsync(c),
        Operation.UpdateObject => ObjectEndpoints.UpdateAsync(c),
        Operation.DeleteObject => ObjectEndpoints.DeleteAsync(c),
        Operation.Rewrite => CopyEndpoints.RewriteAsync(c),
        Operation.CopyTo => CopyEndpoints.CopyToAsync(c),
        Operation.Compose => ComposeEndpoint.ComposeAsync(c),
        Operation.UploadStart => UploadEndpoints.StartAsync(c),
        Operation.UploadChunk => ResumableChunkEndpoint.ChunkAsync(c),
        Operation.UploadCancel => ResumableChunkEndpoint.CancelAsync(c),
        Operation.XmlGetObject or Operation.XmlHeadObject => XmlObjectEndpoint.ReadAsync(c),
        _ => throw GcsException.NotFound($"No such endpoint: {c.Request.Method} {c.Request.Path}"),
    };

    /// <summary>Applies the fault's effect before the operation; true when the request ends here.</summary>
    private static async Task<bool> ApplyFaultAsync(HttpContext http, Route route, FaultRule fault)
    {
        switch (fault.Kind)
        {
            case FaultKind.Status:
                await RequestBody.DrainAsync(http.Request, http.RequestAborted).ConfigureAwait(false);
                await JsonReplies.WriteErrorAsync(http, fault.StatusCode, ReasonOf(fault.StatusCode),
                    $"Injected fault: status {fault.StatusCode}.").ConfigureAwait(false);
                return true;
            case FaultKind.Delay:
                await Task.Delay(fault.Delay, http.RequestAborted).ConfigureAwait(false);
                return false;
            case FaultKind.ResetConnection when HasBody(http.Request):
                await ReadPrefixAsync(http.Request.Body, fault.AfterBytes, http.RequestAborted).ConfigureAwait(false);
                http.Abort();
                return true;
            case FaultKind.ResetConnection when route.Operation is not (Operation.Download or Operation.XmlGetObject):
                http.Abort();
                return true;
            default:
                // Media faults act while the body is written.
                return false;
        }
    }

    private static bool HasBody(HttpRequest request) =>
        request.ContentLength > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);

    private static async Task ReadPrefixAsync(Stream body, long count, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        while (count > 0)
        {
            var read = await body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), ct).ConfigureAwait(false);
            if (read == 0)
                return;
            count -= read;
        }
    }

    private string? ObjectNameOf(HttpContext http, Route route)
    {
        if (route.Object is not null)
            return route.Object;
        if (route.Operation is Operation.UploadChunk or Operation.UploadCancel)
            return uploads.Find(QueryParameters.String(http.Request, "upload_id"))?.Name;
        return QueryParameters.String(http.Request, "name");
    }

    private static string ReasonOf(int status) => status switch
    {
        429 => "rateLimitExceeded",
        500 => "backendError",
        502 => "badGateway",
        503 => "serviceUnavailable",
        504 => "gatewayTimeout",
        _ => "injectedFault",
    };

    private static bool IsClientGone(HttpContext http, Exception e) =>
        http.RequestAborted.IsCancellationRequested
        || e is OperationCanceledException or ConnectionResetException or IOException or BadHttpRequestException;
}
