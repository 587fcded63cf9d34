using System.Buffers;
using System.Diagnostics;

namespace Colony.Client.MapReduce;

/// <summary>
/// A Hadoop Streaming job: the mapper, combiner and reducer are shell commands (run with /bin/sh -c in
/// the job directory) reading lines on stdin and writing key TAB value lines on stdout. A line
/// without a TAB is a key with an empty value. The reducer reads sorted "key TAB value" lines (the
/// key alone when the value is empty) and its stdout lines are the output, unchanged.
/// </summary>
public sealed class StreamingJob : MapReduceJob
{
    private readonly string mapper;
    private readonly string? reducer;
    private readonly string? combiner;
    private readonly string directory;

    /// <summary>Creates a streaming job; a null reducer passes map output through.</summary>
    public StreamingJob(string mapper, string? reducer, string? combiner, string directory)
    {
        this.mapper = mapper;
        this.reducer = reducer;
        this.combiner = combiner;
        this.directory = directory;
    }

    /// <inheritdoc />
    public override RawMapper CreateMapper(int step) => new StreamingMapper(mapper, directory);

    /// <inheritdoc />
    public override RawReducer? CreateReducer(int step) => reducer is null ? null : new StreamingReducer(reducer, directory);

    /// <inheritdoc />
    public override RawReducer? CreateCombiner(int step) => combiner is null ? null : new StreamingReducer(combiner, directory);

    private sealed class StreamingMapper(string command, string directory) : RawMapper
    {
        private StreamingProcess? process;

        public override void Setup(TaskContext context, Emitter output) =>
            process = new StreamingProcess(command, directory, output, splitKeys: !output.WritesText);

        public override void Map(ReadOnlySpan<byte> line, Emitter output) => process!.WriteLine(line, []);

        public override void Cleanup(Emitter output) => process!.Finish();
    }

    private sealed class StreamingReducer(string command, string directory) : RawReducer
    {
        private StreamingProcess? process;

        public override void Setup(TaskContext context, Emitter output) =>
            process = new StreamingProcess(command, directory, output, splitKeys: !output.WritesText);

        public override void Reduce(ReadOnlySpan<byte> key, ReduceValues values, Emitter output)
        {
            while (values.MoveNext())
            {
                process!.WriteLine(key, values.Current);
            }
        }

        public override void Cleanup(Emitter output) => process!.Finish();
    }
}

/// <summary>
/// One streaming command: the task thread writes its stdin while a pump thread reads its stdout into
/// the emitter (and another keeps the last stderr lines), so large outputs cannot deadlock.
/// </summary>
internal sealed class StreamingProcess
{
    private const int StderrLinesKept = 20;
    private readonly string command;
    private readonly Process process;
    private readonly Stream stdin;
    private readonly Task stdoutPump;
    private readonly Task stderrPump;
    private readonly Queue<string> stderrTail = new();
    private byte[] line = new byte[64 << 10];

    public StreamingProcess(string command, string directory, Emitter output, bool splitKeys)
    {
        this.command = command;
        var start = new ProcessStartInfo("/bin/sh")
        {
            WorkingDirectory = directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start '{command}'.");
        stdin = new BufferedStream(process.StandardInput.BaseStream, 1 << 20);
        Stream stdout = process.StandardOutput.BaseStream;
        stdoutPump = Task.Factory.StartNew(() =>
        {
            try
            {
                PumpLines(stdout, output, splitKeys);
            }
            catch
            {
                // Nobody reads the command's output any more: stop it, so the task fails instead of hanging.
                process.Kill(entireProcessTree: true);
                throw;
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        // A blocking reader on its own thread, like stdout: an async read of a child's pipe was seen never to
        // complete after the child exited, leaving the task waiting forever.
        stderrPump = Task.Factory.StartNew(() =>
        {
            while (process.StandardError.ReadLine() is { } text)
            {
                lock (stderrTail)
                {
                    stderrTail.Enqueue(text);
                    if (stderrTail.Count > StderrLinesKept)
                    {
                        stderrTail.Dequeue();
                    }
                }
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Writes "key TAB value\n", or "key\n" when the value is empty.</summary>
    public void WriteLine(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        int length = key.Length + value.Length + 2;
        if (line.Length < length)
        {
            line = new byte[Math.Max(length, line.Length * 2)];
        }
        key.CopyTo(line);
        int n = key.Length;
        if (!value.IsEmpty)
        {
            line[n++] = (byte)'\t';
            value.CopyTo(line.AsSpan(n));
            n += value.Length;
        }
        line[n++] = (byte)'\n';
        try
        {
            stdin.Write(line, 0, n);
        }
        catch (IOException)
        {
            // The command stopped reading: most likely it died; report how.
            Finish();
            throw Failure("stopped reading its input");
        }
    }

    /// <summary>Closes stdin, waits for the command and its output, and fails on a non-zero exit.</summary>
    public void Finish()
    {
        try
        {
            stdin.Dispose();
        }
        catch (IOException)
        {
            // Broken pipe: the exit code below says why.
        }
        process.WaitForExit();
        stdoutPump.GetAwaiter().GetResult();
        stderrPump.GetAwaiter().GetResult();
        if (process.ExitCode != 0)
        {
            throw Failure($"exited with code {process.ExitCode}");
        }
        process.Dispose();
    }

    private InvalidOperationException Failure(string what)
    {
        string tail;
        lock (stderrTail)
        {
            tail = string.Join('\n', stderrTail);
        }
        return new InvalidOperationException(
            $"The streaming command '{command}' {what}." + (tail.Length > 0 ? $" Its last stderr lines:\n{tail}" : " It wrote nothing on stderr."));
    }

    private static void PumpLines(Stream stdout, Emitter output, bool splitKeys)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        int start = 0;
        int end = 0;
        try
        {
            while (true)
            {
                int n = stdout.Read(buffer, end, buffer.Length - end);
                if (n == 0)
                {
                    if (end > start)
                    {
                        EmitLine(buffer.AsSpan(start, end - start), output, splitKeys);
                    }
                    return;
                }
                end += n;
                while (true)
                {
                    int nl = buffer.AsSpan(start, end - start).IndexOf((byte)'\n');
                    if (nl < 0)
                    {
                        break;
                    }
                    EmitLine(buffer.AsSpan(start, nl), output, splitKeys);
                    start += nl + 1;
                }
                if (start > 0)
                {
                    buffer.AsSpan(start, end - start).CopyTo(buffer);
                    end -= start;
                    start = 0;
                }
                if (end == buffer.Length)
                {
                    byte[] larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, end).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void EmitLine(ReadOnlySpan<byte> text, Emitter output, bool splitKeys)
    {
        if (text.Length > 0 && text[^1] == (byte)'\r')
        {
            text = text[..^1];
        }
        if (!splitKeys)
        {
            output.Emit(text, []);
            return;
        }
        int tab = text.IndexOf((byte)'\t');
        if (tab < 0)
        {
            output.Emit(text, []);
        }
        else
        {
            output.Emit(text[..tab], text[(tab + 1)..]);
        }
    }
}
