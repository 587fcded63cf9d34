namespace Colony.Coordination.Protocol;

/// <summary>
/// setWatches (xid <see cref="SpecialXid.SetWatches"/>): after reconnecting, the client re-registers
/// its watches; the server fires those whose nodes changed after <see cref="RelativeZxid"/>.
/// </summary>
public sealed record SetWatches(
    long RelativeZxid,
    IReadOnlyList<string> DataWatches,
    IReadOnlyList<string> ExistWatches,
    IReadOnlyList<string> ChildWatches) : ClientRequest, IJuteRecord<SetWatches>
{
    public static SetWatches Read(ref JuteReader reader)
    {
        long relativeZxid = reader.ReadInt64();
        string[] data = reader.ReadStringList();
        string[] exist = reader.ReadStringList();
        return new SetWatches(relativeZxid, data, exist, reader.ReadStringList());
    }

    public override void Write(ref JuteWriter writer)
    {
        writer.WriteInt64(RelativeZxid);
        writer.WriteStringList(DataWatches);
        writer.WriteStringList(ExistWatches);
        writer.WriteStringList(ChildWatches);
    }
}

/// <summary>setWatches2: <see cref="SetWatches"/> plus persistent and persistent-recursive watches.</summary>
public sealed record SetWatches2(
    long RelativeZxid,
    IReadOnlyList<string> DataWatches,
    IReadOnlyList<string> ExistWatches,
    IReadOnlyList<string> ChildWatches,
    IReadOnlyList<string> PersistentWatches,
    IReadOnlyList<string> PersistentRecursiveWatches) : ClientRequest, IJuteRecord<SetWatches2>
{
    public static SetWatches2 Read(ref JuteReader reader)
    {
        long relativeZxid = reader.ReadInt64();
        string[] data = reader.ReadStringList();
        string[] exist = reader.ReadStringList();
        string[] child = reader.ReadStringList();
        string[] persistent = reader.ReadStringList();
        return new SetWatches2(relativeZxid, data, exist, child, persistent, reader.ReadStringList());
    }

    public override void Write(ref JuteWriter writer)
    {
        writer.WriteInt64(RelativeZxid);
        writer.WriteStringList(DataWatches);
        writer.WriteStringList(ExistWatches);
        writer.WriteStringList(ChildWatches);
        writer.WriteStringList(PersistentWatches);
        writer.WriteStringList(PersistentRecursiveWatches);
    }
}

public sealed record AddWatchRequest(string Path, AddWatchMode Mode) : ClientRequest, IJuteRecord<AddWatchRequest>
{
    public static AddWatchRequest Read(ref JuteReader reader)
    {
        string path = reader.ReadRequiredString();
        return new AddWatchRequest(path, (AddWatchMode)reader.ReadInt32());
    }

    public override void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteInt32((int)Mode);
    }
}

/// <summary>checkWatches: does the session hold a watch of this type on the path?</summary>
public sealed record CheckWatchesRequest(string Path, WatcherType Type) : ClientRequest, IJuteRecord<CheckWatchesRequest>
{
    public static CheckWatchesRequest Read(ref JuteReader reader)
    {
        string path = reader.ReadRequiredString();
        return new CheckWatchesRequest(path, (WatcherType)reader.ReadInt32());
    }

    public override void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteInt32((int)Type);
    }
}

public sealed record RemoveWatchesRequest(string Path, WatcherType Type) : ClientRequest, IJuteRecord<RemoveWatchesRequest>
{
    public static RemoveWatchesRequest Read(ref JuteReader reader)
    {
        string path = reader.ReadRequiredString();
        return new RemoveWatchesRequest(path, (WatcherType)reader.ReadInt32());
    }

    public override void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteInt32((int)Type);
    }
}

/// <summary>
/// A watch notification: the body after a reply header with xid <see cref="SpecialXid.Notification"/>.
/// The path is the client's view of it (chroot removed); it may be null for a session-state event.
/// </summary>
public readonly record struct WatcherEvent(EventType Type, KeeperState State, string? Path) : IJuteRecord<WatcherEvent>
{
    public static WatcherEvent Read(ref JuteReader reader)
    {
        var type = (EventType)reader.ReadInt32();
        var state = (KeeperState)reader.ReadInt32();
        return new WatcherEvent(type, state, reader.ReadString());
    }

    public void Write(ref JuteWriter writer)
    {
        writer.WriteInt32((int)Type);
        writer.WriteInt32((int)State);
        writer.WriteString(Path);
    }
}
