using System.Net;
using System.Text.Json;
using MedNode.Core.Index;
using MedNode.Core.Storage;
using MedNode.Persistence.Storage;
using MedNode.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace MedNode.Web.Tests.DicomWeb;

/// <summary>
/// Issue 4: WADO-RS instances, frames and rendered images all read through the blob store's one integrity policy
/// (MedNode:Storage:VerifyOnRead, WhenChanged here): a STOW records its own SHA-256 as verified, so the first retrieval
/// does not hash the file again, and a file changed after ingest is refused on every one of these paths.
/// </summary>
public sealed class ReadPathIntegrityTests(SqliteDicomWebFixture fx) : IClassFixture<SqliteDicomWebFixture>
{
    private const string AnyTs = "multipart/related; type=\"application/dicom\"; transfer-syntax=*";

    private FileSystemBlobStore Store => (FileSystemBlobStore)fx.Services.GetRequiredService<IBlobStore>();

    private async Task<HttpResponseMessage> GetAsync(string url, string? accept = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (accept != null) request.Headers.TryAddWithoutValidation("Accept", accept);
        return await fx.Client.SendAsync(request);
    }

    /// <summary>Flips one byte near the end of the stored file (in the pixel data) with an ordinary write, keeping its size.</summary>
    private async Task CorruptAsync(string sopInstanceUid)
    {
        var record = await fx.Services.GetRequiredService<IInstanceIndex>().FindInstanceAsync(sopInstanceUid, CancellationToken.None);
        var path = Store.GetPath(record!.BlobKey);
        await using var fs = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        fs.Position = fs.Length - 10;
        var b = fs.ReadByte();
        fs.Position = fs.Length - 10;
        fs.WriteByte((byte)(b ^ 0xFF));
    }

    private static async Task ShouldBeCorruptedProblemAsync(HttpResponseMessage response)
    {
        response.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        problem.GetProperty("title").GetString().Should().Be("Stored instance corrupted");
    }

    [RequiresFact("corpus")]
    public async Task Wado_FirstRetrieveAfterStow_DoesNotHashAndALaterChangeIsRefused()
    {
        var url = $"/dicomweb/studies/{Golden.MrStudy}/series/{Golden.MrSeries}/instances/{Golden.MrSop}";
        var hashes = Store.Integrity.ReadHashes;
        var corrupted = Store.Integrity.Status.Corrupted;

        using (var first = await GetAsync(url, AnyTs)) first.StatusCode.Should().Be(HttpStatusCode.OK);
        Store.Integrity.ReadHashes.Should().Be(hashes, "STOW recorded the SHA-256 it computed while writing as verified");

        await CorruptAsync(Golden.MrSop);
        using var after = await GetAsync(url, AnyTs);

        await ShouldBeCorruptedProblemAsync(after);
        Store.Integrity.ReadHashes.Should().Be(hashes + 1, "the write moved the file's stamp, so the read hashed it");
        Store.Integrity.Status.Corrupted.Should().Be(corrupted + 1);
    }

    [RequiresFact("corpus")]
    public async Task Frames_CorruptedInstance_Returns500ProblemNotPixels()
    {
        var url = $"/dicomweb/studies/{Golden.CtStudy}/series/{Golden.CtSeries}/instances/{Golden.CtSop1}/frames/1";
        using (var before = await GetAsync(url)) before.StatusCode.Should().Be(HttpStatusCode.OK);
        await CorruptAsync(Golden.CtSop1);

        using var response = await GetAsync(url);

        await ShouldBeCorruptedProblemAsync(response);
    }

    [RequiresFact("corpus")]
    public async Task Rendered_CorruptedInstance_Returns500ProblemNotAnImage()
    {
        var url = $"/dicomweb/studies/{Golden.CtStudy}/series/{Golden.CtSeries}/instances/{Golden.CtSop2}/rendered";
        using (var before = await GetAsync(url)) before.StatusCode.Should().Be(HttpStatusCode.OK);
        await CorruptAsync(Golden.CtSop2);

        using var response = await GetAsync(url);
        using var thumbnail = await GetAsync(url.Replace("/rendered", "/thumbnail", StringComparison.Ordinal));

        await ShouldBeCorruptedProblemAsync(response);
        await ShouldBeCorruptedProblemAsync(thumbnail);
    }
}
