namespace Octue.Mount.ModelTest;

/// <summary>What the runs did, for the report: operations by kind, faults injected and survived, bytes compared and lost.</summary>
public sealed class RunStatistics
{
    private readonly Dictionary<OperationKind, int> _byKind = new();

    public int Operations { get; private set; }
    public int FaultsInjected { get; set; }
    public int FaultsSurvived { get; set; }
    public int FaultsUnused { get; set; }
    public int Kills { get; set; }
    public int KillsDuringFsync { get; set; }
    public int KilledUploadsOld { get; set; }
    public int KilledUploadsNew { get; set; }
    public int Remounts { get; set; }
    public int SpuriousConflicts { get; set; }
    public long BytesWritten { get; set; }
    public long BytesRead { get; set; }
    public long BytesCompared { get; set; }
    public long BytesLost { get; set; }

    public void Count(Operation op)
    {
        Operations++;
        _byKind[op.Kind] = _byKind.GetValueOrDefault(op.Kind) + 1;
    }

    public override string ToString()
    {
        var kinds = string.Join(", ", _byKind.OrderByDescending(k => k.Value).Select(k => $"{k.Key} {k.Value}"));
        return $"operations: {Operations} ({kinds})\n" +
               $"faults injected: {FaultsInjected} (503 bursts and download resets), survived: {FaultsSurvived}, armed but never met: {FaultsUnused}\n" +
               $"kill -9 + recovery: {Kills} ({KillsDuringFsync} during an fsync's upload: the bucket then held the old object {KilledUploadsOld} times, the new one {KilledUploadsNew} times, never anything else), clean remounts: {Remounts}, conflict copies of bytes the file has anyway: {SpuriousConflicts}\n" +
               $"bytes written: {BytesWritten}, read and compared by operations: {BytesRead}, compared in full checks: {BytesCompared}, bytes lost: {BytesLost}";
    }
}
