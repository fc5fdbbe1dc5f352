// The small programs bench/run needs where a shell tool does not fit (bench/README.md, "bench/run"):
//
//   mount-probe emulator --bucket B [--object NAME=FILE]... [--folder PREFIX=DIR]... [--generate PREFIX=COUNT[/FOLDERS]]...
//       runs the in-repo GCS emulator on 127.0.0.1 (a free port) with the bucket filled in process, prints
//       "listening on http://127.0.0.1:N" once it serves, and runs until SIGINT or SIGTERM.
//   mount-probe read-at SOURCE --verify LOCAL (--first | --count N --size BYTES --seed K)
//       timed reads at fixed offsets, from a file (open + pread) or an http:// object URL (ranged GETs on one
//       reused HttpClient); every byte read is compared with LOCAL at the same offset afterwards.
//   mount-probe read-parallel FILE...
//       one thread per file, each reading its file to the end in 1 MiB reads; the files are read at the same time.
//
// Figures go to standard output as one line of key=value pairs; a wrong byte or a short read exits 1 with "FAIL:".
using Octue.Mount.MountProbe;

try
{
    return args.Length == 0 ? Usage() : args[0] switch
    {
        "emulator" => await SeededEmulator.RunAsync(new Arguments(args[1..])),
        "read-at" => await ReadAt.RunAsync(new Arguments(args[1..], "--first")),
        "read-parallel" => ParallelRead.Run(args[1..]),
        _ => Usage(),
    };
}
catch (Exception e) when (e is ProbeException or IOException or UnauthorizedAccessException or HttpRequestException
                               or ArgumentException or TaskCanceledException)
{
    Console.Error.WriteLine($"FAIL: {e.Message}");
    return 1;
}

static int Usage()
{
    Console.Error.WriteLine("usage: mount-probe emulator|read-at|read-parallel ... (see bench/README.md)");
    return 2;
}
