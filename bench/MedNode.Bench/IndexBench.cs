using System.Diagnostics;
using MedNode.Core.Index;
using MedNode.Persistence;
using MedNode.Persistence.Index;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace MedNode.Bench;

/// <summary>
/// The index's share of an ingest, alone: what <c>IngestService</c> asks of <see cref="IInstanceIndex"/> for each new
/// instance (the duplicate lookup, then the insert with its study and series aggregates), for COUNT instances of one
/// study and series on a fresh SQLite index configured as <c>mednode serve</c> configures it (WAL, synchronous=NORMAL),
/// in one thread. Reports the process CPU and the wall time per instance after a warm-up of 200 instances.
/// </summary>
internal static class IndexBench
{
    public static async Task<int> RunAsync(string folder, int count, int repeats)
    {
        Directory.CreateDirectory(folder);
        var results = new List<(double Wall, double Cpu)>();
        for (int r = 0; r < repeats; r++)
        {
            var db = Path.Combine(folder, $"index-{r}-{Guid.NewGuid():N}.db");
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["MedNode:Database:Provider"] = "Sqlite",
                ["MedNode:Database:ConnectionString"] = $"Data Source={db}",
            }).Build();
            await using var services = new ServiceCollection().AddMedNodePersistence(configuration).BuildServiceProvider();
            await services.InitializeMedNodeDatabaseAsync(CancellationToken.None);
            var index = services.GetRequiredService<EfInstanceIndex>();
            var study = $"1.2.826.0.1.3680043.10.543.9.{r}.{Environment.TickCount64}";
            await InsertAsync(index, study, 0, 200); // warm-up: JIT, the first statements
            var process = Process.GetCurrentProcess();
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            await InsertAsync(index, study, 200, count);
            sw.Stop();
            process.Refresh();
            results.Add((sw.Elapsed.TotalMilliseconds / count, (process.TotalProcessorTime - cpu0).TotalMilliseconds / count));
        }
        foreach (var (wall, cpu) in results) Console.WriteLine($"index: {count} inserts, {wall:F3} ms wall and {cpu:F3} ms CPU per instance");
        var median = results.OrderBy(x => x.Cpu).ElementAt(results.Count / 2);
        Console.WriteLine($"median: {median.Wall:F3} ms wall, {median.Cpu:F3} ms CPU per instance");
        return 0;
    }

    private static async Task InsertAsync(IInstanceIndex index, string study, int first, int count)
    {
        for (int i = first; i < first + count; i++)
        {
            var sop = $"{study}.2.{i + 1}";
            if (await index.ContainsInstanceAsync(sop, CancellationToken.None)) throw new InvalidOperationException("Duplicate in the benchmark.");
            await index.AddOrReplaceAsync(new InstanceRecord
            {
                SopInstanceUid = sop,
                SopClassUid = "1.2.840.10008.5.1.4.1.1.2",
                SeriesInstanceUid = study + ".1",
                StudyInstanceUid = study,
                PatientId = "BENCH",
                PatientName = "BENCH^INDEX",
                StudyDate = "20261126",
                Modality = "CT",
                SeriesNumber = "1",
                InstanceNumber = (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
                Rows = 512,
                Columns = 512,
                TransferSyntaxUid = "1.2.840.10008.1.2.1",
                BlobKey = $"00/00/{new string('0', 40)}/{new string('1', 40)}/{sop}.dcm",
                Size = 525348,
                Sha256 = new string('a', 64),
            }, CancellationToken.None);
        }
    }
}
