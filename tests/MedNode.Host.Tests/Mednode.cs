using MedNode.TestSupport;

namespace MedNode.Host.Tests;

/// <summary>Runs the real `mednode` executable (built beside the tests) as a separate process.</summary>
internal static class Mednode
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "mednode.dll");

    public static Tools.Result Run(params string[] args) =>
        Tools.Run("dotnet", [Dll, .. args], TimeSpan.FromMinutes(2));

    /// <summary>Runs it with <paramref name="workDir"/> as the working directory.</summary>
    public static Tools.Result RunIn(string workDir, params string[] args) =>
        Tools.Run("dotnet", [Dll, .. args], TimeSpan.FromMinutes(2), workDir: workDir);
}
