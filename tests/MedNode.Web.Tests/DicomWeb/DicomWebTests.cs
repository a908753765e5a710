using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using MedNode.TestSupport;
using Microsoft.AspNetCore.WebUtilities;

namespace MedNode.Web.Tests.DicomWeb;

/// <summary>STOW, WADO and QIDO end to end; run on SQLite and on PostgreSQL (the derived classes at the end).</summary>
public abstract class DicomWebTests(DicomWebFixture fx)
{
    private const string AnyTs = "multipart/related; type=\"application/dicom\"; transfer-syntax=*";

    private async Task<(HttpStatusCode Status, JsonElement Json, HttpResponseMessage Response)> GetJsonAsync(string url)
    {
        var response = await fx.Client.GetAsync(url);
        var text = await response.Content.ReadAsStringAsync();
        var json = text.Length > 0 ? JsonDocument.Parse(text).RootElement.Clone() : default;
        return (response.StatusCode, json, response);
    }

    private static List<string> Values(JsonElement array, string tag) =>
        [.. array.EnumerateArray().Select(d => d.GetProperty(tag).GetProperty("Value")[0].GetString()!)];

    private static async Task<List<(string ContentType, byte[] Body)>> ReadPartsAsync(HttpResponseMessage response)
    {
        var boundary = response.Content.Headers.ContentType!.Parameters.Single(p => p.Name == "boundary").Value!.Trim('"');
        var reader = new MultipartReader(boundary, await response.Content.ReadAsStreamAsync());
        var parts = new List<(string, byte[])>();
        while (await reader.ReadNextSectionAsync() is { } section)
        {
            using var ms = new MemoryStream();
            await section.Body.CopyToAsync(ms);
            parts.Add((section.ContentType!, ms.ToArray()));
        }
        return parts;
    }

    private Task<HttpResponseMessage> GetWithAcceptAsync(string url, string accept)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.TryAddWithoutValidation("Accept", accept);
        return fx.Client.SendAsync(request);
    }

    [RequiresFact("corpus"), Trait("Conformance", "PS3.18 10.6.1")]
    public async Task Qido_StudiesByPatientId_ReturnsTheStudyWithDefaults()
    {
        var (status, json, _) = await GetJsonAsync("/dicomweb/studies?PatientID=123456");
        status.Should().Be(HttpStatusCode.OK);
        Values(json, "0020000D").Should().Equal(Golden.CtStudy);
        json[0].GetProperty("00201208").GetProperty("Value")[0].GetInt32().Should().Be(2, "two CT images were stored");
        json[0].GetProperty("00081190").GetProperty("Value")[0].GetString().Should().EndWith("/dicomweb/studies/" + Golden.CtStudy);
    }

    [RequiresTheory("corpus"), Trait("Conformance", "PS3.4 C.2.2.2")]
    [InlineData("PatientName=anon*", Golden.CtStudy)]
    [InlineData("StudyDate=19700101-19801231", Golden.MrStudy)]
    [InlineData("StudyDate=-19701231", "")]
    [InlineData("StudyInstanceUID=" + Golden.MrStudy + ",9.9.9", Golden.MrStudy)]
    [InlineData("00100020=QIN-PROSTATE-01-0001", Golden.MrStudy)]
    [InlineData("ModalitiesInStudy=MR", Golden.MrStudy)]
    [InlineData("PatientID=QIN*&fuzzymatching=true", Golden.MrStudy)]
    public async Task Qido_StudiesMatchingKinds_ReturnExpectedStudy(string query, string expected)
    {
        var (status, json, _) = await GetJsonAsync("/dicomweb/studies?" + query);
        status.Should().Be(HttpStatusCode.OK);
        Values(json, "0020000D").Should().Equal(expected.Length == 0 ? [] : [expected]);
    }

    [RequiresFact("corpus"), Trait("Conformance", "PS3.18 8.3.4.4")]
    public async Task Qido_LimitTruncates_SendsWarningHeader()
    {
        var (_, json, response) = await GetJsonAsync("/dicomweb/studies?StudyInstanceUID=" + Golden.CtStudy + "," + Golden.MrStudy + "&limit=1");
        json.GetArrayLength().Should().Be(1);
        response.Headers.GetValues("Warning").Single().Should().StartWith("299 ");
    }

    [RequiresFact("corpus"), Trait("Conformance", "PS3.18 8.3.4.3")]
    public async Task Qido_IncludeFieldCommaSeparated_ReturnsThoseAttributes()
    {
        var (_, json, _) = await GetJsonAsync($"/dicomweb/studies/{Golden.CtStudy}/series?includefield=00080060,SeriesInstanceUID");
        Values(json, "0020000E").Should().Equal(Golden.CtSeries);
        Values(json, "00080060").Should().Equal("CT");
    }

    [RequiresFact("corpus"), Trait("Conformance", "PS3.18 10.6.1")]
    public async Task Qido_InstancesOfSeriesAndAllSeries_ListStoredObjects()
    {
        var (_, instances, _) = await GetJsonAsync($"/dicomweb/studies/{Golden.CtStudy}/series/{Golden.CtSeries}/instances");
        Values(instances, "00080018").Should().BeEquivalentTo(Golden.CtSop1, Golden.CtSop2);
        var (_, series, _) = await GetJsonAsync("/dicomweb/series?Modality=MR");
        Values(series, "0020000E").Should().Equal(Golden.MrSeries);
        Values(series, "0020000D").Should().Equal(new[] { Golden.MrStudy }, "all-series queries carry the study attributes");
        var (_, all, _) = await GetJsonAsync("/dicomweb/instances?SOPInstanceUID=" + Golden.MrSop);
        Values(all, "00080018").Should().Equal(Golden.MrSop);
    }

    [RequiresTheory, Trait("Conformance", "PS3.18 8.3.4")]
    [InlineData("/dicomweb/studies?NoSuchAttribute=1")]
    [InlineData("/dicomweb/studies?StudyDate=20201340")]
    [InlineData("/dicomweb/studies?StudyDate=20201231-20200101")]
    [InlineData("/dicomweb/studies?limit=x")]
    public async Task Qido_BadQuery_Returns400ProblemJson(string url)
    {
        var response = await fx.Client.GetAsync(url);
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetInt32().Should().Be(400);
    }

    [RequiresFact("corpus"), Trait("Conformance", "PS3.18 10.4.1")]
    public async Task Wado_InstanceAsStored_ReturnsTheStoredBytes()
    {
        using var response = await GetWithAcceptAsync($"/dicomweb/studies/{Golden.MrStudy}/series/{Golden.MrSeries}/instances/{Golden.MrSop}", AnyTs);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var parts = await ReadPartsAsync(response);
        parts.Should().ContainSingle();
        parts[0].ContentType.Should().Contain("application/dicom").And.Contain("1.2.840.10008.1.2.1");
        SHA256.HashData(parts[0].Body).Should().Equal(SHA256.HashData(File.ReadAllBytes(Corpus.FullPath(Golden.MrSlice))));
    }

    [RequiresFact("corpus"), Trait("Conformance", "PS3.18 10.4.1")]
    public async Task Wado_StudyRetrieve_ReturnsEveryInstance()
    {
        using var response = await GetWithAcceptAsync($"/dicomweb/studies/{Golden.CtStudy}", AnyTs + ", */*;q=0.1");
        (await ReadPartsAsync(response)).Should().HaveCount(2);
    }

    [RequiresFact("corpus"), Trait("Conformance", "PS3.18 10.4.1")]
    public async Task Wado_StudyAsStored_HasContentLengthOfTheBodyAndTheStoredFilesAsParts()
    {
        using var response = await GetWithAcceptAsync($"/dicomweb/studies/{Golden.CtStudy}", AnyTs);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var body = await response.Content.ReadAsByteArrayAsync();

        response.Content.Headers.ContentLength.Should().Be(body.Length, "every part goes as stored, so the length is known up front");
        var boundary = response.Content.Headers.ContentType!.Parameters.Single(p => p.Name == "boundary").Value!.Trim('"');
        var reader = new MultipartReader(boundary, new MemoryStream(body));
        var hashes = new List<string>();
        while (await reader.ReadNextSectionAsync() is { } section)
        {
            using var ms = new MemoryStream();
            await section.Body.CopyToAsync(ms);
            hashes.Add(Convert.ToHexString(SHA256.HashData(ms.ToArray())));
        }
        hashes.Should().BeEquivalentTo(new[] { Golden.CtImage1, Golden.CtImage2 }.Select(f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Corpus.FullPath(f))))));
    }

    [RequiresFact("corpus", "dcmdump"), Trait("Conformance", "PS3.18 8.7.3.5")]
    public async Task Wado_ExplicitLittleEndianRequested_TranscodesImplicitInstance()
    {
        using var response = await GetWithAcceptAsync($"/dicomweb/studies/{Golden.CtStudy}/series/{Golden.CtSeries}/instances/{Golden.CtSop1}",
            "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.1");
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var part = (await ReadPartsAsync(response)).Single();
        part.ContentType.Should().Contain("transfer-syntax=1.2.840.10008.1.2.1");
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("x.dcm"), part.Body);
        var dump = Tools.Run("dcmdump", ["-q", "+P", "TransferSyntaxUID", "+P", "SOPInstanceUID", dir.File("x.dcm")]);
        dump.StdOut.Should().Contain("=LittleEndianExplicit").And.Contain(Golden.CtSop1);
    }

    [RequiresTheory("corpus"), Trait("Conformance", "PS3.18 8.7.3")]
    [InlineData("multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.4.50")]
    [InlineData("image/png")]
    public async Task Wado_UnsupportedAccept_Returns406(string accept)
    {
        using var response = await GetWithAcceptAsync($"/dicomweb/studies/{Golden.MrStudy}", accept);
        response.StatusCode.Should().Be(HttpStatusCode.NotAcceptable);
    }

    [RequiresFact("corpus"), Trait("Conformance", "PS3.18 10.4.1.1.2")]
    public async Task Wado_Metadata_HasAttributesAndPixelDataBulkDataUri()
    {
        var (status, json, _) = await GetJsonAsync($"/dicomweb/studies/{Golden.MrStudy}/metadata");
        status.Should().Be(HttpStatusCode.OK);
        Values(json, "00080018").Should().Equal(Golden.MrSop);
        var uri = json[0].GetProperty("7FE00010").GetProperty("BulkDataURI").GetString()!;
        using var response = await GetWithAcceptAsync(new Uri(uri).PathAndQuery, "multipart/related; type=\"application/octet-stream\"");
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await ReadPartsAsync(response)).Single().Body.Length.Should().Be(Golden.MrPixelBytes);
    }

    [RequiresTheory, Trait("Conformance", "PS3.18 10.4")]
    [InlineData("/dicomweb/studies/1.2.3.4")]
    [InlineData("/dicomweb/studies/1.2.3.4/metadata")]
    [InlineData("/dicomweb/studies/1.2.3.4/series/5.6/instances/7.8")]
    public async Task Wado_Absent_Returns404(string url)
    {
        using var response = await GetWithAcceptAsync(url, "*/*");
        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [RequiresTheory]
    [InlineData("/dicomweb/studies/..%2F..%2Fetc/series")]
    [InlineData("/dicomweb/studies/..%2F..%2Fetc%2Fpasswd")]
    [InlineData("/dicomweb/studies/1.2/series/..%2F..%2F..%2Fetc/instances/passwd/metadata")]
    public async Task Web_PathTraversalAttempt_IsRejected(string url)
    {
        using var response = await GetWithAcceptAsync(url, "*/*");
        response.StatusCode.Should().BeOneOf(HttpStatusCode.BadRequest, HttpStatusCode.NotFound);
        (await response.Content.ReadAsStringAsync()).Should().NotContain("root:");
    }

    [RequiresFact, Trait("Conformance", "PS3.18 10.5")]
    public async Task Stow_NotMultipartRelated_Returns415()
    {
        using var response = await fx.Client.PostAsync("/dicomweb/studies", new StringContent("{}", null, "application/json"));
        response.StatusCode.Should().Be(HttpStatusCode.UnsupportedMediaType);
    }

    [RequiresFact("corpus"), Trait("Conformance", "PS3.18 10.5.3")]
    public async Task Stow_OneDicomAndOneGarbagePart_Returns202WithFailure()
    {
        using var response = await fx.Client.PostAsync("/dicomweb/studies",
            Multipart.Parts(("application/dicom", File.ReadAllBytes(Corpus.FullPath(Golden.JpegBaseline))), ("application/dicom", "not a dicom file"u8.ToArray())));
        response.StatusCode.Should().Be(HttpStatusCode.Accepted);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        json.GetProperty("00081198").GetProperty("Value")[0].GetProperty("00081197").GetProperty("Value")[0].GetInt32().Should().Be(0xC000);
        json.GetProperty("00081199").GetProperty("Value").GetArrayLength().Should().Be(1);
        json.GetProperty("00081190").GetProperty("Value")[0].GetString().Should().EndWith("/studies/" + Golden.JpegStudy);
    }

    [RequiresFact("corpus", "dcmdump"), Trait("Conformance", "PS3.18 10.5.3")]
    public async Task Stow_SameInstanceTwiceInOneBody_BothReferencedAndStoredOnce()
    {
        // Parts are ingested while the next ones are received: the second copy must still meet the first as a duplicate.
        const string file = "uncompressed/pydicom__CT_small.dcm";
        var sop = Tools.Run("dcmdump", ["-s", "+P", "0008,0018", Corpus.FullPath(file)]).StdOut.Split('[', ']')[1];
        var study = Tools.Run("dcmdump", ["-s", "+P", "0020,000d", Corpus.FullPath(file)]).StdOut.Split('[', ']')[1];

        using var response = await fx.Client.PostAsync("/dicomweb/studies", Multipart.Dicom(file, file));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        json.TryGetProperty("00081198", out _).Should().BeFalse("neither copy failed");
        Values(json.GetProperty("00081199").GetProperty("Value"), "00081155").Should().Equal(sop, sop);
        var (status, instances, _) = await GetJsonAsync($"/dicomweb/studies/{study}/instances");
        status.Should().Be(HttpStatusCode.OK);
        Values(instances, "00080018").Should().Equal(sop);
    }

    [RequiresFact("corpus"), Trait("Conformance", "PS3.18 10.5.3")]
    public async Task Stow_InstanceOutsideTargetStudy_Returns409()
    {
        using var response = await fx.Client.PostAsync("/dicomweb/studies/1.2.3.999", Multipart.Dicom(Golden.JpegBaseline));
        response.StatusCode.Should().Be(HttpStatusCode.Conflict);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        json.GetProperty("00081198").GetProperty("Value")[0].GetProperty("00081197").GetProperty("Value")[0].GetInt32().Should().Be(0xA900);
    }

    [RequiresFact]
    public async Task Cors_PreflightForAcceptWithTypeParameter_Succeeds()
    {
        var request = new HttpRequestMessage(HttpMethod.Options, "/dicomweb/studies/1.2/series/3.4");
        request.Headers.Add("Origin", DicomWebFixture.Origin);
        request.Headers.Add("Access-Control-Request-Method", "GET");
        request.Headers.Add("Access-Control-Request-Headers", "accept");
        using var response = await fx.Client.SendAsync(request);
        response.IsSuccessStatusCode.Should().BeTrue();
        response.Headers.GetValues("Access-Control-Allow-Origin").Should().Equal(DicomWebFixture.Origin);
        response.Headers.GetValues("Access-Control-Allow-Headers").Single().Should().ContainEquivalentOf("accept");
    }
}

public sealed class SqliteDicomWebTests(SqliteDicomWebFixture fx) : DicomWebTests(fx), IClassFixture<SqliteDicomWebFixture>;

[RequiresPostgres]
public sealed class PostgresDicomWebTests(PostgresDicomWebFixture fx) : DicomWebTests(fx), IClassFixture<PostgresDicomWebFixture>;
