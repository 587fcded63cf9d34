using Spectre.Console;

namespace Colony.Cli;

/// <summary>
/// A line of progress while a command waits: an animated status on a terminal, nothing when the
/// output is a pipe or a file (so scripts read only results).
/// </summary>
internal static class Progress
{
    public static async Task<T> RunAsync<T>(CliEnvironment environment, string initial, Func<Action<string>, Task<T>> work)
    {
        if (!environment.IsTerminal)
        {
            return await work(_ => { }).ConfigureAwait(false);
        }

        return await environment.Console.Status().StartAsync(Markup.Escape(initial), context =>
            work(text => context.Status(Markup.Escape(text)))).ConfigureAwait(false);
    }

    public static Task RunAsync(CliEnvironment environment, string initial, Func<Action<string>, Task> work) =>
        RunAsync(environment, initial, async report =>
        {
            await work(report).ConfigureAwait(false);
            return true;
        });
}
