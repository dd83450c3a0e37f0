using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Core.Configuration;

/// <summary>What a component factory may use.</summary>
public sealed record ComponentServices(NetSecMetrics Metrics, ILoggerFactory LoggerFactory, TimeProvider Time);

/// <summary>
/// One registered component: its id, kind, configuration section and options type, the validator of those
/// options, and a factory. docs/specs/component.md says what each must do; one test checks them all.
/// </summary>
public sealed class ComponentDescriptor
{
    private ComponentDescriptor(string id, ComponentKind kind, string? section, Type? optionsType,
        Func<object, IReadOnlyList<string>> validate, Func<object, ComponentServices, INetSecComponent> create, Func<object> defaults)
    {
        Id = id;
        Kind = kind;
        Section = section;
        OptionsType = optionsType;
        _validate = validate;
        _create = create;
        _defaults = defaults;
    }

    private readonly Func<object, IReadOnlyList<string>> _validate;
    private readonly Func<object, ComponentServices, INetSecComponent> _create;
    private readonly Func<object> _defaults;

    public string Id { get; }

    public ComponentKind Kind { get; }

    /// <summary>Configuration section of the options, e.g. <c>Sinks:File</c>; null for components without options.</summary>
    public string? Section { get; }

    public Type? OptionsType { get; }

    /// <summary>Fresh options with their defaults.</summary>
    public object CreateDefaultOptions() => _defaults();

    /// <summary>Validation failures, each naming the configuration key; empty when valid.</summary>
    public IReadOnlyList<string> Validate(object options) => _validate(options);

    public INetSecComponent Create(object options, ComponentServices services)
    {
        var failures = Validate(options);
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(Id, OptionsType ?? typeof(object), failures);
        }

        return _create(options, services);
    }

    public static ComponentDescriptor For<TOptions>(string id, ComponentKind kind, string section,
        IValidateOptions<TOptions> validator, Func<TOptions, ComponentServices, INetSecComponent> create)
        where TOptions : class, new()
    {
        ArgumentNullException.ThrowIfNull(validator);
        ArgumentNullException.ThrowIfNull(create);
        return new ComponentDescriptor(id, kind, section, typeof(TOptions),
            options =>
            {
                var result = validator.Validate(Options.DefaultName, (TOptions)options);
                return result.Failed ? [.. result.Failures ?? [result.FailureMessage]] : [];
            },
            (options, services) => create((TOptions)options, services),
            () => new TOptions());
    }

    public static ComponentDescriptor WithoutOptions(string id, ComponentKind kind, Func<ComponentServices, INetSecComponent> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        return new ComponentDescriptor(id, kind, null, null, _ => [], (_, services) => create(services), () => new object());
    }

    public override string ToString() => $"{Kind.ToString().ToLowerInvariant()} {Id}";
}
