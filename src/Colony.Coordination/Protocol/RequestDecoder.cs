namespace Colony.Coordination.Protocol;

/// <summary>
/// Turns a request frame into its header and typed body, so a server needs one switch.
/// (The connect request, a connection's first frame, has no header: read it with <see cref="ConnectRequest.Read"/>.)
/// </summary>
public static class RequestDecoder
{
    /// <summary>Reads the header and then the body its opcode calls for.</summary>
    public static ClientRequest Decode(ReadOnlySpan<byte> frame, out RequestHeader header)
    {
        var reader = new JuteReader(frame);
        header = RequestHeader.Read(ref reader);
        return DecodeBody(header.Type, ref reader);
    }

    /// <summary>
    /// Reads the body for <paramref name="type"/>. Opcodes a client may not send (or that ZooKeeper
    /// doesn't know) throw a <see cref="ProtocolException"/> with <see cref="ProtocolError.UnsupportedOperation"/>.
    /// </summary>
    public static ClientRequest DecodeBody(OpCode type, ref JuteReader reader) => type switch
    {
        OpCode.Ping or OpCode.CloseSession or OpCode.WhoAmI => EmptyRequest.Instance,
        OpCode.Create or OpCode.Create2 or OpCode.CreateContainer => CreateRequest.Read(ref reader),
        OpCode.CreateTtl => CreateTtlRequest.Read(ref reader),
        OpCode.Delete => DeleteRequest.Read(ref reader),
        OpCode.Exists => ExistsRequest.Read(ref reader),
        OpCode.GetData => GetDataRequest.Read(ref reader),
        OpCode.SetData => SetDataRequest.Read(ref reader),
        OpCode.GetAcl => GetAclRequest.Read(ref reader),
        OpCode.SetAcl => SetAclRequest.Read(ref reader),
        OpCode.GetChildren => GetChildrenRequest.Read(ref reader),
        OpCode.GetChildren2 => GetChildren2Request.Read(ref reader),
        OpCode.Check => CheckVersionRequest.Read(ref reader),
        OpCode.Sync => SyncRequest.Read(ref reader),
        OpCode.Multi or OpCode.MultiRead => MultiRequest.Read(ref reader),
        OpCode.GetAllChildrenNumber => GetAllChildrenNumberRequest.Read(ref reader),
        OpCode.GetEphemerals => GetEphemeralsRequest.Read(ref reader),
        OpCode.SetWatches => SetWatches.Read(ref reader),
        OpCode.SetWatches2 => SetWatches2.Read(ref reader),
        OpCode.AddWatch => AddWatchRequest.Read(ref reader),
        OpCode.CheckWatches => CheckWatchesRequest.Read(ref reader),
        OpCode.RemoveWatches => RemoveWatchesRequest.Read(ref reader),
        OpCode.Auth => AuthPacket.Read(ref reader),
        OpCode.Sasl => SaslRequest.Read(ref reader),
        OpCode.Reconfig => ReconfigRequest.Read(ref reader),
        _ => throw new ProtocolException(ProtocolError.UnsupportedOperation, $"Opcode {(int)type} is not a client request."),
    };
}
