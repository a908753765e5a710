using System.Reflection;

namespace MedNode.Architecture.Tests;

/// <summary>Guards the layering of ../shared/STYLE.md by reading each assembly's references.</summary>
public class LayeringTests
{
    // Project → the MedNode assemblies and the third-party families it may reference.
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["MedNode.Dicom.Native"] = [],
        ["MedNode.Dicom"] = ["MedNode.Dicom.Native"],
        ["MedNode.Dicom.Network"] = ["MedNode.Dicom", "MedNode.Dicom.Native"],
        ["MedNode.Dicom.Objects"] = ["MedNode.Dicom", "MedNode.Dicom.Native"],
        ["MedNode.Core"] = ["MedNode.Dicom", "MedNode.Dicom.Native", "MedNode.Dicom.Network", "MedNode.Dicom.Objects"],
        ["MedNode.Persistence"] = ["MedNode.Core", "MedNode.Dicom", "MedNode.Dicom.Native", "MedNode.Dicom.Network", "MedNode.Dicom.Objects"],
        ["MedNode.Analysis"] = ["MedNode.Core", "MedNode.Dicom", "MedNode.Dicom.Native", "MedNode.Dicom.Network", "MedNode.Dicom.Objects"],
        ["MedNode.Web"] = ["MedNode.Core", "MedNode.Dicom", "MedNode.Dicom.Native", "MedNode.Dicom.Objects"],
    };

    // Third-party assemblies forbidden per layer (Core never references EF, ASP.NET or ONNX).
    // Logging and metrics libraries (Serilog, prometheus-net) are the host's choice: lower layers use the abstractions and BCL meters.
    private static readonly string[] Frameworks = ["Microsoft.EntityFrameworkCore", "Microsoft.AspNetCore", "Microsoft.ML.OnnxRuntime", "Npgsql", "Serilog", "Prometheus"];

    public static TheoryData<string> Projects => new(Allowed.Keys);

    [Theory]
    [MemberData(nameof(Projects))]
    public void Assembly_References_OnlyLowerLayers(string name)
    {
        var asm = Assembly.Load(name);
        var refs = asm.GetReferencedAssemblies().Select(r => r.Name!).ToList();
        var mednodeRefs = refs.Where(r => r.StartsWith("MedNode", StringComparison.Ordinal)).ToList();
        mednodeRefs.Should().BeSubsetOf(Allowed[name], $"{name} may reference only its lower layers (STYLE.md)");

        var forbidden = name switch
        {
            "MedNode.Persistence" => Frameworks.Where(f => f != "Microsoft.EntityFrameworkCore" && f != "Npgsql"),
            "MedNode.Analysis" => Frameworks.Where(f => f != "Microsoft.ML.OnnxRuntime"),
            "MedNode.Web" => Frameworks.Where(f => f != "Microsoft.AspNetCore"),
            _ => Frameworks,
        };
        refs.Where(r => forbidden.Any(f => r.StartsWith(f, StringComparison.Ordinal)))
            .Should().BeEmpty($"{name} must not depend on those frameworks");
    }

    [Fact]
    public void NetworkAndWeb_NeverReferenceEachOther()
    {
        Assembly.Load("MedNode.Dicom.Network").GetReferencedAssemblies().Select(r => r.Name).Should().NotContain("MedNode.Web");
        Assembly.Load("MedNode.Web").GetReferencedAssemblies().Select(r => r.Name).Should().NotContain("MedNode.Dicom.Network");
    }
}
