using MedNode.Core.Index;
using MedNode.Core.Retention;

namespace MedNode.Host;

/// <summary>
/// Runs retention (<see cref="StudyRetention"/>, section <c>MedNode:Retention</c>) for the life of the host; does nothing
/// when <see cref="RetentionOptions.MaxStudyAge"/> is not set or the index cannot tell study ages.
/// </summary>
public sealed class RetentionHostedService(IServiceProvider services, RetentionOptions options, TimeProvider time) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.MaxStudyAge == null || services.GetRequiredService<IInstanceIndex>() is not IStudyAges ages) return Task.CompletedTask;
        var retention = new StudyRetention(ages, services.GetRequiredService<StudyDeletionService>(), options, time, services.GetRequiredService<ILogger<StudyRetention>>());
        return retention.RunAsync(stoppingToken);
    }
}
