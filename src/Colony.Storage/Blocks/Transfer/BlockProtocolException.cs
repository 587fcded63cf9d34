namespace Colony.Storage.Blocks.Transfer;

/// <summary>Malformed or out-of-bounds input on a block transfer connection. The connection is closed after it.</summary>
public sealed class BlockProtocolException : Exception
{
    public BlockProtocolException(string message)
        : base(message)
    {
    }

    public BlockProtocolException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public BlockProtocolException()
    {
    }
}
