/* SPDX-License-Identifier: MIT */
/*
 * Why execve said ENOENT of a file that exists: the kernel gives that errno when
 * the program's ELF interpreter (its dynamic loader, PT_INTERP) or its #! interpreter
 * is missing, and a shell then blames the program. Run in the command's process
 * after the failed execve (the command's ids, mounts, landlock and seccomp): it sees
 * what the kernel saw. libc only (linked into the static init binary).
 *
 * The file is the sandbox's and may be hostile: at most 256 bytes of header, 256
 * program headers and PATH_MAX bytes of interpreter are read, with pread on a
 * regular file opened O_NONBLOCK (a FIFO never blocks, a device is never read).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * `path` is the file execve was given (after the PATH search). When its interpreter
 * is what is missing, writes one sentence into buf (no newline: "its dynamic loader
 * /lib64/ld-linux-x86-64.so.2 is not in the sandbox (...): bind /lib") and returns
 * true; false when that is not the reason, or it cannot be told.
 */
bool ag3_exec_diagnose_enoent(const char *path, char *buf, size_t len);
