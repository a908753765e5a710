using MedNode.Core.Jobs;
using MedNode.Persistence;
using MedNode.Persistence.Index;
using MedNode.Persistence.Loop;
using MedNode.TestSupport;
using MedNode.Web.Tests.Query;

namespace MedNode.Web.Tests.Persistence;

/// <summary>
/// Running skipped and failed jobs again (<see cref="IJobQueue.RequeueAsync"/>, <see cref="JobRequeue"/>) keeps the queue's
/// guarantees: the same job row, only from Skipped or Failed, one winner among concurrent requests, never a succeeded job,
/// never an earlier version once a later one exists. Declared once, run on the in-memory queue and on <see cref="EfJobQueue"/>
/// over SQLite and PostgreSQL.
/// </summary>
public abstract class JobRequeueTests : IDisposable
{
    private readonly TempDir _dir = new("mednode-requeue-");

    /// <summary>Each job is queued, leased and finished before the next is queued, so lease order never depends on the clock.</summary>
    protected TimeProvider Clock { get; } = TimeProvider.System;

    protected string TempFile(string name) => _dir.File(name);

    protected abstract Task<IJobQueue> NewQueueAsync();

    private static readonly Dictionary<string, double> NoTimings = [];

    private static JobRequest Request(string unit, int version, string model, params string[] sops) =>
        new(unit, version, "1.1", "1.1.1", sops, model, model + "-hash", "rule", []);

    /// <summary>Queues the request, runs it as worker "w" and finishes it in <paramref name="state"/> with <paramref name="error"/>.</summary>
    private async Task<Guid> RunAsync(IJobQueue queue, JobRequest request, JobState state, string? error)
    {
        var id = (await queue.EnqueueAsync(request, default)).Job.Id;
        var leased = await queue.LeaseAsync("w", TimeSpan.FromMinutes(1), default);
        leased!.Id.Should().Be(id);
        (await queue.FinishAsync(id, "w", state, error, NoTimings, state == JobState.Succeeded ? "{}" : null, default)).Should().BeTrue();
        return id;
    }

    [Fact]
    public async Task Requeue_SkippedThenFailed_RunsAgainAsTheSameJob_ConcurrentRequestsRequeueOnce_NeverASucceededOne()
    {
        var queue = await NewQueueAsync();
        var id = await RunAsync(queue, Request("u", 1, "m", "a"), JobState.Skipped, "model m is disabled");

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => queue.RequeueAsync(id, default))));
        outcomes.Count(o => o == RequeueOutcome.Requeued).Should().Be(1, "one request wins");
        outcomes.Where(o => o != RequeueOutcome.Requeued).Should().OnlyContain(o => o == RequeueOutcome.NotSkippedOrFailed);
        var queued = (await queue.GetAsync(id, default))!;
        queued.State.Should().Be(JobState.Queued);
        queued.Error.Should().BeNull();
        queued.Attempts.Should().Be(1);

        var leased = await queue.LeaseAsync("w", TimeSpan.FromMinutes(1), default);
        leased!.Id.Should().Be(id);
        leased.Attempts.Should().Be(2);
        (await queue.RequeueAsync(id, default)).Should().Be(RequeueOutcome.NotSkippedOrFailed, "a running job would run twice at once");
        (await queue.FinishAsync(id, "w", JobState.Failed, "boom", NoTimings, null, default)).Should().BeTrue();
        (await queue.RequeueAsync(id, default)).Should().Be(RequeueOutcome.Requeued);
        (await queue.LeaseAsync("w", TimeSpan.FromMinutes(1), default))!.Attempts.Should().Be(3);
        (await queue.FinishAsync(id, "w", JobState.Succeeded, null, NoTimings, "{}", default)).Should().BeTrue();

        (await queue.RequeueAsync(id, default)).Should().Be(RequeueOutcome.NotSkippedOrFailed, "a succeeded job is never run again");
        (await queue.RequeueAsync(Guid.NewGuid(), default)).Should().Be(RequeueOutcome.NotFound);
        (await queue.ListAsync(new JobFilter(), default).ToListAsync()).Should().ContainSingle("no second job was made");
    }

    [Fact]
    public async Task RequeueSkippedForDisabledModel_OnlyTheLatestVersionSkippedForThatReason_IsQueuedAgain()
    {
        var queue = await NewQueueAsync();
        var reason = JobRequeue.ModelDisabledReason("m");
        var v1 = await RunAsync(queue, Request("u", 1, "m", "a"), JobState.Skipped, reason);
        var v2 = await RunAsync(queue, Request("u", 2, "m", "a", "b"), JobState.Skipped, reason);
        var inputsGone = await RunAsync(queue, Request("w", 1, "m", "c"), JobState.Skipped, "none of the input instances is stored any more");
        var otherModel = await RunAsync(queue, Request("u", 1, "other", "a"), JobState.Skipped, JobRequeue.ModelDisabledReason("other"));

        (await JobRequeue.RequeueSkippedForDisabledModelAsync(queue, "m", default)).Should().Equal(v2);
        (await queue.GetAsync(v2, default))!.State.Should().Be(JobState.Queued);
        (await queue.GetAsync(v1, default))!.State.Should().Be(JobState.Skipped, "version 2 holds its inputs");
        (await queue.RequeueAsync(v1, default)).Should().Be(RequeueOutcome.LaterVersionExists);
        (await queue.GetAsync(inputsGone, default))!.State.Should().Be(JobState.Skipped, "skipped for another reason");
        (await queue.GetAsync(otherModel, default))!.State.Should().Be(JobState.Skipped, "another model");
    }

    /// <summary>
    /// The model filter of the job list (<see cref="JobFilter.ModelId"/>, <c>GET /api/v1/jobs?model=</c>) keeps exactly the
    /// jobs of that model, compared whole (not a prefix), with the other filters; the requeue on enabling a model uses it,
    /// so every job of that model skipped because it was disabled is queued again, each unit's latest version, and the
    /// other model's skipped jobs stay skipped.
    /// </summary>
    [Fact]
    public async Task ListByModel_KeepsExactlyThatModelsJobs_AndTheRequeueOnEnableTakesEverySkippedJobOfIt()
    {
        var queue = await NewQueueAsync();
        var skipped = new List<Guid>();
        for (var i = 0; i < 3; i++) skipped.Add(await RunAsync(queue, Request($"u{i}", 1, "m", $"s{i}"), JobState.Skipped, JobRequeue.ModelDisabledReason("m")));
        var succeeded = await RunAsync(queue, Request("v", 1, "m", "t"), JobState.Succeeded, null);
        var others = new List<Guid>();
        for (var i = 0; i < 4; i++) others.Add(await RunAsync(queue, Request($"o{i}", 1, "mm", $"x{i}"), JobState.Skipped, JobRequeue.ModelDisabledReason("mm")));

        (await queue.ListAsync(new JobFilter(ModelId: "m"), default).Select(j => j.Id).ToListAsync()).Should().BeEquivalentTo([.. skipped, succeeded]);
        (await queue.ListAsync(new JobFilter(JobState.Skipped, ModelId: "m"), default).Select(j => j.Id).ToListAsync()).Should().BeEquivalentTo(skipped);
        (await queue.ListAsync(new JobFilter(ModelId: "mm"), default).Select(j => j.Id).ToListAsync()).Should().BeEquivalentTo(others);
        (await queue.ListAsync(new JobFilter(ModelId: "nope"), default).ToListAsync()).Should().BeEmpty();

        (await JobRequeue.RequeueSkippedForDisabledModelAsync(queue, "m", default)).Should().BeEquivalentTo(skipped);
        foreach (var id in skipped) (await queue.GetAsync(id, default))!.State.Should().Be(JobState.Queued);
        foreach (var id in others) (await queue.GetAsync(id, default))!.State.Should().Be(JobState.Skipped, "another model");
        (await queue.GetAsync(succeeded, default))!.State.Should().Be(JobState.Succeeded);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
        GC.SuppressFinalize(this);
    }
}

public sealed class InMemoryJobRequeueTests : JobRequeueTests
{
    protected override Task<IJobQueue> NewQueueAsync() => Task.FromResult<IJobQueue>(new InMemoryJobQueue(Clock));
}

public sealed class SqliteJobRequeueTests : JobRequeueTests
{
    protected override async Task<IJobQueue> NewQueueAsync() => await EfQueue.CreateAsync(IndexDatabases.Sqlite(TempFile("index.db")), Clock);
}

[RequiresPostgres]
public sealed class PostgresJobRequeueTests : JobRequeueTests
{
    protected override async Task<IJobQueue> NewQueueAsync() =>
        await EfQueue.CreateAsync(IndexDatabases.Postgres(await (await PostgresPeer.GetSharedAsync()).CreateDatabaseAsync()), Clock);
}

internal static class EfQueue
{
    public static async Task<IJobQueue> CreateAsync(DatabaseOptions options, TimeProvider clock)
    {
        var factory = new MedNodeDbContextFactory(options);
        await using (var db = factory.CreateDbContext()) await PersistenceServiceCollectionExtensions.MigrateAsync(db, CancellationToken.None);
        return new EfJobQueue(factory, clock);
    }
}
