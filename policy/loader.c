/* SPDX-License-Identifier: MIT */
#include "loader.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/util/suggest.h"

static size_t path_append(struct ag3_lctx *c, int n)
{
	size_t old = c->plen;
	if (n > 0)
		c->plen = c->plen + (size_t)n >= sizeof(c->path) ? sizeof(c->path) - 1
								 : c->plen + (size_t)n;
	return old;
}

size_t ag3_lctx_push(struct ag3_lctx *c, const char *key)
{
	return path_append(c, snprintf(c->path + c->plen, sizeof(c->path) - c->plen, "%s%s",
				       c->plen ? "." : "", key));
}

size_t ag3_lctx_push_index(struct ag3_lctx *c, size_t i)
{
	return path_append(c, snprintf(c->path + c->plen, sizeof(c->path) - c->plen, "[%zu]", i));
}

void ag3_lctx_pop(struct ag3_lctx *c, size_t old)
{
	c->plen = old;
	c->path[old] = '\0';
}

int ag3_lctx_fail(struct ag3_lctx *c, const struct ag3_yaml_node *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = ag3_error_set_atv(c->reterr, EINVAL, c->file, n ? n->line : 0, n ? n->col : 0,
				  c->plen ? c->path : NULL, fmt, ap);
	va_end(ap);
	return r;
}

int ag3_lctx_expect(struct ag3_lctx *c, const struct ag3_yaml_node *n, const char *what)
{
	char d[96];
	return ag3_lctx_fail(c, n, "expected %s, got %s", what, ag3_yaml_describe(n, d, sizeof(d)));
}

int ag3_lctx_oom(struct ag3_lctx *c)
{
	return ag3_error_set(c->reterr, ENOMEM, "out of memory");
}

int ag3_lctx_text(struct ag3_lctx *c, const struct ag3_yaml_node *v, bool allow_int,
		  const char *what)
{
	char d[96];
	if (!v || v->type != AG3_YAML_SCALAR || v->kind == AG3_YAML_NULL)
		return ag3_lctx_expect(c, v, what);
	if (v->kind == AG3_YAML_BOOL)
		return ag3_lctx_fail(
			c, v, "expected %s, got the boolean %s (quote it if you mean the text)",
			what, ag3_yaml_describe(v, d, sizeof(d)));
	if (v->kind == AG3_YAML_INT && !allow_int)
		return ag3_lctx_expect(c, v, what);
	return 0;
}

int ag3_lctx_seq(struct ag3_lctx *c, const struct ag3_yaml_node *v, const char *what, size_t max,
		 const char *items)
{
	if (v->type != AG3_YAML_SEQUENCE)
		return ag3_lctx_expect(c, v, what);
	if (v->n > max)
		return ag3_lctx_fail(c, v, "more than %zu %s", max, items);
	return 0;
}

int ag3_lctx_unknown_key(struct ag3_lctx *c, const struct ag3_yaml_node *k,
			 const char *const *names, size_t n, const char *hint)
{
	char pv[96], valid[512];
	const char *what = c->plen ? "unknown key" : "unknown top-level key";
	const char *sugg = ag3_closest(k->str, names, n);
	ag3_yaml_preview(k->str, k->len, pv, sizeof(pv));
	if (sugg)
		return ag3_lctx_fail(c, k, "%s '%s' (did you mean '%s'?)", what, pv, sugg);
	if (hint)
		return ag3_lctx_fail(c, k, "%s '%s'%s", what, pv, hint);
	ag3_join_names(valid, sizeof(valid), names, n);
	return ag3_lctx_fail(c, k, "%s '%s' (valid keys here: %s)", what, pv, valid);
}

int ag3_lctx_bad_enum(struct ag3_lctx *c, const struct ag3_yaml_node *v, const char *const *names)
{
	char valid[256] = "", d[96];
	size_t o = 0, n;
	for (n = 0; names[n]; n++) {
		int w = snprintf(valid + o, sizeof(valid) - o, "%s%s", n ? ", " : "", names[n]);
		if (w > 0 && (size_t)w < sizeof(valid) - o)
			o += (size_t)w;
	}
	const char *sugg = v && v->type == AG3_YAML_SCALAR ? ag3_closest(v->str, names, n) : NULL;
	if (sugg)
		return ag3_lctx_fail(c, v, "expected one of %s, got %s (did you mean '%s'?)", valid,
				     ag3_yaml_describe(v, d, sizeof(d)), sugg);
	return ag3_lctx_fail(c, v, "expected one of %s, got %s", valid,
			     ag3_yaml_describe(v, d, sizeof(d)));
}

struct ag3_ploc ag3_ploc_of(const struct ag3_yaml_node *k, const struct ag3_yaml_node *v)
{
	return (struct ag3_ploc){.key_line = k ? k->line : 0,
				 .key_col = k ? k->col : 0,
				 .line = v ? v->line : 0,
				 .col = v ? v->col : 0};
}

int ag3_pstr_set(struct ag3_pstr *s, const char *v)
{
	char *d = strdup(v);
	if (!d)
		return -ENOMEM;
	free(s->v);
	s->v = d;
	return 0;
}

void ag3_pstrlist_clear(struct ag3_pstrlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i].v);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

int ag3_read_max(int fd, char *buf, size_t size, size_t *len)
{
	*len = 0;
	while (*len < size) {
		ssize_t n = read(fd, buf + *len, size - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	return 0;
}
