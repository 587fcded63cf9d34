namespace Colony.Cli;

/// <summary>A node the CLI talks to over HTTP; its id is unknown when it was given only by address.</summary>
internal sealed record NodeEndpoint(int? Id, Uri Http)
{
    /// <summary>Parses <c>host:port</c> or an http(s) URL.</summary>
    public static Uri ParseHttp(string address)
    {
        var text = address.Trim();
        if (!text.Contains("://", StringComparison.Ordinal))
        {
            text = "http://" + text;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || uri.AbsolutePath != "/")
        {
            throw new CliError($"\"{address}\" is not an HTTP address (host:port)", CliError.Usage);
        }

        return uri;
    }

    /// <summary>Parses a comma-separated list of HTTP addresses.</summary>
    public static IReadOnlyList<NodeEndpoint> ParseList(string addresses)
    {
        var list = addresses.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(a => new NodeEndpoint(null, ParseHttp(a)))
            .ToList();
        return list.Count > 0 ? list : throw new CliError("--cluster needs at least one host:port", CliError.Usage);
    }

    public override string ToString() => Http.GetLeftPart(UriPartial.Authority);
}
