namespace Colony.Coordination.Protocol;

/// <summary>A message that can write itself in jute encoding.</summary>
public interface IJuteWritable
{
    void Write(ref JuteWriter writer);
}

/// <summary>A message that can also read itself: <c>T.Read(ref reader)</c>.</summary>
public interface IJuteRecord<TSelf> : IJuteWritable
    where TSelf : IJuteRecord<TSelf>
{
    static abstract TSelf Read(ref JuteReader reader);
}

/// <summary>Whole-buffer helpers, mainly for the client and for tests.</summary>
public static class Jute
{
    /// <summary>Reads one <typeparamref name="T"/> from the start of <paramref name="bytes"/> (trailing bytes are ignored, as in ZooKeeper).</summary>
    public static T Decode<T>(ReadOnlySpan<byte> bytes)
        where T : IJuteRecord<T>
    {
        var reader = new JuteReader(bytes);
        return T.Read(ref reader);
    }

    /// <summary>The message's encoding as a new array (no length prefix).</summary>
    public static byte[] Encode<T>(in T message)
        where T : IJuteWritable
    {
        var measure = JuteWriter.Measuring();
        message.Write(ref measure);
        var output = new System.Buffers.ArrayBufferWriter<byte>(Math.Max(1, checked((int)measure.BytesWritten)));
        var writer = new JuteWriter(output);
        message.Write(ref writer);
        writer.Flush();
        return output.WrittenSpan.ToArray();
    }
}
