namespace MedNode.Host;

/// <summary>`mednode serve`: the composition root of the node.</summary>
public static class ServeCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Services.AddMedNodeDimse(builder.Configuration);
        var app = builder.Build();
        app.MapGet("/health/live", () => Results.Ok(new { status = "Healthy" }));
        await app.RunAsync();
        return 0;
    }
}
