#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Seed inputs for the fuzzers (tests/fuzz/corpus/*): valid devices and
messages the fuzzers start from. Run from the repository root; the output is
checked in, so run it again only when an input format changes."""
import os
import struct

OUT = "tests/fuzz/corpus"


def write(kind, name, data):
    with open(os.path.join(OUT, kind, name), "wb") as f:
        f.write(data)


# ---- vring: [flags][burst][16-byte rx setup][16-byte tx setup][guest memory]
def ring_hdr(size_log2, desc, avail, used):
    h = bytes([size_log2]) + struct.pack(">HHH", desc // 16, avail // 16, used // 16)
    return h + b"\0\0\0" + b"\0" * 6  # base 0, enabled


def split_mem(with_indirect):
    mem = bytearray(64 * 1024)
    # tx ring (size 16): desc 0x1000, avail 0x1200, used 0x1400; buffers 0x4000
    hdr_gpa, buf_gpa = 0x4000, 0x4100
    if with_indirect:
        tbl = 0x3000
        struct.pack_into("<QIHH", mem, tbl, hdr_gpa, 12, 1, 1)
        struct.pack_into("<QIHH", mem, tbl + 16, buf_gpa, 60, 0, 0)
        struct.pack_into("<QIHH", mem, 0x1000, tbl, 32, 4, 0)
    else:
        struct.pack_into("<QIHH", mem, 0x1000, hdr_gpa, 12, 1, 1)
        struct.pack_into("<QIHH", mem, 0x1010, buf_gpa, 60, 0, 0)
    struct.pack_into("<HHH", mem, 0x1200, 0, 1, 0)  # flags, idx 1, ring[0] = head 0
    # rx ring (size 16): desc 0x2000, avail 0x2200, used 0x2400; one 2 KiB buffer
    struct.pack_into("<QIHH", mem, 0x2000, 0x5000, 2048, 2, 0)
    struct.pack_into("<HHH", mem, 0x2200, 0, 1, 0)
    return bytes(mem[:0x6000])


def packed_mem():
    mem = bytearray(64 * 1024)
    avail = 1 << 7
    struct.pack_into("<QIHH", mem, 0x1000, 0x4000, 72, 0, avail)  # tx: one buffer
    struct.pack_into("<QIHH", mem, 0x2000, 0x5000, 2048, 0, avail | 2)  # rx: writable
    return bytes(mem[:0x6000])


for ind in (0, 1):
    flags = 16 | (2 if ind else 0) | 8
    write("vring", "split%d" % ind, bytes([flags, 255]) + ring_hdr(4, 0x2000, 0x2200, 0x2400) +
          ring_hdr(4, 0x1000, 0x1200, 0x1400) + split_mem(ind))
write("vring", "packed", bytes([16 | 1 | 4, 255]) + ring_hdr(4, 0x2000, 0x2200, 0x2400) +
      ring_hdr(4, 0x1000, 0x1200, 0x1400) + packed_mem())

# ---- msg: chunks [flags: 1 memfd, 2 eventfd][len le16][bytes]
def msg(req, payload=b"", flags=1):
    return struct.pack("<III", req, flags, len(payload)) + payload


def chunk(data, fds=0):
    return bytes([fds]) + struct.pack("<H", len(data)) + data


F = (1 << 32) | (1 << 28) | (1 << 29) | (1 << 15) | (1 << 30)
stream = chunk(msg(3)) + chunk(msg(1)) + chunk(msg(15))
stream += chunk(msg(16, struct.pack("<Q", (1 << 3) | (1 << 0) | (1 << 2))))
stream += chunk(msg(2, struct.pack("<Q", F)))
region = struct.pack("<QQQQ", 0, 256 << 10, 0x7f0000000000, 0)
stream += chunk(msg(5, struct.pack("<II", 1, 0) + region), 1)
for q, base in ((0, 0x2000), (1, 0x1000)):
    stream += chunk(msg(8, struct.pack("<II", q, 16)))
    stream += chunk(msg(9, struct.pack("<IIQQQQ", q, 0, 0x7f0000000000 + base,
                                       0x7f0000000000 + base + 0x400,
                                       0x7f0000000000 + base + 0x200, 0)))
    stream += chunk(msg(10, struct.pack("<II", q, 0)))
    stream += chunk(msg(13, struct.pack("<Q", q)), 2)
    stream += chunk(msg(12, struct.pack("<Q", q)), 2)
    stream += chunk(msg(18, struct.pack("<II", q, 1)))
write("msg", "handshake", stream)
# the same, every message split in two chunks
split = b""
for c in [stream]:
    i = 0
    while i < len(c):
        fds, ln = c[i], struct.unpack_from("<H", c, i + 1)[0]
        body = c[i + 3:i + 3 + ln]
        split += chunk(body[:5], fds) + chunk(body[5:])
        i += 3 + ln
write("msg", "handshake-split", split)

# ---- mem: [nregions][33 bytes per region][13 bytes per lookup]
def reg(gpa, size, uva, off, which):
    return struct.pack("<QQQQ", gpa, size, uva, off) + bytes([which])


def look(addr, ln, uva):
    return struct.pack("<Q", addr) + struct.pack("<I", ln)[:3] + b"\0" + bytes([uva])


write("mem", "two", bytes([2]) + reg(0, 0x10000, 0x7f0000000000, 0, 0) +
      reg(0x100000, 0x80000, 0x7f0000100000, 0x1000, 1) +
      look(0x100, 64, 0) + look(0xfff0, 64, 0) + look(0x7f0000000100, 16, 1) +
      look(0x17fff0, 100, 0))


# ---- offload: [flags][gso_type][gso_size][csum_start][csum_offset][caps<<4 | cut][pieces][frame]
def tcp_frame(v6, vlan, payload, opts=0):
    eth = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01" + (b"\x81\0\0\x2a" if vlan else b"")
    thl = 20 + opts
    tcp = struct.pack(">HHIIBBHHH", 12345, 8080, 1000, 2000, (thl // 4) << 4, 0x18, 65535, 0, 0)
    tcp += b"\x01" * opts
    if v6:
        ip = struct.pack(">IHBB", 0x60000000, thl + payload, 6, 64) + bytes(15) + b"\x01" + bytes(15) + b"\x02"
        return eth + b"\x86\xdd" + ip + tcp + bytes(range(256)) * (payload // 256) + bytes(payload % 256)
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + thl + payload, 7, 0x4000, 64, 6, 0,
                     b"\xc6\x12\0\x01", b"\xc6\x12\0\x02")
    return eth + b"\x08\x00" + ip + tcp + bytes(range(256)) * (payload // 256) + bytes(payload % 256)


def off_hdr(flags, gso, gso_size, cs, co, caps_cut, pieces):
    return struct.pack(">BBHHHBB", flags, gso, gso_size, cs, co, caps_cut, pieces)


write("offload", "tso4", off_hdr(1, 1, 1448, 34, 16, 0x05, 3) + tcp_frame(False, False, 9000))
write("offload", "tso6-vlan-ecn", off_hdr(1, 0x84, 1000, 58, 16, 0x13, 7) +
      tcp_frame(True, True, 5000, 12))
write("offload", "csum4", off_hdr(1, 0, 0, 34, 16, 0x00, 2) + tcp_frame(False, False, 700))


# ---- offload, GRO mode: [0x80 | caps][len:16 BE][frame]... (a burst from the wire)
def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(">%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def wire_tcp(seq, payload, flags=0x10):
    """A TCP segment as the wire carries it: checksums complete (GRO
    verifies them before merging)."""
    eth = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00"
    src, dst = b"\xc6\x12\0\x01", b"\xc6\x12\0\x02"
    data = bytes((seq + i) & 0xff for i in range(payload))
    tcp = struct.pack(">HHIIBBHHH", 12345, 8080, seq, 2000, 0x50, flags, 65535, 0, 0)
    ph = src + dst + struct.pack(">BBH", 0, 6, 20 + payload)
    tcp = tcp[:16] + struct.pack(">H", csum(ph + tcp + data)) + tcp[18:]
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 40 + payload, 7, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack(">H", csum(ip)) + ip[12:]
    return eth + ip + tcp + data


burst = bytes([0x80 | 0x3])
for k in range(6):
    f = wire_tcp(1000 + 1400 * k, 1400)
    burst += struct.pack(">H", len(f)) + f
write("offload", "gro-run", burst)
