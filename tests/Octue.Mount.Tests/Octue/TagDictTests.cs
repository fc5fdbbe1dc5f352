using System.Text.Json.Nodes;
using global::Octue.Mount.Octue;

namespace Octue.Mount.Tests.Octue;

public sealed class TagDictTests
{
    public static TheoryData<string> InvalidNames() => new(SpecExamples.InvalidTagNames);

    [Theory]
    [MemberData(nameof(InvalidNames))]
    public void Invalid_names_are_refused_naming_the_rule(string name)
    {
        var error = Assert.Throws<OctueFormatException>(() => TagDict.ValidateName(name));
        Assert.Contains(name, error.Field);
        Assert.Contains("^[a-z0-9][a-z0-9_]*$", error.Rule);
        Assert.Throws<OctueFormatException>(() => new TagDict()[name] = 1);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("height")]
    [InlineData("is_cleaned")]
    [InlineData("0a_b_1")]
    public void Valid_names_are_accepted(string name)
    {
        TagDict.ValidateName(name);
        Assert.True(TagDict.IsValidName(name));
    }

    [Fact]
    public void A_trailing_newline_is_not_a_valid_name()
    {
        Assert.Throws<OctueFormatException>(() => TagDict.ValidateName("abc\n"));
    }

    [Fact]
    public void Integers_and_floats_stay_distinct()
    {
        var tags = new TagDict { ["i"] = 1, ["f"] = 1.0, ["big"] = 12345678901234567890m, ["neg"] = -0.5, ["tiny"] = 1e-5, ["huge"] = 1e16 };
        Assert.Equal("{\"i\": 1, \"f\": 1.0, \"big\": 1.2345678901234567e+19, \"neg\": -0.5, \"tiny\": 1e-05, \"huge\": 1e+16}", tags.ToJson());
        var parsed = TagDict.Parse("{\"i\": 1, \"f\": 1.0, \"g\": 2.50, \"e\": 1E5, \"l\": 123456789012345678901234567890}");
        Assert.Equal("{\"i\": 1, \"f\": 1.0, \"g\": 2.5, \"e\": 100000.0, \"l\": 123456789012345678901234567890}", parsed.ToJson());
        Assert.NotEqual(TagDict.Parse("{\"a\": 1}"), TagDict.Parse("{\"a\": 1.0}"));
        Assert.Equal(TagDict.Parse("{\"a\": 1.0}"), new TagDict { ["a"] = 1.0 });
    }

    [Theory]
    [InlineData(110.5, "110.5")]
    [InlineData(0.1, "0.1")]
    [InlineData(1e15, "1000000000000000.0")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(123456.789e-10, "1.23456789e-05")]
    [InlineData(-2.0, "-2.0")]
    [InlineData(1.7976931348623157e308, "1.7976931348623157e+308")]
    [InlineData(5e-324, "5e-324")]
    public void Floats_are_written_as_python_repr(double value, string expected)
    {
        Assert.Equal(expected, new TagDict { ["x"] = value }["x"] is { } node ? PythonJsonProbe(node) : null);
    }

    private static string PythonJsonProbe(JsonNode node) => new TagDict { ["x"] = node }.ToJson()["{\"x\": ".Length..^1];

    [Fact]
    public void Nested_values_and_unicode_are_kept_and_ascii_escaped()
    {
        var tags = new TagDict
        {
            ["nested"] = new JsonObject { ["a"] = new JsonArray(1, 2.5, "x"), ["b"] = new JsonObject { ["c"] = null } },
            ["text"] = "Å😀\"\\\n\u007f",
        };
        Assert.Equal("{\"nested\": {\"a\": [1, 2.5, \"x\"], \"b\": {\"c\": null}}, \"text\": \"\\u00c5\\ud83d\\ude00\\\"\\\\\\n\\u007f\"}", tags.ToJson());
        var back = TagDict.Parse(tags.ToJson());
        Assert.Equal(tags, back);
        Assert.Equal("Å😀\"\\\n\u007f", back["text"]!.GetValue<string>());
    }

    [Fact]
    public void Insertion_order_is_kept()
    {
        var tags = TagDict.Parse("{\"zeta\": 1, \"alpha\": 2}");
        Assert.Equal(new[] { "zeta", "alpha" }, tags.Keys);
    }

    [Fact]
    public void Parse_refuses_non_objects_and_bad_names()
    {
        Assert.Throws<OctueFormatException>(() => TagDict.Parse("[1]"));
        Assert.Throws<OctueFormatException>(() => TagDict.Parse("not json"));
        var error = Assert.Throws<OctueFormatException>(() => TagDict.Parse("{\"Bad\": 1}"));
        Assert.Contains("Bad", error.Message);
    }
}
