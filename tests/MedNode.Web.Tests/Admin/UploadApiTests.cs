using System.Net;
using System.Text.Json;
using MedNode.Core.Index;
using MedNode.Core.Ingest;
using MedNode.Core.Jobs;
using MedNode.Core.Storage;
using MedNode.Core.Upload;
using MedNode.Persistence;
using MedNode.Persistence.Index;
using MedNode.Persistence.Loop;
using MedNode.Persistence.Storage;
using MedNode.TestSupport;
using MedNode.Web.Admin;
using MedNode.Web.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MedNode.Web.Tests.Admin;

/// <summary>
/// The upload API on a real Kestrel; the files come from nibabel, a hand-written PNG and a corpus JPEG (see make_uploads.py).
/// Declared once, run with the index and job queue in memory (<see cref="UploadApiInMemoryTests"/>) and on PostgreSQL
/// (<see cref="UploadApiPostgresTests"/>).
/// </summary>
public abstract class UploadApiTests : IAsyncLifetime
{
    private const string Script = "Admin/make_uploads.py";
    private const string JpegSource = "jpeg/pydicom__SC_rgb_dcmtk_+eb+cy+s2.dcm";
    private const string UploadKey = "upload-key-4c2e8a";
    private readonly TempDir _dir = new("mednode-upload-");
    private IInstanceIndex _index = null!;
    private IJobQueue _jobs = null!;
    private FileSystemBlobStore _blobs = null!;
    private WebApplication? _app;
    private HttpClient _http = null!;

    /// <summary>Only the model's identity is needed here: no analysis runs.</summary>
    private sealed class KnownModel : IAnalysisRunner
    {
        public string? ModelSha256(string modelId) => modelId == "phantom-lesion" ? new string('a', 64) : null;

        public Task<AnalysisRunResult> RunAsync(AnalysisJob job, IReadOnlyList<InstanceRecord> inputs, IReadOnlyList<MedNode.Dicom.Objects.StructuredReport.SrDocumentReference> predecessorReports, string tempDirectory, CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    /// <summary>The index and the job queue the uploads go to, new for each test.</summary>
    protected abstract Task<(IInstanceIndex Index, IJobQueue Jobs)> NewStoresAsync();

    /// <summary>The blob key the index holds for the instance (read from the index's own store).</summary>
    protected abstract string BlobKeyOf(string sopInstanceUid);

    /// <summary>How many instances the index holds.</summary>
    protected abstract int InstanceCount();

    public async Task InitializeAsync()
    {
        (_index, _jobs) = await NewStoresAsync();
        _blobs = new FileSystemBlobStore(new FileSystemBlobStoreOptions { RootPath = _dir.File("store") });
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        // The uploads come with a sender's API key, as a modality gateway would send them.
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["MedNode:Security:ApiKeys:0:Name"] = "uploader",
            ["MedNode:Security:ApiKeys:0:Sha256"] = Security.SecuredNode.Sha256Hex(UploadKey),
            ["MedNode:Security:ApiKeys:0:Roles:0"] = "sender",
        });
        builder.Services.AddMedNodeSecurity(builder.Configuration);
        builder.Services.AddSingleton(new UploadService(new IngestService(_blobs, _index), _blobs, _index, _jobs, new KnownModel())).AddSingleton<IJobQueue>(_jobs);
        _app = builder.Build();
        _app.UseDeveloperExceptionPage();
        _app.UseMedNodeSecurity();
        _app.MapMedNodeUpload();
        await _app.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };
        _http.DefaultRequestHeaders.Add("X-Api-Key", UploadKey);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        if (_app != null) await _app.DisposeAsync();
        (_index as IDisposable)?.Dispose();
        _dir.Dispose();
    }

    private JsonElement MakeFiles()
    {
        var r = Tools.Run("/usr/bin/python3", [Path.Combine(AppContext.BaseDirectory, Script), _dir.Path, Corpus.FullPath(JpegSource)], TimeSpan.FromSeconds(120));
        r.ExitCode.Should().Be(0, r.StdErr);
        return JsonDocument.Parse(r.StdOut).RootElement;
    }

    private async Task<JsonElement> UploadAsync(string file, string query, HttpStatusCode expected)
    {
        using var content = new StreamContent(File.OpenRead(file));
        var response = await _http.PostAsync("/api/v1/upload" + query, content);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(expected, body);
        return JsonDocument.Parse(body).RootElement;
    }

    private string StoredPath(string sop) => _blobs.GetPath(BlobKeyOf(sop));

    private static void ValidIod(string path)
    {
        var v = Tools.Run("dciodvfy", [path], TimeSpan.FromSeconds(60));
        (v.StdOut + v.StdErr).Split('\n').Where(l => l.StartsWith("Error", StringComparison.Ordinal)).Should().BeEmpty();
    }

    private static string Pydicom(string expression, string path)
    {
        var r = Tools.Run("/usr/bin/python3", ["-c", $"import sys, hashlib, pydicom; ds = pydicom.dcmread(sys.argv[1]); print({expression})", path], TimeSpan.FromSeconds(60));
        r.ExitCode.Should().Be(0, r.StdErr);
        return r.StdOut.Trim();
    }

    [RequiresFact("corpus", "/usr/bin/python3", "dciodvfy")]
    public async Task Upload_NiftiGz_BecomesACtSeriesWithTheSameGeometryAndValues()
    {
        var expected = MakeFiles().GetProperty("nifti");
        var result = await UploadAsync(_dir.File("volume.nii.gz"), "?modality=CT&model=phantom-lesion", HttpStatusCode.Accepted);
        result.GetProperty("format").GetString().Should().Be("NiftiGzip");
        var sops = result.GetProperty("sopInstanceUids").EnumerateArray().Select(e => e.GetString()!).ToList();
        sops.Should().HaveCount(expected.GetProperty("slices").GetInt32());
        var byNumber = sops.ToDictionary(s => int.Parse(Pydicom("ds.InstanceNumber", StoredPath(s))));

        double[] Ds(string sop, string keyword) => Pydicom($"'\\\\'.join(str(v) for v in ds.{keyword})", StoredPath(sop)).Split('\\').Select(double.Parse).ToArray();
        double[] Json(string name) => expected.GetProperty(name).EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Ds(byNumber[1], "ImagePositionPatient").Should().BeEquivalentTo(Json("first_position"), o => o.Using<double>(c => c.Subject.Should().BeApproximately(c.Expectation, 1e-3)).WhenTypeIs<double>());
        Ds(byNumber[4], "ImagePositionPatient").Should().BeEquivalentTo(Json("last_position"), o => o.Using<double>(c => c.Subject.Should().BeApproximately(c.Expectation, 1e-3)).WhenTypeIs<double>());
        Ds(byNumber[1], "ImageOrientationPatient").Should().BeEquivalentTo(Json("orientation"), o => o.Using<double>(c => c.Subject.Should().BeApproximately(c.Expectation, 1e-6)).WhenTypeIs<double>());
        Ds(byNumber[1], "PixelSpacing").Should().BeEquivalentTo(Json("pixel_spacing"), o => o.Using<double>(c => c.Subject.Should().BeApproximately(c.Expectation, 1e-6)).WhenTypeIs<double>());
        var probe = expected.GetProperty("probe");
        var slice = byNumber[probe.GetProperty("k").GetInt32() + 1];
        var value = Pydicom($"float(ds.pixel_array[{probe.GetProperty("j").GetInt32()}, {probe.GetProperty("i").GetInt32()}] * float(ds.RescaleSlope) + float(ds.RescaleIntercept))", StoredPath(slice));
        double.Parse(value).Should().BeApproximately(probe.GetProperty("value").GetDouble(), 1e-3);
        ValidIod(StoredPath(slice));

        var jobId = result.GetProperty("jobId").GetGuid();
        var job = JsonDocument.Parse(await _http.GetStringAsync($"/api/v1/upload/jobs/{jobId}")).RootElement;
        job.GetProperty("state").GetString().Should().Be("Queued");
        job.GetProperty("inputSopInstanceUids").GetArrayLength().Should().Be(sops.Count);
    }

    [RequiresFact("corpus", "/usr/bin/python3", "dciodvfy")]
    public async Task Upload_Png16_BecomesASecondaryCaptureWithTheSamePixels()
    {
        var expected = MakeFiles().GetProperty("png");
        var result = await UploadAsync(_dir.File("grey16.png"), "", HttpStatusCode.Accepted);
        result.GetProperty("jobId").ValueKind.Should().Be(JsonValueKind.Null, "no model was named");
        var path = StoredPath(result.GetProperty("sopInstanceUids")[0].GetString()!);
        Pydicom("ds.SOPClassUID", path).Should().Be("1.2.840.10008.5.1.4.1.1.7");
        Pydicom("(ds.Rows, ds.Columns)", path).Should().Be($"({expected.GetProperty("rows").GetInt32()}, {expected.GetProperty("columns").GetInt32()})");
        Pydicom("hashlib.sha256(ds.PixelData).hexdigest()", path).Should().Be(expected.GetProperty("pixel_sha256").GetString());
        ValidIod(path);
    }

    /// <summary>A plain DICOM Part 10 file is stored as it is, under its own UIDs (no conversion, no new identity),
    /// and a named model queues a job on it. Read back with pydicom.</summary>
    [RequiresFact("corpus", "/usr/bin/python3")]
    public async Task Upload_PlainDicomFile_IsStoredUnderItsOwnUidsWithTheSamePixels()
    {
        var source = Corpus.FullPath(JpegSource);

        var result = await UploadAsync(source, "?model=phantom-lesion", HttpStatusCode.Accepted);

        result.GetProperty("format").GetString().Should().Be("Dicom");
        var sops = result.GetProperty("sopInstanceUids").EnumerateArray().Select(e => e.GetString()!).ToList();
        sops.Should().Equal(Pydicom("ds.SOPInstanceUID", source));
        result.GetProperty("studyInstanceUid").GetString().Should().Be(Pydicom("ds.StudyInstanceUID", source));
        var path = StoredPath(sops[0]);
        Pydicom("ds.file_meta.TransferSyntaxUID", path).Should().Be(Pydicom("ds.file_meta.TransferSyntaxUID", source));
        Pydicom("hashlib.sha256(ds.PixelData).hexdigest()", path).Should().Be(Pydicom("hashlib.sha256(ds.PixelData).hexdigest()", source));
        Pydicom("(ds.PatientID, ds.SeriesInstanceUID)", path).Should().Be(Pydicom("(ds.PatientID, ds.SeriesInstanceUID)", source));
        result.GetProperty("jobId").ValueKind.Should().Be(JsonValueKind.String, "a model was named");
    }

    [RequiresFact("corpus", "/usr/bin/python3", "dciodvfy", "dcmdjpeg")]
    public async Task Upload_Jpeg_IsEncapsulatedAndDecodesLikeTheSource()
    {
        MakeFiles();
        var result = await UploadAsync(_dir.File("image.jpg"), "", HttpStatusCode.Accepted);
        var path = StoredPath(result.GetProperty("sopInstanceUids")[0].GetString()!);
        ValidIod(path);
        // DCMTK decodes our Secondary Capture and the corpus original; the same bitstream gives the same pixels.
        var ours = Tools.Run("dcmdjpeg", [path, _dir.File("ours.dcm")], TimeSpan.FromSeconds(60));
        ours.ExitCode.Should().Be(0, ours.StdErr);
        Tools.Run("dcmdjpeg", [Corpus.FullPath(JpegSource), _dir.File("theirs.dcm")], TimeSpan.FromSeconds(60)).ExitCode.Should().Be(0);
        Pydicom("hashlib.sha256(ds.PixelData).hexdigest()", _dir.File("ours.dcm")).Should().Be(Pydicom("hashlib.sha256(ds.PixelData).hexdigest()", _dir.File("theirs.dcm")));
    }

    [Fact]
    public async Task Upload_NotAnAcceptedFormat_Is415AndNothingIsStored()
    {
        File.WriteAllText(_dir.File("notes.txt"), "this is not an image\n");
        var problem = await UploadAsync(_dir.File("notes.txt"), "?modality=CT", HttpStatusCode.UnsupportedMediaType);
        problem.GetProperty("detail").GetString().Should().Contain("magic bytes");
        InstanceCount().Should().Be(0);
        Directory.EnumerateFiles(_blobs.TempDirectory).Should().BeEmpty("the spooled upload is removed");
    }

    [RequiresFact("corpus", "/usr/bin/python3")]
    public async Task Upload_TruncatedNifti_Is400AndNothingIsStored()
    {
        MakeFiles();
        var nii = _dir.File("volume.nii");
        using (var gz = new System.IO.Compression.GZipStream(File.OpenRead(_dir.File("volume.nii.gz")), System.IO.Compression.CompressionMode.Decompress))
        using (var f = File.Create(nii)) gz.CopyTo(f);
        var bytes = File.ReadAllBytes(nii);
        File.WriteAllBytes(nii, bytes[..(bytes.Length - 20)]);
        var problem = await UploadAsync(nii, "?modality=CT", HttpStatusCode.BadRequest);
        problem.GetProperty("detail").GetString().Should().Contain("truncated");
        InstanceCount().Should().Be(0);
    }

    [Fact]
    public async Task Upload_UnknownModel_Is400()
    {
        File.WriteAllBytes(_dir.File("x.png"), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var problem = await UploadAsync(_dir.File("x.png"), "?model=nope", HttpStatusCode.BadRequest);
        problem.GetProperty("detail").GetString().Should().Contain("not installed");
    }
}

/// <summary>The upload API over the in-memory index and job queue.</summary>
public sealed class UploadApiInMemoryTests : UploadApiTests
{
    private readonly InMemoryInstanceIndex _index = new();

    protected override Task<(IInstanceIndex Index, IJobQueue Jobs)> NewStoresAsync() => Task.FromResult<(IInstanceIndex, IJobQueue)>((_index, new InMemoryJobQueue()));

    protected override string BlobKeyOf(string sopInstanceUid) => _index.All.Single(r => r.SopInstanceUid == sopInstanceUid).BlobKey;

    protected override int InstanceCount() => _index.All.Count;
}

/// <summary>The upload API with the index and the job queue on PostgreSQL (<see cref="PostgresPeer"/>), as `mednode serve` runs them.</summary>
[RequiresPostgres]
public sealed class UploadApiPostgresTests : UploadApiTests
{
    private MedNodeDbContextFactory? _factory;

    protected override async Task<(IInstanceIndex Index, IJobQueue Jobs)> NewStoresAsync()
    {
        _factory = new MedNodeDbContextFactory(Query.IndexDatabases.Postgres(await (await PostgresPeer.GetSharedAsync()).CreateDatabaseAsync()));
        await using (var db = _factory.CreateDbContext()) await PersistenceServiceCollectionExtensions.MigrateAsync(db, CancellationToken.None);
        return (new EfInstanceIndex(_factory), new EfJobQueue(_factory));
    }

    protected override string BlobKeyOf(string sopInstanceUid)
    {
        using var db = _factory!.CreateDbContext();
        return db.Instances.Single(i => i.SopInstanceUid == sopInstanceUid).BlobKey;
    }

    protected override int InstanceCount()
    {
        using var db = _factory!.CreateDbContext();
        return db.Instances.Count();
    }
}
