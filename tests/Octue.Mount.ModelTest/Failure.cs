namespace Octue.Mount.ModelTest;

/// <summary>Where a run and the model disagreed, and the operations that led there.</summary>
public sealed record Failure(int Index, Operation? Operation, string Message, IReadOnlyList<Operation> Executed);
