/* SPDX-License-Identifier: MIT */
/*
 * UTF-8, and untrusted text made safe to print: what the CLI shows of a
 * profile, a spec, a tool input, argv or a path must not drive the terminal
 * it is printed on (ESC ] 0;title BEL, ESC [ 2J, the one-byte CSI U+009B,
 * bidi overrides that reorder what is read).
 *
 * Foundation layer: it includes nothing of the project's own.
 */
#pragma once

#include <stddef.h>

/* The length of the valid UTF-8 sequence at `s` (at most `n` bytes), or 0 if
 * it is invalid (overlong, a surrogate, above U+10FFFF, truncated). */
size_t ag3_utf8_seq_len(const unsigned char *s, size_t n);

/*
 * A new string: the `len` bytes at `s` with every byte of an unsafe
 * character, and every byte that is not part of valid UTF-8, written as
 * \xHH (two lowercase hex digits). Unsafe: the C0 controls (tab and newline
 * included) and DEL, the C1 controls U+0080..U+009F (encoded in UTF-8,
 * \xc2\x80..\xc2\x9f; a raw 0x80..0x9f byte is invalid UTF-8 and escaped
 * too), and the bidi controls U+061C, U+200E, U+200F, U+202A..U+202E and
 * U+2066..U+2069. Everything else, a backslash included, is kept as it is:
 * the result is for reading, it is not meant to be unescaped. NULL when out
 * of memory.
 */
char *ag3_escape_text(const char *s, size_t len);

/*
 * A new string: JSON text (as cJSON or the spec writer prints it: the C0
 * controls in strings already escaped, raw ones only as whitespace between
 * tokens) with DEL, the C1 and the bidi controls written as \uXXXX and each
 * byte of invalid UTF-8 as \ufffd. It is the same JSON value for valid input,
 * and valid JSON for any. NULL when out of memory.
 */
char *ag3_escape_json(const char *json);
