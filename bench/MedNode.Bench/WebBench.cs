using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using MedNode.Dicom;

namespace MedNode.Bench;

/// <summary>
/// HTTP clients and inputs for bench/dicomweb.sh: DICOMweb STOW-RS (PS3.18 §10.5), WADO-RS (§10.4) and QIDO-RS (§10.6) driven
/// the same way against MedNode and Orthanc. Each request body is built once to a file, so that building it is not timed.
/// </summary>
public static class WebBench
{
    /// <summary>The multipart boundary of every body written by <see cref="WriteMultipart"/> (PS3.18 §8.6.1.2).</summary>
    public const string Boundary = "MedNodeBenchBoundary7d1f";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Writes <paramref name="count"/> single-instance studies (8×8 CT, explicit VR LE), each with its own patient.</summary>
    public static void WriteTinyStudies(string dir, int count, int first = 0)
    {
        Directory.CreateDirectory(dir);
        var pixels = new byte[8 * 8 * 2];
        for (int i = 0; i < pixels.Length; i += 2) pixels[i] = (byte)i;
        for (int i = first; i < first + count; i++)
        {
            var ds = new DicomDataset()
                .AddOrUpdate(DicomTags.SpecificCharacterSet, "ISO_IR 100")
                .AddOrUpdate(DicomTags.SOPClassUID, DicomUids.CTImageStorage)
                .AddOrUpdate(DicomTags.SOPInstanceUID, DicomImplementation.NewUid())
                .AddOrUpdate(DicomTags.StudyDate, new DateTime(2020, 1, 1).AddDays(i % 2000).ToString("yyyyMMdd", Inv))
                .AddOrUpdate(DicomTags.StudyTime, "120000")
                .AddOrUpdate(DicomTags.AccessionNumber, $"ACC{i:D6}")
                .AddOrUpdate(DicomTags.Modality, "CT")
                .AddOrUpdate(DicomTags.StudyDescription, "Bench tiny study")
                .AddOrUpdate(DicomTags.PatientName, $"Bench^P{i:D6}")
                .AddOrUpdate(DicomTags.PatientID, $"BENCH-{i:D6}")
                .AddOrUpdate(DicomTags.PatientBirthDate, "19700101")
                .AddOrUpdate(DicomTags.PatientSex, "O")
                .AddOrUpdate(DicomTags.StudyInstanceUID, DicomImplementation.NewUid())
                .AddOrUpdate(DicomTags.SeriesInstanceUID, DicomImplementation.NewUid())
                .AddOrUpdate(DicomTags.StudyID, "1")
                .AddOrUpdate(DicomTags.SeriesNumber, DicomVR.IS, 1)
                .AddOrUpdate(DicomTags.InstanceNumber, DicomVR.IS, 1)
                .AddOrUpdate(DicomTags.SamplesPerPixel, (ushort)1)
                .AddOrUpdate(DicomTags.PhotometricInterpretation, "MONOCHROME2")
                .AddOrUpdate(DicomTags.Rows, (ushort)8)
                .AddOrUpdate(DicomTags.Columns, (ushort)8)
                .AddOrUpdate(DicomTags.BitsAllocated, (ushort)16)
                .AddOrUpdate(DicomTags.BitsStored, (ushort)16)
                .AddOrUpdate(DicomTags.HighBit, (ushort)15)
                .AddOrUpdate(DicomTags.PixelRepresentation, (ushort)0)
                .AddOrUpdate(DicomTags.PixelData, DicomVR.OW, pixels);
            using var fs = File.Create(Path.Combine(dir, $"s{i:D6}.dcm"));
            DicomFileWriter.Write(fs, ds, DicomTransferSyntax.ExplicitVRLittleEndian);
        }
    }

    /// <summary>
    /// Writes the Part 10 files of <paramref name="sourceDir"/> (name order) as multipart/related bodies of
    /// <paramref name="perBody"/> parts each (PS3.18 §8.6.1.2) into <paramref name="outDir"/> (body-00000.mp, ...).
    /// </summary>
    public static int WriteMultipart(string sourceDir, string outDir, int perBody)
    {
        Directory.CreateDirectory(outDir);
        var files = Directory.GetFiles(sourceDir, "*.dcm").Order(StringComparer.Ordinal).ToArray();
        byte[] head = Encoding.ASCII.GetBytes($"--{Boundary}\r\nContent-Type: application/dicom\r\n\r\n");
        byte[] crlf = "\r\n"u8.ToArray(), tail = Encoding.ASCII.GetBytes($"--{Boundary}--\r\n");
        int bodies = 0;
        for (int i = 0; i < files.Length; i += perBody, bodies++)
        {
            using var o = File.Create(Path.Combine(outDir, $"body-{bodies:D5}.mp"));
            foreach (var f in files.Skip(i).Take(perBody))
            {
                o.Write(head);
                using (var src = File.OpenRead(f)) src.CopyTo(o);
                o.Write(crlf);
            }
            o.Write(tail);
        }
        return bodies;
    }

    private static HttpClient NewClient() =>
        new(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan, AutomaticDecompression = System.Net.DecompressionMethods.None })
        { Timeout = TimeSpan.FromMinutes(10) };

    /// <summary>POSTs every body of <paramref name="bodyDir"/> in turn on one keep-alive connection; prints "seconds stored failed".</summary>
    public static async Task<int> StowAsync(string url, string bodyDir, CancellationToken cancellationToken)
    {
        var bodies = Directory.GetFiles(bodyDir, "*.mp").Order(StringComparer.Ordinal).ToArray();
        using var http = NewClient();
        int stored = 0, failed = 0;
        var sw = Stopwatch.StartNew();
        foreach (var body in bodies)
        {
            await using var fs = new FileStream(body, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            using var content = new StreamContent(fs, 1 << 16);
            content.Headers.ContentType = MediaTypeHeaderValue.Parse($"multipart/related; type=\"application/dicom\"; boundary={Boundary}");
            content.Headers.ContentLength = fs.Length;
            using var req = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
            req.Headers.Accept.ParseAdd("application/dicom+json");
            using var rsp = await http.SendAsync(req, cancellationToken);
            var json = await rsp.Content.ReadAsByteArrayAsync(cancellationToken);
            if ((int)rsp.StatusCode is not (200 or 202)) Console.Error.WriteLine($"STOW {body}: HTTP {(int)rsp.StatusCode} {Encoding.UTF8.GetString(json.AsSpan(0, Math.Min(json.Length, 400)))}");
            stored += CountItems(json, "00081199");
            failed += CountItems(json, "00081198");
        }
        sw.Stop();
        Console.WriteLine(string.Create(Inv, $"{sw.Elapsed.TotalSeconds:F3}\t{stored}\t{failed}"));
        return 0;
    }

    /// <summary>Items of a sequence attribute of a dicom+json object (PS3.18 §F.2), 0 when absent or unparsable.</summary>
    private static int CountItems(byte[] json, string tag)
    {
        if (json.Length == 0) return 0;
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(tag, out var a)
                && a.TryGetProperty("Value", out var v) && v.ValueKind == JsonValueKind.Array ? v.GetArrayLength() : 0;
        }
        catch (JsonException)
        {
            return 0;
        }
    }

    /// <summary>GETs a WADO-RS resource as multipart/related application/dicom, reading every byte; prints "seconds bytes parts".</summary>
    public static async Task<int> WadoAsync(string url, CancellationToken cancellationToken)
    {
        using var http = NewClient();
        var sw = Stopwatch.StartNew();
        using var req = new HttpRequestMessage(HttpMethod.Get, url);
        req.Headers.Accept.ParseAdd("multipart/related; type=\"application/dicom\"");
        using var rsp = await http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!rsp.IsSuccessStatusCode) { Console.Error.WriteLine($"WADO: HTTP {(int)rsp.StatusCode}"); return 1; }
        var boundary = rsp.Content.Headers.ContentType?.Parameters.FirstOrDefault(p => p.Name == "boundary")?.Value?.Trim('"') ?? "";
        byte[] delimiter = Encoding.ASCII.GetBytes("--" + boundary);
        await using var s = await rsp.Content.ReadAsStreamAsync(cancellationToken);
        var buf = new byte[1 << 16];
        long bytes = 0;
        int parts = 0, carry = 0, n;
        while ((n = await s.ReadAsync(buf.AsMemory(carry, buf.Length - carry), cancellationToken)) > 0)
        {
            bytes += n;
            var span = buf.AsSpan(0, carry + n);
            int at;
            var rest = span;
            while (boundary.Length > 0 && (at = rest.IndexOf(delimiter)) >= 0) { parts++; rest = rest[(at + delimiter.Length)..]; }
            // Keep the last delimiter-length-1 bytes, in case a delimiter straddles two reads.
            carry = Math.Min(rest.Length, delimiter.Length - 1);
            rest[^carry..].CopyTo(buf);
        }
        sw.Stop();
        Console.WriteLine(string.Create(Inv, $"{sw.Elapsed.TotalSeconds:F3}\t{bytes}\t{Math.Max(parts - 1, 0)}"));
        return 0;
    }

    /// <summary>
    /// GETs a QIDO-RS URL (application/dicom+json) <paramref name="warmUp"/> times untimed, then <paramref name="count"/> times or until
    /// <paramref name="maxSeconds"/> have passed, one request at a time; appends each latency in ms to <paramref name="outFile"/>
    /// and prints the number of results of the last answer.
    /// </summary>
    public static async Task<int> QidoAsync(string url, int count, double maxSeconds, string outFile, int warmUp, CancellationToken cancellationToken)
    {
        using var http = NewClient();
        int results = 0;
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        for (int i = -warmUp; i < count; i++)
        {
            var sw = Stopwatch.StartNew();
            using var req = new HttpRequestMessage(HttpMethod.Get, url);
            req.Headers.Accept.ParseAdd("application/dicom+json");
            using var rsp = await http.SendAsync(req, cancellationToken);
            var body = await rsp.Content.ReadAsByteArrayAsync(cancellationToken);
            sw.Stop();
            if (!rsp.IsSuccessStatusCode) { Console.Error.WriteLine($"QIDO {url}: HTTP {(int)rsp.StatusCode}"); return 1; }
            if (i < 0) continue;
            times.Add(sw.Elapsed.TotalMilliseconds);
            if (i == 0)
            {
                if (body.Length == 0) results = 0; // Orthanc answers an empty body (204-like) when nothing matches
                else
                {
                    using var doc = JsonDocument.Parse(body);
                    results = doc.RootElement.GetArrayLength();
                }
            }
            if (total.Elapsed.TotalSeconds > maxSeconds) break;
        }
        await File.AppendAllLinesAsync(outFile, times.Select(t => t.ToString("F3", Inv)), cancellationToken);
        Console.WriteLine(results.ToString(Inv));
        return 0;
    }
}
