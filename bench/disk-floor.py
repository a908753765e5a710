#!/usr/bin/env python3
"""What this machine's disk allows a durable receiver, whatever its design (issue 3 and 4 benchmarks).

Writes, in DIR (default /tmp; use the store's filesystem), what the 200-slice CT benchmark writes: COUNT files of SIZE
bytes (default 200 x 524,288), and times three things, each REPS times (median):
  1. bandwidth: all COUNT*SIZE bytes into one file, one fdatasync at the end (the least a durable receiver must do for
     those bytes; no per-file flush);
  2. one association, floor: per instance its bytes written into a file whose blocks were allocated and written
     beforehand (a pre-allocated journal: no metadata to commit), then fdatasync. With one association the next instance
     is only sent after the acknowledgement, so no design can acknowledge faster than this on this disk;
  3. one association, a file per instance: a new file, its bytes, fdatasync, fsync of its folder (what a store of plain
     files does, one after the other);
  4. flush alone: fdatasync of a 4 KiB overwrite in a file whose blocks are already allocated (a disk-cache flush).
Prints seconds and the images/s ceiling each implies, for comparison with storescp's and Orthanc's images/s.
usage: bench/disk-floor.py [DIR] [COUNT] [SIZE] [REPS]
"""
import os, sys, time, statistics, tempfile, shutil

d = sys.argv[1] if len(sys.argv) > 1 else "/tmp"
count = int(sys.argv[2]) if len(sys.argv) > 2 else 200
size = int(sys.argv[3]) if len(sys.argv) > 3 else 524288
reps = int(sys.argv[4]) if len(sys.argv) > 4 else 3
data = os.urandom(size)  # incompressible, like noisy CT pixels; no file system here compresses anyway

def bandwidth(root):
    t = time.perf_counter()
    fd = os.open(os.path.join(root, "all"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    for _ in range(count): os.write(fd, data)
    os.fdatasync(fd); os.close(fd)
    return time.perf_counter() - t

def per_instance(root):
    t = time.perf_counter()
    dfd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    for i in range(count):
        fd = os.open(os.path.join(root, f"{i}.dcm"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(fd, data); os.fdatasync(fd); os.close(fd); os.fsync(dfd)
    os.close(dfd)
    return time.perf_counter() - t

def preallocated(root):
    fd = os.open(os.path.join(root, "journal"), os.O_WRONLY | os.O_CREAT, 0o644)
    for _ in range(count): os.write(fd, data)
    os.fsync(fd)
    t = time.perf_counter()
    for i in range(count):
        os.pwrite(fd, data, i * size); os.fdatasync(fd)
    os.close(fd)
    return time.perf_counter() - t

def flush(root):
    fd = os.open(os.path.join(root, "small"), os.O_WRONLY | os.O_CREAT, 0o644)
    os.pwrite(fd, data[:4096], 0); os.fsync(fd)
    times = []
    for i in range(50):
        t = time.perf_counter(); os.pwrite(fd, data[i:i + 4096], 0); os.fdatasync(fd); times.append(time.perf_counter() - t)
    os.close(fd)
    return statistics.median(times)

res = {"bandwidth": [], "preallocated": [], "per_instance": [], "flush": []}
for _ in range(reps):
    for name, f in (("bandwidth", bandwidth), ("preallocated", preallocated), ("per_instance", per_instance), ("flush", flush)):
        root = tempfile.mkdtemp(prefix="disk-floor-", dir=d)
        try: res[name].append(f(root))
        finally: shutil.rmtree(root)
mb = count * size / 1e6
b, a, p, f = (statistics.median(res[k]) for k in ("bandwidth", "preallocated", "per_instance", "flush"))
print(f"# {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}, dir {d}, {count} x {size} bytes, load {open('/proc/loadavg').read().split()[:3]}")
print(f"bandwidth, one fdatasync at the end: {b:.3f} s for {mb:.1f} MB = {mb / b:.0f} MB/s -> at most {count / b:.0f} images/s  (runs {', '.join(f'{x:.3f}' for x in res['bandwidth'])})")
print(f"one association, floor (pre-allocated journal, fdatasync per instance): {a:.3f} s = {a / count * 1e3:.2f} ms per instance -> at most {count / a:.0f} images/s  (runs {', '.join(f'{x:.3f}' for x in res['preallocated'])})")
print(f"one association, file + fdatasync + folder fsync per instance: {p:.3f} s = {p / count * 1e3:.2f} ms per instance -> at most {count / p:.0f} images/s  (runs {', '.join(f'{x:.3f}' for x in res['per_instance'])})")
print(f"disk-cache flush alone (4 KiB overwrite + fdatasync, median of 50): {f * 1e3:.2f} ms  (runs {', '.join(f'{x * 1e3:.2f}' for x in res['flush'])})")
