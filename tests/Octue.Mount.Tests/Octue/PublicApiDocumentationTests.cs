using System.Reflection;
using System.Runtime.CompilerServices;
using System.Xml.Linq;
using global::Octue.Mount.Octue;

namespace Octue.Mount.Tests.Octue;

/// <summary>The package ships XML docs: every public type and member of the Octue namespace must have an entry.</summary>
public sealed class PublicApiDocumentationTests
{
    [Fact]
    public void Every_public_type_and_member_of_the_octue_namespace_is_documented()
    {
        var assembly = typeof(Datafile).Assembly;
        var xmlPath = Path.ChangeExtension(assembly.Location, ".xml");
        Assert.True(File.Exists(xmlPath), $"No XML documentation next to {assembly.Location}");
        var documented = XDocument.Load(xmlPath).Descendants("member").Select(m => (string)m.Attribute("name")!).ToHashSet();

        var missing = new List<string>();
        foreach (var type in assembly.GetExportedTypes().Where(t => t.Namespace == typeof(Datafile).Namespace))
        {
            if (!documented.Contains("T:" + type.FullName)) missing.Add("T:" + type.FullName);
            foreach (var member in type.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                if (member.IsDefined(typeof(CompilerGeneratedAttribute)) || member is MethodBase { IsSpecialName: true } || member is Type)
                    continue;
                if (type.IsEnum || (type.IsValueType && member is ConstructorInfo { IsStatic: false } c && c.GetParameters().Length == 0))
                    continue;
                var prefix = member switch { PropertyInfo => "P:", FieldInfo => "F:", MethodBase => "M:", EventInfo => "E:", _ => "?:" };
                var name = prefix + type.FullName + "." + (member is ConstructorInfo ? "#ctor" : member.Name);
                if (!documented.Any(d => d == name || d.StartsWith(name + "(", StringComparison.Ordinal) || d.StartsWith(name + "`", StringComparison.Ordinal)))
                    missing.Add(name);
            }
        }
        Assert.Empty(missing);
    }
}
