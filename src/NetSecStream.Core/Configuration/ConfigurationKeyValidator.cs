using System.Collections;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace NetSecStream.Core.Configuration;

/// <summary>
/// Rejects configuration keys that no options class declares, so a typo (<c>Pipeline:BachSize</c>) is an error
/// at start-up instead of a silently ignored setting. Sections map to options types; dictionaries accept any key,
/// lists accept indexes; sections listed as free-form (<c>Logging</c>) are not checked.
/// </summary>
public sealed class ConfigurationKeyValidator
{
    private readonly Dictionary<string, Type> _sections = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _freeForm = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _scalars = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Declares that <paramref name="section"/> (e.g. <c>Sinks:File</c>) binds to <paramref name="optionsType"/>.</summary>
    public ConfigurationKeyValidator Section(string section, Type optionsType)
    {
        _sections[section] = optionsType;
        return this;
    }

    /// <summary>Declares a section whose content is not checked (e.g. <c>Logging</c>).</summary>
    public ConfigurationKeyValidator FreeForm(string section)
    {
        _freeForm.Add(section);
        return this;
    }

    /// <summary>Declares a single top-level value key (e.g. <c>urls</c>).</summary>
    public ConfigurationKeyValidator Scalar(string key)
    {
        _scalars.Add(key);
        return this;
    }

    /// <summary>Every unknown key, with a message that names it and says what is allowed there.</summary>
    public IReadOnlyList<string> FindUnknownKeys(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var errors = new List<string>();
        Walk(configuration.GetChildren(), "", errors);
        return errors;
    }

    private void Walk(IEnumerable<IConfigurationSection> children, string parent, List<string> errors)
    {
        foreach (var child in children)
        {
            string path = parent.Length == 0 ? child.Key : parent + ":" + child.Key;
            if (_freeForm.Contains(path) || (parent.Length == 0 && _scalars.Contains(child.Key)))
            {
                continue;
            }

            if (_sections.TryGetValue(path, out var type))
            {
                CheckValue(child, path, type, errors);
                continue;
            }

            // An intermediate section (e.g. "Sinks") is fine if some declared section lies below it.
            string prefix = path + ":";
            if (_sections.Keys.Any(s => s.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                || _freeForm.Any(s => s.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)))
            {
                Walk(child.GetChildren(), path, errors);
                continue;
            }

            var siblings = _sections.Keys.Concat(_freeForm).Concat(_scalars)
                .Where(s => parent.Length == 0 ? !s.Contains(':', StringComparison.Ordinal) : s.StartsWith(parent + ":", StringComparison.OrdinalIgnoreCase))
                .Select(s => parent.Length == 0 ? s : s[(parent.Length + 1)..].Split(':')[0])
                .Distinct(StringComparer.OrdinalIgnoreCase)
                .Order(StringComparer.OrdinalIgnoreCase);
            errors.Add($"unknown configuration key '{path}' (known here: {string.Join(", ", siblings)})");
        }
    }

    private static void CheckObject(IConfigurationSection section, string path, Type type, List<string> errors)
    {
        foreach (var child in section.GetChildren())
        {
            string childPath = path + ":" + child.Key;
            var property = type.GetProperty(child.Key, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null || !property.CanWrite && !IsCollection(property.PropertyType))
            {
                var known = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite || IsCollection(p.PropertyType)).Select(p => p.Name);
                errors.Add($"unknown configuration key '{childPath}' (known here: {string.Join(", ", known)})");
                continue;
            }

            CheckValue(child, childPath, property.PropertyType, errors);
        }
    }

    private static void CheckValue(IConfigurationSection section, string path, Type type, List<string> errors)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (IsScalar(type))
        {
            if (section.GetChildren().Any())
            {
                errors.Add($"configuration key '{path}' takes a single value, not a section");
            }

            return;
        }

        var dictionaryValue = DictionaryValueType(type);
        if (dictionaryValue is not null)
        {
            foreach (var entry in section.GetChildren())
            {
                CheckValue(entry, path + ":" + entry.Key, dictionaryValue, errors);
            }

            return;
        }

        var elementType = ListElementType(type);
        if (elementType is not null)
        {
            foreach (var entry in section.GetChildren())
            {
                if (!int.TryParse(entry.Key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
                {
                    errors.Add($"configuration key '{path}:{entry.Key}' is not a list index ('{path}' is a list)");
                    continue;
                }

                CheckValue(entry, path + ":" + entry.Key, elementType, errors);
            }

            return;
        }

        CheckObject(section, path, type, errors);
    }

    private static bool IsScalar(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan)
        || type == typeof(DateTimeOffset) || type == typeof(DateTime) || type == typeof(Uri) || type == typeof(Guid);

    private static bool IsCollection(Type type) => type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type);

    private static Type? DictionaryValueType(Type type)
    {
        var dictionary = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IDictionary<,>)
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>));
        return dictionary?.GetGenericArguments()[1];
    }

    private static Type? ListElementType(Type type)
    {
        if (type.IsArray)
        {
            return type.GetElementType();
        }

        var enumerable = type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>));
        return type != typeof(string) ? enumerable?.GetGenericArguments()[0] : null;
    }
}
