using Microsoft.AspNetCore.Http;

namespace Octue.Mount.Emulator;

/// <summary>
/// The <c>generation</c> selector of a request (<c>sourceGeneration</c> on copy and rewrite, <c>generation</c> of each
/// compose source): which revision of an object an operation targets, applied the same way on every endpoint.
/// <para>
/// Reading of Cloud Storage: the JSON API documents the parameter as "if present, selects a specific revision of this
/// object (as opposed to the latest version, the default)". A real generation is never 0 (it is a microsecond
/// timestamp of the write), and the v2 API, served by the same backend, carries the selector as an int64 whose unset
/// value is 0 and means the live version; Google's own storage test bench reads an absent <c>generation</c> as 0 and
/// treats 0 as "the live version". So <c>generation=0</c> selects the live object, on reads, media reads, PATCH, PUT,
/// DELETE, copy, rewrite and compose alike. (This is the selector only: the precondition <c>ifGenerationMatch=0</c>
/// still means "the object must not exist".)
/// </para>
/// Only the live revision is kept, so any other generation finds nothing, as for a deleted revision (404).
/// </summary>
internal static class GenerationSelector
{
    /// <summary>The generation a query parameter selects; null for the live object (absent or 0).</summary>
    public static long? Read(HttpRequest request, string parameter = "generation") => Normalize(QueryParameters.Long(request, parameter));

    /// <summary>A selector given in a JSON body or a header, with 0 read as "the live object".</summary>
    public static long? Normalize(long? generation) => generation is 0 ? null : generation;

    /// <summary>Whether <paramref name="current"/> (the live revision) is the one <paramref name="selected"/> asks for.</summary>
    public static bool Selects(long? selected, StoredObject current) => selected is null || selected == current.Generation;
}
