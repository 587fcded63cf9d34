using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using Colony.Consensus;
using Colony.Consensus.Wire;
using Colony.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Colony.Node.Peers;

/// <summary>
/// Carries Raft messages to peers over TCP: one outbound, authenticated connection per peer, each fed
/// by a bounded queue and drained by a thread of its own (<see cref="PeerSender"/>). <see cref="Send"/>
/// never blocks and never throws for a peer's trouble: a message that cannot go (no address, too
/// large, queue full, peer unreachable) is dropped and counted, which Raft tolerates. The receiving
/// side is <see cref="PeerInbound"/>.
/// </summary>
/// <remarks>
/// <see cref="Send"/> wakes the peer's sender for each message. A loop that sends many messages at a
/// time sends them through <see cref="Deferred"/> instead and calls <see cref="Flush"/> once after,
/// which writes each peer's batch itself when the socket takes it without blocking, and wakes that
/// peer's sender otherwise: once per batch rather than once per message.
/// The address book (<see cref="SetPeer"/>, <see cref="RemovePeer"/>) may change at any time from any
/// thread, as membership changes. The unreachable callback runs on a sender's thread: it must be quick and
/// thread-safe (post to the Raft loop, which calls <see cref="RaftNode.ReportUnreachable"/>).
/// </remarks>
public sealed class PeerTransport : IMessageTransport, IAsyncDisposable
{
    private readonly PeerTransportOptions _options;
    private readonly PeerCredentials _credentials;
    private readonly MessageCodec _codec;
    private readonly TimeProvider _time;
    private readonly IRandomSource _random;
    private readonly Lock _randomLock = new();
    private readonly Action<NodeId>? _peerUnreachable;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<NodeId, PeerSender> _peers = new();
    private readonly Lock _addressBookLock = new();
    private readonly List<Task> _removals = [];
    private volatile PeerSender[] _senders = []; // what Flush wakes: a copy of _peers' values, replaced on change
    private bool _disposed;
    private long _droppedUnaddressed;
    private long _droppedTooLarge;
    private long _droppedByRemovedPeers;

    /// <param name="options">Identity, credentials, limits and timeouts; validated here.</param>
    /// <param name="logger">Where connection events go.</param>
    /// <param name="timeProvider">Drives timeouts and reconnect pauses. Default <see cref="TimeProvider.System"/>.</param>
    /// <param name="random">Draws the reconnect jitter. Default: seeded from the system's cryptographic generator.</param>
    /// <param name="peerUnreachable">Told each time an attempt to reach a peer fails or its connection breaks.</param>
    public PeerTransport(
        PeerTransportOptions options, ILogger<PeerTransport>? logger = null, TimeProvider? timeProvider = null,
        IRandomSource? random = null, Action<NodeId>? peerUnreachable = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _credentials = PeerCredentials.From(options);
        _codec = new MessageCodec(options.Wire);
        _time = timeProvider ?? TimeProvider.System;
        _random = random ?? new SeededRandom(BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8)));
        _peerUnreachable = peerUnreachable;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        Deferred = new DeferredSender(this);
    }

    public NodeId LocalId => _options.LocalId;

    /// <summary>Every message dropped so far: without an address, too large for the wire, or by a peer's queue.</summary>
    public long DroppedMessages =>
        Interlocked.Read(ref _droppedUnaddressed) + Interlocked.Read(ref _droppedTooLarge) + Interlocked.Read(ref _droppedByRemovedPeers)
        + _peers.Values.Sum(peer => peer.Dropped);

    /// <summary>
    /// The same transport, except that its <see cref="IMessageTransport.Send"/> only queues: the
    /// messages leave at the next <see cref="Flush"/> (or <see cref="Send"/> to the same peer).
    /// </summary>
    public IMessageTransport Deferred { get; }

    /// <summary>
    /// Queues <paramref name="message"/> for <see cref="Message.To"/> and wakes that peer's sender.
    /// Never blocks. Throws only for a message that no peer could decode at all (an undefined type: a
    /// bug in the caller).
    /// </summary>
    public void Send(Message message) => Enqueue(message)?.Wake();

    /// <summary>
    /// Sends what every peer has queued. Where the socket takes a peer's batch at once, the batch goes
    /// on the calling thread; otherwise that peer's sender is woken. Never blocks; cheap when nothing is queued.
    /// </summary>
    public void Flush()
    {
        foreach (var sender in _senders)
        {
            sender.Flush();
        }
    }

    /// <summary>Queues a message; returns the sender it went to, or null if it was dropped here.</summary>
    private PeerSender? Enqueue(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!_peers.TryGetValue(message.To, out var peer))
        {
            Interlocked.Increment(ref _droppedUnaddressed);
            _logger.UnknownPeer(message.Type, message.To);
            return null;
        }
        if (!_codec.TryMeasureFrame(message, out int frameBytes))
        {
            Interlocked.Increment(ref _droppedTooLarge);
            _logger.MessageTooLarge(message.Type, message.To);
            return null;
        }
        return peer.Enqueue(message, frameBytes) ? peer : null;
    }

    /// <summary>Adds a peer, or moves it to a new address (its connection is then re-established there).</summary>
    public void SetPeer(NodeId id, EndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        if (id.IsNone || id == LocalId)
        {
            throw new ArgumentException($"node {id} cannot be a peer of node {LocalId}", nameof(id));
        }
        lock (_addressBookLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_peers.TryGetValue(id, out var existing))
            {
                existing.SetEndPoint(endPoint);
            }
            else
            {
                var sender = new PeerSender(id, endPoint, _options, _credentials, _codec, _time, NextDelay, ReportUnreachable, _logger);
                _peers[id] = sender;
                _senders = [.. _peers.Values];
                sender.Start();
            }
        }
        _logger.PeerAddressSet(id, endPoint);
    }

    /// <summary>Forgets a peer: its queue is dropped and its connection closed. False if it was not known.</summary>
    public bool RemovePeer(NodeId id)
    {
        lock (_addressBookLock)
        {
            if (_disposed || !_peers.TryRemove(id, out var sender))
            {
                return false;
            }
            _senders = [.. _peers.Values];
            _removals.RemoveAll(task => task.IsCompleted);
            _removals.Add(StopAsync(sender));
        }
        _logger.PeerRemoved(id);
        return true;
    }

    /// <summary>Whether the outbound connection to <paramref name="id"/> is up right now.</summary>
    public bool IsConnected(NodeId id) => _peers.TryGetValue(id, out var sender) && sender.State == PeerConnectionState.Connected;

    /// <summary>The state and counters of one peer, or null if it is not in the address book.</summary>
    public PeerStatus? GetStatus(NodeId id) => _peers.TryGetValue(id, out var sender) ? sender.GetStatus() : null;

    /// <summary>The state and counters of every peer, by id.</summary>
    public IReadOnlyList<PeerStatus> GetStatus() => [.. _peers.Values.Select(sender => sender.GetStatus()).OrderBy(status => status.Id)];

    /// <summary>Closes every connection and waits for the senders' threads to end. Messages still queued are dropped.</summary>
    public async ValueTask DisposeAsync()
    {
        List<Task> stopping;
        lock (_addressBookLock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            stopping = [.. _removals, .. _peers.Values.Select(StopAsync)];
            _peers.Clear();
            _senders = [];
            _removals.Clear();
        }
        await Task.WhenAll(stopping).ConfigureAwait(false);
    }

    private async Task StopAsync(PeerSender sender)
    {
        await sender.DisposeAsync().ConfigureAwait(false);
        Interlocked.Add(ref _droppedByRemovedPeers, sender.Dropped);
    }

    private TimeSpan NextDelay(int failures)
    {
        lock (_randomLock)
        {
            return ReconnectBackoff.Delay(failures, _options.InitialReconnectDelay, _options.MaxReconnectDelay, _options.ReconnectJitter, _random);
        }
    }

    private void ReportUnreachable(NodeId peer)
    {
        try
        {
            _peerUnreachable?.Invoke(peer);
        }
        catch (Exception e)
        {
            _logger.UnreachableCallbackFailed(e, peer);
        }
    }

    /// <summary>Queues without waking: see <see cref="Deferred"/>.</summary>
    private sealed class DeferredSender(PeerTransport transport) : IMessageTransport
    {
        public void Send(Message message) => transport.Enqueue(message);
    }
}
