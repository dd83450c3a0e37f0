using Microsoft.Extensions.Options;
using NetSecStream.Cli.Hosting;
using NetSecStream.Core.Configuration;
using NetSecStream.Pipeline;
using NetSecStream.Pipeline.Decide;
using NetSecStream.Sinks.Delivery;

namespace NetSecStream.Cli.Configuration;

/// <summary>A configuration problem found at start-up; the message names the key.</summary>
public sealed class ConfigurationErrorException(IReadOnlyList<string> errors)
    : Exception("invalid configuration:\n  " + string.Join("\n  ", errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>Every setting of one process, bound and validated.</summary>
public sealed record AppSettings(
    IConfiguration Configuration,
    PipelineOptions Pipeline,
    ModeOptions Modes,
    StorageOptions Storage,
    MetricsOptions Metrics,
    DemoSourceOptions Demo,
    SinksOptions Sinks,
    ClusterOptions Cluster)
{
    /// <summary>Binds and validates the options of a registered component from its section.</summary>
    public object ComponentOptions(ComponentDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        var options = descriptor.CreateDefaultOptions();
        if (descriptor.Section is not null)
        {
            Configuration.GetSection(descriptor.Section).Bind(options, o => o.ErrorOnUnknownConfiguration = true);
        }

        return options;
    }
}

/// <summary>
/// Builds the configuration of every subcommand, lowest precedence first: <c>appsettings.json</c> and
/// <c>netsec.yaml</c> in the working directory, the file given with <c>--config</c> (JSON or YAML),
/// <c>NETSEC__</c> environment variables (<c>NETSEC__Pipeline__BatchSize=512</c>), then command-line
/// overrides (<c>--Pipeline:BatchSize=512</c>) and the subcommand's own options. Unknown keys are errors.
/// </summary>
public static class NetSecConfiguration
{
    public const string EnvironmentPrefix = "NETSEC__";

    public static IConfiguration Build(string? configFile, IEnumerable<string> overrides, IDictionary<string, string?>? commandValues = null)
    {
        var builder = new ConfigurationBuilder()
            .SetBasePath(Directory.GetCurrentDirectory())
            .AddJsonFile("appsettings.json", optional: true, reloadOnChange: false)
            .AddYamlFile("netsec.yaml", optional: true, reloadOnChange: false);
        if (!string.IsNullOrEmpty(configFile))
        {
            string full = Path.GetFullPath(configFile);
            if (!File.Exists(full))
            {
                throw new ConfigurationErrorException([$"--config: file '{configFile}' not found"]);
            }

            string extension = Path.GetExtension(full).ToUpperInvariant();
            _ = extension switch
            {
                ".JSON" => builder.AddJsonFile(full, optional: false, reloadOnChange: false),
                ".YAML" or ".YML" => builder.AddYamlFile(full, optional: false, reloadOnChange: false),
                _ => throw new ConfigurationErrorException([$"--config: '{configFile}' must be a .json, .yaml or .yml file"]),
            };
        }

        builder.AddEnvironmentVariables(EnvironmentPrefix);
        var overrideList = overrides.ToList();
        foreach (string token in overrideList)
        {
            if (!token.StartsWith("--", StringComparison.Ordinal) && !overrideList.Contains("--" + token))
            {
                // Values follow their key; only stray words are an error.
                int index = overrideList.IndexOf(token);
                if (index == 0 || !overrideList[index - 1].StartsWith("--", StringComparison.Ordinal) || overrideList[index - 1].Contains('=', StringComparison.Ordinal))
                {
                    throw new ConfigurationErrorException([$"unexpected argument '{token}' (settings are given as --Section:Key=value)"]);
                }
            }
        }

        builder.AddCommandLine([.. overrideList]);
        if (commandValues is not null)
        {
            builder.AddInMemoryCollection(commandValues);
        }

        try
        {
            return builder.Build();
        }
        catch (Exception ex) when (ex is FormatException or InvalidDataException or IOException)
        {
            throw new ConfigurationErrorException([$"configuration file could not be read: {ex.Message}"]);
        }
    }

    public static ConfigurationKeyValidator KeyValidator()
    {
        var validator = new ConfigurationKeyValidator()
            .Section(PipelineOptions.Section, typeof(PipelineOptions))
            .Section(ModeOptions.Section, typeof(ModeOptions))
            .Section(StorageOptions.Section, typeof(StorageOptions))
            .Section(MetricsOptions.Section, typeof(MetricsOptions))
            .Section(DemoSourceOptions.Section, typeof(DemoSourceOptions))
            .Section(ClusterOptions.Section, typeof(ClusterOptions))
            .Section(SinksOptions.Section + ":Uris", typeof(List<string>))
            .Section(DeliveryOptions.SectionName, typeof(DeliveryOptions))
            .Section(Control.ControlOptions.Section, typeof(Control.ControlOptions))
            .FreeForm("Logging");
        foreach (var component in ComponentCatalog.All)
        {
            if (component.Section is not null && component.OptionsType is not null)
            {
                validator.Section(component.Section, component.OptionsType);
            }
        }

        return validator;
    }

    /// <summary>Checks keys, binds every section and runs every validator; throws with all problems at once.</summary>
    public static AppSettings Load(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var errors = new List<string>(KeyValidator().FindUnknownKeys(configuration));
        if (errors.Count > 0)
        {
            throw new ConfigurationErrorException(errors);
        }

        var app = new AppOptionsValidator();
        var settings = new AppSettings(
            configuration,
            Bind<PipelineOptions>(configuration, PipelineOptions.Section, new PipelineOptionsValidator(), errors),
            Bind<ModeOptions>(configuration, ModeOptions.Section, new ModeOptionsValidator(), errors),
            Bind<StorageOptions>(configuration, StorageOptions.Section, app, errors),
            Bind<MetricsOptions>(configuration, MetricsOptions.Section, app, errors),
            Bind<DemoSourceOptions>(configuration, DemoSourceOptions.Section, app, errors),
            Bind<SinksOptions>(configuration, SinksOptions.Section, app, errors),
            Bind<ClusterOptions>(configuration, ClusterOptions.Section, app, errors));
        // Component sections are bound here to catch values of the wrong type; their validators run when the
        // component is built (still before any data is read), after commands have filled in defaults such as paths.
        foreach (var component in ComponentCatalog.All)
        {
            try
            {
                settings.ComponentOptions(component);
            }
            catch (InvalidOperationException ex)
            {
                errors.Add($"{component.Section}: {ex.Message}");
            }
        }

        try
        {
            PipelineAssembler.DeliveryOptionsFor(settings);
        }
        catch (ConfigurationErrorException ex)
        {
            errors.AddRange(ex.Errors);
        }
        catch (InvalidOperationException ex)
        {
            errors.Add($"{DeliveryOptions.SectionName}: {ex.Message}");
        }

        return errors.Count > 0 ? throw new ConfigurationErrorException(errors) : settings;
    }

    private static T Bind<T>(IConfiguration configuration, string section, IValidateOptions<T> validator, List<string> errors)
        where T : class, new()
    {
        var options = new T();
        try
        {
            // Unknown keys were reported already, with their full names, by the key validator.
            configuration.GetSection(section).Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            errors.Add($"{section}: {ex.Message}");
            return options;
        }

        var result = validator.Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            errors.AddRange(result.Failures ?? [result.FailureMessage]);
        }

        return options;
    }
}
