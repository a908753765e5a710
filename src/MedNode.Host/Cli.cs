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
        if (args.Length > 1 && args[1..].Any(a => a is "-h" or "--help") && VerbHelp(args[0]) is { } help)
        {
            Console.Out.WriteLine(help);
            return 0;
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

    /// <summary>The exit codes every command uses.</summary>
    public const string ExitCodes = "exit codes: 0 success, 1 failure (the reason is printed on one line), 2 usage error";

    // Verbs whose own parser prints a fuller usage for --help.
    private static readonly HashSet<string> OwnHelp = ["find", "move", "get", "migrate"];

    /// <summary>The usage lines of one verb, from <see cref="Usage"/>, for `mednode VERB --help`; null for an unknown verb
    /// or one that prints its own help.</summary>
    public static string? VerbHelp(string verb)
    {
        if (OwnHelp.Contains(verb)) return null;
        if (verb == "store") return DimseCommands.StoreUsage + "\n" + ExitCodes;
        var lines = Usage.Split('\n');
        var picked = new List<string>();
        for (int i = 0; i < lines.Length; i++)
        {
            var trimmed = lines[i].TrimStart();
            var indent = lines[i].Length - trimmed.Length;
            if (indent != 2 || !(trimmed.StartsWith(verb + " ", StringComparison.Ordinal) || trimmed == verb || trimmed.StartsWith(verb + "|", StringComparison.Ordinal))) continue;
            picked.Add("usage: mednode " + trimmed);
            for (int j = i + 1; j < lines.Length && lines[j].Length - lines[j].TrimStart().Length > 2; j++) picked.Add("  " + lines[j].Trim());
        }
        return picked.Count == 0 ? null : string.Join('\n', picked) + "\n" + ExitCodes;
    }

    /// <summary>Prints one line naming the reason and returns the failure exit code.</summary>
    public static int Fail(string reason, int code = 1)
    {
        Console.Error.WriteLine("mednode: " + reason.ReplaceLineEndings(" "));
        return code;
    }
}
