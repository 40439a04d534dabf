/* SPDX-License-Identifier: MIT */
/*
 * The shell splitter: a command line into its simple commands (on && || ;
 * | |& & newlines, inside $(...), `...`, <(...), >(...) and (...), respecting
 * quotes and escapes).
 */
#include "internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum lvl_type {
	L_TOP,
	L_CMDSUB,   /* $( ... )                     */
	L_SUBSHELL, /* ( ... )                      */
	L_PROCSUB,  /* <( ... ), >( ... )           */
	L_ARITH,    /* $(( ... )), (( ... ))        */
};

struct level {
	enum lvl_type type;
	bool dq;            /* inside "..." */
	size_t part_start;  /* where the current simple command began */
	size_t open_at;     /* arith: the inner '(' (for the re-parse as commands) */
	unsigned parens;    /* arith: open parentheses inside */
	enum lvl_type conv; /* arith: what it is when it turns out not to be arithmetic */
	size_t redir_at;    /* the last unquoted '<' or '>' (SIZE_MAX: none) */
};

struct splitter {
	char **parts;
	size_t n, cap;
};

bool ag3_shell_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Appends a simple command: line continuations dropped, blanks collapsed, trimmed. */
static int emit(struct splitter *s, const char *p, size_t len)
{
	char *out = malloc(len + 1), *w = out;
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\\' && i + 1 < len && p[i + 1] == '\n') {
			i++;
			continue;
		}
		if (p[i] == '\\' && i + 1 < len) { /* keep escapes whole: "\ " is not a blank */
			*w++ = p[i++];
			*w++ = p[i];
			continue;
		}
		if (ag3_shell_is_blank(p[i])) {
			if (w > out && w[-1] != ' ')
				*w++ = ' ';
			continue;
		}
		*w++ = p[i];
	}
	while (w > out && w[-1] == ' ' && !(w - 1 > out && w[-2] == '\\'))
		w--;
	*w = '\0';
	if (w == out) {
		free(out);
		return 0;
	}
	if (s->n >= AG3_RULES_MAX_PARTS) {
		free(out);
		return -E2BIG;
	}
	if (s->n + 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		char **v = realloc(s->parts, cap * sizeof(*v));
		if (!v) {
			free(out);
			return -ENOMEM;
		}
		s->parts = v;
		s->cap = cap;
	}
	s->parts[s->n++] = out;
	s->parts[s->n] = NULL;
	return 0;
}

static int split_rec(struct splitter *s, const char *t, size_t len, unsigned depth);

/* The text of a `...` substitution with one level of escaping removed, split as commands. */
static int split_backtick(struct splitter *s, const char *t, size_t len, unsigned depth)
{
	_cleanup_free_ char *u = malloc(len + 1);
	size_t n = 0;
	if (!u)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		if (t[i] == '\\' && i + 1 < len &&
		    (t[i + 1] == '`' || t[i + 1] == '\\' || t[i + 1] == '$'))
			i++;
		u[n++] = t[i];
	}
	return split_rec(s, u, n, depth);
}

static int split_rec(struct splitter *s, const char *t, size_t len, unsigned depth)
{
	struct level st[AG3_RULES_MAX_DEPTH + 1];
	/* positions of "((" that turned out not to be arithmetic (set once each) */
	_cleanup_free_ uint8_t *notarith = NULL;
	size_t sp = 0, i = 0;
	int r = 0;

	if (depth > AG3_RULES_MAX_DEPTH)
		return -ELOOP;
	st[0] = (struct level){.type = L_TOP, .redir_at = SIZE_MAX};

#define PUSH(ty, start)                                                                            \
	do {                                                                                       \
		if (depth + sp + 1 > AG3_RULES_MAX_DEPTH)                                          \
			return -ELOOP;                                                             \
		st[++sp] =                                                                         \
			(struct level){.type = (ty), .part_start = (start), .redir_at = SIZE_MAX}; \
	} while (0)
#define EMIT_TO(end)                                                                               \
	do {                                                                                       \
		if (L->type != L_ARITH &&                                                          \
		    (r = emit(s, t + L->part_start, (end)-L->part_start)) < 0)                     \
			return r;                                                                  \
	} while (0)
#define NOTARITH(pos) (notarith && (notarith[(pos) / 8] & (1u << ((pos) % 8))))

	for (;;) {
		if (i >= len) {
			/* an unterminated "((": read it again as commands */
			size_t k = sp;
			while (k > 0 && st[k].type != L_ARITH)
				k--;
			if (k == 0)
				break;
			sp = k;
			goto not_arith;
		}
		struct level *L = &st[sp];
		char c = t[i], nx = i + 1 < len ? t[i + 1] : '\0';

		if (c == '\\') { /* an escaped character (or a line continuation) */
			i += 2;
			continue;
		}
		if (c == '`') {
			size_t j = i + 1;
			while (j < len && t[j] != '`')
				j += t[j] == '\\' ? 2 : 1;
			if (j > len)
				j = len;
			r = split_backtick(s, t + i + 1, j - i - 1, depth + (unsigned)sp + 1);
			if (r < 0)
				return r;
			i = j + 1;
			continue;
		}
		if (c == '$' && nx == '(') {
			if (i + 2 < len && t[i + 2] == '(' && !NOTARITH(i + 1)) {
				PUSH(L_ARITH, i + 3);
				st[sp].open_at = i + 1;
				st[sp].conv = L_CMDSUB;
				i += 3;
			} else {
				PUSH(L_CMDSUB, i + 2);
				i += 2;
			}
			continue;
		}
		if (L->dq) {
			if (c == '"')
				L->dq = false;
			i++;
			continue;
		}
		if (c == '\'') { /* nothing is special up to the next quote */
			const char *q = memchr(t + i + 1, '\'', len - i - 1);
			i = q ? (size_t)(q - t) + 1 : len;
			continue;
		}
		if (c == '$' && nx == '\'') { /* $'...': backslash escapes the quote */
			size_t j = i + 2;
			while (j < len && t[j] != '\'')
				j += t[j] == '\\' ? 2 : 1;
			i = j + 1;
			continue;
		}
		if (c == '"') {
			L->dq = true;
			i++;
			continue;
		}
		if ((c == '<' || c == '>') && nx == '(') {
			PUSH(L_PROCSUB, i + 2);
			i += 2;
			continue;
		}
		if (L->type == L_ARITH) {
			if (c == '(') {
				L->parens++;
			} else if (c == ')' && L->parens) {
				L->parens--;
			} else if (c == ')' && nx == ')') {
				if (L->conv == L_SUBSHELL) /* `((...))` ends a command */
					st[sp - 1].part_start = i + 2;
				sp--;
				i += 2;
				continue;
			} else if (c == ')') {
				/* `$((a) b)`: not arithmetic after all, but commands in a subshell
				 */
				goto not_arith;
			}
			i++;
			continue;
		}
		if (c == '(') {
			EMIT_TO(i);
			L->part_start = i + 1;
			if (nx == '(' && !NOTARITH(i)) {
				PUSH(L_ARITH, i + 2);
				st[sp].open_at = i;
				st[sp].conv = L_SUBSHELL;
				i += 2;
			} else {
				PUSH(L_SUBSHELL, i + 1);
				i++;
			}
			continue;
		}
		if (c == ')') {
			EMIT_TO(i);
			if (sp > 0 && st[sp--].type == L_SUBSHELL) /* `(...)` ends a command */
				st[sp].part_start = i + 1;
			else if (sp == 0)
				L->part_start =
					i + 1; /* a stray ')' (case patterns): a separator */
			i++;
			continue;
		}
		if (c == '<' || c == '>') {
			L->redir_at = i;
			i++;
			continue;
		}
		bool sep = c == ';' || c == '\n' || c == '|';
		if (c == '&')
			/* `>&`, `<&` and `&>` are redirections, anything else runs in the
			 * background */
			sep = !(L->redir_at != SIZE_MAX && L->redir_at + 1 == i) && nx != '>';
		if (sep) {
			EMIT_TO(i);
			L->part_start = i + 1;
		}
		i++;
		continue;

	not_arith:
		/*
		 * The "((" at st[sp].open_at was not arithmetic: it becomes what bash
		 * then makes of it ($( ( or ( ( ), and everything from its second '('
		 * is read again. Each position is re-read at most once this way.
		 */
		if (!notarith && !(notarith = calloc(len / 8 + 1, 1)))
			return -ENOMEM;
		L = &st[sp];
		notarith[L->open_at / 8] |= (uint8_t)(1u << (L->open_at % 8));
		L->type = L->conv;
		L->dq = false;
		L->parens = 0;
		L->redir_at = SIZE_MAX;
		L->part_start = L->open_at + 1;
		i = L->open_at + 1;
	}
	/* unterminated constructs: what was read is checked anyway */
	for (;; sp--) {
		struct level *L = &st[sp];
		EMIT_TO(len);
		if (!sp)
			break;
	}
#undef PUSH
#undef EMIT_TO
#undef NOTARITH
	return 0;
}

void ag3_strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

int ag3_shell_split(const char *line, size_t len, char ***ret, size_t *ret_n)
{
	struct splitter s = {0};
	int r;

	if (len > AG3_RULES_MAX_INPUT)
		return -E2BIG;
	r = split_rec(&s, line, len, 0);
	if (r == 0 && s.n == 0) {
		s.parts = calloc(2, sizeof(char *));
		if (!s.parts || !(s.parts[0] = strdup("")))
			r = -ENOMEM;
		else
			s.n = 1;
	}
	if (r < 0) {
		for (size_t i = 0; i < s.n; i++)
			free(s.parts[i]);
		free(s.parts);
		return r;
	}
	*ret = s.parts;
	if (ret_n)
		*ret_n = s.n;
	return 0;
}
