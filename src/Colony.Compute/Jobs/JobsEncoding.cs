using System.Buffers;
using System.Text;
using Colony.Core;

namespace Colony.Compute.Jobs;

/// <summary>
/// The primitives of the Jobs module's persisted formats (log commands and snapshots): unsigned LEB128
/// varints, zigzag varints for signed values, bytes for enums and flags, UTF-8 strings with a varint length.
/// </summary>
internal sealed class JobsWriter(IBufferWriter<byte> output)
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public void Byte(byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }

    public void Bool(bool value) => Byte(value ? (byte)1 : (byte)0);

    public void Varint(ulong value) => output.Advance(Core.Varint.Write(output.GetSpan(Core.Varint.MaxBytes), value));

    public void Signed(long value) => Varint((ulong)((value << 1) ^ (value >> 63)));

    public void Count(int count, int max, string what)
    {
        if (count > max)
        {
            throw new ArgumentException($"{what} is {count}; the limit is {max}", what);
        }
        Varint((ulong)count);
    }

    public void String(string value, int maxBytes, string what)
    {
        ArgumentNullException.ThrowIfNull(value, what);
        int length = Strict.GetByteCount(value);
        if (length > maxBytes)
        {
            throw new ArgumentException($"{what} has {length} UTF-8 bytes; the limit is {maxBytes}", what);
        }
        Varint((ulong)length);
        Strict.GetBytes(value, output.GetSpan(length));
        output.Advance(length);
    }

    public void OptionalString(string? value, int maxBytes, string what)
    {
        Bool(value is not null);
        if (value is not null)
        {
            String(value, maxBytes, what);
        }
    }

    public void OptionalSigned(long? value)
    {
        Bool(value is not null);
        if (value is not null)
        {
            Signed(value.Value);
        }
    }

    public void Node(NodeId node) => Varint(node.Value);

    public void Job(JobId job) => Varint(job.Value);

    public void Task(TaskId task)
    {
        Job(task.Job);
        Byte((byte)task.Kind);
        Varint((ulong)task.Index);
    }

    public void Attempt(AttemptId attempt)
    {
        Task(attempt.Task);
        Varint((ulong)attempt.Number);
    }
}

/// <summary>Reads what <see cref="JobsWriter"/> wrote; every malformation is a <see cref="FormatException"/>.</summary>
internal ref struct JobsReader(ReadOnlySpan<byte> data)
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private ReadOnlySpan<byte> _rest = data;

    public byte Byte(string what)
    {
        if (_rest.IsEmpty)
        {
            throw new FormatException($"truncated: {what} is missing");
        }
        byte value = _rest[0];
        _rest = _rest[1..];
        return value;
    }

    public bool Bool(string what) => Byte(what) switch
    {
        0 => false,
        1 => true,
        var b => throw new FormatException($"{what} is {b}; expected 0 or 1"),
    };

    /// <summary>A byte that must name a value of <typeparamref name="T"/>.</summary>
    public T Enum<T>(string what) where T : struct, System.Enum
    {
        byte raw = Byte(what);
        var value = (T)(object)raw;
        return System.Enum.IsDefined(value) ? value : throw new FormatException($"{what} is {raw}, not a known value");
    }

    public ulong Varint(string what)
    {
        var status = Core.Varint.TryRead(_rest, out ulong value, out int length);
        if (status != VarintStatus.Ok)
        {
            throw new FormatException($"{what}: varint is {status}");
        }
        _rest = _rest[length..];
        return value;
    }

    public long Signed(string what)
    {
        ulong raw = Varint(what);
        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }

    public int Int(int min, int max, string what)
    {
        long value = Signed(what);
        return value >= min && value <= max ? (int)value : throw new FormatException($"{what} is {value}; expected [{min}, {max}]");
    }

    /// <summary>An unsigned varint in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public int Index(int min, int max, string what)
    {
        ulong value = Varint(what);
        return value >= (ulong)min && value <= (ulong)max ? (int)value : throw new FormatException($"{what} is {value}; expected [{min}, {max}]");
    }

    /// <summary>A count of items each at least <paramref name="minItemBytes"/> long, checked against what remains.</summary>
    public int Count(int max, int minItemBytes, string what)
    {
        ulong value = Varint(what);
        if (value > (ulong)max || value * (ulong)minItemBytes > (ulong)_rest.Length)
        {
            throw new FormatException($"{what} is {value}; too many for the {_rest.Length} bytes left");
        }
        return (int)value;
    }

    public string String(int maxBytes, string what)
    {
        ulong length = Varint(what + " length");
        if (length > (ulong)maxBytes || length > (ulong)_rest.Length)
        {
            throw new FormatException($"{what} declares {length} bytes; limit {maxBytes}, {_rest.Length} remain");
        }
        string value;
        try
        {
            value = Strict.GetString(_rest[..(int)length]);
        }
        catch (DecoderFallbackException e)
        {
            throw new FormatException($"{what} is not valid UTF-8", e);
        }
        _rest = _rest[(int)length..];
        return value;
    }

    public string? OptionalString(int maxBytes, string what) => Bool(what + " present") ? String(maxBytes, what) : null;

    public long? OptionalSigned(string what) => Bool(what + " present") ? Signed(what) : null;

    public NodeId Node(string what) => new(Varint(what));

    public JobId Job(string what) => new(Varint(what));

    public TaskId Task(string what) =>
        new(Job(what + " job"), Enum<TaskKind>(what + " kind"), Index(0, int.MaxValue, what + " index"));

    public AttemptId Attempt(string what) => new(Task(what), Index(1, int.MaxValue, what + " number"));

    public readonly void End(string what)
    {
        if (!_rest.IsEmpty)
        {
            throw new FormatException($"{what} has {_rest.Length} trailing bytes");
        }
    }
}
