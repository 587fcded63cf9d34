using System.Globalization;

namespace Colony.LoadDriver;

/// <summary>The driver's command line.</summary>
internal sealed record DriverOptions
{
    public const string Usage = """
        Usage: colony-load --cluster http://HOST:PORT,… [options]

          --cluster <URL,…>      The nodes' HTTP addresses (http:// may be left out). Required.
          --proposers <N>        Concurrent proposers, each with its own connection [default: 16]
          --seconds <S>          Measured duration [default: 20]
          --warmup <S>           Warm-up before measuring; its writes are not counted [default: 5]
          --value-bytes <B>      Size of each written value [default: 100]
          --key-prefix <TEXT>    Prefix of the written keys [default: a fresh one per run]
          --request-timeout <S>  Client-side timeout of one PUT [default: 30]
          --protocol <P>         http: one PUT /kv/{key} per write; stream: the node's key-value
                                 write stream (GET /kv-stream, upgraded), one frame per write [default: http]
          --token <TOKEN>        The bearer token writes carry: the cluster token (the secret file's
                                 content) or an admin token [default: $COLONY_TOKEN]
        """;

    public IReadOnlyList<Uri> Cluster { get; init; } = [];

    public int Proposers { get; init; } = 16;

    public double Seconds { get; init; } = 20;

    public double WarmupSeconds { get; init; } = 5;

    public int ValueBytes { get; init; } = 100;

    public string KeyPrefix { get; init; } = "load-" + DateTime.UtcNow.ToString("HHmmss", CultureInfo.InvariantCulture);

    public double RequestTimeoutSeconds { get; init; } = 30;

    /// <summary>"http" or "stream".</summary>
    public string Protocol { get; init; } = "http";

    /// <summary>The bearer token for key-value writes, which are an administrator's.</summary>
    public string? Token { get; init; } = Environment.GetEnvironmentVariable("COLONY_TOKEN") is { Length: > 0 } token ? token.Trim() : null;

    public bool Help { get; init; }

    public static DriverOptions Parse(string[] args)
    {
        var options = new DriverOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (name is "-h" or "--help" or "-?")
            {
                return options with { Help = true };
            }
            string value = i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value");
            options = name switch
            {
                "--cluster" => options with { Cluster = ParseCluster(value) },
                "--proposers" => options with { Proposers = Positive(name, int.Parse(value, CultureInfo.InvariantCulture)) },
                "--seconds" => options with { Seconds = Positive(name, double.Parse(value, CultureInfo.InvariantCulture)) },
                "--warmup" => options with { WarmupSeconds = NotNegative(name, double.Parse(value, CultureInfo.InvariantCulture)) },
                "--value-bytes" => options with { ValueBytes = NotNegative(name, int.Parse(value, CultureInfo.InvariantCulture)) },
                "--key-prefix" => options with { KeyPrefix = value },
                "--protocol" => options with { Protocol = value is "http" or "stream" ? value : throw new ArgumentException("--protocol is http or stream") },
                "--token" => options with { Token = value.Trim() },
                "--request-timeout" => options with { RequestTimeoutSeconds = Positive(name, double.Parse(value, CultureInfo.InvariantCulture)) },
                _ => throw new ArgumentException($"unknown option {name}"),
            };
        }
        if (options.Cluster.Count == 0)
        {
            throw new ArgumentException("--cluster is required");
        }
        return options;
    }

    private static List<Uri> ParseCluster(string text)
    {
        var nodes = new List<Uri>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string address = part.Contains("://", StringComparison.Ordinal) ? part : "http://" + part;
            if (!Uri.TryCreate(address.TrimEnd('/'), UriKind.Absolute, out var uri))
            {
                throw new ArgumentException($"not an HTTP address: {part}");
            }
            nodes.Add(uri);
        }
        return nodes;
    }

    private static T Positive<T>(string name, T value) where T : System.Numerics.INumber<T> =>
        value > T.Zero ? value : throw new ArgumentException($"{name} must be positive");

    private static T NotNegative<T>(string name, T value) where T : System.Numerics.INumber<T> =>
        value >= T.Zero ? value : throw new ArgumentException($"{name} must not be negative");
}
