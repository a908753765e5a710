namespace MedNode.Host;

/// <summary>The `mednode` command line: `serve` runs the node; the other verbs are toolkit commands.</summary>
public static class Cli
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.Out.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        try
        {
            return args[0] switch
            {
                "serve" => await ServeCommand.RunAsync(args[1..]),
                "dump" => ToolkitCommands.Dump(args[1..]),
                "json" => ToolkitCommands.Json(args[1..]),
                "xml" => ToolkitCommands.Xml(args[1..]),
                "transcode" => ToolkitCommands.Transcode(args[1..]),
                "pixels" => ToolkitCommands.Pixels(args[1..]),
                "analyze" => AnalyzeCommand.Run(args[1..]),
                "echo" => await DimseCommands.EchoAsync(args[1..]),
                "store" => await DimseCommands.StoreAsync(args[1..]),
                "find" => await QueryRetrieveCommands.FindAsync(args[1..]),
                "move" => await QueryRetrieveCommands.MoveAsync(args[1..]),
                "get" => await QueryRetrieveCommands.GetAsync(args[1..]),
                "config" => Configuration.ConfigCommand.Run(args[1..]),
                "audit" => await AuditCommand.RunAsync(args[1..]),
                "migrate" => await AdminCommands.MigrateAsync(args[1..]),
                "models" => AdminCommands.Models(args[1..]),
                _ => Fail($"unknown command '{args[0]}' (try 'mednode --help')"),
            };
        }
        catch (UsageException ex)
        {
            return Fail(ex.Message, 2);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return Fail(ex.Message);
        }
    }

    public const string Usage = """
        mednode — a DICOM imaging node

        usage: mednode <command> [options]

          serve                              run the node (DIMSE and HTTP listeners)
          echo AE@host:port                  C-ECHO a peer
            [--tls [--ca FILE] [--cert FILE --key FILE]]  echo and store: DICOM over TLS (PS3.15 B.10)
          store FILES|DIR --to AE@host:port  C-STORE files [--progress] [--commit] (mednode store --help)
          dump FILE...                       print a readable tree of DICOM files
          json FILE                          print the PS3.18 Annex F JSON of a DICOM file
          xml FILE                           print the PS3.19 Native DICOM Model XML of a DICOM file
          transcode IN OUT --ts UID          write IN again in another transfer syntax
          pixels FILE --frame N --out RAW    write one decoded frame, little endian, before rescale
          analyze DIR --model ID --out JSON  find and measure lesions in the series in DIR
            [--dicom-out DIR [--objects seg+sr|sc+kos|all]]  also write the result as SEG + SR and/or SC + KOS
          find|move|get AE@host:port ...     C-FIND, C-MOVE, C-GET SCU (mednode find --help)
          config check [--config FILE]       validate the configuration; prints OK or each problem
          audit verify [--config FILE]       walk the audit trail's hash chain; names the first altered or missing row
          migrate [--config FILE]            apply the index database's migrations and exit
          models list [--models DIR]         installed models, each verified against its SHA-256
        """;

    /// <summary>Prints one line naming the reason and returns the failure exit code.</summary>
    public static int Fail(string reason, int code = 1)
    {
        Console.Error.WriteLine("mednode: " + reason.ReplaceLineEndings(" "));
        return code;
    }
}
