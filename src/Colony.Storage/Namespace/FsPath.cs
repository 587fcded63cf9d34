using System.Text;

namespace Colony.Storage.Namespace;

/// <summary>
/// A validated, normalized absolute file-system path: <c>/</c> or <c>/a/b</c>. A trailing slash is
/// dropped; anything else that is not already normal (relative, <c>.</c>, <c>..</c>, <c>//</c>) is refused
/// rather than rewritten, so a path means one thing on every node.
/// </summary>
public readonly record struct FsPath
{
    /// <summary>The longest path, in UTF-8 bytes.</summary>
    public const int MaxBytes = 4096;

    /// <summary>The longest name of one component, in UTF-8 bytes.</summary>
    public const int MaxComponentBytes = 255;

    public static readonly FsPath Root = new("/");

    private readonly string? _value;

    // The root is stored as null, so default(FsPath) and Root are the same value.
    private FsPath(string value) => _value = value == "/" ? null : value;

    public string Value => _value ?? "/";

    public bool IsRoot => Value == "/";

    /// <summary>The last component; empty for the root.</summary>
    public string Name => IsRoot ? "" : Value[(Value.LastIndexOf('/') + 1)..];

    /// <summary>The parent directory; the root is its own parent.</summary>
    public FsPath Parent
    {
        get
        {
            int slash = Value.LastIndexOf('/');
            return slash <= 0 ? Root : new FsPath(Value[..slash]);
        }
    }

    /// <summary>The components from the root down; none for the root.</summary>
    public string[] Components => IsRoot ? [] : Value[1..].Split('/');

    /// <summary>How many components deep: 0 for the root.</summary>
    public int Depth => IsRoot ? 0 : Value.Count(c => c == '/');

    /// <summary>This path with one more component. Throws <see cref="ArgumentException"/> if the result is invalid.</summary>
    public FsPath Combine(string name) => Parse(IsRoot ? "/" + name : Value + "/" + name);

    /// <summary>True if <paramref name="other"/> is this path or lies below it.</summary>
    public bool Contains(FsPath other) =>
        IsRoot || other.Value == Value || other.Value.StartsWith(Value + "/", StringComparison.Ordinal);

    public override string ToString() => Value;

    /// <summary>Parses <paramref name="text"/>; throws <see cref="ArgumentException"/> naming the problem.</summary>
    public static FsPath Parse(string text) =>
        TryParse(text, out var path, out string? error) ? path : throw new ArgumentException(error, nameof(text));

    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="error"/> says why.</summary>
    public static bool TryParse(string? text, out FsPath path, out string? error)
    {
        path = Root;
        error = Validate(text);
        if (error is not null)
        {
            return false;
        }
        string value = text!.Length > 1 && text[^1] == '/' ? text[..^1] : text!;
        path = new FsPath(value);
        return true;
    }

    private static string? Validate(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "path is empty";
        }
        if (text[0] != '/')
        {
            return $"path '{text}' is not absolute: it must start with '/'";
        }
        foreach (char c in text)
        {
            if (char.IsControl(c))
            {
                return $"path '{Printable(text)}' contains control character U+{(int)c:X4}";
            }
        }
        int bytes;
        try
        {
            bytes = Strict.GetByteCount(text);
        }
        catch (EncoderFallbackException)
        {
            return $"path '{Printable(text)}' is not valid Unicode";
        }
        if (bytes > MaxBytes)
        {
            return $"path has {bytes} UTF-8 bytes; the limit is {MaxBytes}";
        }
        if (text == "/")
        {
            return null;
        }
        string body = text[^1] == '/' ? text[1..^1] : text[1..];
        foreach (string component in body.Split('/'))
        {
            if (component.Length == 0)
            {
                return $"path '{text}' has an empty component ('//')";
            }
            if (component is "." or "..")
            {
                return $"path '{text}' has a '{component}' component; paths must be normalized";
            }
            int componentBytes = Strict.GetByteCount(component);
            if (componentBytes > MaxComponentBytes)
            {
                return $"path '{text}' has a component of {componentBytes} UTF-8 bytes; the limit is {MaxComponentBytes}";
            }
        }
        return null;
    }

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static string Printable(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            sb.Append(char.IsControl(c) ? '?' : c);
        }
        return sb.ToString();
    }
}
