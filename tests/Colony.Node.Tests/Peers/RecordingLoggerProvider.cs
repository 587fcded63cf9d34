using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Colony.Node.Tests.Peers;

/// <summary>
/// Records every log event so tests can wait for one (a diagnostic event instead of a sleep), and
/// echoes them to the test output.
/// </summary>
internal sealed class RecordingLoggerProvider(ITestOutputHelper? output = null) : ILoggerProvider
{
    private readonly Lock _lock = new();
    private readonly List<LogRecord> _records = [];
    private readonly List<(Func<LogRecord, bool> Match, TaskCompletionSource<LogRecord> Done)> _waiters = [];
    private ILoggerFactory? _factory;

    public ILoggerFactory Factory => _factory ??= LoggerFactory.Create(builder => builder.AddProvider(this).SetMinimumLevel(LogLevel.Trace));

    public ILogger<T> Logger<T>() => Factory.CreateLogger<T>();

    public IReadOnlyList<LogRecord> Records
    {
        get
        {
            lock (_lock)
            {
                return [.. _records];
            }
        }
    }

    public IReadOnlyList<LogRecord> Events(int eventId) => [.. Records.Where(record => record.EventId.Id == eventId)];

    /// <summary>The first event (already recorded or still to come) that matches, or a timeout failure listing what was seen.</summary>
    public async Task<LogRecord> WaitForAsync(Func<LogRecord, bool> match, TimeSpan? timeout = null)
    {
        var done = new TaskCompletionSource<LogRecord>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            var seen = _records.FirstOrDefault(match);
            if (seen is not null)
            {
                return seen;
            }
            _waiters.Add((match, done));
        }
        try
        {
            return await done.Task.WaitAsync(timeout ?? Wait.Timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"no matching log event; recorded:{Environment.NewLine}{string.Join(Environment.NewLine, Records)}");
        }
    }

    public Task<LogRecord> WaitForAsync(int eventId, Func<LogRecord, bool>? match = null, TimeSpan? timeout = null) =>
        WaitForAsync(record => record.EventId.Id == eventId && (match is null || match(record)), timeout);

    /// <summary>Completes once <paramref name="count"/> events of <paramref name="eventId"/> have been recorded.</summary>
    public Task<LogRecord> WaitForCountAsync(int eventId, int count) =>
        WaitForAsync(record => record.EventId.Id == eventId && Events(eventId).Count >= count);

    public ILogger CreateLogger(string categoryName) => new RecordingLogger(this, categoryName);

    public void Dispose()
    {
    }

    private void Add(LogRecord record)
    {
        List<TaskCompletionSource<LogRecord>> matched = [];
        lock (_lock)
        {
            _records.Add(record);
            _waiters.RemoveAll(waiter =>
            {
                if (!waiter.Match(record))
                {
                    return false;
                }
                matched.Add(waiter.Done);
                return true;
            });
        }
        foreach (var done in matched)
        {
            done.TrySetResult(record);
        }
        try
        {
            output?.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {record.Category.Split('.')[^1]} {record}");
        }
        catch (InvalidOperationException)
        {
            // The test is over; background tasks may still log while they wind down.
        }
    }

    private sealed class RecordingLogger(RecordingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var fields = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? pairs.ToDictionary(pair => pair.Key, pair => pair.Value)
                : [];
            string message = formatter(state, exception) + (exception is null ? "" : $" [{exception.GetType().Name}: {exception.Message}]");
            provider.Add(new LogRecord(category, logLevel, eventId, message, fields));
        }
    }
}
