using System.Diagnostics;
using System.Numerics;
using MedNode.Dicom;
using MedNode.TestSupport;
using Xunit.Abstractions;

namespace MedNode.Host.Tests;

/// <summary>
/// Issue 9, graceful shutdown: SIGTERM while DCMTK storescu sends many files stops the listener, lets the C-STORE in
/// flight finish and aborts the association; every file storescu saw acknowledged is in the store afterwards.
/// </summary>
public sealed class ShutdownTests(ITestOutputHelper output) : IDisposable
{
    private const int FileCount = 400;
    private readonly TempDir _dir = new("mednode-sigterm-");

    [RequiresFact("corpus", "storescu")]
    [Trait("Conformance", "PS3.8 7.3")]
    public void Serve_SigtermDuringStorescu_EveryAcknowledgedInstanceIsStored()
    {
        var source = DicomFile.Open(Corpus.FullPath("uncompressed/pydicom__CT_small.dcm"));
        var input = Directory.CreateDirectory(Path.Combine(_dir.Path, "input")).FullName;
        var sopByFile = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < FileCount; i++)
        {
            var sop = "2.25." + new BigInteger(Guid.NewGuid().ToByteArray(), isUnsigned: true).ToString(System.Globalization.CultureInfo.InvariantCulture);
            source.Dataset.AddOrUpdate(DicomTags.SOPInstanceUID, DicomVR.UI, sop);
            var path = Path.Combine(input, $"f{i:D4}.dcm");
            source.Save(path);
            sopByFile[path] = sop;
        }
        var nodeDir = Directory.CreateDirectory(Path.Combine(_dir.Path, "node")).FullName;
        using var node = NodeProcess.Start(nodeDir);
        var store = Path.Combine(nodeDir, "data", "store");

        // storescu -v logs "Sending file: PATH" and then the response of each C-STORE; both streams go to one file.
        var log = Path.Combine(_dir.Path, "storescu.log");
        var psi = new ProcessStartInfo("sh", ["-c", "exec storescu -v -aec MEDNODE 127.0.0.1 \"$0\" +sd \"$1\" > \"$2\" 2>&1", node.DimsePortText, input, log]);
        psi.Environment["TCP_NODELAY"] = "1";
        using var storescu = Process.Start(psi)!;
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (StoredCount(store) < 20)
        {
            storescu.HasExited.Should().BeFalse("storescu should still be sending when SIGTERM arrives");
            DateTime.UtcNow.Should().BeBefore(deadline, "storescu should store 20 files within two minutes");
            Thread.Sleep(50);
        }
        node.Terminate();
        node.Process.WaitForExit(120_000).Should().BeTrue("mednode stops on SIGTERM");
        node.Process.ExitCode.Should().Be(0);
        storescu.WaitForExit(120_000).Should().BeTrue();

        var acknowledged = Acknowledged(File.ReadAllLines(log));
        acknowledged.Should().HaveCountGreaterThanOrEqualTo(20);
        var stored = Directory.GetFiles(store, "*.dcm", SearchOption.AllDirectories).Select(Path.GetFileNameWithoutExtension).ToHashSet(StringComparer.Ordinal);
        foreach (var file in acknowledged)
            stored.Should().Contain(sopByFile[file], $"storescu received a success response for {Path.GetFileName(file)}");
        Directory.GetFiles(Path.Combine(store, ".tmp")).Should().BeEmpty("no spooled file is left behind");
        output.WriteLine($"{acknowledged.Count} of {FileCount} files acknowledged before the node stopped; storescu exit code {storescu.ExitCode}");
        if (acknowledged.Count < FileCount)
            node.Output.Should().Contain("Server stopping: association", "the association was ended by the drain, between messages");
    }

    private static int StoredCount(string store) =>
        Directory.Exists(store) ? Directory.GetFiles(store, "*.dcm", SearchOption.AllDirectories).Length : 0;

    /// <summary>The files whose C-STORE response storescu logged as Success.</summary>
    private static List<string> Acknowledged(string[] lines)
    {
        List<string> acknowledged = [];
        string? current = null;
        foreach (var line in lines)
        {
            var at = line.IndexOf("Sending file: ", StringComparison.Ordinal);
            if (at >= 0) current = line[(at + "Sending file: ".Length)..].Trim();
            else if (current != null && line.Contains("Received Store Response (Success)", StringComparison.Ordinal))
            {
                acknowledged.Add(current);
                current = null;
            }
        }
        return acknowledged;
    }

    public void Dispose() => _dir.Dispose();
}
