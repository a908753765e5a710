using System.Net;
using System.Numerics;
using System.Security.Cryptography;
using MedNode.Dicom;
using MedNode.TestSupport;
using Microsoft.AspNetCore.WebUtilities;

namespace MedNode.Web.Tests.DicomWeb;

/// <summary>
/// WADO-RS of instances larger than the handler's read-and-flush block (1 MiB): each stored file comes back whole, read in
/// several blocks at increasing offsets, with small instances before and between them. Run on SQLite and on PostgreSQL.
/// </summary>
public abstract class WadoLargeInstanceTests(DicomWebFixture fx)
{
    [RequiresFact("corpus"), Trait("Conformance", "PS3.18 10.4.1")]
    public async Task Wado_StudyWithInstancesLargerThanTheCopyBlock_ReturnsEveryStoredFileWhole()
    {
        var study = NewUid();
        var series = NewUid();
        // 3.3 MiB, 40 KiB and 2.1 MiB of pixel data: 4, 1 and 3 reads of up to 1 MiB, and flushes inside and between parts.
        (int Rows, int Columns)[] sizes = [(1200, 1440), (128, 160), (1024, 1100)];
        var sent = new List<byte[]>();
        var template = DicomFile.Open(Corpus.FullPath(Golden.MrSlice)).Dataset;
        for (var i = 0; i < sizes.Length; i++)
        {
            var (rows, columns) = sizes[i];
            var pixels = new byte[rows * columns * 2];
            new Random(i + 1).NextBytes(pixels);
            var ds = template.Clone()
                .AddOrUpdate(DicomTags.StudyInstanceUID, DicomVR.UI, study)
                .AddOrUpdate(DicomTags.SeriesInstanceUID, DicomVR.UI, series)
                .AddOrUpdate(DicomTags.SOPInstanceUID, DicomVR.UI, NewUid())
                .AddOrUpdate(DicomTags.InstanceNumber, DicomVR.IS, (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture))
                .AddOrUpdate(DicomTags.Rows, (ushort)rows)
                .AddOrUpdate(DicomTags.Columns, (ushort)columns)
                .AddOrUpdate(DicomTags.PixelData, DicomVR.OW, pixels);
            using var ms = new MemoryStream();
            DicomFileWriter.Write(ms, ds, DicomTransferSyntax.ExplicitVRLittleEndian);
            sent.Add(ms.ToArray());
        }
        using (var stow = await fx.Client.PostAsync("/dicomweb/studies", Multipart.Parts([.. sent.Select(b => ("application/dicom", b))])))
            stow.StatusCode.Should().Be(HttpStatusCode.OK, await stow.Content.ReadAsStringAsync());

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/dicomweb/studies/{study}");
        request.Headers.TryAddWithoutValidation("Accept", "multipart/related; type=\"application/dicom\"; transfer-syntax=*");
        using var response = await fx.Client.SendAsync(request);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var body = await response.Content.ReadAsByteArrayAsync();
        response.Content.Headers.ContentLength.Should().Be(body.Length);
        var boundary = response.Content.Headers.ContentType!.Parameters.Single(p => p.Name == "boundary").Value!.Trim('"');
        var reader = new MultipartReader(boundary, new MemoryStream(body)) { BodyLengthLimit = null };
        var received = new List<string>();
        while (await reader.ReadNextSectionAsync() is { } section)
        {
            using var ms = new MemoryStream();
            await section.Body.CopyToAsync(ms);
            received.Add(Convert.ToHexString(SHA256.HashData(ms.ToArray())));
        }

        received.Should().BeEquivalentTo(sent.Select(b => Convert.ToHexString(SHA256.HashData(b))), "each part is a stored file, byte for byte");
    }

    private static string NewUid() => "2.25." + new BigInteger(Guid.NewGuid().ToByteArray(), isUnsigned: true).ToString(System.Globalization.CultureInfo.InvariantCulture);
}

public sealed class SqliteWadoLargeInstanceTests(SqliteDicomWebFixture fx) : WadoLargeInstanceTests(fx), IClassFixture<SqliteDicomWebFixture>;

public sealed class PostgresWadoLargeInstanceTests(PostgresDicomWebFixture fx) : WadoLargeInstanceTests(fx), IClassFixture<PostgresDicomWebFixture>;
