namespace Octue.Mount.Tests.Caching;

[CollectionDefinition(nameof(ReadPathMetricsTests), DisableParallelization = true)]
public sealed class ReadPathMetricsCollection;
