using System.Globalization;

namespace Octue.Mount.MountProbe;

/// <summary>
/// <c>--name value</c> options (a name may repeat), <c>--flag</c> switches and plain positional values, in the
/// order given. Small on purpose: the probe is driven by one script.
/// </summary>
internal sealed class Arguments
{
    private readonly List<(string Name, string? Value)> _options = [];
    private readonly List<string> _positional = [];

    public Arguments(string[] args, params string[] switches)
    {
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
                _positional.Add(args[i]);
            else if (switches.Contains(args[i]))
                _options.Add((args[i], null));
            else if (i + 1 < args.Length)
                _options.Add((args[i], args[++i]));
            else
                throw new ProbeException($"{args[i]} needs a value");
        }
    }

    public IReadOnlyList<string> Positional => _positional;

    public bool Has(string name) => _options.Exists(o => o.Name == name);

    public IEnumerable<string> All(string name) => _options.Where(o => o.Name == name).Select(o => o.Value ?? "");

    public string Required(string name) => All(name).LastOrDefault() ?? throw new ProbeException($"{name} is required");

    public long Long(string name, long fallback) =>
        All(name).LastOrDefault() is { } text
            ? long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
                ? value
                : throw new ProbeException($"{name} {text}: not a positive whole number")
            : fallback;
}
