using Microsoft.Win32.SafeHandles;

namespace MedNode.Persistence.Storage;

/// <summary>The file-system syncs of <see cref="IngestJournal"/>: writeback, fdatasync, folder fsync, and the threads that run them.</summary>
public sealed partial class IngestJournal
{
    /// <summary>
    /// Starts writeback of a file's dirty pages without waiting (Linux <c>sync_file_range(SYNC_FILE_RANGE_WRITE)</c>; a no-op
    /// elsewhere), so that the disk writes it while the commit hashes and journals it. Durability still comes from fdatasync.
    /// </summary>
    public static void StartWriteback(SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux()) return;
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            _ = NativeMethods.sync_file_range((int)handle.DangerousGetHandle(), 0, 0, 2 /* SYNC_FILE_RANGE_WRITE */);
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    /// <summary>fdatasync of an open file: its data and what is needed to read it back (fdatasync(2)). A closed handle is skipped.</summary>
    private static void DataSync(SafeFileHandle handle)
    {
        bool added = false;
        try
        {
            try
            {
                handle.DangerousAddRef(ref added);
            }
            catch (ObjectDisposedException)
            {
                return; // its commit gave up before this flush
            }
            if (NativeMethods.fdatasync((int)handle.DangerousGetHandle()) != 0)
                throw new IOException($"fdatasync of a spooled file failed (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}).");
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    /// <summary>fsync of a folder, so that the names created or renamed in it are durable; unlike
    /// <see cref="MedNode.Dicom.DicomFileWriter.FsyncDirectory"/> a failure throws (a commit relies on it).</summary>
    private static void FsyncFolder(string folder)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        int fd = NativeMethods.open(folder, 0 /* O_RDONLY */);
        if (fd < 0) throw new IOException($"A folder could not be opened for fsync (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}).");
        try
        {
            if (NativeMethods.fsync(fd) != 0) throw new IOException($"fsync of a folder failed (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}).");
        }
        finally
        {
            _ = NativeMethods.close(fd);
        }
    }

    /// <summary>fsync of one file (data and metadata), through a read-only handle.</summary>
    public static void FsyncFile(string path)
    {
        using var h = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (NativeMethods.fsync((int)h.DangerousGetHandle()) != 0) throw new IOException("fsync failed for a stored file.");
    }

    /// <summary>
    /// A dedicated background thread that runs the blocking syncs handed to it, one after the other. It waits for work with
    /// <see cref="Monitor.Wait(object)"/>, which blocks at once: a <c>BlockingCollection</c> spins (<c>sched_yield</c>) before
    /// it blocks, and with three of these threads woken per group flush that spinning took about a tenth of the node's CPU
    /// during a one-association C-STORE on 2 cores (perf, 2026-11-26).
    /// </summary>
    private sealed class SyncThread : IDisposable
    {
        private readonly Queue<(Action Work, TaskCompletionSource Done)> _queue = new();
        private readonly Thread _thread;
        private bool _completed;

        public SyncThread(string name)
        {
            _thread = new Thread(Run) { IsBackground = true, Name = name };
            _thread.Start();
        }

        public Task RunAsync(Action work)
        {
            var done = new TaskCompletionSource();
            lock (_queue)
            {
                if (_completed) throw new InvalidOperationException("The journal's sync thread has stopped.");
                _queue.Enqueue((work, done));
                Monitor.Pulse(_queue);
            }
            return done.Task;
        }

        /// <summary>Waits for a sync to end without throwing its failure (the caller observes it afterwards).</summary>
        public static void WaitQuietly(Task task) => ((IAsyncResult)task).AsyncWaitHandle.WaitOne();

        private void Run()
        {
            while (true)
            {
                (Action Work, TaskCompletionSource Done) item;
                lock (_queue)
                {
                    while (_queue.Count == 0)
                    {
                        if (_completed) return;
                        Monitor.Wait(_queue);
                    }
                    item = _queue.Dequeue();
                }
                try
                {
                    item.Work();
                    item.Done.SetResult();
                }
                catch (Exception e)
                {
                    item.Done.SetException(e); // handed on to the flush, which fails its commits with it
                }
            }
        }

        public void Dispose()
        {
            lock (_queue)
            {
                _completed = true;
                Monitor.PulseAll(_queue);
            }
            _thread.Join();
        }
    }

    private static partial class NativeMethods
    {
        [System.Runtime.InteropServices.LibraryImport("libc", SetLastError = true)]
        internal static partial int fdatasync(int fd);

        [System.Runtime.InteropServices.LibraryImport("libc", SetLastError = true)]
        internal static partial int fsync(int fd);

        [System.Runtime.InteropServices.LibraryImport("libc", StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8, SetLastError = true)]
        internal static partial int open(string path, int flags);

        [System.Runtime.InteropServices.LibraryImport("libc", SetLastError = true)]
        internal static partial int close(int fd);

        [System.Runtime.InteropServices.LibraryImport("libc", SetLastError = true)]
        internal static partial int sync_file_range(int fd, long offset, long nbytes, uint flags);
    }
}
