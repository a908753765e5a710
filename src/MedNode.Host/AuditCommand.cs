using MedNode.Core.Audit;
using MedNode.Host.Configuration;
using MedNode.Persistence;

namespace MedNode.Host;

/// <summary>
/// `mednode audit verify [--config FILE] [--MedNode:Database:...]`: walks the audit trail's hash chain in the configured
/// index database and prints the first altered or missing row. Exit code 0 when intact, 1 when not, 2 on usage errors.
/// </summary>
public static class AuditCommand
{
    public const string UsageText = "usage: mednode audit verify [--config FILE] [--MedNode:Database:Provider=... --MedNode:Database:ConnectionString=...]";

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h")
        {
            Console.WriteLine(UsageText);
            return args.Length == 0 ? 2 : 0;
        }
        if (args[0] != "verify") throw new UsageException($"unknown audit command '{args[0]}'; {UsageText}");
        var configuration = new ConfigurationBuilder().AddMedNodeSources(args[1..]).Build();
        var services = new ServiceCollection().AddLogging().AddSingleton(TimeProvider.System).AddMedNodePersistence(configuration).BuildServiceProvider();
        await using (services)
        {
            await services.InitializeMedNodeDatabaseAsync(CancellationToken.None);
            var audit = services.GetRequiredService<IAuditTrail>();
            var result = await AuditChain.VerifyAsync(audit.ReadAsync(AuditQuery.All, CancellationToken.None), CancellationToken.None);
            if (result.IsIntact)
            {
                Console.WriteLine($"audit trail intact: {result.RowsChecked} row(s)");
                return 0;
            }
            Console.WriteLine($"audit trail broken at row {result.FirstBadSequence}: {result.Problem}");
            return 1;
        }
    }
}
