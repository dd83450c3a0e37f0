using NetSecStream.Cli;

return await NetSecCli.CreateRootCommand().Parse(args).InvokeAsync().ConfigureAwait(false);
