using Colony.Node.Hosting;
using Colony.Node.Security;

namespace Colony.Node.Tests.Hosting;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class PrivateFilesTests : IDisposable
{
    private const UnixFileMode Mode755 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private const UnixFileMode Mode644 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("colony-private-");

    private string Make(string name, UnixFileMode mode)
    {
        string path = Path.Combine(_root.FullName, name);
        File.WriteAllText(path, "x");
        File.SetUnixFileMode(path, mode);
        return path;
    }

    [Fact]
    public void The_data_directory_becomes_0700_and_the_secret_and_key_0600()
    {
        string data = Directory.CreateDirectory(Path.Combine(_root.FullName, "data")).FullName;
        File.SetUnixFileMode(data, Mode755);
        string secret = Make("secret", Mode644);
        string key = Make("node.key", Mode644 | UnixFileMode.GroupWrite);
        string certificate = Make("node.crt", Mode644);

        var changes = PrivateFiles.Enforce(
            new NodeOptions { DataDir = data, SecretFile = secret },
            new TlsOptions { CertificateFile = certificate, KeyFile = key });

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(data));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secret));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        Assert.Equal(Mode644, File.GetUnixFileMode(certificate)); // a PEM certificate is public
        // The secrets are reported (they were readable by anyone until now); the data directory's routine change is not.
        Assert.Equal(2, changes.Count);
        Assert.Contains(changes, c => c.StartsWith(secret + " was mode 0644", StringComparison.Ordinal) && c.EndsWith("now 0600", StringComparison.Ordinal));
        Assert.Contains(changes, c => c.StartsWith(key + " was mode 0664", StringComparison.Ordinal));
    }

    [Fact]
    public void Files_already_private_are_left_alone_and_not_reported()
    {
        string data = Directory.CreateDirectory(Path.Combine(_root.FullName, "data")).FullName;
        File.SetUnixFileMode(data, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string secret = Make("secret", UnixFileMode.UserRead);

        Assert.Empty(PrivateFiles.Enforce(new NodeOptions { DataDir = data, SecretFile = secret }, new TlsOptions()));
        Assert.Equal(UnixFileMode.UserRead, File.GetUnixFileMode(secret));
    }

    [Fact]
    public void A_pkcs12_certificate_holds_the_key_and_becomes_0600()
    {
        string data = Directory.CreateDirectory(Path.Combine(_root.FullName, "data")).FullName;
        string bundle = Make("node.pfx", Mode644);

        PrivateFiles.Enforce(new NodeOptions { DataDir = data, Secret = "c2VjcmV0" }, new TlsOptions { CertificateFile = bundle });

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(bundle));
    }

    public void Dispose() => _root.Delete(recursive: true);
}
