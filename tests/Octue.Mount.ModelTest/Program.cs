using System.Globalization;
using System.Text.Json;
using Octue.Mount.Emulator;
using Octue.Mount.ModelTest;

// octue-mount-model: the model-based random test of a real mount. See ModelRun for what is compared and
// bench/README.md for the long run.
//   octue-mount-model [--seeds 1,2,3] [--operations N] [--faults RATE] [--remounts RATE] [--kills RATE]
//                     [--work DIR] [--cli PATH] [--shrink-seconds S] [--replay FILE]
// Exit status: 0 when every run agreed with the model, 1 when one did not (its seed, the failing step and a shrunk
// reproduction are printed, and the reproduction written to a file for --replay), 2 for bad arguments.

ModelOptions options;
try
{
    options = Parse(args);
}
catch (FormatException e)
{
    Console.Error.WriteLine($"octue-mount-model: {e.Message}");
    return 2;
}

if (!OperatingSystem.IsLinux())
{
    Console.Error.WriteLine("octue-mount-model: needs Linux (FUSE)");
    return 2;
}

var work = options.WorkDirectory ?? Directory.CreateTempSubdirectory("octue-mount-model-").FullName;
Directory.CreateDirectory(work);
var stats = new RunStatistics();
var started = DateTime.UtcNow;
await using var emulator = await GcsEmulator.StartAsync();
var runs = 0;

async Task<Failure?> RunOnceAsync(Func<ModelRun, IEnumerable<Operation>> operations, RunStatistics into)
{
    var folder = Path.Combine(work, $"run{++runs}");
    await using var run = await ModelRun.StartAsync(options, emulator, into, folder);
    return await run.RunAsync(operations(run));
}

if (options.Replay is { } replayFile)
{
    var script = JsonSerializer.Deserialize<List<Operation>>(File.ReadAllText(replayFile)) ?? [];
    Console.WriteLine($"replaying {script.Count} operations from {replayFile}");
    var failure = await RunOnceAsync(_ => script, stats);
    Console.WriteLine(failure is null ? "the replay agreed with the model" : $"FAILED at operation {failure.Index + 1}: {failure.Message}");
    return failure is null ? 0 : 1;
}

foreach (var seed in options.Seeds)
{
    var seedStart = DateTime.UtcNow;
    var failure = await RunOnceAsync(run => run.Generate(seed, options.Operations), stats);
    if (failure is null)
    {
        Console.WriteLine($"seed {seed}: {options.Operations} operations agreed with the model ({(DateTime.UtcNow - seedStart).TotalSeconds:F1} s)");
        continue;
    }

    Console.WriteLine($"FAILED: seed {seed}, operation {failure.Index + 1}: {failure.Operation?.ToString() ?? "the final check"}");
    Console.WriteLine($"  {failure.Message}");
    Console.WriteLine($"  daemon logs: {Path.Combine(work, $"run{runs}")}/daemon-*.log");
    var whole = Path.Combine(work, $"failure-seed{seed}.json");
    File.WriteAllText(whole, JsonSerializer.Serialize(failure.Executed, new JsonSerializerOptions { WriteIndented = true }));
    Console.WriteLine($"  the {failure.Executed.Count} operations that led there: {whole}");
    Console.WriteLine($"shrinking them (at most {options.ShrinkBudget.TotalSeconds:F0} s)...");
    var scratch = new RunStatistics();
    var minimal = await Shrinker.ShrinkAsync(failure.Executed, async candidate => (await RunOnceAsync(_ => candidate, scratch))?.Executed,
        options.ShrinkBudget, Console.WriteLine);
    var file = Path.Combine(work, $"reproduction-seed{seed}.json");
    File.WriteAllText(file, JsonSerializer.Serialize(minimal, new JsonSerializerOptions { WriteIndented = true }));
    var confirmed = await RunOnceAsync(_ => minimal, scratch);
    Console.WriteLine($"minimal reproduction ({minimal.Count} operations{(confirmed is null ? "; it did not fail again: the failure depends on timing" : $"; fails with: {confirmed.Message}")}):");
    Console.Write(Operation.Describe(minimal));
    Console.WriteLine($"replay: octue-mount-model --replay {file}");
    Console.WriteLine(stats);
    return 1;
}

Console.WriteLine($"all {options.Seeds.Count} seed(s) agreed with the model in {(DateTime.UtcNow - started).TotalSeconds:F1} s");
Console.WriteLine(stats);
if (options.WorkDirectory is null)
{
    TryDelete(work);
}

return stats.BytesLost == 0 ? 0 : 1;

static void TryDelete(string folder)
{
    try
    {
        Directory.Delete(folder, recursive: true);
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
    {
    }
}

static ModelOptions Parse(string[] args)
{
    var options = new ModelOptions();
    for (var i = 0; i < args.Length; i++)
    {
        string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value");
        double Rate() => double.TryParse(Value(), CultureInfo.InvariantCulture, out var rate) && rate is >= 0 and <= 1
            ? rate : throw new FormatException($"{args[i - 1]} takes a chance between 0 and 1");
        options = args[i] switch
        {
            "--seeds" => options with { Seeds = Value().Split(',').Select(s => int.TryParse(s, out var seed) ? seed : throw new FormatException($"bad seed '{s}'")).ToArray() },
            "--operations" => options with { Operations = int.TryParse(Value(), out var n) && n > 0 ? n : throw new FormatException("--operations takes a positive number") },
            "--faults" => options with { FaultRate = Rate() },
            "--remounts" => options with { RemountRate = Rate() },
            "--kills" => options with { KillRate = Rate() },
            "--work" => options with { WorkDirectory = Path.GetFullPath(Value()) },
            "--cli" => options with { Cli = Path.GetFullPath(Value()) },
            "--shrink-seconds" => options with { ShrinkBudget = TimeSpan.FromSeconds(int.TryParse(Value(), out var s) && s >= 0 ? s : throw new FormatException("--shrink-seconds takes a number")) },
            "--replay" => options with { Replay = Path.GetFullPath(Value()) },
            _ => throw new FormatException($"unknown option {args[i]}"),
        };
    }

    return options;
}
