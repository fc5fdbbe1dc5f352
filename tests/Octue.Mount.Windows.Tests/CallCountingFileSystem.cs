using System.Collections.Concurrent;
using System.Reflection;
using Octue.Mount.Vfs;

namespace Octue.Mount.Windows.Tests;

/// <summary>
/// An <see cref="IFileSystem"/> that passes every call to the real one and counts the calls by method name, so a
/// test can show what an adapter asks the file system for (and what it no longer needs to ask).
/// </summary>
public class CallCountingFileSystem : DispatchProxy
{
    private IFileSystem _inner = null!;
    private readonly ConcurrentDictionary<string, int> _calls = new();

    /// <summary>Wraps <paramref name="inner"/>; <paramref name="counter"/> reads the counts.</summary>
    public static IFileSystem Wrap(IFileSystem inner, out CallCountingFileSystem counter)
    {
        var proxy = Create<IFileSystem, CallCountingFileSystem>();
        counter = (CallCountingFileSystem)(object)proxy;
        counter._inner = inner;
        return proxy;
    }

    /// <summary>Calls of the file system's method <paramref name="method"/> since the last <see cref="Reset"/>.</summary>
    public int Count(string method) => _calls.GetValueOrDefault(method);

    public void Reset() => _calls.Clear();

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        _calls.AddOrUpdate(targetMethod.Name, 1, (_, n) => n + 1);
        try
        {
            return targetMethod.Invoke(_inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }
}
