using System.Text.Json.Serialization;

namespace Colony.Cli;

/// <summary>Every JSON shape the CLI reads or writes, serialized without reflection.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNameCaseInsensitive = true, ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(NodeConfigDocument))]
[JsonSerializable(typeof(ClusterManifest))]
[JsonSerializable(typeof(NodeStatus))]
[JsonSerializable(typeof(StatusReport))]
[JsonSerializable(typeof(MemberRequest))]
[JsonSerializable(typeof(LeaderHint))]
internal sealed partial class CliJson : JsonSerializerContext;
