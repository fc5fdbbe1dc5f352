using System.Net;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Octue.Mount.Cli.Mounting;

/// <summary>
/// Exports the <c>Octue.Mount</c> meter of a running mount (docs/metrics.md) to a monitoring system, through
/// OpenTelemetry's exporters: a Prometheus scrape endpoint when <c>--prometheus-port</c> is given, and OTLP when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (or <c>OTEL_EXPORTER_OTLP_METRICS_ENDPOINT</c>) is set, configured by the
/// standard <c>OTEL_*</c> variables (protocol, headers, export interval). With neither nothing is started, and the
/// counters stay readable with dotnet-counters as before.
/// </summary>
internal static class MetricsExport
{
    /// <summary>The meter every instrument of the file system and its read path is on.</summary>
    public const string MeterName = "Octue.Mount";

    /// <summary>Whether the environment asks for OTLP export.</summary>
    public static bool OtlpRequested(Func<string, string?> environment) =>
        !string.IsNullOrEmpty(environment("OTEL_EXPORTER_OTLP_ENDPOINT")) || !string.IsNullOrEmpty(environment("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"));

    /// <summary>
    /// Starts the exporters the settings and environment ask for; dispose the result after unmounting (OTLP then sends
    /// its last counts). A Prometheus port that cannot be listened on fails the mount with a message naming it.
    /// </summary>
    public static MeterProvider? Start(MetricsEndpoint? prometheus, ILogger logger)
    {
        var otlp = OtlpRequested(Environment.GetEnvironmentVariable);
        if (prometheus is null && !otlp)
            return null;
        var builder = Sdk.CreateMeterProviderBuilder().AddMeter(MeterName);
        if (prometheus is not null)
        {
            builder.AddPrometheusHttpListener(options =>
            {
                options.Port = prometheus.Port;
                // The exporter builds one prefix from Host and Port; the endpoint's own prefixes replace it (the loopback
                // default answers to both 127.0.0.1 and localhost, an any-address endpoint to every Host).
                options.ConfigureHttpListener = (_, listener) =>
                {
                    listener.Prefixes.Clear();
                    foreach (var prefix in prometheus.UriPrefixes)
                        listener.Prefixes.Add(prefix);
                };
            });
        }
        if (otlp)
            builder.AddOtlpExporter();
        MeterProvider provider;
        try
        {
            provider = builder.Build();
        }
        catch (Exception e) when (prometheus is not null && FindListenerError(e) is { } listenerError)
        {
            throw new MountFailedException($"Cannot serve metrics on {prometheus}: {listenerError.Message}", 1);
        }
        if (prometheus is not null)
            logger.LogInformation("Serving metrics for Prometheus at {Url}", prometheus.ScrapeUrl);
        if (otlp)
            logger.LogInformation("Exporting metrics by OTLP to {Endpoint}",
                Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT") ?? Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"));
        return provider;
    }

    private static Exception? FindListenerError(Exception e)
    {
        for (Exception? current = e; current is not null; current = current.InnerException)
        {
            if (current is HttpListenerException or System.Net.Sockets.SocketException)
                return current;
        }
        return null;
    }
}
