using System.Globalization;
using System.Security;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Octue.Mount.Emulator;

/// <summary>
/// Object reads by the XML API's path, <c>GET|HEAD /BUCKET/OBJECT[?generation=G]</c> with an optional <c>Range</c>:
/// how Go's client library (and so rclone and gcsfuse) reads every object. The bytes and headers are the media
/// download's (<see cref="MediaDownloadEndpoint.WriteMediaAsync"/>); what differs is the XML API's own dialect:
/// preconditions come as <c>x-goog-if-generation-match</c> / <c>x-goog-if-metageneration-match</c> headers (and their
/// <c>-not-match</c> forms), and errors are XML bodies (<c>&lt;Error&gt;&lt;Code&gt;NoSuchKey&lt;/Code&gt;...</c>)
/// with the same status codes: 404 for a missing bucket, object or generation, 412 for a failed precondition, 416 for
/// a range past the end.
/// </summary>
internal static class XmlObjectEndpoint
{
    public static async Task ReadAsync(EmulatorContext c)
    {
        var head = c.Route.Operation == Operation.XmlHeadObject;
        try
        {
            var (bucket, name) = (c.Route.Bucket!, c.Route.Object!);
            var obj = c.Require(c.Store.Get(bucket, name), bucket, name);
            if (!GenerationSelector.Selects(GenerationSelector.Read(c.Request), obj))
                throw GcsException.NoSuchObject(bucket, name);
            if (!HeaderPreconditions(c.Request).IsSatisfiedBy(obj))
                throw GcsException.PreconditionFailed();
            await MediaDownloadEndpoint.WriteMediaAsync(c, obj, hashOnPartialContent: true, withBody: !head).ConfigureAwait(false);
        }
        catch (GcsException e) when (!c.Response.HasStarted)
        {
            await WriteErrorAsync(c, e, head).ConfigureAwait(false);
        }
    }

    /// <summary>The XML API's precondition headers; a malformed number is a 400 naming the header.</summary>
    private static Preconditions HeaderPreconditions(HttpRequest request) => new(
        Long(request, "x-goog-if-generation-match"),
        Long(request, "x-goog-if-generation-not-match"),
        Long(request, "x-goog-if-metageneration-match"),
        Long(request, "x-goog-if-metageneration-not-match"));

    private static long? Long(HttpRequest request, string header)
    {
        var text = request.Headers[header].ToString();
        if (text.Length == 0)
            return null;
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw GcsException.BadRequest($"Invalid value '{text}' for header '{header}': expected a non-negative integer.");
    }

    /// <summary>An XML API error: the code Cloud Storage gives for the status, and the emulator's message as details.</summary>
    private static async Task WriteErrorAsync(EmulatorContext c, GcsException e, bool head)
    {
        var code = e.StatusCode switch
        {
            404 when e.Message.StartsWith("The specified bucket", StringComparison.Ordinal) => "NoSuchBucket",
            404 => "NoSuchKey",
            412 => "PreconditionFailed",
            416 => "InvalidRange",
            400 => "InvalidArgument",
            _ => "InternalError",
        };
        var message = code switch
        {
            "NoSuchBucket" => "The specified bucket does not exist.",
            "NoSuchKey" => "The specified key does not exist.",
            "PreconditionFailed" => "At least one of the pre-conditions you specified did not hold.",
            "InvalidRange" => "The requested range cannot be satisfied.",
            _ => e.Message,
        };
        var body = Encoding.UTF8.GetBytes(
            $"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{SecurityElement.Escape(message)}</Message>" +
            $"<Details>{SecurityElement.Escape(e.Message)}</Details></Error>");
        var response = c.Response;
        response.StatusCode = e.StatusCode;
        response.ContentType = "application/xml; charset=UTF-8";
        response.ContentLength = body.Length;
        if (!head)
            await response.Body.WriteAsync(body, c.Aborted).ConfigureAwait(false);
    }
}
