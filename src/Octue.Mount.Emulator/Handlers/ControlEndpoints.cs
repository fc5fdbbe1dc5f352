using System.Text.Json;
using System.Text.Json.Serialization;

namespace Octue.Mount.Emulator;

/// <summary>
/// The emulator's own control plane for tests in other processes (not part of the GCS API; requests to it are
/// not counted): <c>POST /emulator/v1/faults</c> adds a fault rule, <c>DELETE</c> clears them;
/// <c>GET /emulator/v1/requests</c> reads the request counts, <c>DELETE</c> resets them.
/// </summary>
internal sealed class ControlEndpoints(FaultInjector faults, RequestCounter counter)
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNameCaseInsensitive = true,
        Converters = { new JsonStringEnumConverter() },
    };

    public async Task FaultsAsync(EmulatorContext c)
    {
        switch (c.Request.Method)
        {
            case "POST":
                var body = await RequestBody.ReadAllAsync(RequestBody.Open(c.Request), RequestBody.DeclaredLength(c.Request), c.Aborted).ConfigureAwait(false);
                FaultRuleJson? json;
                try
                {
                    json = JsonSerializer.Deserialize<FaultRuleJson>(body, JsonOptions);
                }
                catch (JsonException e)
                {
                    throw GcsException.BadRequest($"Invalid fault rule: {e.Message}");
                }
                if (json is null)
                    throw GcsException.BadRequest("A fault rule is required.");
                try
                {
                    faults.Add(json.ToRule());
                }
                catch (ArgumentException e)
                {
                    throw GcsException.BadRequest(e.Message);
                }
                await JsonReplies.WriteEmptyAsync(c.Http, 204).ConfigureAwait(false);
                break;
            case "DELETE":
                faults.Clear();
                await JsonReplies.WriteEmptyAsync(c.Http, 204).ConfigureAwait(false);
                break;
            case "GET":
                await JsonReplies.WriteAsync(c.Http, 200, w =>
                {
                    w.WriteStartObject();
                    w.WriteNumber("triggered", faults.Triggered);
                    w.WriteEndObject();
                }).ConfigureAwait(false);
                break;
            default:
                throw new GcsException(405, "methodNotAllowed", "Use POST, GET or DELETE on /emulator/v1/faults.");
        }
    }

    public async Task RequestsAsync(EmulatorContext c)
    {
        switch (c.Request.Method)
        {
            case "GET":
                await JsonReplies.WriteAsync(c.Http, 200, w =>
                {
                    w.WriteStartObject();
                    w.WriteNumber("total", counter.Total);
                    foreach (var kind in Enum.GetValues<RequestKind>())
                        w.WriteNumber(kind.ToString(), counter.Count(kind));
                    w.WriteEndObject();
                }).ConfigureAwait(false);
                break;
            case "DELETE":
                counter.Reset();
                await JsonReplies.WriteEmptyAsync(c.Http, 204).ConfigureAwait(false);
                break;
            default:
                throw new GcsException(405, "methodNotAllowed", "Use GET or DELETE on /emulator/v1/requests.");
        }
    }

    /// <summary>A fault rule as JSON: the properties of <see cref="FaultRule"/>, with the delay in milliseconds.</summary>
    private sealed record FaultRuleJson(
        FaultKind Kind,
        string? Method,
        string? Bucket,
        string? ObjectName,
        RequestKind? RequestKind,
        int Times = 1,
        int Skip = 0,
        int StatusCode = 503,
        int DelayMs = 0,
        long AfterBytes = 0)
    {
        public FaultRule ToRule() => new()
        {
            Kind = Kind,
            Method = Method,
            Bucket = Bucket,
            ObjectName = ObjectName,
            RequestKind = RequestKind,
            Times = Times,
            Skip = Skip,
            StatusCode = StatusCode,
            Delay = TimeSpan.FromMilliseconds(DelayMs),
            AfterBytes = AfterBytes,
        };
    }
}
