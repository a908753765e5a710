#!/usr/bin/env python3
"""The loopback ceiling of a whole-study WADO-RS retrieve on this machine (issue 4 benchmark; bench/dicomweb.sh runs it).

Holds FILE (a WADO-RS response body that MedNode returned, multipart/related) in memory and answers every HTTP/1.1 GET on
127.0.0.1:PORT with a header and then the body in one sendall: no file read, no multipart framing, no DICOM or HTTP logic,
one copy of the bytes into the kernel. A server that does more per byte cannot be much faster through this machine's
loopback; timing curl against it, beside MedNode and Orthanc in the same run, says how far a server could go, and so
whether a ratio target is within reach here. Prints "ready" when listening.
usage: bench/loopback-ceiling.py FILE PORT
"""
import socket, sys, threading

data = open(sys.argv[1], "rb").read()
boundary = data[2:data.index(b"\r\n")].decode("ascii")  # the body starts with --BOUNDARY
head = (f"HTTP/1.1 200 OK\r\nContent-Length: {len(data)}\r\n"
        f"Content-Type: multipart/related; type=\"application/dicom\"; boundary={boundary}\r\n\r\n").encode("ascii")

def serve(conn):
    with conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pending = b""
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                return
            pending += chunk
            while b"\r\n\r\n" in pending:
                _, pending = pending.split(b"\r\n\r\n", 1)
                conn.sendall(head)  # (head + data would copy, and fault in, 100 MB per request)
                conn.sendall(data)

listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", int(sys.argv[2])))
listener.listen(16)
print("ready", flush=True)
while True:
    c, _ = listener.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
