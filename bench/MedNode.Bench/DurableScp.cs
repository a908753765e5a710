using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using MedNode.Core.Index;
using MedNode.Core.Storage;
using MedNode.Dicom;
using MedNode.Dicom.IO;
using MedNode.Persistence;
using MedNode.Persistence.Index;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Win32.SafeHandles;

namespace MedNode.Bench;

/// <summary>
/// A benchmark peer for <c>bench/dimse.sh</c>, not a product: the durable floor of <c>bench/durable-floor.c</c> written
/// in C#, to which the contract's per-instance work can be added one piece at a time, so that a run shows what .NET and
/// that work cost without the product's architecture around them. For each association (a thread each, blocking socket
/// calls) it accepts every presentation context with its first transfer syntax (PS3.8 §9.3.3), answers C-ECHO, and for
/// each C-STORE writes the data set's fragments as they arrive, then makes them durable and answers Success (PS3.4
/// Table B.2-1).
/// <list type="bullet">
/// <item>default: into a journal written with zeros and flushed at start (64 MiB per association,
/// <c>--journal-mib=N</c>), one fdatasync per instance (no file-system metadata), as the C floor;</item>
/// <item><c>--materialize</c>: the same, and after each answer a thread of the association makes the stored file from
/// the journal record (a new file, <c>copy_file_range</c>, rename; no sync); before the journal is reused from its
/// start, every file made from it is made durable with <c>syncfs</c>;</item>
/// <item><c>--file</c>: into a new file per instance instead (create, write, fdatasync, rename, and the folder's
/// fsync), the pattern of a node that has the stored file before it answers;</item>
/// <item><c>--file --no-folder-sync</c>: the same without the folder's fsync;</item>
/// <item><c>--pool=zero</c> or <c>--pool=falloc</c>: into one of 256 files (<c>--pool-files=N</c>) of 1 MiB made before
/// it listens (written with zeros, or allocated with fallocate; each fsynced, and their folder), with a 16-byte
/// descriptor (the length) in the file's last 4 KiB, so that one fdatasync covers the data and its description; then
/// the file is truncated to the data set's length and renamed without a sync (a recovery, not written here, would redo
/// both from the descriptor). Instances over 1 MiB less 4 KiB close the association;</item>
/// <item><c>--hash</c>: SHA-256 of each fragment as it arrives (the product keeps and verifies one per
/// instance);</item>
/// <item><c>--parse</c>: MedNode's parser reads the data set up to the pixel data, as the ingest does;</item>
/// <item><c>--index</c>: MedNode's SQLite index (as <c>mednode serve</c> configures it): the duplicate lookup, then the
/// insert with its study and series aggregates, before the answer (with <c>--parse</c>, the parsed attributes).</item>
/// </list>
/// A stored file holds the data set as received, without the Part 10 preamble and meta header that MedNode's files add
/// (344 bytes per instance of the benchmark series). It checks what it needs to frame PDUs and trusts storescu for the
/// rest.
/// </summary>
internal static partial class DurableScp
{
    [LibraryImport("libc", SetLastError = true)] private static partial int fdatasync(int fd);
    [LibraryImport("libc", SetLastError = true)] private static partial int fsync(int fd);
    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)] private static partial int open(string path, int flags);
    [LibraryImport("libc")] private static partial int close(int fd);
    [LibraryImport("libc", SetLastError = true)] private static partial int ftruncate(int fd, long length);
    [LibraryImport("libc", SetLastError = true)] private static partial int fallocate(int fd, int mode, long offset, long length);
    private const long PoolBytes = 1L << 20;
    [LibraryImport("libc", SetLastError = true)] private static unsafe partial nint copy_file_range(int fdIn, long* offIn, int fdOut, long* offOut, nuint length, uint flags);
    [LibraryImport("libc", SetLastError = true)] private static partial int syncfs(int fd);
    private const int ODirectory = 0x10000; // O_DIRECTORY on Linux (x86-64 and arm64), with O_RDONLY (0)
    private static long SlotBytes = 64L << 20; // --journal-mib=N

    private sealed record Options(bool File, bool Hash, bool Parse, bool Index, string? Pool, bool NoFolderSync = false, bool Materialize = false);

    public static async Task<int> RunAsync(int port, string folder, IReadOnlyCollection<string> flags)
    {
        var options = new Options(flags.Contains("--file"), flags.Contains("--hash"), flags.Contains("--parse"), flags.Contains("--index"),
            flags.FirstOrDefault(f => f.StartsWith("--pool=", StringComparison.Ordinal))?["--pool=".Length..], flags.Contains("--no-folder-sync"), flags.Contains("--materialize"));
        if (flags.FirstOrDefault(f => f.StartsWith("--journal-mib=", StringComparison.Ordinal)) is { } mib)
            SlotBytes = long.Parse(mib["--journal-mib=".Length..], System.Globalization.CultureInfo.InvariantCulture) << 20;
        Directory.CreateDirectory(folder);
        var store = Path.Combine(folder, "store");
        Directory.CreateDirectory(store);
        var slots = new Queue<SafeFileHandle>();
        var zeros = new byte[1 << 20];
        for (int s = 0; s < 4; s++)
        {
            var h = System.IO.File.OpenHandle(Path.Combine(folder, $"journal-{s}"), FileMode.Create, FileAccess.ReadWrite);
            for (long at = 0; at < SlotBytes; at += zeros.Length) RandomAccess.Write(h, zeros, at);
            RandomAccess.FlushToDisk(h);
            slots.Enqueue(h);
        }
        var pool = new Queue<string>();
        if (options.Pool is { } kind)
        {
            var poolFolder = Path.Combine(folder, "pool");
            Directory.CreateDirectory(poolFolder);
            int count = int.Parse(flags.FirstOrDefault(f => f.StartsWith("--pool-files=", StringComparison.Ordinal))?["--pool-files=".Length..] ?? "256", System.Globalization.CultureInfo.InvariantCulture);
            for (int i = 0; i < count; i++)
            {
                var path = Path.Combine(poolFolder, $"p{i}");
                using var h = System.IO.File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write);
                if (kind == "zero") for (long at = 0; at < PoolBytes; at += zeros.Length) RandomAccess.Write(h, zeros.AsSpan(0, (int)Math.Min(zeros.Length, PoolBytes - at)), at);
                else if (fallocate((int)h.DangerousGetHandle(), 0, 0, PoolBytes) != 0) throw new IOException("fallocate failed");
                if (fsync((int)h.DangerousGetHandle()) != 0) throw new IOException("fsync failed");
                pool.Enqueue(path);
            }
            SyncFolder(poolFolder);
        }
        SyncFolder(folder);
        EfInstanceIndex? index = null;
        ServiceProvider? services = null;
        if (options.Index)
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["MedNode:Database:Provider"] = "Sqlite",
                ["MedNode:Database:ConnectionString"] = $"Data Source={Path.Combine(folder, "index.db")}",
            }).Build();
            services = new ServiceCollection().AddMedNodePersistence(configuration).BuildServiceProvider();
            await services.InitializeMedNodeDatabaseAsync(CancellationToken.None);
            index = services.GetRequiredService<EfInstanceIndex>();
        }
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        listener.Listen(64);
        Console.WriteLine($"durable-scp on {port}: {(options.File ? "a file per instance" : "journal")}, hash {options.Hash}, parse {options.Parse}, index {options.Index}");
        var shared = new Shared(options, store, slots, index, pool);
        while (true)
        {
            var socket = listener.Accept();
            new Thread(() => Serve(socket, shared)) { IsBackground = true }.Start();
        }
    }

    private sealed class Shared(Options options, string store, Queue<SafeFileHandle> slots, EfInstanceIndex? index, Queue<string> pool)
    {
        public Options Options { get; } = options;
        public string Store { get; } = store;
        public EfInstanceIndex? Index { get; } = index;
        public object IndexLock { get; } = new();
        private int _sequence;
        public int NextSequence() => Interlocked.Increment(ref _sequence);
        public SafeFileHandle TakeSlot() { lock (slots) return slots.Dequeue(); }
        public void GiveSlot(SafeFileHandle h) { lock (slots) slots.Enqueue(h); }
        public string TakePoolFile() { lock (pool) return pool.TryDequeue(out var path) ? path : throw new InvalidDataException("The pool of files is used up."); }
    }

    private static void SyncFolder(string path)
    {
        int fd = open(path, ODirectory);
        if (fd < 0 || fsync(fd) != 0) throw new IOException($"fsync of {path} failed");
        close(fd);
    }

    private static void ReadFull(Socket s, Span<byte> buffer)
    {
        for (int got = 0; got < buffer.Length;)
        {
            int r = s.Receive(buffer[got..]);
            if (r == 0) throw new EndOfStreamException();
            got += r;
        }
    }

    private static void Serve(Socket socket, Shared shared)
    {
        socket.NoDelay = true;
        var association = new AssociationState(socket, shared);
        try
        {
            var head = new byte[6];
            while (true)
            {
                ReadFull(socket, head);
                int length = checked((int)BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(2)));
                if (length > association.Pdu.Length) association.Pdu = new byte[length];
                ReadFull(socket, association.Pdu.AsSpan(0, length));
                if (!association.Handle(head[0], length)) break;
            }
        }
        catch (Exception ex) when (ex is EndOfStreamException or SocketException) { }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"association closed: {ex.GetType().Name}: {ex.Message}"); // the peer sees the connection close
        }
        finally
        {
            socket.Dispose();
            association.Dispose();
        }
    }

    /// <summary>
    /// <c>--materialize</c>: after the answer, a thread per association makes each instance's stored file from its
    /// journal record (a new file, <c>copy_file_range</c>, rename; no sync: the journal holds the instance until the
    /// next <c>syncfs</c>).
    /// </summary>
    private sealed unsafe class Materializer : IDisposable
    {
        private readonly Queue<(SafeFileHandle Journal, long Offset, long Size, string Target)> _queue = new();
        private readonly Thread _thread;
        private bool _done;
        private int _pending;

        public Materializer()
        {
            _thread = new Thread(Run) { IsBackground = true, Name = "materialize" };
            _thread.Start();
        }

        public void Add(SafeFileHandle journal, long offset, long size, string target)
        {
            lock (_queue)
            {
                _queue.Enqueue((journal, offset, size, target));
                _pending++;
                Monitor.PulseAll(_queue);
            }
        }

        public void Drain()
        {
            lock (_queue) while (_pending > 0) Monitor.Wait(_queue);
        }

        private void Run()
        {
            while (true)
            {
                (SafeFileHandle Journal, long Offset, long Size, string Target) item;
                lock (_queue)
                {
                    while (_queue.Count == 0)
                    {
                        if (_done) return;
                        Monitor.Wait(_queue);
                    }
                    item = _queue.Dequeue();
                }
                var temp = item.Target + ".tmp";
                using (var file = System.IO.File.OpenHandle(temp, FileMode.CreateNew, FileAccess.Write))
                {
                    long inAt = item.Offset, outAt = 0;
                    while (outAt < item.Size)
                    {
                        nint n = copy_file_range((int)item.Journal.DangerousGetHandle(), &inAt, (int)file.DangerousGetHandle(), &outAt, (nuint)(item.Size - outAt), 0);
                        if (n <= 0) throw new IOException("copy_file_range failed");
                    }
                }
                System.IO.File.Move(temp, item.Target);
                lock (_queue)
                {
                    _pending--;
                    Monitor.PulseAll(_queue);
                }
            }
        }

        public void Dispose()
        {
            Drain();
            lock (_queue)
            {
                _done = true;
                Monitor.PulseAll(_queue);
            }
            _thread.Join();
        }
    }

    private sealed class AssociationState(Socket socket, Shared shared) : IDisposable
    {
        public byte[] Pdu = new byte[1 << 20];
        private readonly byte[] _command = new byte[4096];
        private int _commandLength;
        private readonly byte[] _head = new byte[64 << 10]; // the data set's first bytes, for --parse
        private int _headLength;
        private readonly Dictionary<byte, string> _transferSyntaxes = [];
        private readonly SafeFileHandle _journal = shared.TakeSlot();
        private readonly IncrementalHash? _hash = shared.Options.Hash ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
        private long _position, _record, _size;
        private SafeFileHandle? _file;
        private string? _temp;
        private string _callingAe = "";
        private readonly Materializer? _materializer = shared.Options.Materialize ? new Materializer() : null;

        public void Dispose()
        {
            _materializer?.Dispose();
            _file?.Dispose();
            _hash?.Dispose();
            shared.GiveSlot(_journal);
        }

        public bool Handle(byte type, int length)
        {
            var pdu = Pdu.AsSpan(0, length);
            switch (type)
            {
                case 0x01: socket.Send(Accept(pdu)); return true;
                case 0x05: socket.Send([0x06, 0, 0, 0, 0, 4, 0, 0, 0, 0]); return false;
                case 0x04: break;
                default: return false;
            }
            for (int at = 0; at + 6 <= length;)
            {
                int pdv = checked((int)BinaryPrimitives.ReadUInt32BigEndian(pdu[at..]));
                if (pdv < 2 || at + 4 + pdv > length) return false;
                byte context = pdu[at + 4], header = pdu[at + 5];
                var value = pdu.Slice(at + 6, pdv - 2);
                if ((header & 1) != 0)
                {
                    if (_commandLength + value.Length > _command.Length) return false;
                    value.CopyTo(_command.AsSpan(_commandLength));
                    _commandLength += value.Length;
                    if ((header & 2) != 0 && !OnCommand(context)) return false;
                }
                else
                {
                    Write(value);
                    if ((header & 2) != 0) Commit(context);
                }
                at += 4 + pdv;
            }
            return true;
        }

        private bool OnCommand(byte context)
        {
            ushort field = BinaryPrimitives.ReadUInt16LittleEndian(Find(0x0100));
            if (field == 0x0030) { Respond(context, 0x8030, 0x0000); return true; }
            if (field != 0x0001) return false;
            if (SlotBytes - _position < (1 << 20))
            {
                // the journal is reused from its start: with --materialize, only once every file made from it is durable
                // (the materializer drained, then syncfs: the files, their names and folders)
                _materializer?.Drain();
                if (_materializer is not null && syncfs((int)_journal.DangerousGetHandle()) != 0) throw new IOException("syncfs failed");
                _position = 0;
            }
            _record = _position;
            _position += 8;
            _size = 0;
            _headLength = 0;
            if (shared.Options.Pool is not null)
            {
                _temp = shared.TakePoolFile();
                _file = System.IO.File.OpenHandle(_temp, FileMode.Open, FileAccess.Write);
            }
            else if (shared.Options.File)
            {
                _temp = Path.Combine(shared.Store, $"{shared.NextSequence()}.tmp");
                _file = System.IO.File.OpenHandle(_temp, FileMode.CreateNew, FileAccess.Write);
            }
            return true;
        }

        private void Write(ReadOnlySpan<byte> value)
        {
            if (shared.Options.Pool is not null && _size + value.Length > PoolBytes - 4096)
                throw new InvalidDataException("A data set larger than a pool file (1 MiB less its descriptor's 4 KiB).");
            if (_file is not null) RandomAccess.Write(_file, value, _size);
            else RandomAccess.Write(_journal, value, _position);
            _position += value.Length;
            _size += value.Length;
            _hash?.AppendData(value);
            if (shared.Options.Parse && _headLength < _head.Length)
            {
                int n = Math.Min(value.Length, _head.Length - _headLength);
                value[..n].CopyTo(_head.AsSpan(_headLength));
                _headLength += n;
            }
        }

        private void Commit(byte context)
        {
            string key;
            if (_file is not null && shared.Options.Pool is not null)
            {
                // the descriptor in the pool file's last 4 KiB, covered by the same fdatasync as the data; the truncation
                // and the rename after it are not synced (recovery would redo them from the descriptor)
                Span<byte> descriptor = stackalloc byte[16];
                "MNPD"u8.CopyTo(descriptor);
                BinaryPrimitives.WriteInt64LittleEndian(descriptor[8..], _size);
                RandomAccess.Write(_file, descriptor, PoolBytes - 4096);
                if (fdatasync((int)_file.DangerousGetHandle()) != 0) throw new IOException("fdatasync failed");
                if (ftruncate((int)_file.DangerousGetHandle(), _size) != 0) throw new IOException("ftruncate failed");
                _file.Dispose();
                _file = null;
                key = Path.Combine(shared.Store, $"{shared.NextSequence()}.dcm");
                System.IO.File.Move(_temp!, key);
            }
            else if (_file is not null)
            {
                if (fdatasync((int)_file.DangerousGetHandle()) != 0) throw new IOException("fdatasync failed");
                _file.Dispose();
                _file = null;
                key = _temp![..^4] + ".dcm";
                System.IO.File.Move(_temp, key);
                if (!shared.Options.NoFolderSync) SyncFolder(shared.Store);
            }
            else
            {
                Span<byte> record = stackalloc byte[8];
                BinaryPrimitives.WriteInt64LittleEndian(record, _size);
                RandomAccess.Write(_journal, record, _record);
                if (fdatasync((int)_journal.DangerousGetHandle()) != 0) throw new IOException("fdatasync failed");
                key = shared.Options.Materialize ? Path.Combine(shared.Store, $"{shared.NextSequence()}.dcm") : $"journal/{_record}";
            }
            Span<byte> sha = stackalloc byte[32];
            if (_hash is not null) _hash.GetHashAndReset(sha);
            if (shared.Index is { } index)
            {
                var blob = new BlobInfo(key, _size, Convert.ToHexStringLower(sha));
                var meta = new IngestMeta("DIMSE", _callingAe, DateTimeOffset.UtcNow);
                InstanceRecord record;
                if (shared.Options.Parse)
                {
                    var ts = DicomTransferSyntax.Lookup(_transferSyntaxes[context]);
                    var ds = DicomFile.ParseDataset(_head.AsMemory(0, _headLength), ts, new DicomReadOptions { StopAtPixelData = true });
                    record = InstanceRecord.FromDataset(ds, ts.Uid, blob, meta);
                }
                else
                {
                    record = new InstanceRecord
                    {
                        SopInstanceUid = Encoding.ASCII.GetString(Find(0x1000)).TrimEnd('\0', ' '),
                        SopClassUid = Encoding.ASCII.GetString(Find(0x0002)).TrimEnd('\0', ' '),
                        StudyInstanceUid = "1.2.826.0.1.3680043.10.543.8", SeriesInstanceUid = "1.2.826.0.1.3680043.10.543.8.1",
                        TransferSyntaxUid = _transferSyntaxes[context], BlobKey = key, Size = _size, Sha256 = blob.Sha256,
                    };
                }
                lock (shared.IndexLock)
                {
                    _ = index.ContainsInstanceAsync(record.SopInstanceUid, CancellationToken.None).GetAwaiter().GetResult(); // the ingest's duplicate lookup
                    index.AddOrReplaceAsync(record, CancellationToken.None).GetAwaiter().GetResult();
                }
            }
            else if (shared.Options.Parse)
            {
                DicomFile.ParseDataset(_head.AsMemory(0, _headLength), DicomTransferSyntax.Lookup(_transferSyntaxes[context]),
                    new DicomReadOptions { StopAtPixelData = true });
            }
            Respond(context, 0x8001, 0x0000);
            _materializer?.Add(_journal, _record + 8, _size, key);
        }

        private ReadOnlySpan<byte> Find(ushort element)
        {
            var c = _command.AsSpan(0, _commandLength);
            for (int at = 0; at + 8 <= c.Length;)
            {
                ushort g = BinaryPrimitives.ReadUInt16LittleEndian(c[at..]), e = BinaryPrimitives.ReadUInt16LittleEndian(c[(at + 2)..]);
                int l = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(c[(at + 4)..]));
                if (at + 8 + l > c.Length) break;
                if (g == 0 && e == element) return c.Slice(at + 8, l);
                at += 8 + l;
            }
            return default;
        }

        /// <summary>A response command set (implicit VR little endian, PS3.7 §6.3.1) in one P-DATA-TF.</summary>
        private void Respond(byte context, ushort commandField, ushort status)
        {
            var body = new byte[512];
            int n = 0;
            void Put(ushort element, ReadOnlySpan<byte> v)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(body.AsSpan(n + 2), element);
                BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(n + 4), (uint)v.Length);
                v.CopyTo(body.AsSpan(n + 8));
                n += 8 + v.Length;
            }
            Span<byte> u16 = stackalloc byte[2];
            Put(0x0002, Find(0x0002));
            BinaryPrimitives.WriteUInt16LittleEndian(u16, commandField); Put(0x0100, u16);
            Put(0x0120, Find(0x0110));
            BinaryPrimitives.WriteUInt16LittleEndian(u16, 0x0101); Put(0x0800, u16);
            BinaryPrimitives.WriteUInt16LittleEndian(u16, status); Put(0x0900, u16);
            var instance = Find(0x1000);
            if (!instance.IsEmpty) Put(0x1000, instance);
            var pdu = new byte[12 + 12 + n];
            pdu[0] = 0x04;
            BinaryPrimitives.WriteUInt32BigEndian(pdu.AsSpan(2), (uint)(pdu.Length - 6));
            BinaryPrimitives.WriteUInt32BigEndian(pdu.AsSpan(6), (uint)(pdu.Length - 10));
            pdu[10] = context;
            pdu[11] = 0x03; // command, last fragment
            BinaryPrimitives.WriteUInt32LittleEndian(pdu.AsSpan(16), 4); // (0000,0000) Command Group Length
            BinaryPrimitives.WriteUInt32LittleEndian(pdu.AsSpan(20), (uint)n);
            body.AsSpan(0, n).CopyTo(pdu.AsSpan(24));
            socket.Send(pdu);
            _commandLength = 0;
        }

        /// <summary>A-ASSOCIATE-AC (PS3.8 §9.3.3): every presentation context accepted with its first transfer syntax.</summary>
        private byte[] Accept(ReadOnlySpan<byte> rq)
        {
            var application = "1.2.840.10008.3.1.1.1"u8;
            var implementation = "1.2.826.0.1.3680043.10.543.1"u8;
            var ac = new byte[rq.Length + 256];
            int at = 6;
            rq[..68].CopyTo(ac.AsSpan(at)); // version, reserved, called and calling AE, reserved: echoed (PS3.8 Table 9-17)
            _callingAe = Encoding.ASCII.GetString(rq.Slice(20, 16)).Trim();
            at += 68;
            ac[at] = 0x10;
            BinaryPrimitives.WriteUInt16BigEndian(ac.AsSpan(at + 2), (ushort)application.Length);
            application.CopyTo(ac.AsSpan(at + 4));
            at += 4 + application.Length;
            for (int i = 68; i + 4 <= rq.Length;)
            {
                int length = BinaryPrimitives.ReadUInt16BigEndian(rq[(i + 2)..]);
                if (i + 4 + length > rq.Length) break;
                if (rq[i] == 0x20 && length >= 4)
                {
                    byte id = rq[i + 4];
                    for (int k = i + 8; k + 4 <= i + 4 + length;)
                    {
                        int l = BinaryPrimitives.ReadUInt16BigEndian(rq[(k + 2)..]);
                        if (rq[k] == 0x40)
                        {
                            var ts = rq.Slice(k + 4, l);
                            _transferSyntaxes[id] = Encoding.ASCII.GetString(ts).TrimEnd('\0', ' ');
                            ac[at] = 0x21;
                            BinaryPrimitives.WriteUInt16BigEndian(ac.AsSpan(at + 2), (ushort)(8 + ts.Length));
                            ac[at + 4] = id;
                            ac[at + 8] = 0x40;
                            BinaryPrimitives.WriteUInt16BigEndian(ac.AsSpan(at + 10), (ushort)ts.Length);
                            ts.CopyTo(ac.AsSpan(at + 12));
                            at += 12 + ts.Length;
                            break;
                        }
                        k += 4 + l;
                    }
                }
                i += 4 + length;
            }
            int user = at;
            ac[at] = 0x50;
            at += 4;
            ac[at] = 0x51; // maximum length: none (PS3.8 §D.1)
            BinaryPrimitives.WriteUInt16BigEndian(ac.AsSpan(at + 2), 4);
            at += 8;
            ac[at] = 0x52;
            BinaryPrimitives.WriteUInt16BigEndian(ac.AsSpan(at + 2), (ushort)implementation.Length);
            implementation.CopyTo(ac.AsSpan(at + 4));
            at += 4 + implementation.Length;
            BinaryPrimitives.WriteUInt16BigEndian(ac.AsSpan(user + 2), (ushort)(at - user - 4));
            ac[0] = 0x02;
            BinaryPrimitives.WriteUInt32BigEndian(ac.AsSpan(2), (uint)(at - 6));
            return ac[..at];
        }
    }
}
