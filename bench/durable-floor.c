/*
 * The durable floor of C-STORE (bench/dimse.sh, receiver "durable"): the leanest receiver that answers a C-STORE only
 * once the data set is on stable storage. Not a product and not a competitor: a bound for bench/RESULTS.md. For each
 * association (a thread each) it
 *   - accepts every proposed presentation context with its first transfer syntax (PS3.8 §9.3.3), answers C-ECHO;
 *   - writes the data set fragments of each C-STORE, as they arrive, into a journal file of its own that was written
 *     (zeros) and fdatasynced before the server listened, so that an fdatasync of it commits no file-system metadata
 *     (the fastest durable write bench/disk-floor.py found); each instance is a record of its length and bytes;
 *   - fdatasyncs the journal after the last fragment, then answers Success (PS3.4 Table B.2-1).
 * It keeps no file per instance, no index, no checksum and no meta header: everything a real node adds comes on top.
 * Only a benchmark peer: it checks what it needs to frame PDUs and trusts storescu for the rest.
 *
 * build: cc -O2 -pthread -o durable-floor bench/durable-floor.c
 * usage: durable-floor PORT JOURNAL_DIR [SLOTS=4] [SLOT_MIB=160]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static int slots_n;
static int *slot_fd;
static long long slot_bytes;
static int *slot_busy;
static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t slot_free = PTHREAD_COND_INITIALIZER;

static void die(const char *what) { perror(what); exit(1); }

static int read_full(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = recv(fd, (char *)buf + got, n - got, 0);
        if (r == 0) return -1;
        if (r < 0) { if (errno == EINTR) continue; return -1; }
        got += (size_t)r;
    }
    return 0;
}

static int write_full(int fd, const void *buf, size_t n)
{
    size_t put = 0;
    while (put < n) {
        ssize_t w = send(fd, (const char *)buf + put, n - put, MSG_NOSIGNAL);
        if (w < 0) { if (errno == EINTR) continue; return -1; }
        put += (size_t)w;
    }
    return 0;
}

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static void put_be32(uint8_t *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }
static void put_be16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v; }
static void put_le16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void put_le32(uint8_t *p, uint32_t v) { p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24; }

/* Appends one implicit VR little endian element (PS3.5 §7.1.3) to a command set. */
static size_t put_elem(uint8_t *p, uint16_t element, const void *value, uint32_t len)
{
    put_le16(p, 0x0000);
    put_le16(p + 2, element);
    put_le32(p + 4, len);
    memcpy(p + 8, value, len);
    return 8 + len;
}

/* Finds element (0000,element) of an implicit VR LE command set; returns its value and length. */
static const uint8_t *find_elem(const uint8_t *cmd, size_t n, uint16_t element, uint32_t *len)
{
    size_t at = 0;
    while (at + 8 <= n) {
        uint16_t g = cmd[at] | cmd[at + 1] << 8, e = cmd[at + 2] | cmd[at + 3] << 8;
        uint32_t l = cmd[at + 4] | cmd[at + 5] << 8 | cmd[at + 6] << 16 | (uint32_t)cmd[at + 7] << 24;
        if (at + 8 + l > n) return NULL;
        if (g == 0 && e == element) { *len = l; return cmd + at + 8; }
        at += 8 + l;
    }
    return NULL;
}

/* Sends a response command set (no data set) in one P-DATA-TF on presentation context pc. */
static int send_response(int fd, uint8_t pc, const uint8_t *cmd, size_t cmd_len, uint16_t command_field)
{
    uint32_t cls_len = 0, inst_len = 0, id_len = 0;
    const uint8_t *cls = find_elem(cmd, cmd_len, 0x0002, &cls_len);
    const uint8_t *inst = find_elem(cmd, cmd_len, 0x1000, &inst_len);
    const uint8_t *id = find_elem(cmd, cmd_len, 0x0110, &id_len);
    if (!cls || !id || id_len != 2 || cls_len > 64 || inst_len > 64) return -1;
    uint8_t body[512];
    size_t n = 12; /* (0000,0000) written last */
    uint16_t v;
    n += put_elem(body + n, 0x0002, cls, cls_len);
    v = command_field; n += put_elem(body + n, 0x0100, &v, 2);
    n += put_elem(body + n, 0x0120, id, 2);
    v = 0x0101; n += put_elem(body + n, 0x0800, &v, 2);
    v = 0x0000; n += put_elem(body + n, 0x0900, &v, 2);
    if (inst) n += put_elem(body + n, 0x1000, inst, inst_len);
    uint32_t group = (uint32_t)(n - 12);
    put_elem(body, 0x0000, &group, 4);
    uint8_t head[12];
    head[0] = 0x04; head[1] = 0;
    put_be32(head + 2, (uint32_t)(n + 6));
    put_be32(head + 6, (uint32_t)(n + 2));
    head[10] = pc; head[11] = 0x03; /* command, last fragment */
    if (write_full(fd, head, sizeof head) < 0) return -1;
    return write_full(fd, body, n);
}

/* A-ASSOCIATE-AC for an A-ASSOCIATE-RQ (PS3.8 §9.3.3): every presentation context accepted with its first transfer syntax. */
static int send_accept(int fd, const uint8_t *rq, size_t n)
{
    static const char app_ctx[] = "1.2.840.10008.3.1.1.1";
    static const char impl_uid[] = "1.2.826.0.1.3680043.10.543.1";
    if (n < 68) return -1;
    uint8_t *ac = malloc(n + 256);
    if (!ac) return -1;
    size_t at = 6;
    memcpy(ac + at, rq, 68); /* version, reserved, called, calling, reserved: echoed (PS3.8 Table 9-17) */
    at += 68;
    ac[at] = 0x10; ac[at + 1] = 0; put_be16(ac + at + 2, sizeof app_ctx - 1); memcpy(ac + at + 4, app_ctx, sizeof app_ctx - 1);
    at += 4 + sizeof app_ctx - 1;
    size_t i = 68;
    while (i + 4 <= n) {
        uint8_t type = rq[i];
        uint16_t len = be16(rq + i + 2);
        if (i + 4 + len > n) break;
        if (type == 0x20 && len >= 4) {
            uint8_t id = rq[i + 4];
            const uint8_t *ts = NULL;
            uint16_t ts_len = 0;
            for (size_t j = i + 8; j + 4 <= i + 4 + len;) {
                uint16_t l = be16(rq + j + 2);
                if (rq[j] == 0x40 && !ts) { ts = rq + j + 4; ts_len = l; }
                j += 4 + l;
            }
            if (ts) {
                ac[at] = 0x21; ac[at + 1] = 0; put_be16(ac + at + 2, (uint16_t)(4 + 4 + ts_len));
                ac[at + 4] = id; ac[at + 5] = 0; ac[at + 6] = 0; ac[at + 7] = 0;
                ac[at + 8] = 0x40; ac[at + 9] = 0; put_be16(ac + at + 10, ts_len); memcpy(ac + at + 12, ts, ts_len);
                at += 12 + ts_len;
            }
        }
        i += 4 + len;
    }
    size_t ui = at;
    ac[at] = 0x50; ac[at + 1] = 0;
    at += 4;
    ac[at] = 0x51; ac[at + 1] = 0; put_be16(ac + at + 2, 4); put_be32(ac + at + 4, 0); /* no maximum */
    at += 8;
    ac[at] = 0x52; ac[at + 1] = 0; put_be16(ac + at + 2, sizeof impl_uid - 1); memcpy(ac + at + 4, impl_uid, sizeof impl_uid - 1);
    at += 4 + sizeof impl_uid - 1;
    put_be16(ac + ui + 2, (uint16_t)(at - ui - 4));
    ac[0] = 0x02; ac[1] = 0; put_be32(ac + 2, (uint32_t)(at - 6));
    int r = write_full(fd, ac, at);
    free(ac);
    return r;
}

static int take_slot(void)
{
    pthread_mutex_lock(&slot_lock);
    int s;
    for (;;) {
        for (s = 0; s < slots_n && slot_busy[s]; s++) {}
        if (s < slots_n) break;
        pthread_cond_wait(&slot_free, &slot_lock);
    }
    slot_busy[s] = 1;
    pthread_mutex_unlock(&slot_lock);
    return s;
}

static void give_slot(int s)
{
    pthread_mutex_lock(&slot_lock);
    slot_busy[s] = 0;
    pthread_cond_signal(&slot_free);
    pthread_mutex_unlock(&slot_lock);
}

static void *serve(void *arg)
{
    int fd = (int)(intptr_t)arg;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int slot = take_slot(), jfd = slot_fd[slot];
    size_t cap = 1 << 20, cmd_len = 0;
    uint8_t *pdu = malloc(cap), cmd[4096];
    long long pos = 0, record = 0; /* the current record's length field, and the write position */
    int in_data = 0;
    uint8_t head[6];
    while (pdu && read_full(fd, head, 6) == 0) {
        uint32_t len = be32(head + 2);
        if (len > cap) {
            uint8_t *bigger = realloc(pdu, len);
            if (!bigger) break;
            pdu = bigger;
            cap = len;
        }
        if (read_full(fd, pdu, len) < 0) break;
        if (head[0] == 0x01) {
            if (send_accept(fd, pdu, len) < 0) break;
        } else if (head[0] == 0x04) {
            for (size_t at = 0; at + 6 <= len;) {
                uint32_t pdv = be32(pdu + at);
                if (pdv < 2 || at + 4 + pdv > len) goto done;
                uint8_t pc = pdu[at + 4], mch = pdu[at + 5];
                const uint8_t *value = pdu + at + 6;
                size_t vlen = pdv - 2;
                if (mch & 1) {
                    if (cmd_len + vlen > sizeof cmd) goto done;
                    memcpy(cmd + cmd_len, value, vlen);
                    cmd_len += vlen;
                    if (mch & 2) {
                        uint32_t cf_len = 0;
                        const uint8_t *cf = find_elem(cmd, cmd_len, 0x0100, &cf_len);
                        uint16_t field = cf && cf_len == 2 ? (uint16_t)(cf[0] | cf[1] << 8) : 0;
                        if (field == 0x0030) { /* C-ECHO-RQ */
                            if (send_response(fd, pc, cmd, cmd_len, 0x8030) < 0) goto done;
                            cmd_len = 0;
                        } else if (field == 0x0001) { /* C-STORE-RQ: the data set follows */
                            if (slot_bytes - pos < (1 << 20)) pos = 0; /* wrap: the journal is reused from its start */
                            record = pos;
                            pos += 8;
                            in_data = 1;
                        } else goto done;
                    }
                } else {
                    if (!in_data) goto done;
                    if (pwrite(jfd, value, vlen, pos) != (ssize_t)vlen) die("pwrite");
                    pos += (long long)vlen;
                    if (mch & 2) {
                        uint8_t rec[8];
                        long long size = pos - record - 8;
                        memcpy(rec, &size, 8);
                        if (pwrite(jfd, rec, 8, record) != 8) die("pwrite");
                        if (fdatasync(jfd) != 0) die("fdatasync");
                        in_data = 0;
                        if (send_response(fd, pc, cmd, cmd_len, 0x8001) < 0) goto done;
                        cmd_len = 0;
                    }
                }
                at += 4 + pdv;
            }
        } else if (head[0] == 0x05) {
            uint8_t rp[10] = { 0x06, 0, 0, 0, 0, 4, 0, 0, 0, 0 };
            write_full(fd, rp, sizeof rp);
            break;
        } else {
            break; /* A-ABORT or anything else */
        }
    }
done:
    free(pdu);
    close(fd);
    give_slot(slot);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3) { fprintf(stderr, "usage: %s PORT JOURNAL_DIR [SLOTS] [SLOT_MIB]\n", argv[0]); return 2; }
    int port = atoi(argv[1]);
    slots_n = argc > 3 ? atoi(argv[3]) : 4;
    slot_bytes = (argc > 4 ? atoll(argv[4]) : 160) << 20;
    slot_fd = calloc((size_t)slots_n, sizeof *slot_fd);
    slot_busy = calloc((size_t)slots_n, sizeof *slot_busy);
    char *zeros = calloc(1, 1 << 20);
    for (int s = 0; s < slots_n; s++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/journal-%d", argv[2], s);
        int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) die("open journal");
        for (long long at = 0; at < slot_bytes; at += 1 << 20)
            if (pwrite(fd, zeros, 1 << 20, at) != 1 << 20) die("pre-write journal");
        if (fsync(fd) != 0) die("fsync journal");
        slot_fd[s] = fd;
    }
    int dir = open(argv[2], O_RDONLY | O_DIRECTORY);
    if (dir < 0 || fsync(dir) != 0) die("fsync journal folder");
    close(dir);
    int srv = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (bind(srv, (struct sockaddr *)&addr, sizeof addr) != 0) die("bind");
    if (listen(srv, 64) != 0) die("listen");
    for (;;) {
        int c = accept(srv, NULL, NULL);
        if (c < 0) { if (errno == EINTR) continue; die("accept"); }
        pthread_t t;
        if (pthread_create(&t, NULL, serve, (void *)(intptr_t)c) != 0) die("pthread_create");
        pthread_detach(t);
    }
}
