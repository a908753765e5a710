using MedNode.Host;

return await Cli.RunAsync(args);
