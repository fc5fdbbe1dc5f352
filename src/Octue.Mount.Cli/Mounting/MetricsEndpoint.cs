using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Octue.Mount.Cli.Mounting;

/// <summary>
/// Where a mount serves its metrics to Prometheus: <c>--prometheus-port [ADDRESS:]PORT</c> (<c>-o prometheus_port=</c>).
/// A bare port listens on the loopback interface only (127.0.0.1, reachable as <c>localhost</c> too): metrics name
/// buckets and paths, so reaching them from elsewhere is a choice made by giving an address, such as
/// <c>0.0.0.0:9464</c> (every interface), <c>[::]:9464</c>, or one interface's address.
/// </summary>
internal sealed record MetricsEndpoint(IPAddress Address, int Port)
{
    /// <summary>Parses <c>PORT</c>, <c>IPV4:PORT</c>, <c>[IPV6]:PORT</c> or <c>localhost:PORT</c>.</summary>
    public static MetricsEndpoint Parse(string key, string value)
    {
        var text = value.Trim();
        IPAddress address = IPAddress.Loopback;
        var portText = text;
        var colon = text.LastIndexOf(':');
        if (colon >= 0)
        {
            var host = text[..colon];
            portText = text[(colon + 1)..];
            if (host.StartsWith('[') && host.EndsWith(']'))
                host = host[1..^1];
            else if (host.Contains(':'))
                throw Invalid(key, value, "write an IPv6 address in brackets, as [::1]:9464");
            if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
                address = IPAddress.Loopback;
            else if (!IPAddress.TryParse(host, out address!) || (address.AddressFamily != AddressFamily.InterNetwork && address.AddressFamily != AddressFamily.InterNetworkV6))
                throw Invalid(key, value, $"'{host}' is not an IP address");
        }
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw Invalid(key, value, "the port must be a number from 1 to 65535");
        return new MetricsEndpoint(address, port);
    }

    private static MountOptionException Invalid(string key, string value, string why) =>
        new($"Mount option '{key}' takes [ADDRESS:]PORT, such as 9464 (127.0.0.1 only) or 0.0.0.0:9464, not '{value}': {why}.");

    /// <summary>Whether it listens on every interface of a family (0.0.0.0 or ::).</summary>
    public bool IsAnyAddress => Address.Equals(IPAddress.Any) || Address.Equals(IPAddress.IPv6Any);

    /// <summary>
    /// The HttpListener prefixes. HttpListener matches a request's Host header against its prefixes: the loopback
    /// default is registered as both 127.0.0.1 and localhost (one socket), so a scraper may name it either way; an
    /// any-address endpoint takes the wildcard (every interface, any Host); another address is reached by that address.
    /// </summary>
    public IReadOnlyList<string> UriPrefixes
    {
        get
        {
            var port = Port.ToString(CultureInfo.InvariantCulture);
            if (IsAnyAddress)
                return [$"http://*:{port}/"];
            // Windows's HTTP.sys lets any user listen on localhost, while 127.0.0.1 would need a URL reservation.
            if (Address.Equals(IPAddress.Loopback))
                return OperatingSystem.IsWindows() ? [$"http://localhost:{port}/"] : [$"http://127.0.0.1:{port}/", $"http://localhost:{port}/"];
            return [$"http://{HostForUri}:{port}/"];
        }
    }

    private string HostForUri => Address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{Address}]" : Address.ToString();

    /// <summary>The address a scraper uses, e.g. <c>http://127.0.0.1:9464/metrics</c>.</summary>
    public string ScrapeUrl => IsAnyAddress
        ? $"http://*:{Port.ToString(CultureInfo.InvariantCulture)}/metrics (every interface)"
        : $"http://{HostForUri}:{Port.ToString(CultureInfo.InvariantCulture)}/metrics";

    public override string ToString() => $"{HostForUri}:{Port.ToString(CultureInfo.InvariantCulture)}";
}
