using Octue.Mount.Windows.Mapping;

namespace Octue.Mount.Windows.Tests;

public class WindowsNamesTests
{
    [Theory]
    [InlineData("plain.txt", "plain.txt")]
    [InlineData("a:b", "a\uFF1Ab")]
    [InlineData("what?*<>|\"\\", "what\uFF1F\uFF0A\uFF1C\uFF1E\uFF5C\uFF02\uFF3C")]
    [InlineData("tab\there", "tab\u2409here")]
    [InlineData("trailing.", "trailing\uFF0E")]
    [InlineData("trailing ", "trailing\u2420")]
    [InlineData("a.b c", "a.b c")]
    [InlineData("CON", "\uFF23ON")]
    [InlineData("con.txt", "\uFF43on.txt")]
    [InlineData("Lpt9", "\uFF2Cpt9")]
    [InlineData("CONSOLE", "CONSOLE")]
    [InlineData("COM10", "COM10")]
    [InlineData("a\uFF1Ab", "a\u201B\uFF1Ab")]
    [InlineData("\uFF23ON", "\u201B\uFF23ON")]
    [InlineData("x\uFF0E", "x\u201B\uFF0E")]
    [InlineData("x\uFF0Ey", "x\uFF0Ey")]
    [InlineData("\u201Bq", "\u201Bq")]
    [InlineData("\u201B:", "\u201B\u201B\uFF1A")]
    [InlineData("caf\u00E9 \u65E5\u672C", "caf\u00E9 \u65E5\u672C")]
    public void Object_names_encode_by_the_documented_rule(string objectName, string windowsName)
    {
        Assert.Equal(windowsName, WindowsNames.ToWindowsName(objectName));
        Assert.Equal(objectName, WindowsNames.ToObjectName(windowsName));
    }

    [Fact]
    public void Encoded_names_never_contain_what_Windows_forbids()
    {
        foreach (string name in RandomNames(20_000, seed: 1))
        {
            string w = WindowsNames.ToWindowsName(name);
            Assert.True(w.IndexOfAny(['\\', ':', '*', '?', '"', '<', '>', '|']) < 0, w);
            Assert.DoesNotContain(w, c => c < 0x20);
            Assert.False(w.EndsWith('.') || w.EndsWith(' '), w);
            Assert.False(WindowsNames.IsReservedDeviceName(w), w);
        }
    }

    [Fact]
    public void The_mapping_is_reversible_for_every_object_name()
    {
        foreach (string name in RandomNames(50_000, seed: 2))
            Assert.Equal(name, WindowsNames.ToObjectName(WindowsNames.ToWindowsName(name)));
    }

    [Theory]
    [InlineData("CON", true)]
    [InlineData("nul", true)]
    [InlineData("aux.tar.gz", true)]
    [InlineData("COM1", true)]
    [InlineData("conin$", true)]
    [InlineData("CON1", false)]
    [InlineData("xCON", false)]
    [InlineData("COM0", false)]
    [InlineData("", false)]
    public void Reserved_device_names(string name, bool reserved)
    {
        Assert.Equal(reserved, WindowsNames.IsReservedDeviceName(name));
    }

    // Names drawn from an alphabet dense in the characters the rule cares about.
    private static IEnumerable<string> RandomNames(int count, int seed)
    {
        const string alphabet = "aAcCoOnNuUlLpPtTxX019$. :*?\"<>|\\\t\u0001\u201B\uFF1A\uFF0A\uFF0E\u2420\u2409\uFF23\uFF2F\uFF4E\uFF43\u00E9\u65E5";
        string[] stems = ["CON", "con", "Nul", "AUX", "com1", "LPT9", "prn", "CONIN$"];
        var random = new Random(seed);
        for (int i = 0; i < count; i++)
        {
            int length = random.Next(1, 9);
            var chars = new char[length];
            for (int j = 0; j < length; j++)
                chars[j] = alphabet[random.Next(alphabet.Length)];
            string name = new(chars);
            if (random.Next(4) == 0)
                name = stems[random.Next(stems.Length)] + (random.Next(2) == 0 ? "" : "." + name);
            yield return name;
        }
    }
}
