namespace MedNode.Core.Storage;

/// <summary>The store refuses a write because free space is below its watermark (C-STORE answers 0xA700, PS3.4 B.2.3).</summary>
public sealed class InsufficientStorageException(string message) : IOException(message);

/// <summary>A blob's content no longer matches the SHA-256 recorded when it was committed.</summary>
public sealed class BlobIntegrityException(string message) : IOException(message);
