using Google.Apis.Auth.OAuth2;
using Google.Apis.Http;
using Google.Cloud.Storage.V1;

namespace Octue.Mount.Storage;

/// <summary>
/// Builds the Google client for a set of options: an emulator without credentials, anonymous access,
/// a service-account key file, or Application Default Credentials (in that order of precedence).
/// </summary>
internal static class StorageClientFactory
{
    public static StorageClient Create(ObjectStoreOptions options, string? emulatorBaseUri)
    {
        var builder = new StorageClientBuilder();
        if (emulatorBaseUri is not null)
        {
            builder.BaseUri = emulatorBaseUri;
            builder.UnauthenticatedAccess = true;
        }
        else if (options.Anonymous)
        {
            builder.UnauthenticatedAccess = true;
        }
        else if (options.CredentialsFile is { } keyFile)
        {
            builder.GoogleCredential = LoadKeyFile(keyFile);
        }
        builder.HttpClientFactory = new StoredBytesHttpClientFactory(options.HttpHandlerWrapper);
        try
        {
            return builder.Build();
        }
        catch (InvalidOperationException e) when (emulatorBaseUri is null && !options.Anonymous && options.CredentialsFile is null)
        {
            if (Environment.GetEnvironmentVariable("GOOGLE_APPLICATION_CREDENTIALS") is { Length: > 0 } named)
            {
                var problem = Directory.Exists(named) ? "it is a folder, not a key file" : !File.Exists(named) ? "it does not exist" : e.Message;
                throw new PermissionDeniedException($"The credentials file '{named}' named by GOOGLE_APPLICATION_CREDENTIALS cannot be used: {problem}", e);
            }

            throw new PermissionDeniedException(
                "No Google credentials were found. Run 'gcloud auth application-default login', set " +
                "GOOGLE_APPLICATION_CREDENTIALS, give a service-account key file, or use anonymous access for public buckets.", e);
        }
    }

    private static GoogleCredential LoadKeyFile(string path)
    {
        if (Directory.Exists(path))
        {
            throw new PermissionDeniedException($"The credentials file '{path}' is a folder, not a service-account key file.");
        }
        if (!File.Exists(path))
        {
            throw new PermissionDeniedException($"The credentials file '{path}' does not exist.");
        }
        try
        {
            return CredentialFactory.FromFile<ServiceAccountCredential>(path).ToGoogleCredential();
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or Newtonsoft.Json.JsonException or ArgumentException or FormatException)
        {
            throw new PermissionDeniedException($"The credentials file '{path}' is not a service-account key: {e.Message}", e);
        }
    }

    /// <summary>
    /// The library's HTTP client factory with the socket handler's automatic decompression swapped for
    /// <see cref="StoredBytesHandler"/>, and (for tests) a wrapper between the two.
    /// </summary>
    private sealed class StoredBytesHttpClientFactory(Func<HttpMessageHandler, HttpMessageHandler>? wrap) : HttpClientFactory
    {
        protected override HttpMessageHandler CreateHandler(CreateHttpClientArgs args)
        {
            bool gzip = args.GZipEnabled;
            args.GZipEnabled = false; // no automatic decompression at the socket: StoredBytesHandler decides per request
            HttpMessageHandler handler = base.CreateHandler(args);
            args.GZipEnabled = gzip;
            if (wrap is not null)
            {
                handler = wrap(handler);
            }
            return new StoredBytesHandler(handler);
        }
    }
}
