using System.Buffers;
using Colony.Consensus.KeyValue;

namespace Colony.Node.Hosting;

/// <summary>Serves one upgraded <see cref="ProposeStream"/> connection until the client closes it or sends a malformed frame.</summary>
internal sealed class ProposeStreamConnection(Stream stream, ReplicaLoop loop)
{
    private const int InitialBufferBytes = 4096;

    private readonly List<Task<WriteOutcome>> _pending = [];
    private readonly ArrayBufferWriter<byte> _replies = new(256);
    private byte[] _input = new byte[InitialBufferBytes];
    private int _filled;

    public async Task ServeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            int read = await stream.ReadAsync(_input.AsMemory(_filled), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return;
            }
            _filled += read;
            // Everything that arrived together is proposed together, then answered in order.
            bool malformed = ProposeWholeFrames();
            _replies.ResetWrittenCount();
            foreach (var write in _pending)
            {
                var outcome = await write.ConfigureAwait(false);
                int length = outcome switch
                {
                    WriteOutcome.Committed => ProposeStream.WriteReply(_replies.GetSpan(ProposeStream.MaxReplyBytes), ProposeReply.Committed, null),
                    WriteOutcome.NotLeader => ProposeStream.WriteReply(_replies.GetSpan(ProposeStream.MaxReplyBytes), ProposeReply.NotLeader, loop.LeaderHttp),
                    WriteOutcome.Rejected => ProposeStream.WriteReply(_replies.GetSpan(ProposeStream.MaxReplyBytes), ProposeReply.Rejected, "the leader refused the write (overloaded or handing over)"),
                    _ => ProposeStream.WriteReply(_replies.GetSpan(ProposeStream.MaxReplyBytes), ProposeReply.Unknown, "the write's outcome is unknown: leadership changed"),
                };
                _replies.Advance(length);
            }
            _pending.Clear();
            if (malformed)
            {
                _replies.Advance(ProposeStream.WriteReply(_replies.GetSpan(ProposeStream.MaxReplyBytes), ProposeReply.Malformed, "malformed proposal frame"));
            }
            if (_replies.WrittenCount > 0)
            {
                await stream.WriteAsync(_replies.WrittenMemory, cancellationToken).ConfigureAwait(false);
            }
            if (malformed)
            {
                return;
            }
        }
    }

    /// <summary>Proposes every whole frame in the buffer and keeps the partial one; returns true on a malformed frame.</summary>
    private bool ProposeWholeFrames()
    {
        int offset = 0;
        bool malformed = false;
        while (true)
        {
            KeyValueCommand command;
            ReadOnlySpan<byte> encoded;
            int frameBytes;
            bool whole;
            try
            {
                whole = ProposeStream.TryReadRequest(_input.AsSpan(offset, _filled - offset), out command, out encoded, out frameBytes);
            }
            catch (FormatException)
            {
                malformed = true;
                break;
            }
            if (!whole)
            {
                if (frameBytes > _input.Length)
                {
                    Array.Resize(ref _input, frameBytes);
                }
                break;
            }
            _pending.Add(loop.ProposeKeyValueAsync(encoded));
            offset += frameBytes;
        }
        _input.AsSpan(offset, _filled - offset).CopyTo(_input);
        _filled -= offset;
        return malformed;
    }
}
