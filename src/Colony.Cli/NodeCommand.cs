using Colony.Node.Hosting;

namespace Colony.Cli;

/// <summary>
/// <c>colony node [--config FILE] [flags]</c>: runs one node in the foreground until it is
/// cancelled (SIGINT or SIGTERM). This is the only place the CLI reaches into the node.
/// </summary>
internal static class NodeCommand
{
    public static async Task<int> RunAsync(string? configPath, IReadOnlyList<string> flags, CancellationToken cancellationToken)
    {
        if (configPath is not null && !File.Exists(configPath))
        {
            throw new CliError($"no node configuration at {configPath}");
        }
        try
        {
            await NodeHost.RunAsync(configPath, [.. flags], cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException e) when (e.Message.StartsWith("invalid configuration", StringComparison.Ordinal))
        {
            throw new CliError(e.Message);
        }
        return 0;
    }
}
