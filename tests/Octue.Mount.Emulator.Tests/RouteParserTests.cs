namespace Octue.Mount.Emulator.Tests;

/// <summary>Requests are routed by method and path as the client libraries send them.</summary>
public sealed class RouteParserTests
{
    [Theory]
    [InlineData("POST", false, nameof(Operation.UploadStart))]
    [InlineData("POST", true, nameof(Operation.UploadChunk))]
    [InlineData("PUT", true, nameof(Operation.UploadChunk))]
    [InlineData("PUT", false, nameof(Operation.Unknown))]
    [InlineData("DELETE", true, nameof(Operation.UploadCancel))]
    [InlineData("GET", true, nameof(Operation.Unknown))]
    public void ASessionUriTakesChunksByPutOrPost(string method, bool hasUploadId, string expected)
    {
        Assert.Equal(expected, RouteParser.Parse(method, "/upload/storage/v1/b/bkt/o", hasUploadId, altMedia: false).Operation.ToString());
    }
}
