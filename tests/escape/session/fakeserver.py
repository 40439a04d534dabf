#!/usr/bin/env python3
"""A fake session server (red team): what does `exec --session` give to whoever
listens at the path? Serves one connection, sends a hello (ok or an error whose text
holds terminal escapes), prints what the client sent: argv, env, and the fds it
passed (their /proc/self/fd targets), then exits. Harmless: it reads, never uses the fds."""
import array, os, socket, struct, sys

path, mode = sys.argv[1], sys.argv[2]  # mode: ok | err
HELLO = 0x49483341
try:
    os.unlink(path)
except FileNotFoundError:
    pass
ls = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
ls.bind(path)
os.chmod(path, 0o777)
ls.listen(1)
ls.settimeout(30)
c, _ = ls.accept()
uid = struct.unpack("3i", c.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[1]
print("fake server: client uid", uid, flush=True)
# struct ag3_hello: magic, err(int32), lim(3 x u64), 7 u8 + pad, landlock_abi(int32?), uid, gid, n_degraded, text_len
text = b"\x1b]0;PWNED-TITLE\x07\x1b[31mred\x1b[0m fake reason\0" if mode == "err" else b""
err = 1 if mode == "err" else 0
hello = struct.pack("<Ii3Q8BiIIII4x", HELLO, err, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, len(text)) + text
c.send(hello)
c.settimeout(10)
try:
    msg, anc, _, _ = c.recvmsg(300000, socket.CMSG_SPACE(3 * 4))
except socket.timeout:
    sys.exit("fake server: nothing sent")
print("fake server: request", len(msg), "bytes; strings:", [s.decode(errors="replace") for s in msg[100:].split(b"\0") if s][:10])
for lvl, typ, data in anc:
    if typ == socket.SCM_RIGHTS:
        for fd in array.array("i", data[: len(data) - len(data) % 4]):
            print("fake server: got the client's fd ->", os.readlink(f"/proc/self/fd/{fd}"))
            os.close(fd)
c.close()
os.unlink(path)
