using System.Diagnostics;
using MedNode.Bench;
using MedNode.Dicom;
using MedNode.Dicom.IO;

// usage: gen-ct DIR [slices] | parse DIR (metadata|full) [repeats] | decode DIR
//        analyze SERIES_DIR MODEL_DIR [cpu|cuda|auto] [REPEATS] [THREADS]
//        gen-studies DIR COUNT [FIRST] | multipart SRC_DIR OUT_DIR PER_BODY | stow URL BODY_DIR | wado URL | qido URL COUNT MAX_SECONDS OUT_FILE [WARM_UP]
//        index FOLDER [COUNT] [REPEATS] | durable-scp PORT FOLDER [FLAGS: see DurableScp]
switch (args.ElementAtOrDefault(0))
{
    case "gen-ct":
        SyntheticCt.Write(args[1], args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 200);
        return 0;
    case "parse":
        {
            var files = Directory.GetFiles(args[1], "*.dcm").Order(StringComparer.Ordinal).ToArray();
            bool full = args.ElementAtOrDefault(2) == "full";
            int repeats = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 5;
            long bytes = files.Sum(f => new FileInfo(f).Length);
            var options = new DicomReadOptions { StopAtPixelData = !full };
            var times = new List<double>();
            for (int r = 0; r <= repeats; r++)
            {
                var sw = Stopwatch.StartNew();
                long touched = 0;
                foreach (var f in files)
                {
                    var file = DicomFile.Open(f, options);
                    if (full && file.Dataset[DicomTags.PixelData] is DicomElement px) touched += px.Buffer.GetMemory().Length; // read the pixels too
                }
                sw.Stop();
                if (r > 0) times.Add(sw.Elapsed.TotalSeconds); // first run warms up the JIT
                GC.KeepAlive(touched);
            }
            times.Sort();
            double median = times[times.Count / 2];
            Console.WriteLine($"{(full ? "full" : "metadata")}: {files.Length} files, {bytes / 1e6:F1} MB, median {median * 1000:F1} ms, {bytes / 1e6 / median:F0} MB/s (file bytes per second)");
            return 0;
        }
    case "decode":
        {
            // Decode every frame of every file in DIR with MedNode's codecs, on all cores (files in parallel).
            var files = Directory.GetFiles(args[1], "*.dcm").Order(StringComparer.Ordinal).ToArray();
            long decoded = 0;
            var sw = Stopwatch.StartNew();
            Parallel.ForEach(files, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, f =>
            {
                var file = DicomFile.Open(f);
                var px = MedNode.Dicom.Imaging.DicomPixelData.Create(file.Dataset)!;
                for (int i = 0; i < px.NumberOfFrames; i++) Interlocked.Add(ref decoded, DicomTranscoder.DecodeFrame(px, file.TransferSyntax, i).Length);
            });
            sw.Stop();
            Console.WriteLine($"decode: {files.Length} files, {decoded / 1e6:F1} MB decoded in {sw.Elapsed.TotalSeconds:F2} s, {decoded / 1e6 / sw.Elapsed.TotalSeconds:F0} MB/s");
            return 0;
        }
    case "analyze":
        // analyze SERIES_DIR MODEL_DIR [cpu|cuda|auto] [REPEATS] [THREADS] [TILE_BATCH (0: the default)]
        return AnalysisBench.Run(args[1], args[2], args.ElementAtOrDefault(3) ?? "cpu",
            args.Length > 4 ? int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : 3,
            args.Length > 5 ? int.Parse(args[5], System.Globalization.CultureInfo.InvariantCulture) : 2,
            args.Length > 6 ? int.Parse(args[6], System.Globalization.CultureInfo.InvariantCulture) : 0);
    case "gen-studies":
        WebBench.WriteTinyStudies(args[1], int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture), args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 0);
        return 0;
    case "multipart":
        Console.WriteLine(WebBench.WriteMultipart(args[1], args[2], int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture)));
        return 0;
    case "stow":
        return await WebBench.StowAsync(args[1], args[2], CancellationToken.None);
    case "wado":
        return await WebBench.WadoAsync(args[1], CancellationToken.None);
    case "index":
        // index FOLDER [COUNT] [REPEATS]: the index's share of each ingest (IndexBench)
        return await IndexBench.RunAsync(args[1], args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 2000,
            args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 5);
    case "durable-scp":
        // durable-scp PORT FOLDER [--hash] [--parse] [--index] [--file|--materialize|--pool=zero|falloc] ...: a benchmark
        // peer for bench/dimse.sh (DurableScp)
        return await DurableScp.RunAsync(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture), args[2], args[3..]);
    case "qido":
        return await WebBench.QidoAsync(args[1], int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture), double.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture), args[4], args.Length > 5 ? int.Parse(args[5], System.Globalization.CultureInfo.InvariantCulture) : 3, CancellationToken.None);
    default:
        Console.Error.WriteLine("usage: gen-ct DIR [slices] | parse DIR (metadata|full) [repeats] | decode DIR | analyze SERIES MODEL_DIR [cpu|cuda|auto] [REPEATS] [THREADS] [TILE_BATCH] | gen-studies DIR COUNT [FIRST] | multipart SRC OUT PER_BODY | stow URL BODY_DIR | wado URL | qido URL COUNT MAX_S OUT_FILE [WARM_UP] | index FOLDER [COUNT] [REPEATS]");
        return 2;
}
