/*
 * What a durable commit of one 512 KiB instance costs on this machine's disk, by the pattern of its writes and flushes
 * (bench/RESULTS.md, C-STORE section of 2026-11-26 22:29-23:41). Each pattern writes 200 instances of 525,348 bytes (a 512x512
 * CT slice) one after the other, as one association's commits do, and the program prints milliseconds per instance.
 * Patterns, in the order they run (interleaved over REPS repetitions, each in a fresh folder under DIR):
 *   today     MedNode's group flush (FileSystemBlobStore + IngestJournal): a new spooled file written and its writeback
 *             started, a journal record appended, then fdatasync(file) || fsync(folder) || fdatasync(journal) on three
 *             threads, then the rename into place
 *   pool      the same with a spooled file taken from files written with zeros and synced beforehand (so its names and
 *             blocks are durable already) and a journal written with zeros beforehand: fdatasync(file) ||
 *             fdatasync(journal), then the rename and a truncate to the instance's length
 *   pool-bare pool without the rename and the truncate
 *   new-1     a new file, written and fdatasynced alone (no folder, no journal)
 *   pool-1    a pre-written file, written and fdatasynced alone
 *   journal-1 the instance appended to a journal written with zeros beforehand, one fdatasync: the durable floor
 *             (bench/durable-floor.c) in miniature
 *   journal+file  journal-1, then the stored file written from memory and renamed into place without a flush (a journal
 *             that holds the data set and writes the file behind it, with the file in place before the answer)
 *   today-nofolder  today without the folder's fsync (on ext4, XFS and Btrfs an fsync of a new file also makes its name
 *             durable): is the third concurrent flush what costs?
 * The "|| " syncs run on threads of their own, as MedNode's do. Nothing here is MedNode code: it isolates the disk.
 *
 * build: cc -O2 -pthread -o commit-patterns bench/commit-patterns.c
 * usage: commit-patterns DIR [REPS=3]   (DIR on the file system of the store; it must be empty or absent)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { N = 200, PATTERNS = 8 };
static const size_t Size = 525348;
static const size_t Block = 1 << 20;
static const char *Names[PATTERNS] = { "today", "pool", "pool-bare", "new-1", "pool-1", "journal-1", "journal+file", "today-nofolder" };

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void die(const char *what) { perror(what); exit(1); }
static void *data_sync(void *fd) { if (fdatasync((int)(long)fd) != 0) die("fdatasync"); return NULL; }
static void *full_sync(void *fd) { if (fsync((int)(long)fd) != 0) die("fsync"); return NULL; }

static void write_all(int fd, const char *buf, size_t n, off_t at)
{
    if (pwrite(fd, buf, n, at) != (ssize_t)n) die("pwrite");
}

/* A file of `bytes` zeros, synced. */
static int prewritten(const char *path, size_t bytes, const char *zeros)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) die("open");
    for (size_t at = 0; at < bytes; at += Block) write_all(fd, zeros, Block, (off_t)at);
    if (fsync(fd) != 0) die("fsync");
    return fd;
}

static double run(const char *root, int pattern, int rep, const char *data, const char *zeros)
{
    char dir[2048], p[4096], q[4096];
    snprintf(dir, sizeof dir, "%s/%s-%d", root, Names[pattern], rep);
    if (mkdir(dir, 0755) != 0) die("mkdir");
    snprintf(p, sizeof p, "%s/journal", dir);
    int journal = prewritten(p, (pattern == 5 || pattern == 6) ? N * (Size + 4096) : 8 << 20, zeros);
    int folder = open(dir, O_RDONLY | O_DIRECTORY);
    int pool[N];
    if (pattern == 1 || pattern == 2 || pattern == 4)
        for (int i = 0; i < N; i++) {
            snprintf(p, sizeof p, "%s/pool-%d", dir, i);
            pool[i] = prewritten(p, Block, zeros);
        }
    if (fsync(folder) != 0) die("fsync folder");
    sync();
    sleep(1);
    off_t jpos = 0;
    double t0 = now();
    for (int i = 0; i < N; i++) {
        pthread_t a, b;
        int fd;
        switch (pattern) {
        case 0:
        case 7:
            snprintf(p, sizeof p, "%s/spool-%d", dir, i);
            if ((fd = open(p, O_RDWR | O_CREAT | O_EXCL, 0644)) < 0) die("open");
            write_all(fd, data, Size, 0);
            sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
            write_all(journal, data, 300, jpos);
            jpos += 300;
            pthread_create(&a, NULL, data_sync, (void *)(long)fd);
            if (pattern == 0) pthread_create(&b, NULL, full_sync, (void *)(long)folder);
            data_sync((void *)(long)journal);
            pthread_join(a, NULL);
            if (pattern == 0) pthread_join(b, NULL);
            snprintf(q, sizeof q, "%s/stored-%d.dcm", dir, i);
            if (rename(p, q) != 0) die("rename");
            close(fd);
            break;
        case 1:
        case 2:
            fd = pool[i];
            write_all(fd, data, Size, 0);
            sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
            write_all(journal, data, 300, jpos);
            jpos += 300;
            pthread_create(&a, NULL, data_sync, (void *)(long)fd);
            data_sync((void *)(long)journal);
            pthread_join(a, NULL);
            if (pattern == 1) {
                snprintf(p, sizeof p, "%s/pool-%d", dir, i);
                snprintf(q, sizeof q, "%s/stored-%d.dcm", dir, i);
                if (rename(p, q) != 0) die("rename");
                if (ftruncate(fd, (off_t)Size) != 0) die("ftruncate");
            }
            break;
        case 3:
            snprintf(p, sizeof p, "%s/new-%d", dir, i);
            if ((fd = open(p, O_RDWR | O_CREAT | O_EXCL, 0644)) < 0) die("open");
            write_all(fd, data, Size, 0);
            data_sync((void *)(long)fd);
            close(fd);
            break;
        case 4:
            write_all(pool[i], data, Size, 0);
            data_sync((void *)(long)pool[i]);
            break;
        default:
            write_all(journal, data, Size, jpos);
            jpos += (off_t)Size + 4096;
            data_sync((void *)(long)journal);
            if (pattern == 6) {
                snprintf(p, sizeof p, "%s/tmp-%d", dir, i);
                if ((fd = open(p, O_RDWR | O_CREAT | O_EXCL, 0644)) < 0) die("open");
                write_all(fd, data, Size, 0);
                close(fd);
                snprintf(q, sizeof q, "%s/stored-%d.dcm", dir, i);
                if (rename(p, q) != 0) die("rename");
            }
        }
    }
    double ms = (now() - t0) / N * 1000;
    if (pattern == 1 || pattern == 2 || pattern == 4)
        for (int i = 0; i < N; i++) close(pool[i]);
    close(journal);
    close(folder);
    return ms;
}

static long steal_ticks(void)
{
    FILE *f = fopen("/proc/stat", "r");
    long v[8] = { 0 };
    if (!f || fscanf(f, "cpu %ld %ld %ld %ld %ld %ld %ld %ld", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8) v[7] = -1;
    if (f) fclose(f);
    return v[7];
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strlen(argv[1]) > 1900) { fprintf(stderr, "usage: %s DIR [REPS] (DIR under 1900 characters)\n", argv[0]); return 2; }
    int reps = argc > 2 ? atoi(argv[2]) : 3;
    if (reps < 1 || reps > 50) { fprintf(stderr, "REPS must be 1 to 50\n"); return 2; }
    mkdir(argv[1], 0755);
    char *data = malloc(Size), *zeros = calloc(1, Block);
    for (size_t i = 0; i < Size; i++) data[i] = (char)(i * 131 + 7);
    double ms[PATTERNS][50];
    printf("# pattern\trep\tms_per_instance\tsteal_ticks\n");
    for (int r = 0; r < reps; r++)
        for (int p = 0; p < PATTERNS; p++) {
            long s0 = steal_ticks();
            ms[p][r] = run(argv[1], p, r, data, zeros);
            printf("%s\t%d\t%.3f\t%ld\n", Names[p], r + 1, ms[p][r], steal_ticks() - s0);
            fflush(stdout);
        }
    printf("\n| pattern | median ms per instance (%d runs) |\n| --- | --- |\n", reps);
    for (int p = 0; p < PATTERNS; p++) {
        qsort(ms[p], (size_t)reps, sizeof ms[p][0], by_value);
        printf("| %s | %.2f |\n", Names[p], ms[p][reps / 2]);
    }
    return 0;
}
