using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Octue.Mount.Emulator;

/// <summary>
/// A Google Cloud Storage JSON API server for tests, demos and benchmarks: in memory (or persisted to a folder),
/// with injectable faults and a request counter. Point clients at <see cref="Endpoint"/>
/// (<c>BaseUri = Endpoint + "storage/v1/"</c> for the .NET client) or <c>STORAGE_EMULATOR_HOST=</c><see cref="HostAndPort"/>.
/// </summary>
public sealed class GcsEmulator : IAsyncDisposable
{
    private readonly IHost _host;

    private GcsEmulator(IHost host, EmulatorStore store, FaultInjector faults, RequestCounter requests, ResumableUploads uploads, Uri endpoint)
    {
        _host = host;
        Uploads = uploads;
        Store = store;
        Faults = faults;
        Requests = requests;
        Endpoint = endpoint;
        HostAndPort = endpoint.Authority;
    }

    /// <summary>The root URL, e.g. <c>http://127.0.0.1:PORT/</c>.</summary>
    public Uri Endpoint { get; }

    /// <summary><c>127.0.0.1:PORT</c>, the form of STORAGE_EMULATOR_HOST.</summary>
    public string HostAndPort { get; }

    public EmulatorStore Store { get; }

    public FaultInjector Faults { get; }

    public RequestCounter Requests { get; }

    /// <summary>The open resumable upload sessions (tests check that a refused upload keeps none).</summary>
    internal ResumableUploads Uploads { get; }

    /// <summary>Starts listening; returns once the server accepts connections.</summary>
    public static async Task<GcsEmulator> StartAsync(EmulatorOptions? options = null, CancellationToken ct = default)
    {
        options ??= new EmulatorOptions();
        var address = ResolveAddress(options.Host);
        if (options.Port is < 0 or > 65535)
            throw new ArgumentOutOfRangeException(nameof(options), options.Port, "Port must be 0-65535 (0 picks a free port).");
        var store = options.DataDirectory is null ? new EmulatorStore() : EmulatorStore.Open(options.DataDirectory);
        var faults = new FaultInjector();
        var requests = new RequestCounter();
        if (options.MaxObjectSize < 1 || options.MaxObjectSize > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxObjectSize, $"MaxObjectSize must be 1 to {Array.MaxLength} bytes.");
        var uploads = new ResumableUploads(TimeProvider.System, options.MaxObjectSize);
        var dispatcher = new RequestDispatcher(store, faults, requests, uploads);

        // A bare host: no configuration files, environment-driven URLs or logging providers to pick up by accident.
        var host = new HostBuilder()
            .ConfigureServices(services => services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2)))
            .ConfigureWebHost(web => web
                .UseKestrel(kestrel =>
                {
                    kestrel.AddServerHeader = false;
                    kestrel.Limits.MaxRequestBodySize = null;
                    kestrel.Limits.MinRequestBodyDataRate = null;
                    kestrel.Limits.MinResponseDataRate = null;
                    kestrel.Listen(address, options.Port, listen => listen.Protocols = HttpProtocols.Http1);
                })
                .Configure(app => app.Run(dispatcher.HandleAsync)))
            .Build();
        try
        {
            await host.StartAsync(ct).ConfigureAwait(false);
        }
        catch (AddressInUseException e)
        {
            host.Dispose();
            throw new IOException($"Cannot listen on {options.Host}:{options.Port}: the address is in use.", e);
        }
        catch
        {
            host.Dispose();
            throw;
        }
        var bound = host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(bound).Port;
        var hostText = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
        return new GcsEmulator(host, store, faults, requests, uploads, new Uri($"http://{hostText}:{port}/"));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _host.StopAsync().ConfigureAwait(false);
        }
        finally
        {
            _host.Dispose();
        }
    }

    private static IPAddress ResolveAddress(string host)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
            return IPAddress.Loopback;
        if (IPAddress.TryParse(host.Trim('[', ']'), out var address))
            return address;
        throw new ArgumentException($"Host '{host}' is not an IP address (use 127.0.0.1, the default).", nameof(host));
    }
}
