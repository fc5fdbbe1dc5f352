using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Octue.Mount.Emulator;

/// <summary>Writes JSON replies (built in memory first so they carry a Content-Length).</summary>
internal static class JsonReplies
{
    // GCS writes non-ASCII characters as they are; the default encoder would escape them (and '&', '+').
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task WriteAsync(HttpContext http, int status, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
            write(writer);
        var response = http.Response;
        response.StatusCode = status;
        response.ContentType = "application/json; charset=UTF-8";
        response.ContentLength = buffer.WrittenCount;
        await response.Body.WriteAsync(buffer.WrittenMemory, http.RequestAborted).ConfigureAwait(false);
    }

    public static Task WriteErrorAsync(HttpContext http, int status, string reason, string message) =>
        WriteAsync(http, status, w =>
        {
            w.WriteStartObject();
            w.WriteStartObject("error");
            w.WriteNumber("code", status);
            w.WriteString("message", message);
            w.WriteStartArray("errors");
            w.WriteStartObject();
            w.WriteString("message", message);
            w.WriteString("domain", "global");
            w.WriteString("reason", reason);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        });

    public static Task WriteEmptyAsync(HttpContext http, int status)
    {
        http.Response.StatusCode = status;
        http.Response.ContentLength = 0;
        return Task.CompletedTask;
    }
}
