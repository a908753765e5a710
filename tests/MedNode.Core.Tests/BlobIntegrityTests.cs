using System.Security.Cryptography;
using MedNode.Core.Index;
using MedNode.Core.Storage;
using MedNode.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace MedNode.Core.Tests;

/// <summary>
/// The read policies and the scrub of <see cref="BlobIntegrityService"/> over real files. A "stealth" change flips a byte
/// and puts the file's modification time back, as bit rot would leave it; a plain change is an ordinary write.
/// </summary>
public sealed class BlobIntegrityTests : IDisposable
{
    private static readonly DateTime OldWrite = new(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);

    private readonly TempDir _dir = new("mednode-integrity-");
    private readonly PathBlobs _blobs;
    // Checks happen a day after the files' (back-dated) modification: well outside the racy window.
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(OldWrite).AddDays(1));

    public BlobIntegrityTests() => _blobs = new PathBlobs(_dir.Path);

    public void Dispose() => _dir.Dispose();

    /// <summary>A file of distinct bytes, back-dated; returns its path (the key) and its SHA-256.</summary>
    private (string Key, string Sha256) Blob(string name, int size = 300_000)
    {
        var path = _dir.File(name);
        var bytes = new byte[size];
        for (int i = 0; i < size; i++) bytes[i] = (byte)(i * 31 + 7);
        File.WriteAllBytes(path, bytes);
        File.SetLastWriteTimeUtc(path, OldWrite);
        return (path, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    private static void FlipByte(string path, bool keepTimes)
    {
        var mtime = File.GetLastWriteTimeUtc(path);
        using (var fs = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            fs.Position = 1000;
            int b = fs.ReadByte();
            fs.Position = 1000;
            fs.WriteByte((byte)(b ^ 0x5A));
        }
        if (keepTimes) File.SetLastWriteTimeUtc(path, mtime);
    }

    private BlobIntegrityService Service(VerifyOnRead policy, TimeProvider? clock = null) => new(_blobs, new BlobIntegrityOptions { VerifyOnRead = policy }, clock ?? _clock);

    private static void Read(BlobIntegrityService service, string key, string sha)
    {
        using var s = service.OpenRead(key, sha);
        s.Position.Should().Be(0);
    }

    private static InstanceRecord Record(string key, string sha, string sop, DateTimeOffset receivedAt = default) => new()
    {
        SopInstanceUid = sop, SopClassUid = "1.2.840.10008.5.1.4.1.1.2", StudyInstanceUid = "1.2.3." + sop, SeriesInstanceUid = "1.2.3.4." + sop,
        TransferSyntaxUid = "1.2.840.10008.1.2.1", BlobKey = key, Sha256 = sha, ReceivedAt = receivedAt,
    };

    [Fact]
    public void OpenRead_Always_StealthChange_Throws()
    {
        var (key, sha) = Blob("a.dcm");
        var service = Service(VerifyOnRead.Always);
        Read(service, key, sha);
        FlipByte(key, keepTimes: true);

        var read = () => Read(service, key, sha);

        read.Should().Throw<BlobIntegrityException>();
        service.Status.Corrupted.Should().Be(1);
    }

    [Fact]
    public void OpenRead_WhenChanged_PlainChangeAfterAVerifiedRead_Throws()
    {
        var (key, sha) = Blob("a.dcm");
        var service = Service(VerifyOnRead.WhenChanged);
        Read(service, key, sha);
        FlipByte(key, keepTimes: false);

        var read = () => Read(service, key, sha);

        read.Should().Throw<BlobIntegrityException>("the write moved the modification time off the verified stamp");
    }

    [Fact]
    public async Task OpenRead_WhenChanged_StealthChange_IsServedUntilTheScrubFindsItThenThrows()
    {
        var (key, sha) = Blob("a.dcm");
        var index = new InMemoryInstanceIndex();
        await index.AddOrReplaceAsync(Record(key, sha, "1"), CancellationToken.None);
        var service = Service(VerifyOnRead.WhenChanged);
        Read(service, key, sha);
        FlipByte(key, keepTimes: true);
        Read(service, key, sha); // the stamp is the verified one: no hash, by design

        var report = await service.ScrubAsync(index.ListReceivedSinceAsync(DateTimeOffset.MinValue, CancellationToken.None), index, CancellationToken.None);

        report.Should().Match<BlobScrubReport>(r => r.Checked == 1 && r.Corrupted == 1 && r.Missing == 0 && r.Bytes == 300_000);
        service.Status.Corrupted.Should().Be(1);
        service.Status.LastScrub.Should().Be(report);
        var read = () => Read(service, key, sha);
        read.Should().Throw<BlobIntegrityException>();
    }

    [Fact]
    public async Task OpenRead_Never_PlainChange_IsServedUntilTheScrubFindsItThenThrowsUntilRestored()
    {
        var (key, sha) = Blob("a.dcm");
        var index = new InMemoryInstanceIndex();
        await index.AddOrReplaceAsync(Record(key, sha, "1"), CancellationToken.None);
        var service = Service(VerifyOnRead.Never);
        FlipByte(key, keepTimes: false);
        Read(service, key, sha);

        await service.ScrubAsync(index.ListReceivedSinceAsync(DateTimeOffset.MinValue, CancellationToken.None), index, CancellationToken.None);

        var read = () => Read(service, key, sha);
        read.Should().Throw<BlobIntegrityException>("a file the scrub found corrupted is checked on every read");
        FlipByte(key, keepTimes: false); // restored from a backup, say
        read.Should().NotThrow();
        service.Status.Corrupted.Should().Be(0);
    }

    [Fact]
    public void OpenRead_WhenChanged_CheckWithinTheRacyWindowOfTheLastWrite_IsNotTrusted()
    {
        var (key, sha) = Blob("a.dcm");
        var service = Service(VerifyOnRead.WhenChanged, new FakeTimeProvider(new DateTimeOffset(OldWrite) + BlobIntegrityService.RacyWindow / 2));
        Read(service, key, sha);
        FlipByte(key, keepTimes: true);

        var read = () => Read(service, key, sha);

        read.Should().Throw<BlobIntegrityException>("a write in the same clock tick could have kept the stamp, so the first check was not remembered");
    }

    private static BlobStamp StampOf(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read);
        return BlobStamp.Of(fs);
    }

    [Fact]
    public void RecordCommitted_FileAsHashed_FirstReadDoesNotHash()
    {
        var (key, sha) = Blob("a.dcm");
        var service = Service(VerifyOnRead.WhenChanged);

        service.RecordCommitted(key, sha, StampOf(key), _clock.GetUtcNow().UtcDateTime);
        Read(service, key, sha);

        service.ReadHashes.Should().Be(0);
    }

    [Fact]
    public void RecordCommitted_FileWrittenAfterItsHash_IsNotTrustedAndTheReadFindsTheChange()
    {
        var (key, sha) = Blob("a.dcm");
        var service = Service(VerifyOnRead.WhenChanged);
        var hashed = StampOf(key);
        FlipByte(key, keepTimes: false);

        service.RecordCommitted(key, sha, hashed, _clock.GetUtcNow().UtcDateTime);
        var read = () => Read(service, key, sha);

        read.Should().Throw<BlobIntegrityException>();
        service.ReadHashes.Should().Be(1);
    }

    [Fact]
    public async Task Scrub_MissingFileStillIndexed_CountsItMissing()
    {
        var (key, sha) = Blob("a.dcm");
        var index = new InMemoryInstanceIndex();
        await index.AddOrReplaceAsync(Record(key, sha, "1"), CancellationToken.None);
        File.Delete(key);
        var service = Service(VerifyOnRead.WhenChanged);

        var report = await service.ScrubAsync(index.ListReceivedSinceAsync(DateTimeOffset.MinValue, CancellationToken.None), index, CancellationToken.None);

        report.Missing.Should().Be(1);
        service.Status.Corrupted.Should().Be(1);
    }

    [Fact]
    public async Task Scrub_FileDeletedWithItsStudyDuringTheScrub_IsNotCounted()
    {
        var (key, sha) = Blob("a.dcm");
        var record = Record(key, sha, "1");
        var index = new InMemoryInstanceIndex();
        File.Delete(key); // listed before the deletion, deleted from the index and the store while the scrub runs

        var report = await Service(VerifyOnRead.WhenChanged).ScrubAsync(new[] { record }.ToAsyncEnumerable(), index, CancellationToken.None);

        report.Missing.Should().Be(0);
        report.Checked.Should().Be(0);
    }

    [Fact]
    public async Task AllInstancesAsync_EqualReceiveTimesAcrossPages_YieldsEachInstanceOnce()
    {
        var index = new InMemoryInstanceIndex();
        var t0 = new DateTimeOffset(2026, 11, 26, 10, 0, 0, TimeSpan.Zero);
        // Five instances share one receive time, so every page boundary falls inside a run of equal times.
        var times = new[] { t0, t0.AddSeconds(1), t0.AddSeconds(1), t0.AddSeconds(1), t0.AddSeconds(1), t0.AddSeconds(1), t0.AddSeconds(2) };
        for (int i = 0; i < times.Length; i++) await index.AddOrReplaceAsync(Record("k" + i, "", (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), times[i]), CancellationToken.None);

        var seen = new List<string>();
        await foreach (var r in BlobIntegrityService.AllInstancesAsync(index, pageSize: 2, CancellationToken.None)) seen.Add(r.SopInstanceUid);

        seen.Should().BeEquivalentTo(["1", "2", "3", "4", "5", "6", "7"]);
        seen.Should().OnlyHaveUniqueItems();
    }
}
