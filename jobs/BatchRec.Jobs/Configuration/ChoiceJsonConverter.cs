using System.Collections;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace BatchRec.Jobs.Configuration;

/// <summary>
/// JSON of the core's closed sets of config values (Choices.fs: ModelKind, DeviceChoice, ...): each is written as the
/// name the config file spells it with ("gat-text"), not as the union's object, and read back from that name.
/// </summary>
public sealed class ChoiceJsonConverter : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) => NamesOf(typeToConvert) is not null;

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)
            Activator.CreateInstance(
                typeof(NameConverter<>).MakeGenericType(typeToConvert),
                [NamesOf(typeToConvert)!]
            )!;

    /// <summary>The (case, name) table of a Choices.fs type: its static <c>Names</c> list; null for any other type.</summary>
    private static List<(object Value, string Name)>? NamesOf(Type t)
    {
        if (t.Namespace != "BatchRec.Core" || !Microsoft.FSharp.Reflection.FSharpType.IsUnion(t, null))
            return null;
        var names = t.GetProperty("Names", BindingFlags.Public | BindingFlags.Static);
        if (names?.GetValue(null) is not IEnumerable table)
            return null;
        var rows = new List<(object, string)>();
        foreach (var row in table)
        {
            var type = row.GetType();
            rows.Add((type.GetProperty("Item1")!.GetValue(row)!, (string)type.GetProperty("Item2")!.GetValue(row)!));
        }
        return rows;
    }

    private sealed class NameConverter<T>(List<(object Value, string Name)> names) : JsonConverter<T>
    {
        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var name = reader.GetString();
            foreach (var (value, n) in names)
                if (n == name)
                    return (T)value;
            throw new JsonException(
                $"'{name}' is not a {typeof(T).Name} (known: {string.Join(", ", names.Select(x => x.Name))})"
            );
        }

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value!.ToString());
    }
}
