using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using Colony.Node.Dashboard;

namespace Colony.IntegrationTests.Dashboard;

/// <summary>
/// The dashboard API's JSON schemas, checked in under docs/api. They are generated from the API's types,
/// made strict (every property required, no others allowed), so a response that gains, loses or
/// retypes a field no longer validates against the published contract. The job API leaves out null
/// properties, so there only the non-nullable ones are required. "{job}" in a path stands for a job's id.
/// </summary>
internal static class ApiSchemas
{
    public static readonly IReadOnlyList<(string Name, Type Type, string Path)> All =
    [
        ("cluster", typeof(ClusterView), "/api/cluster"),
        ("node", typeof(NodeDetails), "/api/node"),
        ("node-summary", typeof(NodeSummary), "/api/node/summary"),
        ("coordination", typeof(CoordinationView), "/api/coordination"),
        ("coordination-tree", typeof(ZNodeBrowse), "/api/coordination/tree?path=%2Fzookeeper"),
        ("storage", typeof(StorageView), "/api/storage?path=%2F"),
        ("storage-health", typeof(StorageHealthView), "/api/storage/health"),
        ("jobs", typeof(Colony.Client.Jobs.JobList), "/api/jobs"),
        ("job", typeof(Colony.Client.Jobs.JobDetail), "/api/jobs/{job}"),
    ];

    /// <summary>Types whose JSON leaves out null properties (the job API's serializer options).</summary>
    private static bool OmitsNulls(Type type) => type.Namespace == typeof(Colony.Client.Jobs.JobList).Namespace;

    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Colony.slnx")))
                {
                    return dir.FullName;
                }
            }
            throw new InvalidOperationException("the repository root (Colony.slnx) is not above the test's directory");
        }
    }

    public static string FileOf(string name) => Path.Combine(RepositoryRoot, "docs", "api", name + ".schema.json");

    public static string Generate(Type type)
    {
        var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver() };
        bool omitsNulls = OmitsNulls(type);
        var exporter = new JsonSchemaExporterOptions { TreatNullObliviousAsNonNullable = true, TransformSchemaNode = (context, schema) => Strict(schema, omitsNulls) };
        var schema = options.GetJsonSchemaAsNode(type, exporter).AsObject();
        schema.Insert(0, "$schema", "https://json-schema.org/draft/2020-12/schema");
        schema.Insert(1, "title", type.Name);
        return schema.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    private static JsonNode Strict(JsonNode schema, bool omitsNulls)
    {
        if (schema is JsonObject obj && obj["properties"] is JsonObject properties)
        {
            obj["required"] = new JsonArray([.. properties.Where(p => !omitsNulls || !Nullable(p.Value)).Select(p => (JsonNode?)JsonValue.Create(p.Key))]);
            obj["additionalProperties"] = false;
        }
        return schema;
    }

    private static bool Nullable(JsonNode? property) =>
        property?["type"] is JsonArray types && types.Any(t => (string?)t == "null");
}
