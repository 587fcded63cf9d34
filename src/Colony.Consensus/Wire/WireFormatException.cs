namespace Colony.Consensus.Wire;

/// <summary>
/// Bytes that are not a valid frame: a bad checksum, a length above the limit, an unknown message or
/// entry type, a truncated field or trailing bytes. The stream they came from cannot be trusted
/// further: close it.
/// </summary>
public sealed class WireFormatException : FormatException
{
    public WireFormatException(string message)
        : base(message)
    {
    }

    public WireFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
