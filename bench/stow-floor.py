#!/usr/bin/env python3
"""The floor of a durable STOW-RS request on this machine (issue 4 benchmark; bench/dicomweb.sh runs it as server "floor").

Answers every HTTP/1.1 POST on 127.0.0.1:PORT the way the least a durable receiver can do: the body is received
(Content-Length framing, one keep-alive connection per client), written into a journal file in DIR that was written
with zeros and flushed at start (so a write changes neither the file's size nor its block map, and its flush commits
no file-system metadata: the cheapest durable write here, cheaper than a new file per instance), flushed with
fdatasync, and only then answered with dicom+json naming one ReferencedSOPSequence item per multipart part (so that the
benchmark's client counts the parts as stored, as it does for the servers). Nothing is parsed, checked, hashed or
indexed. A server that answers only after its data is on disk cannot answer the same requests much sooner here, so
the floor's ratio to Orthanc bounds what a durable server could reach on this machine. Prints "ready" when listening.
usage: bench/stow-floor.py DIR PORT
"""
import os, socket, sys, threading

JOURNAL_BYTES = 256 << 20
directory, port = sys.argv[1], int(sys.argv[2])
fd = os.open(os.path.join(directory, "floor-journal"), os.O_CREAT | os.O_RDWR, 0o600)
zeros = bytes(1 << 20)
for _ in range(JOURNAL_BYTES >> 20):
    os.write(fd, zeros)
os.fsync(fd)
lock = threading.Lock()
next_offset = 0


def reserve(length):
    """An offset for LENGTH bytes in the journal, wrapping to the start when the end is reached."""
    global next_offset
    with lock:
        if next_offset + length > JOURNAL_BYTES:
            next_offset = 0
        offset = next_offset
        next_offset += length
        return offset


def answer(parts):
    item = '{"00081150":{"vr":"UI"},"00081155":{"vr":"UI"}}'
    body = ('{"00081199":{"vr":"SQ","Value":[' + ",".join([item] * parts) + "]}}").encode("ascii")
    return (f"HTTP/1.1 200 OK\r\nContent-Type: application/dicom+json\r\nContent-Length: {len(body)}\r\n\r\n").encode("ascii") + body


def serve(conn):
    with conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = bytearray(1 << 20)
        pending = b""
        while True:
            while b"\r\n\r\n" not in pending:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                pending += chunk
            head, pending = pending.split(b"\r\n\r\n", 1)
            length, boundary = 0, b""
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
                elif name.strip().lower() == b"content-type" and b"boundary=" in value:
                    boundary = value.split(b"boundary=", 1)[1].split(b";")[0].strip().strip(b'"')
            if len(buf) < length:
                buf = bytearray(length)
            view = memoryview(buf)
            got = min(len(pending), length)
            view[:got] = pending[:got]
            pending = pending[got:]
            while got < length:
                n = conn.recv_into(view[got:length])
                if not n:
                    return
                got += n
            os.pwrite(fd, view[:length], reserve(length))
            os.fdatasync(fd)
            parts = max(buf.count(b"--" + boundary, 0, length) - 1, 0) if boundary else 0
            conn.sendall(answer(parts))


listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", port))
listener.listen(16)
print("ready", flush=True)
while True:
    c, _ = listener.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
