using System.Net.Sockets;
using Colony.Core;
using Colony.Node.Threading;

namespace Colony.Node.Peers;

/// <summary>
/// Sleeps in a read of an outbound connection on a thread of its own. Nothing arrives there after
/// the handshake, so a read that returns means the peer closed the connection (or broke the
/// protocol): it marks the connection closed and wakes the sender. Over TLS it reads through the
/// session, which consumes the TLS layer's own records (such as session tickets) without returning.
/// Disposing closes the socket and waits for the thread.
/// </summary>
internal sealed class CloseWatch : IDisposable
{
    private readonly Socket _socket;
    private readonly Stream? _tls;
    private readonly WakeSignal _wake;
    private readonly Thread _thread;
    private volatile bool _closed;

    public CloseWatch(Socket socket, Stream? tls, NodeId peer, WakeSignal wake)
    {
        _socket = socket;
        _tls = tls;
        _wake = wake;
        _thread = new Thread(Watch, maxStackSize: 256 << 10) { IsBackground = true, Name = $"peer-watch-{peer}" };
        _thread.Start();
    }

    public bool Closed => _closed;

    public void Dispose()
    {
        _socket.Dispose();
        _thread.Join();
    }

    private void Watch()
    {
        try
        {
            if (_tls is null)
            {
                _socket.Receive(new byte[1]);
            }
            else
            {
                _tls.ReadExactly(new byte[1]);
            }
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException or System.Security.Authentication.AuthenticationException)
        {
        }
        _closed = true;
        _wake.Set();
    }
}
