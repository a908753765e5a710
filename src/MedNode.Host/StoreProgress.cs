using MedNode.Dicom.Network.Client;

namespace MedNode.Host;

/// <summary>
/// The progress bar of `mednode store` on stderr: one line redrawn after each file, with how many were sent of how
/// many. Reported synchronously (not through <see cref="Progress{T}"/>, whose callbacks may run out of order), so the
/// last line drawn is the last file's.
/// </summary>
internal sealed class StoreProgress(int total, TextWriter output) : IProgress<StoreOutcome>
{
    private const int BarWidth = 30;
    private readonly Lock _lock = new();
    private int _done;
    private int _failed;

    /// <summary>Whether to draw: asked for with --progress, or stderr is a terminal.</summary>
    public static bool ShouldDraw(bool requested) => requested || !Console.IsErrorRedirected;

    public void Report(StoreOutcome value)
    {
        lock (_lock)
        {
            _done++;
            if (!value.IsSuccess) _failed++;
            var filled = total == 0 ? BarWidth : _done * BarWidth / total;
            var bar = new string('#', filled) + new string('.', BarWidth - filled);
            var failed = _failed > 0 ? $", {_failed} failed" : "";
            output.Write($"\r[{bar}] {_done}/{total} sent{failed}".PadRight(79));
            output.Flush();
        }
    }

    /// <summary>Ends the bar's line.</summary>
    public void Complete()
    {
        lock (_lock)
        {
            output.WriteLine();
            output.Flush();
        }
    }
}
