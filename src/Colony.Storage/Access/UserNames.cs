namespace Colony.Storage.Access;

/// <summary>
/// What a user or group name may be: 1 to 64 of letters, digits, '.', '_' and '-', not starting with '-' or '.'.
/// Narrow on purpose: names show up in paths (the trash), listings and logs.
/// </summary>
public static class UserNames
{
    public const int MaxLength = 64;

    /// <summary>The identity of a caller that presented no token; only the "other" permission bits apply to it.</summary>
    public const string Anonymous = "anonymous";

    public static bool IsValid(string? name) =>
        name is { Length: > 0 and <= MaxLength }
        && name[0] is not ('-' or '.')
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}
