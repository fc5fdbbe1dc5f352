namespace Octue.Mount.Octue;

/// <summary>
/// A value does not follow the Octue format: an invalid tag name or label, metadata too large for GCS, or a malformed
/// manifest or dataset metadata file. <see cref="Field"/> names what was wrong and <see cref="Rule"/> the rule it broke,
/// so the message can be shown to a user as it is. Raised before anything is written.
/// </summary>
public sealed class OctueFormatException : FormatException
{
    /// <summary>Creates the exception for <paramref name="field"/> breaking <paramref name="rule"/>.</summary>
    /// <param name="field">The field, key or file that is wrong (for example <c>tag name 'SHOUTY'</c> or <c>manifest.datasets</c>).</param>
    /// <param name="rule">The rule it broke, in words.</param>
    /// <param name="inner">The underlying parse failure, if any.</param>
    public OctueFormatException(string field, string rule, Exception? inner = null)
        : base($"Invalid {field}: {rule}", inner)
    {
        Field = field;
        Rule = rule;
    }

    /// <summary>The field, key or file that is wrong.</summary>
    public string Field { get; }

    /// <summary>The rule it broke.</summary>
    public string Rule { get; }
}
