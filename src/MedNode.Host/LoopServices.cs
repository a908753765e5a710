using MedNode.Analysis.Inference;
using MedNode.Analysis.Jobs;
using MedNode.Analysis.Models;
using MedNode.Core.Audit;
using MedNode.Core.Completion;
using MedNode.Core.Export;
using MedNode.Core.Index;
using MedNode.Core.Ingest;
using MedNode.Core.Jobs;
using MedNode.Core.Retention;
using MedNode.Core.Rules;
using MedNode.Core.Storage;
using MedNode.Core.Upload;
using MedNode.Dicom.Network.Server;
using MedNode.Host.Health;

namespace MedNode.Host;

/// <summary>The <c>MedNode:Analysis</c> section: the inference device, threads and the CUDA settings of <see cref="InferenceOptions"/>.</summary>
public sealed class AnalysisSettings
{
    public const string Section = "MedNode:Analysis";

    public InferenceDevice Device { get; set; } = InferenceDevice.Auto;

    public int Threads { get; set; } = 2;

    /// <summary>Tiles per ONNX Runtime Run; unset: 8 on CUDA, 1 on CPU.</summary>
    public int? TileBatch { get; set; }

    public string? CudnnConvAlgoSearch { get; set; }

    public string? CudaArenaExtendStrategy { get; set; }

    public InferenceOptions ToInferenceOptions() => new()
    {
        Device = Device,
        IntraOpNumThreads = Threads,
        TileBatch = TileBatch,
        CudnnConvAlgoSearch = CudnnConvAlgoSearch,
        CudaArenaExtendStrategy = CudaArenaExtendStrategy,
    };
}

/// <summary>
/// The loop of issue #8 in the host: study/series completion → routing rules → durable jobs → analysis → results stored
/// and pushed to destinations through the outbox, with the audit trail. Sections: MedNode:Completion, MedNode:Rules,
/// MedNode:Destinations, MedNode:Jobs, MedNode:Export, MedNode:Models, MedNode:Analysis, MedNode:Retention.
/// </summary>
public static class LoopServiceCollectionExtensions
{
    /// <summary>
    /// Binds the loop's sections. They are validated before, by <see cref="Configuration.ConfigurationCheck"/>, which
    /// <c>mednode serve</c> runs first and <c>mednode config check</c> runs alone.
    /// </summary>
    public static IServiceCollection AddMedNodeLoop(this IServiceCollection services, IConfiguration configuration)
    {
        var completion = configuration.GetSection("MedNode:Completion").Get<CompletionOptions>() ?? new CompletionOptions();
        var destinations = configuration.GetSection("MedNode:Destinations").Get<List<ExportDestination>>() ?? [];
        var catalog = new DestinationCatalog(destinations);
        var rules = configuration.GetSection("MedNode:Rules").Get<List<RoutingRule>>() ?? [];
        var jobOptions = configuration.GetSection("MedNode:Jobs").Get<JobOptions>() ?? new JobOptions();
        var exportOptions = configuration.GetSection("MedNode:Export").Get<ExportOptions>() ?? new ExportOptions();
        var models = configuration.GetSection(ModelSettings.Section).Get<ModelSettings>() ?? new ModelSettings();
        var analysis = configuration.GetSection(AnalysisSettings.Section).Get<AnalysisSettings>() ?? new AnalysisSettings();
        var inference = analysis.ToInferenceOptions();
        var retention = configuration.GetSection(RetentionOptions.Section).Get<RetentionOptions>() ?? new();

        var ruleSource = new RuleSource(RuleEngine.Create(rules));
        services.AddSingleton(catalog).AddSingleton<IDestinationCatalog>(catalog);
        services.AddSingleton(ruleSource).AddSingleton<IRuleSource>(ruleSource);
        services.AddSingleton(completion).AddSingleton(jobOptions).AddSingleton(exportOptions);
        services.AddSingleton(sp => new OnnxAnalysisRunner(models.ResolvePath() ?? models.Path, sp.GetRequiredService<IBlobStore>(),
            inference, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton<IAnalysisRunner>(sp => sp.GetRequiredService<OnnxAnalysisRunner>());
        services.AddSingleton<IInstalledModels>(sp => sp.GetRequiredService<OnnxAnalysisRunner>());
        services.AddSingleton(sp => new ModelSwitchboard(sp.GetRequiredService<MedNode.Core.Admin.IAdminStateStore>(), models.States));
        services.AddSingleton(sp => new RoutingCompletionSink(ruleSource, sp.GetRequiredService<IJobQueue>(), sp.GetRequiredService<IAnalysisRunner>(),
            sp.GetRequiredService<IBlobStore>(), sp.GetRequiredService<ILogger<RoutingCompletionSink>>()));
        services.AddSingleton(sp => new CompletionTracker(new AuditedCompletionSink(sp.GetRequiredService<RoutingCompletionSink>(), sp.GetRequiredService<IAuditTrail>()),
            completion, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<CompletionTracker>>()));
        services.AddSingleton<IInstanceStoredListener>(sp => sp.GetRequiredService<CompletionTracker>());
        services.AddSingleton<IAssociationObserver>(sp => new CompletionAssociationObserver(sp.GetRequiredService<CompletionTracker>()));
        services.AddHttpClient();
        services.AddSingleton(sp => new DestinationTester(sp.GetRequiredService<IHttpClientFactory>().CreateClient("destinations")));
        services.AddSingleton<IExportSender, DimseExportSender>();
        services.AddSingleton<IExportSender>(sp => new StowExportSender(sp.GetRequiredService<IHttpClientFactory>().CreateClient("stow")));
        services.AddSingleton(sp => new ExportCommitment(sp.GetRequiredService<IOutbox>(), catalog, exportOptions, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ExportCommitment>>()));
        services.AddSingleton<IStorageCommitmentReportHandler>(sp => sp.GetRequiredService<ExportCommitment>());
        services.AddSingleton(sp => new ExportWorker(sp.GetRequiredService<IOutbox>(), catalog, sp.GetServices<IExportSender>(), sp.GetRequiredService<IBlobStore>(),
            sp.GetRequiredService<IAuditTrail>(), exportOptions, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ExportWorker>>(), sp.GetRequiredService<ExportCommitment>(),
            sp.GetRequiredService<IInstanceIndex>()));
        services.AddSingleton(sp => new UploadService(sp.GetRequiredService<IIngestService>(), sp.GetRequiredService<IBlobStore>(), sp.GetRequiredService<IInstanceIndex>(),
            sp.GetRequiredService<IJobQueue>(), sp.GetRequiredService<IAnalysisRunner>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new StudyDeletionService(sp.GetRequiredService<IInstanceIndex>(), sp.GetRequiredService<IBlobStore>(), sp.GetRequiredService<IAuditTrail>()));
        services.AddSingleton(retention).AddHostedService<RetentionHostedService>();
        services.AddHostedService<LoopHostedService>();
        return services;
    }
}

/// <summary>Completion on association release: the DIMSE listener tells the completion tracker when each association ends.</summary>
public sealed class CompletionAssociationObserver(CompletionTracker tracker) : IAssociationObserver
{
    public Task OnAssociationEndedAsync(AssociationEnded ended, CancellationToken cancellationToken) =>
        tracker.OnAssociationEndedAsync(ended.AssociationId, ended.Released, cancellationToken);
}

/// <summary>Records a "DICOM Instances Transferred" audit event (PS3.15 §A.5.3.7) for each completed unit, then routes it.</summary>
public sealed class AuditedCompletionSink(ICompletionSink inner, IAuditTrail audit) : ICompletionSink
{
    public async Task OnCompletedAsync(CompletedUnit unit, CancellationToken cancellationToken)
    {
        await audit.AppendAsync(new AuditEvent(AuditEventType.DicomInstancesTransferred, AuditAction.C, AuditOutcome.Success,
            [new AuditParticipant(unit.CallingAeTitle ?? unit.Representative.Channel ?? "unknown", null, true, "Source"), new AuditParticipant(unit.CalledAeTitle ?? "MEDNODE", null, false, "Destination")],
            unit.StudyInstanceUid, unit.Representative.PatientId, $"{unit.SopInstanceUids.Count} instance(s) received, unit version {unit.Version}"), cancellationToken);
        await inner.OnCompletedAsync(unit, cancellationToken);
    }
}

/// <summary>
/// Runs the job workers and the export worker for the life of the host, and records Application Activity (PS3.15
/// §A.5.3.1) at start and stop. Workers poll through <see cref="TimeProvider"/>; a leased job's lease is its crash guard. At start
/// it re-arms completion for units received before the last stop and not yet analysed (<see cref="CompletionRearm"/>).
/// </summary>
public sealed class LoopHostedService(IServiceProvider services, JobOptions jobOptions, TimeProvider time, ILogger<LoopHostedService> log) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await services.GetRequiredService<ModelSwitchboard>().LoadAsync(cancellationToken);
        await services.GetRequiredService<IAuditTrail>().AppendAsync(Activity("started"), cancellationToken);
        if (services.GetRequiredService<IInstanceIndex>() is IRecentInstances recent)
        {
            var rearm = new CompletionRearm(services.GetRequiredService<CompletionTracker>(), recent, services.GetRequiredService<IJobQueue>(), time, services.GetRequiredService<ILogger<CompletionRearm>>());
            await rearm.RearmAsync(services.GetRequiredService<IConfiguration>()[$"{DimseSettings.Section}:AeTitle"] ?? new DimseSettings().AeTitle, cancellationToken);
        }
        await base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await services.GetRequiredService<IAuditTrail>().AppendAsync(Activity("stopped"), CancellationToken.None);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var loops = new List<Task> { ExportLoopAsync(stoppingToken) };
        for (var i = 0; i < jobOptions.Workers; i++) loops.Add(JobLoopAsync(stoppingToken));
        return Task.WhenAll(loops);
    }

    private async Task JobLoopAsync(CancellationToken ct)
    {
        var worker = new JobWorker(services.GetRequiredService<IJobQueue>(), services.GetRequiredService<IAnalysisRunner>(), services.GetRequiredService<IInstanceIndex>(),
            services.GetRequiredService<IIngestService>(), services.GetRequiredService<IBlobStore>(), services.GetRequiredService<IOutbox>(),
            services.GetRequiredService<IDestinationCatalog>(), services.GetRequiredService<IAuditTrail>(), time, services.GetRequiredService<ILogger<JobWorker>>(),
            services.GetRequiredService<ModelSwitchboard>())
        { StageDelayForTesting = jobOptions.StageDelayForTesting };
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (await worker.RunOnceAsync(jobOptions.Lease, ct) == null) await Task.Delay(jobOptions.PollInterval, time, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                log.LogError(ex, "The job worker failed; retrying");
                await Task.Delay(jobOptions.PollInterval, time, ct).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task ExportLoopAsync(CancellationToken ct)
    {
        var exporter = services.GetRequiredService<ExportWorker>();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (await exporter.RunOnceAsync(ct) == 0) await Task.Delay(TimeSpan.FromSeconds(1), time, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                log.LogError(ex, "The export worker failed; retrying");
                await Task.Delay(TimeSpan.FromSeconds(1), time, ct).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private static AuditEvent Activity(string what) => new(AuditEventType.ApplicationActivity, AuditAction.E, AuditOutcome.Success,
        [new AuditParticipant("mednode", Environment.MachineName, true, "Application")], Detail: $"MedNode {what} (pid {Environment.ProcessId})");
}
