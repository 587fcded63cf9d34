using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Colony.Client.MapReduce;

/// <summary>
/// Serializes a key or value type. Encodings are order-preserving, so the engine's raw byte
/// comparison sorts typed keys in their natural order; <see cref="Format"/> gives the text output.
/// </summary>
public interface ISerde<T>
{
    /// <summary>Appends the encoding of <paramref name="value"/> to <paramref name="buffer"/>.</summary>
    void Write(T value, List<byte> buffer);

    /// <summary>Decodes a whole encoding.</summary>
    T Read(ReadOnlySpan<byte> bytes);

    /// <summary>Writes the value as text (UTF-8) for output lines.</summary>
    string Format(T value);
}

/// <summary>The serializers for the types supported out of the box: string, long, int and double.</summary>
public static class Serde
{
    /// <summary>The serializer of <typeparamref name="T"/>.</summary>
    public static ISerde<T> For<T>() =>
        (typeof(T) == typeof(string) ? (object)new StringSerde()
        : typeof(T) == typeof(long) ? new LongSerde()
        : typeof(T) == typeof(int) ? new IntSerde()
        : typeof(T) == typeof(double) ? new DoubleSerde()
        : throw new NotSupportedException($"No serializer for {typeof(T)}; use string, long, int or double.")) as ISerde<T>
        ?? throw new InvalidOperationException();
}

/// <summary>UTF-8: byte order is code point order.</summary>
public sealed class StringSerde : ISerde<string>
{
    /// <inheritdoc />
    public void Write(string value, List<byte> buffer) => buffer.AddRange(Encoding.UTF8.GetBytes(value));

    /// <inheritdoc />
    public string Read(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);

    /// <inheritdoc />
    public string Format(string value) => value;
}

/// <summary>Eight bytes, big-endian with the sign bit flipped, so negative numbers sort first.</summary>
public sealed class LongSerde : ISerde<long>
{
    /// <summary>Writes the 8-byte encoding.</summary>
    public static void Write(long value, Span<byte> destination) =>
        BinaryPrimitives.WriteUInt64BigEndian(destination, (ulong)value ^ 0x8000_0000_0000_0000UL);

    /// <summary>Reads the 8-byte encoding.</summary>
    public static long Decode(ReadOnlySpan<byte> bytes) =>
        bytes.Length == 8
            ? (long)(BinaryPrimitives.ReadUInt64BigEndian(bytes) ^ 0x8000_0000_0000_0000UL)
            : throw new InvalidDataException($"An int64 value has {bytes.Length} bytes, not 8.");

    /// <summary>The 8-byte encoding as a new array.</summary>
    public static byte[] Encode(long value)
    {
        byte[] bytes = new byte[8];
        Write(value, bytes);
        return bytes;
    }

    /// <inheritdoc />
    public void Write(long value, List<byte> buffer) => buffer.AddRange(Encode(value));

    /// <inheritdoc />
    public long Read(ReadOnlySpan<byte> bytes) => Decode(bytes);

    /// <inheritdoc />
    public string Format(long value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Four bytes, big-endian with the sign bit flipped.</summary>
public sealed class IntSerde : ISerde<int>
{
    /// <inheritdoc />
    public void Write(int value, List<byte> buffer)
    {
        byte[] bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)value ^ 0x8000_0000U);
        buffer.AddRange(bytes);
    }

    /// <inheritdoc />
    public int Read(ReadOnlySpan<byte> bytes) =>
        bytes.Length == 4
            ? (int)(BinaryPrimitives.ReadUInt32BigEndian(bytes) ^ 0x8000_0000U)
            : throw new InvalidDataException($"An int32 value has {bytes.Length} bytes, not 4.");

    /// <inheritdoc />
    public string Format(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Eight bytes of IEEE bits, big-endian: the sign bit flipped for positives, every bit for negatives.</summary>
public sealed class DoubleSerde : ISerde<double>
{
    /// <inheritdoc />
    public void Write(double value, List<byte> buffer)
    {
        ulong bits = BitConverter.DoubleToUInt64Bits(value);
        bits = (bits & 0x8000_0000_0000_0000UL) != 0 ? ~bits : bits | 0x8000_0000_0000_0000UL;
        byte[] bytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, bits);
        buffer.AddRange(bytes);
    }

    /// <inheritdoc />
    public double Read(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != 8)
        {
            throw new InvalidDataException($"A double value has {bytes.Length} bytes, not 8.");
        }
        ulong bits = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        bits = (bits & 0x8000_0000_0000_0000UL) != 0 ? bits & ~0x8000_0000_0000_0000UL : ~bits;
        return BitConverter.UInt64BitsToDouble(bits);
    }

    /// <inheritdoc />
    public string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>Typed output: serializes pairs for the shuffle, or formats them as text when the output is text.</summary>
public sealed class Output<TKey, TValue>
{
    private readonly ISerde<TKey> keys;
    private readonly ISerde<TValue> values;
    private readonly List<byte> keyBytes = [];
    private readonly List<byte> valueBytes = [];

    internal Output(ISerde<TKey> keys, ISerde<TValue> values)
    {
        this.keys = keys;
        this.values = values;
    }

    internal Emitter Target { get; set; } = null!;

    /// <summary>The task's context: settings and counters.</summary>
    public TaskContext Context { get; internal set; } = null!;

    /// <summary>Emits one pair.</summary>
    public void Emit(TKey key, TValue value)
    {
        if (Target.WritesText)
        {
            Target.Emit(Encoding.UTF8.GetBytes(keys.Format(key)), Encoding.UTF8.GetBytes(values.Format(value)));
            return;
        }
        keyBytes.Clear();
        valueBytes.Clear();
        keys.Write(key, keyBytes);
        values.Write(value, valueBytes);
        Target.Emit(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(keyBytes), System.Runtime.InteropServices.CollectionsMarshal.AsSpan(valueBytes));
    }
}

/// <summary>A typed mapper: each input line as a string (decoded as UTF-8) to typed pairs.</summary>
public abstract class Mapper<TKey, TValue> : RawMapper
{
    private readonly Output<TKey, TValue> output = new(Serde.For<TKey>(), Serde.For<TValue>());

    /// <summary>Maps one line.</summary>
    public abstract void Map(string line, Output<TKey, TValue> output);

    /// <summary>Called after the last line, with the same output.</summary>
    public virtual void Cleanup(Output<TKey, TValue> output) { }

    /// <inheritdoc />
    public sealed override void Setup(TaskContext context, Emitter output)
    {
        this.output.Context = context;
        this.output.Target = output;
    }

    /// <inheritdoc />
    public sealed override void Map(ReadOnlySpan<byte> line, Emitter output)
    {
        this.output.Target = output;
        Map(Encoding.UTF8.GetString(line), this.output);
    }

    /// <inheritdoc />
    public sealed override void Cleanup(Emitter output)
    {
        this.output.Target = output;
        Cleanup(this.output);
    }
}

/// <summary>A typed reducer (or combiner, when its output types equal its input types).</summary>
public abstract class Reducer<TKey, TValue, TOutKey, TOutValue> : RawReducer
{
    private readonly ISerde<TKey> keys = Serde.For<TKey>();
    private readonly ISerde<TValue> values = Serde.For<TValue>();
    private readonly Output<TOutKey, TOutValue> output = new(Serde.For<TOutKey>(), Serde.For<TOutValue>());

    /// <summary>Reduces one key's values.</summary>
    public abstract void Reduce(TKey key, IEnumerable<TValue> values, Output<TOutKey, TOutValue> output);

    /// <inheritdoc />
    public sealed override void Setup(TaskContext context, Emitter output)
    {
        this.output.Context = context;
        this.output.Target = output;
    }

    /// <inheritdoc />
    public sealed override void Reduce(ReadOnlySpan<byte> key, ReduceValues values, Emitter output)
    {
        this.output.Target = output;
        Reduce(keys.Read(key), Enumerate(values), this.output);
    }

    private IEnumerable<TValue> Enumerate(ReduceValues raw)
    {
        while (raw.MoveNext())
        {
            yield return values.Read(raw.Current);
        }
    }
}

/// <summary>A typed reducer whose output types equal its input types, so it can also combine.</summary>
public abstract class Reducer<TKey, TValue> : Reducer<TKey, TValue, TKey, TValue>;

/// <summary>A single-step typed job: name the mapper, reducer and (optionally) combiner types.</summary>
public abstract class Job<TMapper, TReducer> : MapReduceJob
    where TMapper : RawMapper, new()
    where TReducer : RawReducer, new()
{
    /// <summary>True to run the reducer as the combiner too (its output types must equal its input types).</summary>
    protected virtual bool CombineWithReducer => false;

    /// <inheritdoc />
    public override RawMapper CreateMapper(int step) => new TMapper();

    /// <inheritdoc />
    public override RawReducer? CreateReducer(int step) => new TReducer();

    /// <inheritdoc />
    public override RawReducer? CreateCombiner(int step) => CombineWithReducer ? new TReducer() : null;
}
