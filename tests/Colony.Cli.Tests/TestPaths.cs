using Colony.Testing;

namespace Colony.Cli.Tests;

/// <summary>A fresh directory, deleted with everything in it at the end of the test.</summary>
internal sealed class TemporaryDirectory : IDisposable
{
    public TemporaryDirectory()
    {
        Path = Directory.CreateTempSubdirectory("colony-cli-").FullName;
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Where the test executables are, and free ports for clusters.</summary>
internal static class TestHost
{
    /// <summary>The dotnet host that runs this test process, to run the built assemblies with.</summary>
    public static string Dotnet
    {
        get
        {
            var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            if (!string.IsNullOrEmpty(host) && File.Exists(host))
            {
                return host;
            }

            var self = Environment.ProcessPath;
            return self is not null && System.IO.Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
        }
    }

    /// <summary>The stand-in node, built beside the tests.</summary>
    public static string StandInNode => System.IO.Path.Combine(AppContext.BaseDirectory, "Colony.Cli.StandInNode.dll");

    /// <summary>The CLI itself, built beside the tests.</summary>
    public static string Colony => System.IO.Path.Combine(AppContext.BaseDirectory, "colony.dll");

    /// <summary>The value of COLONY_NODE_COMMAND that starts stand-in nodes.</summary>
    public static string StandInCommand => $"\"{Dotnet}\" \"{StandInNode}\"";

    /// <summary>
    /// A base port whose layout for <paramref name="nodes"/> nodes is free now and reserved for this
    /// test across every test process on the machine.
    /// </summary>
    public static int FreeBasePort(int nodes) =>
        TestPorts.Layout(basePort =>
        {
            var layout = new PortLayout(basePort);
            return Enumerable.Range(1, nodes).SelectMany(i => layout.For(i).Listening()).Select(p => p.Port);
        });
}
