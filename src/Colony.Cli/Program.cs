using Colony.Cli;

return await CliApplication.MainAsync(args).ConfigureAwait(false);
