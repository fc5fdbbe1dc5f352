using System.Reflection;
using System.Runtime.CompilerServices;
using System.Xml.Linq;
using global::Octue.Mount.Octue;

namespace Octue.Mount.Tests.Octue;

/// <summary>
/// The package ships XML docs: every public type and member of the namespaces a library user calls must have an
/// entry, each overload under its own documentation id (an <c>&lt;inheritdoc/&gt;</c> counts).
/// </summary>
public sealed class PublicApiDocumentationTests
{
    private const BindingFlags DeclaredPublic = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    [Theory]
    [InlineData("Octue.Mount.Octue")]
    [InlineData("Octue.Mount.Storage")]
    [InlineData("Octue.Mount.Integrity")]
    [InlineData("Octue.Mount.Vfs")]
    [InlineData("Octue.Mount.Caching")]
    public void Every_public_type_and_member_of_the_namespace_is_documented(string ns)
    {
        var assembly = typeof(Datafile).Assembly;
        var xmlPath = Path.ChangeExtension(assembly.Location, ".xml");
        Assert.True(File.Exists(xmlPath), $"No XML documentation next to {assembly.Location}");
        var documented = XDocument.Load(xmlPath).Descendants("member")
            .Where(m => m.Elements().Any(e => !string.IsNullOrWhiteSpace(e.Value) || e.Name == "inheritdoc"))
            .Select(m => (string)m.Attribute("name")!).ToHashSet(StringComparer.Ordinal);

        var types = assembly.GetExportedTypes().Where(t => t.Namespace == ns).ToList();
        Assert.NotEmpty(types);
        var missing = new List<string>();
        foreach (var type in types)
        {
            if (!documented.Contains("T:" + TypeId(type))) missing.Add("T:" + TypeId(type));
            if (typeof(Delegate).IsAssignableFrom(type)) continue;
            foreach (var member in type.GetMembers(DeclaredPublic))
            {
                if (MemberId(type, member) is { } id && !documented.Contains(id)) missing.Add(id);
            }
        }
        Assert.True(missing.Count == 0, "Not documented:\n" + string.Join("\n", missing));
    }

    // The id the compiler gives a member in the XML file, or null for members that carry no documentation of their own.
    private static string? MemberId(Type type, MemberInfo member)
    {
        if (member.IsDefined(typeof(CompilerGeneratedAttribute)) || member is Type) return null;
        switch (member)
        {
            case FieldInfo field when field.IsSpecialName: // an enum's value__
                return null;
            case FieldInfo field:
                return "F:" + TypeId(type) + "." + field.Name;
            case PropertyInfo property:
                return "P:" + TypeId(type) + "." + property.Name + Parameters(property.GetIndexParameters());
            case EventInfo @event:
                return "E:" + TypeId(type) + "." + @event.Name;
            case ConstructorInfo constructor:
                // A type's only constructor, when parameterless, may be the implicit one, which has no source to document.
                if (!constructor.IsStatic && constructor.GetParameters().Length == 0 && type.GetConstructors().Length == 1) return null;
                return "M:" + TypeId(type) + "." + (constructor.IsStatic ? "#cctor" : "#ctor") + Parameters(constructor.GetParameters());
            case MethodInfo method:
                // Property and event accessors are documented through their property or event.
                if (method.IsSpecialName && !method.Name.StartsWith("op_", StringComparison.Ordinal)) return null;
                var generic = method.IsGenericMethodDefinition ? "``" + method.GetGenericArguments().Length : "";
                var conversion = method.Name is "op_Implicit" or "op_Explicit" ? "~" + ParameterType(method.ReturnType) : "";
                return "M:" + TypeId(type) + "." + method.Name + generic + Parameters(method.GetParameters()) + conversion;
            default:
                return null;
        }
    }

    private static string TypeId(Type type) => type.FullName!.Replace('+', '.');

    private static string Parameters(ParameterInfo[] parameters) =>
        parameters.Length == 0 ? "" : "(" + string.Join(",", parameters.Select(p => ParameterType(p.ParameterType))) + ")";

    private static string ParameterType(Type type)
    {
        if (type.IsByRef) return ParameterType(type.GetElementType()!) + "@";
        if (type.IsPointer) return ParameterType(type.GetElementType()!) + "*";
        if (type.IsArray)
            return ParameterType(type.GetElementType()!) + (type.GetArrayRank() == 1 ? "[]" : "[" + string.Join(",", Enumerable.Repeat("0:", type.GetArrayRank())) + "]");
        if (type.IsGenericParameter) return (type.DeclaringMethod is null ? "`" : "``") + type.GenericParameterPosition;
        if (type.IsGenericType)
        {
            var name = TypeId(type.GetGenericTypeDefinition());
            return name[..name.IndexOf('`')] + "{" + string.Join(",", type.GetGenericArguments().Select(ParameterType)) + "}";
        }
        return TypeId(type);
    }
}
