using System.Net;
using System.Net.Sockets;

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
    /// A base port whose layout for <paramref name="nodes"/> nodes is free now. It is drawn below the
    /// kernel's ephemeral range, so outgoing connections and port-0 listeners of other tests cannot take it.
    /// </summary>
    public static int FreeBasePort(int nodes)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var basePort = Random.Shared.Next(2000, 3200) * 10;
            var layout = new PortLayout(basePort);
            if (Enumerable.Range(1, nodes).SelectMany(i => layout.For(i).Listening()).All(p => IsFree(p.Port)) && Claim(basePort, nodes))
            {
                return basePort;
            }
        }

        throw new InvalidOperationException("no free base port");
    }

    private static readonly HashSet<int> Claimed = [];

    // Two tests of this run never get overlapping layouts.
    private static bool Claim(int basePort, int nodes)
    {
        lock (Claimed)
        {
            var blocks = Enumerable.Range(basePort / 10, nodes).ToList();
            if (blocks.Any(Claimed.Contains))
            {
                return false;
            }

            Claimed.UnionWith(blocks);
            return true;
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
