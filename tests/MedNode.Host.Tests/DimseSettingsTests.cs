using Microsoft.Extensions.Configuration;

namespace MedNode.Host.Tests;

/// <summary>What <c>MedNode:Dimse</c> settings become in the DIMSE server's options.</summary>
public sealed class DimseSettingsTests
{
    private static DimseSettings Bind(params (string Key, string Value)[] values)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>("MedNode:Dimse:" + v.Key, v.Value)))
            .Build();
        return configuration.GetSection("MedNode:Dimse").Get<DimseSettings>() ?? new DimseSettings();
    }

    [Fact]
    public void InlineSocketCompletions_LeftOut_IsOnInTheServerOptions()
    {
        Bind(("AeTitle", "MEDNODE")).ToServerOptions(TimeProvider.System).InlineSocketCompletions.Should().BeTrue();
    }

    [Fact]
    public void InlineSocketCompletions_False_IsOffInTheServerOptions()
    {
        Bind(("InlineSocketCompletions", "false")).ToServerOptions(TimeProvider.System).InlineSocketCompletions.Should().BeFalse();
    }
}
