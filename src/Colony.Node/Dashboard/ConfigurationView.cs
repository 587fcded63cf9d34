using System.Collections;
using System.Globalization;
using System.Reflection;

namespace Colony.Node.Dashboard;

/// <summary>
/// Flattens an options object into name = value lines for the node page, masking anything that looks
/// like a secret: the page is readable by anyone who can reach the HTTP port.
/// </summary>
public static class ConfigurationView
{
    public const string Masked = "••••••";

    private static readonly string[] SecretWords = ["secret", "password", "token", "key"];

    public static IEnumerable<SettingView> Settings(string prefix, object options)
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach (var property in options.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).OrderBy(p => p.MetadataToken))
        {
            if (property.GetIndexParameters().Length > 0)
            {
                continue;
            }
            string name = $"{prefix}:{property.Name}";
            object? value = property.GetValue(options);
            if (IsSecret(property.Name))
            {
                // A file holding a secret may be named; the secret itself never.
                yield return new SettingView(name, value is null ? "(not set)" : property.Name.EndsWith("File", StringComparison.Ordinal) ? Format(value) : Masked);
                continue;
            }
            if (value is IEnumerable items and not string)
            {
                int i = 0;
                foreach (object? item in items)
                {
                    if (item is not null && !IsSimple(item.GetType()))
                    {
                        foreach (var nested in Settings($"{name}:{i}", item))
                        {
                            yield return nested;
                        }
                    }
                    else
                    {
                        yield return new SettingView($"{name}:{i}", Format(item));
                    }
                    i++;
                }
                continue;
            }
            yield return new SettingView(name, Format(value));
        }
    }

    public static bool IsSecret(string name) =>
        SecretWords.Any(word => name.Contains(word, StringComparison.OrdinalIgnoreCase));

    private static bool IsSimple(Type type) => type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal);

    private static string Format(object? value) => value switch
    {
        null => "(not set)",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
