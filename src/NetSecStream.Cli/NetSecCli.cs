using System.CommandLine;
using NetSecStream.Cli.Commands;
using NetSecStream.Cli.Configuration;

namespace NetSecStream.Cli;

/// <summary>The <c>netsec</c> command line: one subcommand per role or tool.</summary>
public static class NetSecCli
{
    /// <summary>Exit code for configuration errors (bad key, bad value, missing file).</summary>
    public const int ConfigurationErrorExitCode = 2;

    /// <summary>Exit code when the pipeline stopped on an error (e.g. a sink refused data).</summary>
    public const int RuntimeErrorExitCode = 1;

    public static readonly Option<string?> ConfigOption = new("--config", "-c")
    {
        Description = "Configuration file (JSON or YAML). Also read: ./appsettings.json, ./netsec.yaml, NETSEC__* environment variables, --Section:Key=value arguments.",
        Recursive = true,
    };

    public static RootCommand CreateRootCommand()
    {
        var root = new RootCommand("NetSecStream: network IDS/IPS for Kubernetes workloads (log, alert or block per namespace).");
        root.Options.Add(ConfigOption);
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(CollectCommand.Create());
        root.Subcommands.Add(ProcessCommand.Create());
        root.Subcommands.Add(ReplayCommand.Create());
        root.Subcommands.Add(GenerateCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(RulesCommand.Create());
        root.Subcommands.Add(PolicyCommand.Create());
        root.Subcommands.Add(ModelCommands.Train());
        root.Subcommands.Add(ModelCommands.Evaluate());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(ControlCommand.Create());
        return root;
    }

    /// <summary>Configuration values for sink URIs given on the command line (<c>--sink</c>), as <c>Sinks:Uris:i</c>.</summary>
    public static Dictionary<string, string?> SinkUriValues(IReadOnlyList<string> sinkUris)
    {
        ArgumentNullException.ThrowIfNull(sinkUris);
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < sinkUris.Count; i++)
        {
            values[$"Sinks:Uris:{i}"] = sinkUris[i];
        }

        return values;
    }

    /// <summary>Loads and validates settings for a subcommand; prints the errors and returns null when invalid.</summary>
    public static AppSettings? LoadSettings(ParseResult parse, IDictionary<string, string?>? commandValues = null)
    {
        ArgumentNullException.ThrowIfNull(parse);
        try
        {
            var configuration = NetSecConfiguration.Build(parse.GetValue(ConfigOption), parse.UnmatchedTokens, commandValues);
            return NetSecConfiguration.Load(configuration);
        }
        catch (ConfigurationErrorException ex)
        {
            Console.Error.WriteLine("netsec: " + ex.Message);
            return null;
        }
    }

    public static ILoggerFactory CreateLoggerFactory(AppSettings settings, LogLevel defaultLevel)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(defaultLevel);
            builder.AddConfiguration(settings.Configuration.GetSection("Logging"));
            builder.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            });
            builder.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        });
    }
}
