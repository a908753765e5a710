using MedNode.Core.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace MedNode.Web.DicomWeb;

public static class DicomWebServiceCollectionExtensions
{
    /// <summary>
    /// Registers DICOMweb options (<c>MedNode:DicomWeb:CorsOrigins</c>, <c>MedNode:DicomWeb:MaxQueryResults</c>) and the
    /// CORS policy. Needs <c>IQueryIndex</c>, <c>IInstanceIndex</c>, <c>IBlobStore</c> and <c>IIngestService</c> in the container.
    /// </summary>
    public static IServiceCollection AddDicomWeb(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(DicomWebOptions.Section).Get<DicomWebOptions>() ?? new DicomWebOptions();
        if (options.MaxQueryResults < 1)
            throw new InvalidOperationException($"{DicomWebOptions.Section}:MaxQueryResults must be at least 1.");
        services.AddSingleton(options);
        services.AddCors(cors => cors.AddPolicy(DicomWebOptions.CorsPolicy, p =>
        {
            if (options.CorsOrigins.Length > 0) p.WithOrigins(options.CorsOrigins);
            // Accept with type= and transfer-syntax= parameters is not CORS-safelisted, so browsers preflight it.
            p.AllowAnyHeader().AllowAnyMethod().WithExposedHeaders("Warning", "Content-Type", "Content-Location", "ETag");
        }));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new DicomWebAccessCoalescer(sp.GetRequiredService<TimeProvider>()));
        return services;
    }
}
