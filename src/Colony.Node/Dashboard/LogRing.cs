using Microsoft.Extensions.Logging;

namespace Colony.Node.Dashboard;

/// <summary>One log line as the node page shows it.</summary>
public sealed record LogLine(DateTimeOffset Time, string Level, string Category, string Message);

/// <summary>
/// Keeps the node's most recent log lines in memory for the node page, so an operator sees what the
/// node said lately without a shell on its machine. Bounded: old lines fall off.
/// </summary>
public sealed class LogRing : ILoggerProvider
{
    private readonly LogLine?[] _lines;
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private long _written;

    public LogRing(int capacity = 500, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _lines = new LogLine?[capacity];
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The last <paramref name="count"/> lines, oldest first.</summary>
    public IReadOnlyList<LogLine> Recent(int count)
    {
        lock (_gate)
        {
            long available = Math.Min(_written, _lines.Length);
            int take = (int)Math.Min(available, Math.Max(0, count));
            var result = new LogLine[take];
            for (int i = 0; i < take; i++)
            {
                result[i] = _lines[(_written - take + i) % _lines.Length]!;
            }
            return result;
        }
    }

    public void Add(LogLine line)
    {
        lock (_gate)
        {
            _lines[_written % _lines.Length] = line;
            _written++;
        }
    }

    public ILogger CreateLogger(string categoryName) => new RingLogger(this, ShortCategory(categoryName));

    public void Dispose()
    {
    }

    // "Colony.Node.Hosting.ReplicaLoop" reads better as "ReplicaLoop" in a narrow table.
    private static string ShortCategory(string category) => category[(category.LastIndexOf('.') + 1)..];

    private sealed class RingLogger(LogRing ring, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }
            string message = formatter(state, exception);
            if (exception is not null)
            {
                message += " — " + exception.GetType().Name + ": " + exception.Message;
            }
            ring.Add(new LogLine(ring._time.GetUtcNow(), logLevel.ToString(), category, message));
        }
    }
}
