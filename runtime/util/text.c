/* SPDX-License-Identifier: MIT */
#include "runtime/util/text.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t ag3_utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t len;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		if (c == 0xE0)
			lo = 0xA0; /* overlong */
		else if (c == 0xED)
			hi = 0x9F; /* UTF-16 surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		if (c == 0xF0)
			lo = 0x90; /* overlong */
		else if (c == 0xF4)
			hi = 0x8F; /* above U+10FFFF */
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	return len;
}

/* The code point of the valid `len`-byte sequence at `s`. */
static unsigned decode(const unsigned char *s, size_t len)
{
	static const unsigned char first_mask[] = {0, 0x7F, 0x1F, 0x0F, 0x07};
	unsigned cp = s[0] & first_mask[len];
	for (size_t i = 1; i < len; i++)
		cp = (cp << 6) | (s[i] & 0x3Fu);
	return cp;
}

static bool unsafe(unsigned cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x061C || cp == 0x200E ||
	       cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

/*
 * Copies `s` (`n` bytes) to a new string, passing each safe character through
 * and each unsafe one (or invalid byte: cp < 0) to `esc`, which writes at most
 * 6 bytes per input byte. `keep_c0`: C0 controls are safe (JSON's whitespace).
 */
static char *escape(const char *s, size_t n, bool keep_c0,
		    char *(*esc)(char *w, const unsigned char *p, size_t len, long cp))
{
	const unsigned char *p = (const unsigned char *)s;
	if (n > (SIZE_MAX - 1) / 6)
		return NULL;
	char *out = malloc(n * 6 + 1), *w = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n;) {
		size_t len = ag3_utf8_seq_len(p + i, n - i);
		long cp = len ? (long)decode(p + i, len) : -1;
		if (len && (!unsafe((unsigned)cp) || (keep_c0 && cp < 0x20))) {
			memcpy(w, p + i, len);
			w += len;
		} else {
			w = esc(w, p + i, len ? len : 1, cp);
		}
		i += len ? len : 1;
	}
	*w = 0;
	return out;
}

static char *esc_bytes(char *w, const unsigned char *p, size_t len, long cp)
{
	for (size_t i = 0; i < len; i++)
		w += sprintf(w, "\\x%02x", p[i]);
	return w;
}

static char *esc_json(char *w, const unsigned char *p, size_t len, long cp)
{
	return w + sprintf(w, "\\u%04lx", cp < 0 ? 0xFFFDL : cp);
}

char *ag3_escape_text(const char *s, size_t len)
{
	return escape(s, len, false, esc_bytes);
}

char *ag3_escape_json(const char *json)
{
	return escape(json, strlen(json), true, esc_json);
}
