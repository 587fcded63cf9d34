namespace Colony.Consensus.StateMachine;

/// <summary>
/// The payload of a <see cref="EntryType.Normal"/> entry: a batch of commands, each tagged with its module.
/// </summary>
/// <remarks>
/// Layout (persisted: a new layout needs a new version byte):
/// <code>
/// version  u8      = 1
/// count    varint  1..MaxCommands
/// count × { module u8, length varint, command bytes }
/// </code>
/// Decoding enforces the same limits as encoding, so a limit may be raised in a later release but
/// never lowered: committed entries must stay decodable forever.
/// </remarks>
public static class CommandBatch
{
    public const byte Version = 1;

    /// <summary>The most commands in one batch.</summary>
    public const int MaxCommands = 4096;

    /// <summary>
    /// The most bytes in one encoded batch, header included: 4 MiB, so one command can carry a
    /// full 1 MiB znode with room to spare.
    /// </summary>
    public const int MaxPayloadBytes = 4 << 20;

    /// <summary>Encodes a batch of one command.</summary>
    public static byte[] Encode(ModuleId module, ReadOnlySpan<byte> command)
    {
        long length = 1 + 1 + 1 + Varint.Size((uint)command.Length) + (long)command.Length;
        if (length > MaxPayloadBytes)
        {
            throw new ArgumentException($"a batch may hold at most {MaxPayloadBytes} bytes; this one needs {length}");
        }
        var payload = new byte[length];
        var span = payload.AsSpan();
        span[0] = Version;
        span = span[1..];
        span = span[Varint.Write(span, 1)..];
        WriteCommand(ref span, module, command);
        return payload;
    }

    /// <summary>Encodes a batch. Throws <see cref="ArgumentException"/> if it is empty or exceeds a limit.</summary>
    public static byte[] Encode(IReadOnlyList<ModuleCommand> commands)
    {
        var payload = new byte[GetEncodedLength(commands)];
        var span = payload.AsSpan();
        span[0] = Version;
        span = span[1..];
        span = span[Varint.Write(span, (uint)commands.Count)..];
        foreach (var command in commands)
        {
            WriteCommand(ref span, command.Module, command.Command.Span);
        }
        return payload;
    }

    /// <summary>The encoded size of <paramref name="commands"/>. Throws if the batch is empty or exceeds a limit.</summary>
    public static int GetEncodedLength(IReadOnlyList<ModuleCommand> commands)
    {
        if (commands.Count == 0)
        {
            throw new ArgumentException("a batch needs at least one command");
        }
        if (commands.Count > MaxCommands)
        {
            throw new ArgumentException($"a batch may hold at most {MaxCommands} commands; this one has {commands.Count}");
        }
        long length = 1 + Varint.Size((uint)commands.Count);
        foreach (var command in commands)
        {
            length += 1 + Varint.Size((uint)command.Command.Length) + command.Command.Length;
        }
        if (length > MaxPayloadBytes)
        {
            throw new ArgumentException($"a batch may hold at most {MaxPayloadBytes} bytes; this one needs {length}");
        }
        return (int)length;
    }

    /// <summary>
    /// Decodes a whole batch. The commands share <paramref name="payload"/>'s memory rather than copy it.
    /// Throws <see cref="FormatException"/> if the payload is malformed.
    /// </summary>
    public static ModuleCommand[] Decode(ReadOnlyMemory<byte> payload)
    {
        var reader = new CommandBatchReader(payload.Span);
        var commands = new ModuleCommand[reader.Count];
        for (int i = 0; reader.TryReadNext(out var module, out int offset, out int length); i++)
        {
            commands[i] = new ModuleCommand(module, payload.Slice(offset, length));
        }
        return commands;
    }

    /// <summary>
    /// Checks that the whole payload is well formed and returns its command count; throws
    /// <see cref="FormatException"/> if not.
    /// </summary>
    public static int Validate(ReadOnlySpan<byte> payload)
    {
        var reader = new CommandBatchReader(payload);
        while (reader.TryReadNext(out _, out _))
        {
        }
        return reader.Count;
    }

    private static void WriteCommand(ref Span<byte> span, ModuleId module, ReadOnlySpan<byte> command)
    {
        span[0] = module.Value;
        span = span[1..];
        span = span[Varint.Write(span, (uint)command.Length)..];
        command.CopyTo(span);
        span = span[command.Length..];
    }
}
