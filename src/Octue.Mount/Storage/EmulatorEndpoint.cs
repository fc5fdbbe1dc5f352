namespace Octue.Mount.Storage;

/// <summary>
/// Turns the ways people write an emulator address into the base URI the .NET client needs,
/// exactly <c>http://host:port/storage/v1/</c> (the path and its trailing slash are required).
/// </summary>
public static class EmulatorEndpoint
{
    /// <summary>The environment variable Google's clients read an emulator address from.</summary>
    public const string EnvironmentVariable = "STORAGE_EMULATOR_HOST";

    private const string ApiPath = "/storage/v1/";

    /// <summary>
    /// Accepts <c>host:port</c>, <c>http://host:port</c>, <c>https://host:port</c>, each with or without a trailing
    /// slash or <c>/storage/v1[/]</c>. Throws <see cref="ArgumentException"/> naming the value when it is not an address.
    /// </summary>
    public static string Normalize(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        string text = value.Trim();
        if (text.Length == 0)
        {
            throw new ArgumentException("The emulator host is empty; expected host:port such as 127.0.0.1:9023.", nameof(value));
        }
        if (!text.Contains("://", StringComparison.Ordinal))
        {
            text = "http://" + text;
        }
        if (!Uri.TryCreate(text, UriKind.Absolute, out Uri? uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(uri.Host)
            || !string.IsNullOrEmpty(uri.Query)
            || !string.IsNullOrEmpty(uri.Fragment))
        {
            throw new ArgumentException($"'{value}' is not an emulator address; expected host:port or http://host:port[/storage/v1/].", nameof(value));
        }
        string path = uri.AbsolutePath.TrimEnd('/');
        if (path.Length != 0 && !path.Equals("/storage/v1", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"'{value}' has the path '{uri.AbsolutePath}'; an emulator address may only end in /storage/v1/.", nameof(value));
        }
        return uri.GetLeftPart(UriPartial.Authority) + ApiPath;
    }

    /// <summary>
    /// The emulator to use: the explicit option, else the environment variable, else none (production).
    /// An empty or blank environment variable counts as unset, as in Google's clients.
    /// </summary>
    public static string? Resolve(string? configured, Func<string, string?>? environment = null)
    {
        if (configured is not null)
        {
            return Normalize(configured);
        }
        string? fromEnvironment = (environment ?? Environment.GetEnvironmentVariable)(EnvironmentVariable);
        return string.IsNullOrWhiteSpace(fromEnvironment) ? null : Normalize(fromEnvironment);
    }
}
