namespace Octue.Mount.MountProbe;

/// <summary>A measurement that cannot be trusted (wrong bytes, short read, bad arguments): the run must stop.</summary>
internal sealed class ProbeException(string message) : Exception(message);
