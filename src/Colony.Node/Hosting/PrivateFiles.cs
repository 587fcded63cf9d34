using Colony.Node.Security;

namespace Colony.Node.Hosting;

/// <summary>
/// Keeps what only the node may read to the node's user, whatever mode it was created with: the data directory
/// (write-ahead log, snapshots, block files, map outputs) is made 0700, and the cluster secret and TLS private
/// keys 0600. Tasks that run as another user (Compute:TaskUser) then get "permission denied" for all of them.
/// </summary>
public static class PrivateFiles
{
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Tightens what is looser than it should be; returns one line per secret file changed, and per file that could not be.</summary>
    public static IReadOnlyList<string> Enforce(NodeOptions node, TlsOptions tls)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(tls);
        if (OperatingSystem.IsWindows())
        {
            return [];
        }
        var changes = new List<string>();
        // Quietly: a new data directory is made with the default mode, so this is routine.
        Restrict(node.DataDir, OwnerOnlyDirectory, changes, report: false);
        string?[] secrets = [node.SecretFile, tls.KeyFile, tls.CertificateFile is { } certificate && TlsOptions.IsPkcs12(certificate) ? certificate : null];
        foreach (string? file in secrets)
        {
            if (!string.IsNullOrEmpty(file) && File.Exists(file))
            {
                Restrict(file, OwnerOnlyFile, changes, report: true);
            }
        }
        return changes;
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void Restrict(string path, UnixFileMode wanted, List<string> changes, bool report)
    {
        var mode = File.GetUnixFileMode(path);
        if ((mode & GroupOrOther) == 0)
        {
            return;
        }
        try
        {
            File.SetUnixFileMode(path, mode & ~GroupOrOther & (wanted | UnixFileMode.SetUser | UnixFileMode.SetGroup | UnixFileMode.StickyBit));
            if (report)
            {
                changes.Add($"{path} was mode {Octal(mode)}, readable by other users: now {Octal(File.GetUnixFileMode(path))}");
            }
        }
        catch (UnauthorizedAccessException e)
        {
            // Not this node's own file (e.g. a secret a configuration tool owns): say so, and carry on.
            changes.Add($"{path} is mode {Octal(mode)}, readable by other users, and could not be restricted: {e.Message}");
        }
    }

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode, 8).PadLeft(4, '0');
}
