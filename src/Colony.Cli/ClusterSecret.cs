using System.Security.Cryptography;

namespace Colony.Cli;

/// <summary>
/// The cluster's shared secret, which nodes use to authenticate each other: 32 random bytes,
/// base64, in a file only its owner can read or write (mode 0600).
/// </summary>
internal static class ClusterSecret
{
    public const int Length = 32;

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static void Create(string path)
    {
        var text = Convert.ToBase64String(RandomNumberGenerator.GetBytes(Length));
        var options = new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            Share = FileShare.None,
            UnixCreateMode = OwnerOnly,
        };
        using (var stream = new FileStream(path, options))
        using (var writer = new StreamWriter(stream))
        {
            // Create keeps the mode of a file that already existed; make sure it is 0600.
            File.SetUnixFileMode(stream.SafeFileHandle, OwnerOnly);
            writer.Write(text);
        }
    }
}
