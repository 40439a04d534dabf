/* SPDX-License-Identifier: MIT */
/* Unit tests for runtime/util/text.c: UTF-8 and escaping untrusted text for a terminal. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/util/cleanup.h"
#include "runtime/util/text.h"

/* ag3_escape_text of a string literal (its embedded NULs included). */
#define ESC(lit) ag3_escape_text(lit, sizeof(lit) - 1)

/* True when no byte of `s` is a C0 control, DEL or 0x80..0x9f (a raw C1 byte, or
 * the second byte of a UTF-8 encoded C1 control). */
static bool terminal_safe(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || (*p >= 0x7f && *p <= 0x9f))
			return false;
	return true;
}

Test(escape_text, plain_text_unchanged)
{
	_cleanup_free_ char *a = ESC("git status && rm -rf /tmp/x 'q' \"d\" \\n");
	cr_assert_str_eq(a, "git status && rm -rf /tmp/x 'q' \"d\" \\n");
	/* printable non-ASCII passes: é, €, 😀, and U+00A0 (the first code point past C1) */
	_cleanup_free_ char *b = ESC("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xc2\xa0");
	cr_assert_str_eq(b, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xc2\xa0");
	_cleanup_free_ char *c = ESC("");
	cr_assert_str_eq(c, "");
}

Test(escape_text, c0_and_del)
{
	_cleanup_free_ char *a = ESC("\x1b]0;pwned\x07\x1b[2J");
	cr_assert_str_eq(a, "\\x1b]0;pwned\\x07\\x1b[2J");
	_cleanup_free_ char *b = ESC("a\tb\nc\rd\x7f"
				     "e");
	cr_assert_str_eq(b, "a\\x09b\\x0ac\\x0dd\\x7fe");
	_cleanup_free_ char *c = ESC("a\0b");
	cr_assert_str_eq(c, "a\\x00b");
}

Test(escape_text, c1_utf8_and_raw)
{
	/* U+009B (CSI) and U+0080, U+009F encoded in UTF-8 */
	_cleanup_free_ char *a = ESC("x\xc2\x9b"
				     "2Jy\xc2\x80\xc2\x9f");
	cr_assert_str_eq(a, "x\\xc2\\x9b2Jy\\xc2\\x80\\xc2\\x9f");
	/* raw C1 bytes (an 8-bit terminal's CSI, OSC, ST): invalid UTF-8 */
	_cleanup_free_ char *b = ESC("\x9b"
				     "2J\x9d"
				     "0;t\x9c");
	cr_assert_str_eq(b, "\\x9b2J\\x9d0;t\\x9c");
	cr_assert(terminal_safe(a) && terminal_safe(b));
}

Test(escape_text, invalid_utf8)
{
	/* overlong ESC (C0 9B would be a 2-byte ESC), a surrogate, above U+10FFFF,
	 * a truncated sequence at the end, a stray continuation byte, 0xff */
	_cleanup_free_ char *a = ESC("\xc0\x9b|\xed\xa0\x80|\xf4\x90\x80\x80|\x80|\xff|\xe2\x82");
	cr_assert_str_eq(a,
			 "\\xc0\\x9b|\\xed\\xa0\\x80|\\xf4\\x90\\x80\\x80|\\x80|\\xff|\\xe2\\x82");
	/* a lead byte whose sequence is cut by the next character: only it is escaped */
	_cleanup_free_ char *b = ESC("\xe2"
				     "A\xc3");
	cr_assert_str_eq(b, "\\xe2A\\xc3");
}

Test(escape_text, bidi_controls)
{
	/* U+202E (RLO), U+2066 (LRI), U+200F (RLM), U+061C (ALM); U+2010 (a hyphen) is kept */
	_cleanup_free_ char *a = ESC("a\xe2\x80\xae"
				     "b\xe2\x81\xa6"
				     "c\xe2\x80\x8f"
				     "d\xd8\x9c"
				     "e\xe2\x80\x90");
	cr_assert_str_eq(
		a, "a\\xe2\\x80\\xaeb\\xe2\\x81\\xa6c\\xe2\\x80\\x8fd\\xd8\\x9ce\xe2\x80\x90");
}

Test(escape_text, every_byte_is_safe_or_escaped)
{
	/* every single byte, and every byte after a lead byte: nothing unsafe survives */
	char in[512];
	for (int i = 0; i < 256; i++) {
		in[2 * i] = (char)0xc2;
		in[2 * i + 1] = (char)i;
	}
	_cleanup_free_ char *a = ag3_escape_text(in, sizeof(in));
	cr_assert(terminal_safe(a), "%s", a);
	for (int i = 0; i < 256; i++)
		in[i] = (char)i;
	_cleanup_free_ char *b = ag3_escape_text(in, 256);
	cr_assert(terminal_safe(b), "%s", b);
}

Test(escape_json, same_value_valid_json)
{
	const char *j = "{\n\t\"a\":\t\"x\\u001b[2J\xc2\x9b\x7f\xe2\x80\xae\xc3\xa9\"\n}";
	_cleanup_free_ char *e = ag3_escape_json(j);
	/* the whitespace between tokens is kept, the controls in the string are escaped */
	cr_assert_str_eq(e, "{\n\t\"a\":\t\"x\\u001b[2J\\u009b\\u007f\\u202e\xc3\xa9\"\n}");
	cJSON *a = cJSON_Parse(j), *b = cJSON_Parse(e);
	cr_assert(a && b);
	cr_assert(cJSON_Compare(a, b, true));
	cJSON_Delete(a);
	cJSON_Delete(b);
}

Test(escape_json, invalid_utf8_replaced)
{
	_cleanup_free_ char *e = ag3_escape_json("[\"a\x9b\xff"
						 "b\xe2\x82\"]");
	cr_assert_str_eq(e, "[\"a\\ufffd\\ufffdb\\ufffd\\ufffd\"]");
	cJSON *v = cJSON_Parse(e);
	cr_assert_not_null(v);
	cr_assert_str_eq(cJSON_GetArrayItem(v, 0)->valuestring, "a\xef\xbf\xbd\xef\xbf\xbd"
								"b\xef\xbf\xbd\xef\xbf\xbd");
	cJSON_Delete(v);
}

Test(utf8, seq_len)
{
	cr_assert_eq(ag3_utf8_seq_len((const unsigned char *)"A", 1), 1);
	cr_assert_eq(ag3_utf8_seq_len((const unsigned char *)"\xc3\xa9", 2), 2);
	cr_assert_eq(ag3_utf8_seq_len((const unsigned char *)"\xc3\xa9", 1), 0);
	cr_assert_eq(ag3_utf8_seq_len((const unsigned char *)"\xe0\x9f\x80", 3), 0);
	cr_assert_eq(ag3_utf8_seq_len((const unsigned char *)"\xf0\x9f\x98\x80", 4), 4);
	cr_assert_eq(ag3_utf8_seq_len((const unsigned char *)"\xf5\x80\x80\x80", 4), 0);
}
