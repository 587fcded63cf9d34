using System.Reflection;
using System.Text;

namespace Colony.Cli;

/// <summary>
/// The command that runs one node; <c>--config FILE</c> is appended to it. Normally this is the
/// CLI itself, <c>colony node</c>.
/// </summary>
internal sealed record NodeCommandLine(string Executable, IReadOnlyList<string> Arguments)
{
    /// <summary>
    /// Replaces <c>colony node</c> with another command line, for tests only: they run a stand-in
    /// node that serves <c>/status</c> and <c>/health</c>, so process control is tested without a
    /// real cluster. Its value is an executable and arguments, split on spaces; double quotes
    /// group a word that has spaces.
    /// </summary>
    public const string OverrideVariable = "COLONY_NODE_COMMAND";

    public static NodeCommandLine Resolve(CliEnvironment environment)
    {
        var custom = environment.GetVariable(OverrideVariable);
        if (!string.IsNullOrWhiteSpace(custom))
        {
            var words = Split(custom);
            return new NodeCommandLine(words[0], words[1..]);
        }

        var self = Environment.ProcessPath ?? throw new CliError("cannot tell which executable to start nodes with");
        if (string.Equals(Path.GetFileNameWithoutExtension(self), "dotnet", StringComparison.Ordinal))
        {
            // Run as `dotnet colony.dll`: start nodes the same way.
            var assembly = Assembly.GetEntryAssembly()?.Location;
            if (string.IsNullOrEmpty(assembly))
            {
                throw new CliError("cannot tell which assembly to start nodes with");
            }

            return new NodeCommandLine(self, [assembly, "node"]);
        }

        return new NodeCommandLine(self, ["node"]);
    }

    public IReadOnlyList<string> ArgumentsFor(string configPath) => [.. Arguments, "--config", configPath];

    internal static string[] Split(string commandLine)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        var quoted = false;
        foreach (var c in commandLine)
        {
            if (c == '"')
            {
                quoted = !quoted;
                inWord = true;
            }
            else if (char.IsWhiteSpace(c) && !quoted)
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }

        if (quoted)
        {
            throw new CliError($"{OverrideVariable} has an unclosed quote");
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words.Count > 0 ? [.. words] : throw new CliError($"{OverrideVariable} is empty");
    }
}
