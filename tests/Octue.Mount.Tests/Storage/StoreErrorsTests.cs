using System.Net;
using Google;
using Octue.Mount.Storage;

namespace Octue.Mount.Tests.Storage;

public sealed class StoreErrorsTests
{
    [Theory]
    [InlineData(HttpStatusCode.NotFound, typeof(ObjectNotFoundException))]
    [InlineData(HttpStatusCode.PreconditionFailed, typeof(PreconditionFailedException))]
    [InlineData(HttpStatusCode.Conflict, typeof(PreconditionFailedException))]
    [InlineData(HttpStatusCode.Unauthorized, typeof(PermissionDeniedException))]
    [InlineData(HttpStatusCode.Forbidden, typeof(PermissionDeniedException))]
    [InlineData(HttpStatusCode.TooManyRequests, typeof(TransientStoreException))]
    [InlineData(HttpStatusCode.InternalServerError, typeof(TransientStoreException))]
    [InlineData(HttpStatusCode.BadGateway, typeof(TransientStoreException))]
    [InlineData(HttpStatusCode.ServiceUnavailable, typeof(TransientStoreException))]
    [InlineData(HttpStatusCode.BadRequest, typeof(ObjectStoreException))]
    public void Statuses_map_to_typed_exceptions(HttpStatusCode status, Type expected)
    {
        Exception fromClient = StoreErrors.Map(new GoogleApiException("storage", "x") { HttpStatusCode = status }, "op", "gs://b/o", default);
        Exception fromRaw = StoreErrors.Map(new HttpStatusFailure(status, "x"), "op", "gs://b/o", default);
        Assert.IsType(expected, fromClient);
        Assert.IsType(expected, fromRaw);
        Assert.Contains("gs://b/o", fromClient.Message);
    }

    [Theory]
    [InlineData("Provided CRC32C \"AAAAAA==\" doesn't match calculated CRC32C \"6NMauw==\".")]
    [InlineData("Provided MD5 hash \"x\" doesn't match calculated MD5 hash \"y\".")]
    public void A_400_about_hashes_is_corruption(string message)
    {
        Assert.IsType<CorruptionException>(StoreErrors.Map(new HttpStatusFailure(HttpStatusCode.BadRequest, message), "upload", "t", default));
    }

    [Fact]
    public void Broken_connections_and_timeouts_are_transient_but_the_callers_cancellation_is_not()
    {
        Assert.True(StoreErrors.IsTransient(new IOException("reset"), default));
        Assert.True(StoreErrors.IsTransient(new HttpRequestException("refused"), default));
        Assert.True(StoreErrors.IsTransient(new TaskCanceledException("timeout"), default));
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.False(StoreErrors.IsTransient(new TaskCanceledException("cancelled"), cts.Token));
        Assert.False(StoreErrors.IsTransient(new HttpStatusFailure(HttpStatusCode.NotFound, "x"), default));
    }
}
