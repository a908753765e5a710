using System.Text;
using MedNode.Dicom;
using MedNode.Dicom.Network;
using MedNode.Dicom.Network.Pdus;
using MedNode.TestSupport;

namespace MedNode.Host.Tests;

/// <summary>
/// The SCP tables of the conformance statement (PS3.2 §A.4 "SOP classes" and "Transfer syntaxes") are generated from what
/// `mednode serve` on its defaults actually negotiates: every SOP class of the UID registry is proposed, and the answers
/// are written to conformance/generated/scp-negotiation.md. The committed file must equal a fresh run; set
/// MEDNODE_UPDATE_CONFORMANCE=1 to rewrite it.
/// </summary>
public sealed class ConformanceTablesTests : IDisposable
{
    private readonly TempDir _dir = new("mednode-conformance-");

    private static readonly string[] Uncompressed = [DicomTransferSyntax.ExplicitVRLittleEndian.Uid, DicomTransferSyntax.ImplicitVRLittleEndian.Uid];

    [Fact]
    [Trait("Conformance", "PS3.2 A.4, PS3.8 9.3.2")]
    public async Task ScpNegotiationTable_EqualsWhatServeNegotiates()
    {
        using var node = NodeProcess.Start(_dir.Path);
        var sopClasses = DicomUidRegistry.Entries.Where(e => e.Kind == DicomUidKind.SopClass).OrderBy(e => e.Uid, StringComparer.Ordinal).ToList();

        var accepted = new List<(DicomUidEntry Entry, string Ts)>();
        foreach (var batch in sopClasses.Chunk(127))
        {
            var contexts = batch.Select((e, i) => new PresentationContextRq((byte)(2 * i + 1), e.Uid, Uncompressed)).ToList();
            foreach (var pc in await NegotiateAsync(node, contexts))
                if (pc.IsAccepted) accepted.Add((batch[(pc.Id - 1) / 2], pc.TransferSyntax!));
        }
        accepted.Should().Contain(a => a.Entry.Uid == DicomUids.CTImageStorage, "the node stores CT");

        // Storage transfer syntaxes: CT Image Storage proposed once per known syntax, each in its own context.
        var syntaxes = DicomTransferSyntax.All.OrderBy(t => t.Uid, StringComparer.Ordinal).ToList();
        var tsContexts = syntaxes.Select((t, i) => new PresentationContextRq((byte)(2 * i + 1), DicomUids.CTImageStorage, [t.Uid])).ToList();
        var tsAnswers = await NegotiateAsync(node, tsContexts);

        var text = new StringBuilder();
        text.AppendLine("# Generated: what `mednode serve` negotiates as SCP (on its defaults)");
        text.AppendLine();
        text.AppendLine("Do not edit. `tests/MedNode.Host.Tests/ConformanceTablesTests.ScpNegotiationTable_EqualsWhatServeNegotiates` proposes every");
        text.AppendLine("SOP class of the UID registry (`DicomUidRegistry`, from `../shared/dicom-standard/`) to a running node, each with");
        text.AppendLine("Explicit and Implicit VR Little Endian, and fails when this file differs from the answers (`MEDNODE_UPDATE_CONFORMANCE=1` rewrites it).");
        text.AppendLine();
        text.AppendLine($"## SOP classes accepted as SCP ({accepted.Count} of {sopClasses.Count} proposed)");
        text.AppendLine();
        text.AppendLine("| SOP class | UID | Retired | Transfer syntax chosen from Explicit + Implicit VR LE |");
        text.AppendLine("| --- | --- | --- | --- |");
        foreach (var (e, ts) in accepted)
            text.AppendLine($"| {e.Name} | {e.Uid} | {(e.IsRetired ? "yes" : "no")} | {DicomTransferSyntax.Lookup(ts).Name} |");
        text.AppendLine();
        text.AppendLine("## Transfer syntaxes accepted for storage (CT Image Storage, one presentation context per syntax)");
        text.AppendLine();
        text.AppendLine("| Transfer syntax | UID | Accepted |");
        text.AppendLine("| --- | --- | --- |");
        foreach (var pc in tsAnswers)
        {
            var ts = syntaxes[(pc.Id - 1) / 2];
            text.AppendLine($"| {ts.Name} | {ts.Uid} | {(pc.IsAccepted ? "yes" : "no (" + pc.Result + ")")} |");
        }

        var path = Path.Combine(SharedData.RepoRoot, "conformance", "generated", "scp-negotiation.md");
        var generated = text.ToString().ReplaceLineEndings("\n");
        if (Environment.GetEnvironmentVariable("MEDNODE_UPDATE_CONFORMANCE") == "1") await File.WriteAllTextAsync(path, generated);
        File.Exists(path).Should().BeTrue("the generated table is committed (MEDNODE_UPDATE_CONFORMANCE=1 writes it)");
        (await File.ReadAllTextAsync(path)).ReplaceLineEndings("\n").Should().Be(generated,
            "conformance/generated/scp-negotiation.md must say what the node negotiates; rerun with MEDNODE_UPDATE_CONFORMANCE=1 after a deliberate change");
    }

    private static async Task<IReadOnlyList<PresentationContext>> NegotiateAsync(NodeProcess node, IReadOnlyList<PresentationContextRq> contexts)
    {
        await using var association = await Association.RequestAsync(await SocketTransport.ConnectAsync("127.0.0.1", node.DimsePort),
            new AssociationRequest("MEDNODE", "CONFORMANCE", contexts));
        var answers = association.PresentationContexts.OrderBy(p => p.Id).ToList();
        answers.Should().HaveCount(contexts.Count, "the A-ASSOCIATE-AC answers every proposed context (PS3.8 §9.3.3.2)");
        await association.ReleaseAsync();
        return answers;
    }

    public void Dispose() => _dir.Dispose();
}
