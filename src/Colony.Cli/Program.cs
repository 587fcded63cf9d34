using Colony.Cli;
using Colony.Node.Compute;

// `colony executor` is started by a worker node, never by hand: it bypasses the command line's parser so
// nothing it prints on standard output is anything but its protocol.
return args is ["executor", .. var rest]
    ? await ExecutorProgram.RunAsync(rest).ConfigureAwait(false)
    : await CliApplication.MainAsync(args).ConfigureAwait(false);
