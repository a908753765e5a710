using System.Net;
using System.Text.Json;

namespace MedNode.Web.Tests.DicomWeb;

public sealed class NodeApiTests(SqliteDicomWebFixture fx) : IClassFixture<SqliteDicomWebFixture>
{
    [Fact]
    public async Task OpenApi_Document_DescribesHealthAndLeavesOutDicomWeb()
    {
        using var response = await fx.Client.GetAsync("/openapi/v1.json");
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
        var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        doc.GetProperty("openapi").GetString().Should().StartWith("3.");
        var paths = doc.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        paths.Should().Contain("/health/live");
        paths.Should().NotContain(p => p.StartsWith("/dicomweb", StringComparison.Ordinal));
        var get = doc.GetProperty("paths").GetProperty("/health/live").GetProperty("get");
        get.GetProperty("operationId").GetString().Should().Be("GetLiveness");
        get.GetProperty("responses").GetProperty("200").GetProperty("content").TryGetProperty("application/json", out _).Should().BeTrue();
    }

    [Fact]
    public async Task Health_Live_ReturnsHealthyAsTheDocumentSays()
    {
        using var response = await fx.Client.GetAsync("/health/live");
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString().Should().Be("Healthy");
    }
}
