using System.Reflection;
using NetArchTest.Rules;
using Octue.Mount.Linux;
using Octue.Mount.Storage;
using Octue.Mount.Windows;

namespace Octue.Mount.Architecture.Tests;

/// <summary>
/// The arrows of docs/architecture.md, checked on the compiled assemblies (IL, so a fully qualified name or a
/// <c>var</c> cannot hide a dependency): adapters -> Vfs -> Caching -> Storage, with Octue beside the Vfs and
/// Integrity under everything. Each rule names the layer and what it must not use; a type that breaks the rule fails
/// the test with the dependency that broke it (for example "Octue.Mount.Caching.X: Has dependency on:
/// Octue.Mount.Vfs.OctueFileSystem").
/// </summary>
public sealed class LayerDependencyTests
{
    private static readonly Assembly Core = typeof(IObjectStore).Assembly;
    private static readonly Assembly Linux = typeof(FuseMount).Assembly;
    private static readonly Assembly Windows = typeof(WinFspHost).Assembly;

    [Fact]
    public void The_Linux_adapter_knows_nothing_of_GCS_storage_or_caching() =>
        AssertNoDependency(Types.InAssembly(Linux), "the Linux adapter", Google, Storage, Caching);

    [Fact]
    public void The_Windows_adapter_knows_nothing_of_GCS_storage_or_caching() =>
        AssertNoDependency(Types.InAssembly(Windows), "the Windows adapter", Google, Storage, Caching);

    [Fact]
    public void Storage_knows_nothing_of_files_caches_or_Octue_data() =>
        AssertNoDependency(Layer(Storage), Storage, Vfs, Caching, Octue);

    [Fact]
    public void Caching_knows_nothing_of_the_file_system() =>
        AssertNoDependency(Layer(Caching), Caching, Vfs);

    [Fact]
    public void Octue_data_knows_nothing_of_the_file_system() =>
        AssertNoDependency(Layer(Octue), Octue, Vfs);

    [Fact]
    public void Only_Storage_talks_to_GCS() =>
        AssertNoDependency(Types.InAssembly(Core).That().DoNotResideInNamespace(Storage), "the core outside Storage", Google);

    [Fact]
    public void Integrity_uses_no_other_layer() =>
        AssertNoDependency(Layer(Integrity), Integrity, Storage, Caching, Vfs, Octue);

    private const string Google = "Google";
    private const string Storage = "Octue.Mount.Storage";
    private const string Caching = "Octue.Mount.Caching";
    private const string Vfs = "Octue.Mount.Vfs";
    private const string Octue = "Octue.Mount.Octue";
    private const string Integrity = "Octue.Mount.Integrity";

    private static PredicateList Layer(string ns) => Types.InAssembly(Core).That().ResideInNamespace(ns);

    private static void AssertNoDependency(PredicateList layer, string layerName, params string[] forbidden) =>
        Check(layer.ShouldNot().HaveDependencyOnAny(forbidden).GetResult(), layerName, forbidden);

    private static void AssertNoDependency(Types types, string layerName, params string[] forbidden) =>
        Check(types.ShouldNot().HaveDependencyOnAny(forbidden).GetResult(), layerName, forbidden);

    private static void Check(TestResult result, string layerName, string[] forbidden)
    {
        var breaks = (result.FailingTypes ?? [])
            .Select(type => $"  {type.FullName}: {type.Explanation}")
            .ToList();
        Assert.True(breaks.Count == 0,
            $"{layerName} must not use {string.Join(", ", forbidden)}, but:\n{string.Join("\n", breaks)}");
    }
}
