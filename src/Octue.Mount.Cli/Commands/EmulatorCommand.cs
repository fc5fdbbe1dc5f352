using System.CommandLine;
using System.Runtime.InteropServices;
using Octue.Mount.Emulator;

namespace Octue.Mount.Cli.Commands;

/// <summary>
/// <c>octue-mount emulator [--host 127.0.0.1] [--port N] [--data DIR]</c>: runs the GCS emulator alone until
/// SIGINT or SIGTERM. Prints <c>listening on http://HOST:PORT</c> once it accepts connections, so scripts can
/// start it with <c>--port 0</c> and read the port back.
/// </summary>
internal static class EmulatorCommand
{
    public static Command Create()
    {
        var host = new Option<string>("--host") { Description = "Address to listen on.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "TCP port; 0 picks a free one.", DefaultValueFactory = _ => 0 };
        var data = new Option<string?>("--data") { Description = "Folder to keep buckets and objects in across restarts (default: memory only)." };
        var command = new Command("emulator", "Run the Google Cloud Storage emulator (JSON API) until interrupted.") { host, port, data };
        command.SetAction(async (parse, ct) =>
        {
            var options = new EmulatorOptions { Host = parse.GetValue(host)!, Port = parse.GetValue(port), DataDirectory = parse.GetValue(data) };
            GcsEmulator emulator;
            try
            {
                emulator = await GcsEmulator.StartAsync(options, ct);
            }
            catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or InvalidDataException
                                          or System.Text.Json.JsonException)
            {
                await Console.Error.WriteLineAsync($"error: cannot start the emulator: {e.Message}");
                return 2;
            }
            await using (emulator)
            {
                // Signal handlers must not run the rest of this method inline: it disposes the registrations,
                // which would wait on the very signal dispatch that is calling us. Hence a TCS with asynchronous continuations.
                var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                using var cancelled = ct.Register(() => stop.TrySetResult());
                using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
                using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
                Console.Out.WriteLine($"listening on {emulator.Endpoint.GetLeftPart(UriPartial.Authority)}");
                await Console.Out.FlushAsync(CancellationToken.None);
                await stop.Task;
                return 0;

                void Stop(PosixSignalContext context)
                {
                    context.Cancel = true;
                    stop.TrySetResult();
                }
            }
        });
        return command;
    }
}
