using System.IO.Pipelines;

namespace Colony.Node.Tests.Peers;

internal sealed record DuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe
{
    /// <summary>Two connected ends, in memory.</summary>
    public static (DuplexPipe Client, DuplexPipe Server) CreatePair()
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        return (new DuplexPipe(toClient.Reader, toServer.Writer), new DuplexPipe(toServer.Reader, toClient.Writer));
    }
}
