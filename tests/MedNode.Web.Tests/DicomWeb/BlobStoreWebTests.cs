using System.Net;
using System.Text.Json;
using MedNode.Core.Index;
using MedNode.Core.Storage;
using MedNode.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace MedNode.Web.Tests.DicomWeb;

/// <summary>WADO-RS over a blob whose bytes changed after ingest: the SHA-256 recorded at ingest catches it.</summary>
public sealed class WadoIntegrityTests(SqliteDicomWebFixture fx) : IClassFixture<SqliteDicomWebFixture>
{
    private const string AnyTs = "multipart/related; type=\"application/dicom\"; transfer-syntax=*";

    private async Task<HttpResponseMessage> GetAsync(string url, string accept = AnyTs)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.TryAddWithoutValidation("Accept", accept);
        return await fx.Client.SendAsync(request);
    }

    /// <summary>Flips one byte near the end of the stored file (in the pixel data), keeping its size.</summary>
    private async Task CorruptAsync(string sopInstanceUid)
    {
        var record = await fx.Services.GetRequiredService<IInstanceIndex>().FindInstanceAsync(sopInstanceUid, CancellationToken.None);
        var path = fx.Services.GetRequiredService<IBlobStore>().GetPath(record!.BlobKey);
        await using var fs = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        fs.Position = fs.Length - 10;
        var b = fs.ReadByte();
        fs.Position = fs.Length - 10;
        fs.WriteByte((byte)(b ^ 0xFF));
    }

    [RequiresFact("corpus")]
    public async Task Wado_CorruptedSingleInstance_Returns500ProblemNotData()
    {
        var url = $"/dicomweb/studies/{Golden.MrStudy}/series/{Golden.MrSeries}/instances/{Golden.MrSop}";
        using (var before = await GetAsync(url)) before.StatusCode.Should().Be(HttpStatusCode.OK);
        await CorruptAsync(Golden.MrSop);

        using var response = await GetAsync(url);

        response.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        problem.GetProperty("title").GetString().Should().Be("Stored instance corrupted");
    }

    [RequiresFact("corpus")]
    public async Task Wado_StudyWhoseSecondInstanceIsCorrupted_AbortsTheResponse()
    {
        var url = $"/dicomweb/studies/{Golden.CtStudy}";
        using (var before = await GetAsync(url)) before.StatusCode.Should().Be(HttpStatusCode.OK);
        var order = await fx.Services.GetRequiredService<IInstanceIndex>().GetInstancesAsync(Golden.CtStudy, null, CancellationToken.None);
        order.Should().HaveCount(2);
        await CorruptAsync(order[1].SopInstanceUid);

        // The first part went out with a 200; the second is never sent and the connection is cut, so reading the body fails.
        var read = async () => { using var r = await GetAsync(url); };

        await read.Should().ThrowAsync<HttpRequestException>();
    }
}

/// <summary>STOW-RS while the blob store is below its free-space watermark.</summary>
public sealed class StowWatermarkTests(FullDiskDicomWebFixture fx) : IClassFixture<FullDiskDicomWebFixture>
{
    [RequiresFact("corpus"), Trait("Conformance", "PS3.18 10.5.3")]
    public async Task Stow_StoreBelowWatermark_Returns507WithOutOfResourcesFailure()
    {
        using var response = await fx.Client.PostAsync("/dicomweb/studies", Multipart.Dicom(Golden.MrSlice));

        response.StatusCode.Should().Be(HttpStatusCode.InsufficientStorage);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var failed = body.GetProperty("00081198").GetProperty("Value")[0];
        failed.GetProperty("00081155").GetProperty("Value")[0].GetString().Should().Be(Golden.MrSop);
        failed.GetProperty("00081197").GetProperty("Value")[0].GetInt32().Should().Be(0xA700);
        (await fx.Services.GetRequiredService<IInstanceIndex>().FindInstanceAsync(Golden.MrSop, CancellationToken.None)).Should().BeNull();
    }
}
