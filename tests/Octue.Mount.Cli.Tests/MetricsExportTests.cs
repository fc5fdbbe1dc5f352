using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Octue.Mount.Cli.Mounting;
using Octue.Mount.Emulator;
using Octue.Mount.Linux.Mounting;
using Octue.Mount.Linux.Tests.Mounts;
using Octue.Mount.Testing;

namespace Octue.Mount.Cli.Tests;

/// <summary>
/// A mount's metrics as a monitoring system gets them: scraped with curl from <c>--prometheus-port</c> while files
/// are copied through a real mount, the request counts equal to those the emulator saw; and pushed by OTLP to a
/// receiver named by <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>.
/// </summary>
[Collection(CliMountCollection.Name)]
public sealed class MetricsExportTests
{
    private readonly GcsEmulator _emulator;

    public MetricsExportTests(EmulatorFixture fixture) => _emulator = CliEmulator.Fresh(fixture);

    private static int FreeLoopbackPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Prometheus's text format: the sum of a metric's samples whose labels include every one given.</summary>
    private static double Sample(string scrape, string metric, params string[] labels) =>
        TrySample(scrape, metric, labels) ?? throw new Xunit.Sdk.XunitException($"no {metric}{{{string.Join(',', labels)}}} in the scrape:\n{scrape}");

    /// <summary>A counter's value, 0 when it has no series: a counter that never moved is not exported.</summary>
    private static double SampleOrZero(string scrape, string metric, params string[] labels) => TrySample(scrape, metric, labels) ?? 0;

    private static double? TrySample(string scrape, string metric, string[] labels)
    {
        double total = 0;
        var found = false;
        foreach (Match match in Regex.Matches(scrape, @"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})?\s+(?<value>\S+)", RegexOptions.Multiline))
        {
            if (match.Groups["name"].Value != metric)
                continue;
            var present = match.Groups["labels"].Value.Split(',');
            if (!labels.All(present.Contains))
                continue;
            total += double.Parse(match.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture);
            found = true;
        }
        return found ? total : null;
    }

    private static async Task<string> CurlAsync(string url) =>
        (await Tool.RunAsync("curl", ["-fsS", "--max-time", "30", url], TimeSpan.FromSeconds(60))).EnsureSuccess("curl " + url).Stdout;

    [Fact]
    public async Task Curl_scrapes_the_counts_the_emulator_saw_during_and_after_a_copy()
    {
        using var temp = new TempDirectory();
        _emulator.Store.CreateBucket("scraped");
        var existing = new byte[3 * 1024 * 1024 + 5];
        new Random(7).NextBytes(existing);
        _emulator.Store.PutObject("scraped", "existing.bin", existing);
        var big = temp.Combine("big.bin");
        var small = temp.Combine("small.txt");
        var bigBytes = new byte[24 * 1024 * 1024];
        new Random(8).NextBytes(bigBytes);
        File.WriteAllBytes(big, bigBytes);
        File.WriteAllText(small, "small\n");
        var port = FreeLoopbackPort();
        var url = $"http://127.0.0.1:{port}/metrics";

        await using var mount = await MountProcess.StartAsync(_emulator.HostAndPort, "gs://scraped", temp.Combine("mnt"), temp.Combine("cache"),
            "--prometheus-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // Scraped while the copy runs: the endpoint answers beside a busy mount.
        var copy = Tool.RunAsync("cp", big, small, mount.Path());
        var during = await CurlAsync(url);
        Assert.Contains("octue_mount_store_requests_total", during);
        (await copy).EnsureSuccess("cp");
        (await Tool.BashAsync("cat \"$1\" > \"$2\"", mount.Path("existing.bin"), temp.Combine("existing.out"))).EnsureSuccess("cat");
        Assert.Equal(existing, File.ReadAllBytes(temp.Combine("existing.out")));

        // The mount counts each store call once; with no retries each is one request to the emulator (an upload may
        // take several: a resumable session and its chunks). Counts settle once the mount is idle.
        string scrape = "";
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            scrape = await CurlAsync(url);
            // A download is counted when its stream ends, which a streaming read may do after `cat` has returned: a
            // series not there yet is a count still to come, so wait for it here (the asserts below require it).
            var settled = SampleOrZero(scrape, "octue_mount_store_requests_total", "kind=\"read\"") == _emulator.Requests.Count(RequestKind.Download)
                && SampleOrZero(scrape, "octue_mount_store_requests_total", "kind=\"stat\"") == _emulator.Requests.Count(RequestKind.GetObject)
                && SampleOrZero(scrape, "octue_mount_store_requests_total", "kind=\"list\"") == _emulator.Requests.Count(RequestKind.ListObjects);
            if (settled || DateTime.UtcNow > deadline)
                break;
            await Task.Delay(500);
        }
        Assert.Equal(_emulator.Requests.Count(RequestKind.Download), Sample(scrape, "octue_mount_store_requests_total", "kind=\"read\""));
        // Lookups are listings and a large file's open asks nothing, so this copy may make no stat at all (no series).
        Assert.Equal(_emulator.Requests.Count(RequestKind.GetObject), SampleOrZero(scrape, "octue_mount_store_requests_total", "kind=\"stat\""));
        Assert.Equal(_emulator.Requests.Count(RequestKind.ListObjects), Sample(scrape, "octue_mount_store_requests_total", "kind=\"list\""));
        Assert.True(_emulator.Requests.Count(RequestKind.Download) >= 1);
        var uploads = Sample(scrape, "octue_mount_store_requests_total", "kind=\"upload\"");
        Assert.Equal(2, uploads);
        Assert.InRange(_emulator.Requests.Count(RequestKind.Upload), 2, 100);
        Assert.Equal(2, Sample(scrape, "octue_mount_vfs_uploads_total"));
        Assert.Equal(bigBytes.Length + 6, Sample(scrape, "octue_mount_vfs_uploaded_bytes_total"));
        Assert.Equal(bigBytes.Length + 6, Sample(scrape, "octue_mount_vfs_written_bytes_total"));
        // Nothing is left staged once the copies are uploaded.
        Assert.Equal(0, Sample(scrape, "octue_mount_vfs_staged_bytes"));
        // existing.bin read in full: downloaded and verified once.
        Assert.True(Sample(scrape, "octue_mount_read_store_bytes_total") >= existing.Length);
        Assert.True(Sample(scrape, "octue_mount_integrity_verifications_total") >= 1);
        // One duration per request, by kind and outcome.
        Assert.Equal(Sample(scrape, "octue_mount_store_requests_total", "kind=\"read\""),
            Sample(scrape, "octue_mount_store_duration_seconds_count", "kind=\"read\"", "outcome=\"ok\""));
        Assert.Equal(uploads, Sample(scrape, "octue_mount_store_duration_seconds_count", "kind=\"upload\""));
        Assert.True(Sample(scrape, "octue_mount_store_duration_seconds_bucket", "kind=\"read\"", "le=\"+Inf\"") >= 1);

        // The loopback endpoint answers to its name as well as its address.
        Assert.Contains("octue_mount_store_requests_total", await CurlAsync($"http://localhost:{port}/metrics"));
        Assert.Equal(0, await mount.StopAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task A_taken_metrics_port_fails_the_mount_with_a_message_naming_it()
    {
        using var temp = new TempDirectory();
        _emulator.Store.CreateBucket("taken");
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var mountPoint = temp.CreateDirectory("mnt");
        try
        {
            var result = await Tool.RunAsync(MountProcess.CliPath, ["mount", "gs://taken", mountPoint, "--cache-dir", temp.Combine("cache"), "-o", $"prometheus_port={port}"],
                TimeSpan.FromSeconds(90), new Dictionary<string, string> { ["STORAGE_EMULATOR_HOST"] = _emulator.HostAndPort });
            Assert.Equal(1, result.ExitCode);
            Assert.Contains($"Cannot serve metrics on 127.0.0.1:{port}", result.Stderr);
            Assert.Null(MountTable.Find(mountPoint));
        }
        finally
        {
            await MountProcess.CleanUpAsync(mountPoint);
        }
    }

    [Fact]
    public async Task Otlp_export_reaches_the_receiver_named_by_the_environment()
    {
        using var temp = new TempDirectory();
        _emulator.Store.CreateBucket("pushed");
        _emulator.Store.PutObject("pushed", "a.txt", "a"u8.ToArray());
        var port = FreeLoopbackPort();
        using var receiver = new HttpListener();
        receiver.Prefixes.Add($"http://127.0.0.1:{port}/");
        receiver.Start();
        var mountPoint = temp.CreateDirectory("mnt");
        var environment = new Dictionary<string, string>
        {
            ["STORAGE_EMULATOR_HOST"] = _emulator.HostAndPort,
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{port}",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
        };
        try
        {
            (await Tool.RunAsync(MountProcess.CliPath, ["mount", "gs://pushed", mountPoint, "--cache-dir", temp.Combine("cache")], TimeSpan.FromSeconds(90), environment))
                .EnsureSuccess("octue-mount mount");
            (await Tool.RunAsync("cat", Path.Combine(mountPoint, "a.txt"))).EnsureSuccess("cat");
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (true)
            {
                var context = await receiver.GetContextAsync().WaitAsync(timeout.Token);
                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body, timeout.Token);
                context.Response.StatusCode = 200;
                context.Response.Close();
                Assert.Equal("/v1/metrics", context.Request.Url!.AbsolutePath);
                // The protobuf payload carries instrument names as plain strings.
                var text = Encoding.UTF8.GetString(body.ToArray());
                if (text.Contains("octue.mount.store.requests", StringComparison.Ordinal) && text.Contains("octue.mount.store.duration", StringComparison.Ordinal))
                    break;
            }
        }
        finally
        {
            await Tool.RunAsync(MountProcess.CliPath, "unmount", mountPoint);
            await MountProcess.CleanUpAsync(mountPoint);
        }
    }

    [Theory]
    [InlineData("9464", "127.0.0.1:9464", "http://127.0.0.1:9464/|http://localhost:9464/")]
    [InlineData("localhost:9464", "127.0.0.1:9464", "http://127.0.0.1:9464/|http://localhost:9464/")]
    [InlineData("0.0.0.0:9464", "0.0.0.0:9464", "http://*:9464/")]
    [InlineData("[::]:80", "[::]:80", "http://*:80/")]
    [InlineData("[::1]:9464", "[::1]:9464", "http://[::1]:9464/")]
    [InlineData("10.1.2.3:65535", "10.1.2.3:65535", "http://10.1.2.3:65535/")]
    public void Prometheus_port_takes_an_optional_address(string value, string endpoint, string prefixes)
    {
        var parsed = MetricsEndpoint.Parse("prometheus_port", value);
        Assert.Equal(endpoint, parsed.ToString());
        Assert.Equal(prefixes.Split('|'), parsed.UriPrefixes);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("65536")]
    [InlineData("port")]
    [InlineData("::1:9464")]
    [InlineData("metrics.example:9464")]
    [InlineData("1.2.3.4:")]
    public void Prometheus_port_refuses_what_it_cannot_listen_on(string value)
    {
        var error = Assert.Throws<MountOptionException>(() => MountOptionParser.Apply(new MountSettings { MountPoint = "/m" }, "prometheus_port=" + value));
        Assert.Contains("'prometheus_port'", error.Message);
        Assert.Contains(value, error.Message);
    }
}
