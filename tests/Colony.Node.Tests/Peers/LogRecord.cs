using Microsoft.Extensions.Logging;

namespace Colony.Node.Tests.Peers;

/// <summary>One recorded log event, with its structured fields.</summary>
internal sealed record LogRecord(string Category, LogLevel Level, EventId EventId, string Message, IReadOnlyDictionary<string, object?> Fields)
{
    public object? this[string field] => Fields.TryGetValue(field, out var value) ? value : null;

    public override string ToString() => $"{Level} {EventId.Id} {Message}";
}
