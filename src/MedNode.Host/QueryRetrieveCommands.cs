using System.Globalization;
using MedNode.Dicom;
using MedNode.Dicom.Json;
using MedNode.Dicom.Network.Client;
using MedNode.Dicom.Network.Dimse;

namespace MedNode.Host;

/// <summary>
/// `mednode find|move|get AE@host:port [--level L] [--root study|patient] [-k KEY=VALUE]... [--aet AE]`, with
/// `--dest AE` for move and `--out DIR` for get. Exit codes: 0 success, 1 a failure or warning status, 2 usage,
/// 130 cancelled (Ctrl+C sends C-CANCEL).
/// </summary>
public static class QueryRetrieveCommands
{
    public const string Usage = """
        usage: mednode find AE@host:port [options]            print matches as DICOM JSON, one per line
               mednode move AE@host:port --dest AE [options]  move matches to the AE the peer knows
               mednode get  AE@host:port --out DIR [options]  retrieve matches into DIR
        options:
          --level PATIENT|STUDY|SERIES|IMAGE   Query/Retrieve Level (default STUDY)
          --root study|patient                 information model (default study)
          -k KEY=VALUE                         a key by keyword or gggg,eeee; VALUE may be empty (return key)
          --aet AE                             calling AE title (default MEDNODE)
          --sop-class UID                      get: a storage SOP class to accept (repeatable; default: common ones)
        """;

    /// <summary>The storage SOP classes `get` proposes by default (keywords of PS3.6 Annex A).</summary>
    public static readonly IReadOnlyList<string> DefaultGetSopClasses = new[]
    {
        "CTImageStorage", "EnhancedCTImageStorage", "MRImageStorage", "EnhancedMRImageStorage", "ComputedRadiographyImageStorage",
        "DigitalXRayImageStorageForPresentation", "DigitalXRayImageStorageForProcessing", "DigitalMammographyXRayImageStorageForPresentation",
        "UltrasoundImageStorage", "UltrasoundMultiFrameImageStorage", "SecondaryCaptureImageStorage",
        "MultiFrameGrayscaleByteSecondaryCaptureImageStorage", "MultiFrameGrayscaleWordSecondaryCaptureImageStorage",
        "MultiFrameTrueColorSecondaryCaptureImageStorage", "XRayAngiographicImageStorage", "NuclearMedicineImageStorage",
        "PositronEmissionTomographyImageStorage", "EnhancedPETImageStorage", "RTImageStorage", "RTDoseStorage", "RTStructureSetStorage",
        "RTPlanStorage", "SegmentationStorage", "BasicTextSRStorage", "EnhancedSRStorage", "ComprehensiveSRStorage",
        "KeyObjectSelectionDocumentStorage", "GrayscaleSoftcopyPresentationStateStorage", "EncapsulatedPDFStorage",
        "VLPhotographicImageStorage", "VLWholeSlideMicroscopyImageStorage",
    }.Select(k => DicomUidRegistry.FindByKeyword(k)?.Uid).OfType<string>().ToList();

    public static Task<int> FindAsync(string[] args) => RunAsync("find", args);

    public static Task<int> MoveAsync(string[] args) => RunAsync("move", args);

    public static Task<int> GetAsync(string[] args) => RunAsync("get", args);

    private static async Task<int> RunAsync(string verb, string[] args)
    {
        if (args.Any(a => a is "-h" or "--help"))
        {
            Console.Out.WriteLine(Usage);
            return 0;
        }
        var o = Parse(args);
        if (o.Address == null) throw new UsageException(Usage);
        if (verb == "move" && o.Destination == null) throw new UsageException("move needs --dest AE");
        if (verb == "get" && o.OutputFolder == null) throw new UsageException("get needs --out DIR");
        var (ae, host, port) = ParseAddress(o.Address);
        var client = new DicomClient(host, port, ae, o.CallingAe);
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            switch (verb)
            {
                case "find":
                    var n = 0;
                    await foreach (var match in client.FindAsync(o.Root ? QueryRetrieveSopClasses.StudyRootFind : QueryRetrieveSopClasses.PatientRootFind, o.Identifier, cts.Token))
                    {
                        Console.Out.WriteLine(DicomJsonWriter.Serialize(match, new DicomJsonWriterOptions { Indented = false }));
                        n++;
                    }
                    Console.Error.WriteLine($"{n} match(es)");
                    return 0;
                case "move":
                    return Report(await Last(client.MoveAsync(o.Root ? QueryRetrieveSopClasses.StudyRootMove : QueryRetrieveSopClasses.PatientRootMove, o.Destination!, o.Identifier, cts.Token)));
                default:
                    var sink = new FolderStoreSink(o.OutputFolder!);
                    var classes = o.SopClasses.Count > 0 ? o.SopClasses : DefaultGetSopClasses;
                    return Report(await Last(client.GetAsync(o.Root ? QueryRetrieveSopClasses.StudyRootGet : QueryRetrieveSopClasses.PatientRootGet, o.Identifier, sink, classes, cts.Token)));
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            Console.Error.WriteLine("mednode: cancelled (C-CANCEL sent)");
            return 130;
        }
        catch (DimseFailureException ex)
        {
            return Cli.Fail(ex.Message);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static async Task<RetrieveProgress?> Last(IAsyncEnumerable<RetrieveProgress> responses)
    {
        RetrieveProgress? last = null;
        await foreach (var p in responses)
        {
            last = p;
            if (!p.IsFinal) Console.Error.WriteLine($"pending: {p.Remaining} remaining, {p.Completed} completed, {p.Failed} failed, {p.Warning} warning");
        }
        return last;
    }

    private static int Report(RetrieveProgress? final)
    {
        if (final == null) return Cli.Fail("no response");
        Console.Out.WriteLine($"status 0x{final.Status:X4}: {final.Completed ?? 0} completed, {final.Failed ?? 0} failed, {final.Warning ?? 0} warning{(final.ErrorComment is { } c ? " (" + c + ")" : "")}");
        foreach (var uid in final.FailedSopInstanceUids) Console.Error.WriteLine("failed: " + uid);
        return final.Status == DimseStatus.Success ? 0 : 1;
    }

    private sealed record Options(string? Address, string CallingAe, bool Root, string? Destination, string? OutputFolder, List<string> SopClasses, DicomDataset Identifier);

    private static Options Parse(string[] args)
    {
        string? address = null, destination = null, output = null;
        var calling = "MEDNODE";
        var level = "STUDY";
        var studyRoot = true;
        var classes = new List<string>();
        var keys = new List<(DicomTag Tag, string Value)>();
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new UsageException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--level":
                    level = Value().ToUpperInvariant();
                    if (level is not ("PATIENT" or "STUDY" or "SERIES" or "IMAGE")) throw new UsageException("--level is PATIENT, STUDY, SERIES or IMAGE");
                    break;
                case "--root":
                    studyRoot = Value() switch
                    {
                        "study" => true,
                        "patient" => false,
                        _ => throw new UsageException("--root is study or patient"),
                    };
                    break;
                case "-k":
                    keys.Add(ParseKey(Value()));
                    break;
                case "--aet":
                    calling = Value();
                    break;
                case "--dest":
                    destination = Value();
                    break;
                case "--out":
                    output = Value();
                    break;
                case "--sop-class":
                    classes.Add(Value());
                    break;
                default:
                    if (args[i].StartsWith('-') || address != null) throw new UsageException($"unexpected argument '{args[i]}'");
                    address = args[i];
                    break;
            }
        }
        var identifier = new DicomDataset();
        identifier.AddOrUpdate(DicomTags.QueryRetrieveLevel, DicomVR.CS, level);
        foreach (var (tag, value) in keys)
        {
            var vr = DicomDictionary.ImplicitVR(tag);
            if (vr == DicomVR.SQ) identifier.AddOrUpdate(tag, Array.Empty<DicomDataset>());
            else if (value.Length == 0) identifier.AddOrUpdate(tag, vr, Array.Empty<string>());
            else if (vr == DicomVR.US) identifier.AddOrUpdate(tag, ushort.Parse(value, CultureInfo.InvariantCulture));
            else identifier.AddOrUpdate(tag, vr, vr == DicomVR.PN || value.Contains('\\', StringComparison.Ordinal) && vr != DicomVR.UI ? [value] : value.Split('\\'));
        }
        return new Options(address, calling, studyRoot, destination, output, classes, identifier);
    }

    private static (DicomTag, string) ParseKey(string text)
    {
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        var name = eq < 0 ? text : text[..eq];
        var value = eq < 0 ? "" : text[(eq + 1)..];
        if (DicomDictionary.Find(name) is { } entry) return (entry.Tag, value);
        var hex = name.Replace(",", "", StringComparison.Ordinal).Trim('(', ')');
        if (hex.Length == 8 && uint.TryParse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var t)) return (new DicomTag((ushort)(t >> 16), (ushort)t), value);
        throw new UsageException($"-k: unknown attribute '{name}'");
    }

    private static (string Ae, string Host, int Port) ParseAddress(string address)
    {
        try
        {
            return DicomClient.ParseAddress(address);
        }
        catch (FormatException ex)
        {
            throw new UsageException(ex.Message);
        }
    }
}
