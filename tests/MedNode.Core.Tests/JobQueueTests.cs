using MedNode.Core.Export;
using MedNode.Core.Jobs;
using Microsoft.Extensions.Time.Testing;

namespace MedNode.Core.Tests;

public class JobQueueTests
{
    private readonly FakeTimeProvider _clock = new();

    private static JobRequest Request(int version, params string[] sops) =>
        new("DIMSE|MEDNODE|1.1|1.1.1", version, "1.1", "1.1.1", sops, "phantom-lesion", "ab12", "rule", [new JobDestination("orthanc", "SegSr")]);

    [Fact]
    public void IdempotencyKey_IgnoresOrderAndDuplicates_ButNotTheModel()
    {
        JobRequest.ComputeKey(["b", "a", "a"], "AB12").Should().Be(JobRequest.ComputeKey(["a", "b"], "ab12"));
        JobRequest.ComputeKey(["a", "b"], "ab12").Should().NotBe(JobRequest.ComputeKey(["a", "b"], "ab13"));
        JobRequest.ComputeKey(["a", "b"], "ab12").Should().NotBe(JobRequest.ComputeKey(["a", "b", "c"], "ab12"));
    }

    [Fact]
    public async Task Enqueue_SameInputsTwice_OneJob()
    {
        var queue = new InMemoryJobQueue(_clock);
        var first = await queue.EnqueueAsync(Request(1, "a", "b"), default);
        var again = await queue.EnqueueAsync(Request(2, "b", "a"), default);
        again.Created.Should().BeFalse();
        again.Job.Id.Should().Be(first.Job.Id);
        (await queue.ListAsync(new JobFilter(), default).ToListAsync()).Should().ContainSingle();
    }

    [Fact]
    public async Task Enqueue_NewVersion_SupersedesEarlierSucceededJob()
    {
        var queue = new InMemoryJobQueue(_clock);
        var v1 = await queue.EnqueueAsync(Request(1, "a"), default);
        var leased = await queue.LeaseAsync("w1", TimeSpan.FromMinutes(1), default);
        await queue.FinishAsync(leased!.Id, "w1", JobState.Succeeded, null, new Dictionary<string, double> { ["infer"] = 12 }, "{}", default);
        var v2 = await queue.EnqueueAsync(Request(2, "a", "b"), default);
        v2.Superseded.Should().Equal(v1.Job.Id);
        (await queue.GetAsync(v1.Job.Id, default))!.State.Should().Be(JobState.Superseded);
    }

    [Fact]
    public async Task Lease_ExpiredLease_IsTakenOverAndTheDeadWorkerCannotFinish()
    {
        var queue = new InMemoryJobQueue(_clock);
        await queue.EnqueueAsync(Request(1, "a"), default);
        var first = await queue.LeaseAsync("dead", TimeSpan.FromMinutes(1), default);
        (await queue.LeaseAsync("other", TimeSpan.FromMinutes(1), default)).Should().BeNull("the lease is still valid");
        _clock.Advance(TimeSpan.FromMinutes(2));
        var second = await queue.LeaseAsync("restarted", TimeSpan.FromMinutes(1), default);
        second!.Id.Should().Be(first!.Id);
        second.Attempts.Should().Be(2);
        (await queue.FinishAsync(first.Id, "dead", JobState.Succeeded, null, new Dictionary<string, double>(), null, default)).Should().BeFalse();
        (await queue.RenewLeaseAsync(first.Id, "dead", TimeSpan.FromMinutes(1), default)).Should().BeFalse();
        (await queue.FinishAsync(first.Id, "restarted", JobState.Succeeded, null, new Dictionary<string, double>(), null, default)).Should().BeTrue();
    }

    /// <summary>The test-only waits are off by default; a negative one or one over 10 minutes is refused, naming the setting.</summary>
    [Fact]
    public void Options_TestOnlyDelays_OffByDefault_OutOfRangeRefusedNamingTheSetting()
    {
        new JobOptions().StageDelayForTesting.Should().Be(TimeSpan.Zero);
        new ExportOptions().SendDelayForTesting.Should().Be(TimeSpan.Zero);
        new JobOptions().Validate().Should().BeEmpty();
        new ExportOptions().Validate().Should().BeEmpty();
        new JobOptions { StageDelayForTesting = TimeSpan.FromMinutes(10) }.Validate().Should().BeEmpty();
        new JobOptions { StageDelayForTesting = TimeSpan.FromSeconds(-1) }.Validate().Should().ContainSingle().Which.Should().Contain("MedNode:Jobs:StageDelayForTesting");
        new JobOptions { StageDelayForTesting = TimeSpan.FromMinutes(11) }.Validate().Should().ContainSingle().Which.Should().Contain("MedNode:Jobs:StageDelayForTesting");
        new JobOptions { Workers = -1 }.Validate().Should().ContainSingle().Which.Should().Contain("MedNode:Jobs:Workers");
        new ExportOptions { SendDelayForTesting = TimeSpan.FromSeconds(-1) }.Validate().Should().ContainSingle().Which.Should().Contain("MedNode:Export:SendDelayForTesting");
        new ExportOptions { SendDelayForTesting = TimeSpan.FromHours(1) }.Validate().Should().ContainSingle().Which.Should().Contain("MedNode:Export:SendDelayForTesting");
        new ExportOptions { CommitmentTimeout = TimeSpan.Zero }.Validate().Should().ContainSingle().Which.Should().Contain("MedNode:Export:CommitmentTimeout");
    }

    /// <summary>Values the workers cannot run with (a busy poll, a lease that is always expired, no attempt, no batch) are refused, naming the setting.</summary>
    [Theory]
    [InlineData("Lease", "MedNode:Jobs:Lease")]
    [InlineData("PollInterval", "MedNode:Jobs:PollInterval")]
    public void JobOptions_ZeroDuration_RefusedNamingTheSetting(string property, string key)
    {
        var options = new JobOptions();
        typeof(JobOptions).GetProperty(property)!.SetValue(options, TimeSpan.Zero);
        options.Validate().Should().ContainSingle().Which.Should().StartWith(key);
    }

    [Fact]
    public void ExportOptions_OutOfRange_RefusedNamingTheSetting()
    {
        new ExportOptions { MaxAttempts = 0 }.Validate().Should().ContainSingle().Which.Should().StartWith("MedNode:Export:MaxAttempts");
        new ExportOptions { BatchSize = 0 }.Validate().Should().ContainSingle().Which.Should().StartWith("MedNode:Export:BatchSize");
        new ExportOptions { InitialBackoff = TimeSpan.Zero }.Validate().Should().ContainSingle().Which.Should().StartWith("MedNode:Export:InitialBackoff");
        new ExportOptions { InitialBackoff = TimeSpan.FromMinutes(1), MaxBackoff = TimeSpan.FromSeconds(30) }.Validate().Should().ContainSingle().Which.Should().StartWith("MedNode:Export:MaxBackoff");
        new ExportOptions { CommitmentReportWait = TimeSpan.FromSeconds(-1) }.Validate().Should().ContainSingle().Which.Should().StartWith("MedNode:Export:CommitmentReportWait");
    }
}
