using global::Octue.Mount.Octue;

namespace Octue.Mount.Tests.Octue;

public sealed class LabelSetTests
{
    public static TheoryData<string> Invalid() => new(SpecExamples.InvalidLabels);
    public static TheoryData<string> Valid() => new(SpecExamples.ValidLabels);

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Invalid_labels_are_refused_naming_the_rule(string label)
    {
        var error = Assert.Throws<OctueFormatException>(() => LabelSet.ValidateLabel(label));
        Assert.Contains("^[a-z0-9][a-z0-9-]*$", error.Rule);
        Assert.Throws<OctueFormatException>(() => new LabelSet().Add(label));
    }

    [Theory]
    [MemberData(nameof(Valid))]
    public void Valid_labels_are_accepted(string label)
    {
        Assert.True(new LabelSet().Add(label));
    }

    [Fact]
    public void Labels_are_stripped_sorted_and_unique()
    {
        var labels = new LabelSet(["  wind ", "met-mast", "wind", "a1"]);
        Assert.Equal(new[] { "a1", "met-mast", "wind" }, labels);
        Assert.True(labels.Contains(" wind"));
        Assert.Equal(new LabelSet(["wind", "a1", "met-mast"]), labels);
    }

    [Fact]
    public void Labels_are_written_as_the_sorted_JSON_array_Parse_reads()
    {
        var labels = new LabelSet(["wind", " met-mast", "a1"]);
        Assert.Equal("[\"a1\", \"met-mast\", \"wind\"]", labels.ToJson());
        Assert.Equal(labels, LabelSet.Parse(labels.ToJson()));
        Assert.Equal("[]", new LabelSet().ToJson());
    }

    [Fact]
    public void Blank_labels_are_refused()
    {
        Assert.Throws<OctueFormatException>(() => new LabelSet().Add("   "));
    }

    [Fact]
    public void A_json_array_of_labels_parses_stripped_and_sorted()
    {
        Assert.Equal(new[] { "met-mast", "wind" }, LabelSet.Parse("[\" wind\", \"met-mast\"]"));
        Assert.Empty(LabelSet.Parse("[]"));
    }

    [Theory]
    [InlineData("{\"a\": 1}", "JSON array")]
    [InlineData("\"wind\"", "JSON array")]
    [InlineData("[wind", "JSON array")]
    [InlineData("[1, \"wind\"]", "must be a string")]
    [InlineData("[\"Bad_Label\"]", "^[a-z0-9][a-z0-9-]*$")]
    public void Anything_else_is_refused_naming_the_rule(string json, string rule)
    {
        var error = Assert.Throws<OctueFormatException>(() => LabelSet.Parse(json));
        Assert.Contains(rule, error.Rule);
    }
}
