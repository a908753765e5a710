"""Zeroes the payloads of the fat-binary entries whose SM version is not the one kept, so the file compresses; headers
and sizes stay, so every offset in the library is unchanged."""
import struct, sys
src, dst, keep = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = bytearray(open(src, 'rb').read())
e_shoff, = struct.unpack_from('<Q', data, 0x28)
e_shentsize, e_shnum, e_shstrndx = struct.unpack_from('<HHH', data, 0x3A)
sh = lambda i: struct.unpack_from('<IIQQQQIIQQ', data, e_shoff + i * e_shentsize)
strtab = sh(e_shstrndx)
sec = {bytes(data[strtab[4] + sh(i)[0]: data.index(b'\0', strtab[4] + sh(i)[0])]).decode(): sh(i) for i in range(e_shnum)}
off, size = sec['.nv_fatbin'][4], sec['.nv_fatbin'][5]
pos, zeroed = off, 0
while pos < off + size:
    magic, ver, hsize, fsize = struct.unpack_from('<IHHQ', data, pos)
    if magic != 0xBA55ED50:
        pos += 8
        continue
    e, end = pos + hsize, pos + hsize + fsize
    while e < end:
        kind, ever, ehsize, padded, u0, payload, u1, u2, sm = struct.unpack_from('<HHIIIIIII', data, e)
        if sm != keep:
            data[e + ehsize: e + ehsize + padded] = bytes(padded)
            zeroed += padded
        e += ehsize + padded
    pos = end
open(dst, 'wb').write(data)
print('zeroed', zeroed, 'bytes')
