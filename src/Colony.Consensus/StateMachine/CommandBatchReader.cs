namespace Colony.Consensus.StateMachine;

/// <summary>
/// Reads a batch one command at a time without allocating. Reading to the end also checks for
/// trailing bytes, so a payload read to completion without an exception is well formed.
/// </summary>
public ref struct CommandBatchReader
{
    private readonly ReadOnlySpan<byte> _payload;
    private int _offset;
    private int _left;

    /// <summary>Reads the header; throws <see cref="FormatException"/> if it is malformed or over a limit.</summary>
    public CommandBatchReader(ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty)
        {
            throw new FormatException("command batch is empty: no version byte");
        }
        if (payload.Length > CommandBatch.MaxPayloadBytes)
        {
            throw new FormatException(
                $"command batch has {payload.Length} bytes; the limit is {CommandBatch.MaxPayloadBytes}");
        }
        if (payload[0] != CommandBatch.Version)
        {
            throw new FormatException(
                $"command batch has version {payload[0]}; this node reads version {CommandBatch.Version}");
        }
        var rest = payload[1..];
        uint count = Varint.Read(ref rest, "command batch count");
        if (count == 0 || count > CommandBatch.MaxCommands)
        {
            throw new FormatException($"command batch declares {count} commands; expected 1..{CommandBatch.MaxCommands}");
        }
        _payload = payload;
        _offset = payload.Length - rest.Length;
        _left = (int)count;
        Count = (int)count;
    }

    /// <summary>How many commands the batch declares.</summary>
    public int Count { get; }

    /// <summary>Reads the next command; false once all are read. Throws <see cref="FormatException"/> if malformed.</summary>
    public bool TryReadNext(out ModuleId module, out ReadOnlySpan<byte> command)
    {
        if (!TryReadNext(out module, out int offset, out int length))
        {
            command = default;
            return false;
        }
        command = _payload.Slice(offset, length);
        return true;
    }

    internal bool TryReadNext(out ModuleId module, out int offset, out int length)
    {
        var rest = _payload[_offset..];
        if (_left == 0)
        {
            if (!rest.IsEmpty)
            {
                throw new FormatException($"command batch has {rest.Length} trailing bytes after its {Count} commands");
            }
            module = default;
            offset = length = 0;
            return false;
        }
        int position = Count - _left;
        if (rest.IsEmpty)
        {
            throw new FormatException($"command batch truncated: command {position} of {Count} is missing");
        }
        module = new ModuleId(rest[0]);
        rest = rest[1..];
        uint declared = Varint.Read(ref rest, $"command {position} length");
        if (declared > (uint)rest.Length)
        {
            throw new FormatException(
                $"command batch truncated: command {position} declares {declared} bytes but {rest.Length} remain");
        }
        offset = _payload.Length - rest.Length;
        length = (int)declared;
        _offset = offset + length;
        _left--;
        return true;
    }
}
