using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Colony.Client.Security;

namespace Colony.Node.Peers;

/// <summary>
/// Mutual TLS over a peer connection's blocking socket. The handshake and every later read and write
/// are synchronous calls, so the socket stays in blocking mode on its connection's own thread, as on
/// the plain path; a failed TLS handshake is a refused peer handshake.
/// </summary>
internal static class PeerTls
{
    /// <summary>The connecting side: presents our certificate and accepts only one from the cluster's CA.</summary>
    public static SslStream Connect(Socket socket, ClusterTrust trust, EndPoint endPoint)
    {
        string host = endPoint switch
        {
            DnsEndPoint dns => dns.Host,
            IPEndPoint ip => ip.Address.ToString(),
            _ => "peer",
        };
        return Authenticate(socket, ssl => ssl.AuthenticateAsClient(trust.ClientOptions(host)));
    }

    /// <summary>The accepting side: requires a certificate from the cluster's CA.</summary>
    public static SslStream Accept(Socket socket, ClusterTrust trust) =>
        Authenticate(socket, ssl => ssl.AuthenticateAsServer(trust.ServerOptions()));

    private static SslStream Authenticate(Socket socket, Action<SslStream> handshake)
    {
        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
        try
        {
            handshake(ssl);
            return ssl;
        }
        catch (AuthenticationException e)
        {
            ssl.Dispose();
            throw new PeerHandshakeException(HandshakeFailure.TlsRefused, $"TLS: {e.InnerException?.Message ?? e.Message}");
        }
        catch
        {
            ssl.Dispose();
            throw;
        }
    }
}
