using System.Text.Json.Serialization;

namespace Colony.Node.Security;

/// <summary>POST /api/tokens: who the new token speaks for.</summary>
public sealed record TokenRequest(string? User, IReadOnlyList<string>? Groups, bool Admin);

/// <summary>One token as GET /api/tokens lists it: never its secret.</summary>
public sealed record TokenView(string Id, string User, IReadOnlyList<string> Groups, bool Admin, long Created);

/// <summary>The answer to POST /api/tokens: the only time the token's text is shown.</summary>
public sealed record TokenCreatedView(string Id, string User, IReadOnlyList<string> Groups, bool Admin, string Token);

/// <summary>GET /api/auth/whoami: who this node takes the caller for.</summary>
public sealed record WhoAmIView(string User, IReadOnlyList<string> Groups, bool Admin, string Kind);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(TokenRequest))]
[JsonSerializable(typeof(TokenView[]))]
[JsonSerializable(typeof(TokenCreatedView))]
[JsonSerializable(typeof(WhoAmIView))]
public sealed partial class AccessJson : JsonSerializerContext;
