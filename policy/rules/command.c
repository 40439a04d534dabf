/* SPDX-License-Identifier: MIT */
/*
 * The forms of one simple command: its words, what runs once assignments,
 * redirections and wrappers (`sudo env nice ...`) are dropped, the line an
 * `sh -c` or `eval` runs, and why a command may be opaque to the rules.
 */
#include "internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct word {
	size_t start; /* in the part's text */
	char *text;   /* quotes and escapes removed */
	bool plain;   /* written without quotes or escapes */
	/* what the shell makes of it is only known when it runs: an expansion ($x,
	 * ${x}, $(..), `..`), a glob (* ? [), a brace expansion, an ANSI-C $'..' */
	bool dynamic;
};

/* Splits a (normalized) simple command into words, shell-style. Returns the count or -ENOMEM. */
static ssize_t words_of(const char *p, struct word **ret)
{
	size_t len = strlen(p), n = 0;
	struct word *w = calloc(len / 2 + 2, sizeof(*w));
	if (!w)
		return -ENOMEM;
	for (size_t i = 0; i < len;) {
		while (i < len && p[i] == ' ')
			i++;
		if (i >= len)
			break;
		char *out = malloc(len - i + 1), *o = out;
		if (!out) {
			for (size_t k = 0; k < n; k++)
				free(w[k].text);
			free(w);
			return -ENOMEM;
		}
		w[n] = (struct word){.start = i, .text = out, .plain = true};
		while (i < len && p[i] != ' ') {
			char c = p[i];
			if (c == '\\' && i + 1 < len) {
				*o++ = p[i + 1];
				i += 2;
				w[n].plain = false;
			} else if (c == '\'') {
				w[n].plain = false;
				for (i++; i < len && p[i] != '\''; i++)
					*o++ = p[i];
				i++;
			} else if (c == '$' && i + 1 < len && p[i + 1] == '\'') {
				w[n].plain = false;
				w[n].dynamic = true;
				for (i += 2; i < len && p[i] != '\''; i++) {
					if (p[i] == '\\' && i + 1 < len)
						i++;
					*o++ = p[i];
				}
				i++;
			} else if (c == '"') {
				w[n].plain = false;
				for (i++; i < len && p[i] != '"'; i++) {
					if (p[i] == '\\' && i + 1 < len &&
					    strchr("\"\\$`", p[i + 1]))
						i++;
					else if (p[i] == '$' || p[i] == '`')
						w[n].dynamic = true;
					*o++ = p[i];
				}
				i++;
			} else {
				if (strchr("$`*?[{", c) && !(c == '{' && i == w[n].start &&
							     (i + 1 >= len || p[i + 1] == ' ')))
					w[n].dynamic = true;
				*o++ = c;
				i++;
			}
		}
		*o = '\0';
		if (!strcmp(out, "[") || !strcmp(out, "[[")) /* test, not a glob */
			w[n].dynamic = false;
		n++;
	}
	*ret = w;
	return (ssize_t)n;
}

static void words_free(struct word *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(w[i].text);
	free(w);
}

/* (`time` is a wrapper below: its -p is an option, not the command) */
static const char *const reserved_words[] = {"!",    "{",    "}",    "(",  ")",     "if",
					     "then", "elif", "else", "do", "while", "until",
					     "fi",   "done", "esac", NULL};

static bool is_assignment(const char *w)
{
	if (!((*w >= 'a' && *w <= 'z') || (*w >= 'A' && *w <= 'Z') || *w == '_'))
		return false;
	for (w++; *w && *w != '=' && *w != '[' && *w != '+'; w++)
		if (!((*w >= 'a' && *w <= 'z') || (*w >= 'A' && *w <= 'Z') ||
		      (*w >= '0' && *w <= '9') || *w == '_'))
			return false;
	return *w == '=' || *w == '[' || (*w == '+' && w[1] == '=');
}

/* Commands that run the command after them; the options that take an argument. */
static const struct {
	const char *name;
	const char *argopts; /* letters of -X options followed by an argument */
	bool skip_number;    /* a leading number (duration, priority, mask) follows the options */
	unsigned operands;   /* words before the command (flock's file, chroot's directory) */
} wrappers[] = {
	{"command", "", false, 0},
	{"builtin", "", false, 0},
	{"exec", "a", false, 0},
	{"nohup", "", false, 0},
	{"env", "uCS", false, 0},
	{"sudo", "ugCDhprtUT", false, 0},
	{"doas", "uC", false, 0},
	{"nice", "n", true, 0},
	{"ionice", "cnp", false, 0},
	{"setsid", "", false, 0},
	{"stdbuf", "ioe", false, 0},
	{"timeout", "sk", true, 0},
	{"xargs", "IndPLsEaC", false, 0},
	{"time", "fo", false, 0},
	{"chrt", "", true, 0},
	{"taskset", "", true, 0},
	{"coproc", "", false, 0},
	{"busybox", "", false, 0},
	{"flock", "wE", false, 1},
	{"chroot", "", false, 1},
	{"strace", "abeEIoOpPsSuUX", false, 0},
	{"ltrace", "aeEnopsSuX", false, 0},
	{"unbuffer", "", false, 0},
	{"nsenter", "tSGw", false, 0},
	{"unshare", "", false, 0},
	{"setpriv", "", false, 0},
	{"runuser", "ugG", false, 0},
	{"catchsegv", "", false, 0},
	{"valgrind", "", false, 0},
	{"faketime", "f", false, 1},
	{"proxychains", "f", false, 0},
	{"torsocks", "", false, 0},
	{"firejail", "", false, 0},
};

/* A redirection word (`>x`, `2>/dev/null`, `<<<`, `&>`): 1 when its target is in
 * the word, 2 when it is the next word, 0 when it is not a redirection. */
static int redirection(const char *part, const struct word *w)
{
	const char *p = part + w->start;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == '{') { /* {fd}>x */
		const char *e = strchr(p, '}');
		if (e && (e[1] == '<' || e[1] == '>'))
			p = e + 1;
	}
	if (*p == '&' && p[1] == '>')
		p++;
	if (*p != '<' && *p != '>')
		return 0;
	while (*p == '<' || *p == '>' || *p == '&' || *p == '|' || *p == '-')
		p++;
	return *p && *p != ' ' ? 1 : 2;
}

static bool is_number_like(const char *w)
{
	if (!(*w >= '0' && *w <= '9'))
		return false;
	for (; *w; w++)
		if (!strchr("0123456789abcdefABCDEFx.,:-smhd", *w))
			return false;
	return true;
}

/* The index of the first word after `VAR=x` assignments, redirections, wrappers,
 * reserved words and function headers. */
static size_t core_start(const char *part, const struct word *w, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if (strv_contains(reserved_words, w[i].text) || is_assignment(w[i].text)) {
			i++;
			continue;
		}
		int rd = redirection(part, &w[i]);
		if (rd) {
			i += (size_t)rd;
			continue;
		}
		if (w[i].plain && !strcmp(w[i].text, "function")) { /* function NAME [()] { */
			i += 2;
			if (i < n && !strcmp(w[i].text, "()"))
				i++;
			continue;
		}
		if (w[i].plain && !strcmp(w[i].text, "coproc") && i + 2 < n &&
		    (!strcmp(w[i + 2].text, "{") || !strcmp(w[i + 2].text, "("))) {
			i += 2; /* coproc NAME { ...; } */
			continue;
		}
		size_t k, wi = i;
		for (k = 0; k < ELEMENTSOF(wrappers); k++)
			if (!strcmp(w[i].text, wrappers[k].name))
				break;
		if (k == ELEMENTSOF(wrappers))
			break;
		for (i++; i < n; i++) {
			const char *o = w[i].text;
			if (!strcmp(o, "--")) {
				i++;
				break;
			}
			if (is_assignment(o))
				continue;
			if (o[0] != '-' || !o[1])
				break;
			/* env -S TEXT runs a command line of its own: env is the command */
			if (!strcmp(wrappers[k].name, "env") &&
			    (!strncmp(o, "-S", 2) || !strncmp(o, "--split-string", 14)))
				return wi;
			if (o[1] != '-' && !o[2] && strchr(wrappers[k].argopts, o[1]) && i + 1 < n)
				i++;
		}
		if (wrappers[k].skip_number && i < n && is_number_like(w[i].text))
			i++;
		i += wrappers[k].operands;
		/* flock FILE -c TEXT: flock runs the line itself */
		if (wrappers[k].operands && i < n &&
		    (!strcmp(w[i].text, "-c") || !strcmp(w[i].text, "--command")))
			return wi;
	}
	return i;
}

void ag3_cmd_forms_clear(struct cmd_forms *f)
{
	free(f->raw);
	free(f->safe);
	free(f->core);
	free(f->base);
	free(f->inner);
	*f = (struct cmd_forms){0};
}

/* Shells: `-c TEXT` is a command line they run; with no operand they read one. */
static const char *const shells[] = {"sh",  "bash", "dash", "zsh", "ksh", "mksh",
				     "ash", "fish", "tcsh", "csh", NULL};

/* A command word without its directory (`/bin/sh` is `sh`). */
static const char *command_name(const struct word *w)
{
	const char *slash = strrchr(w->text, '/');
	return slash ? slash + 1 : w->text;
}

/* The words [from, to) joined by single blanks (an empty string when none). */
static char *join_words(const struct word *w, size_t from, size_t to)
{
	size_t total = 1;
	for (size_t i = from; i < to; i++)
		total += strlen(w[i].text) + 1;
	char *o = calloc(1, total), *ret = o;
	if (!o)
		return NULL;
	for (size_t i = from; i < to; i++) {
		size_t len = strlen(w[i].text);
		if (i > from)
			*o++ = ' ';
		memcpy(o, w[i].text, len);
		o += len;
	}
	return ret;
}

/* The index of the first word after command c's options (those in `argopts` take one). */
static size_t after_options(const struct word *w, size_t n, size_t c, const char *argopts)
{
	size_t i = c + 1;
	for (; i < n; i++) {
		const char *o = w[i].text;
		if (!strcmp(o, "--"))
			return i + 1;
		if (o[0] != '-' || !o[1])
			break;
		if (o[1] != '-' && !o[2] && strchr(argopts, o[1]))
			i++;
	}
	return i;
}

/*
 * The command line that command c makes a shell run from its words, or NULL:
 * `sh -c TEXT`, `su -c TEXT`, `flock F -c TEXT`; `eval WORDS`, `watch WORDS`,
 * `ssh HOST WORDS` (joined, as the shell that runs them sees them); `trap TEXT
 * SIG`; `env -S TEXT`; `find ... -exec WORDS ;`. Its commands are checked
 * against the deny rules like the line's own.
 */
static int inner_of(const struct word *w, size_t n, size_t c, char **ret)
{
	static const char *const dash_c_anywhere[] = {"su", "runuser", "sg", "flock", NULL};
	*ret = NULL;
	if (c >= n)
		return 0;
	const char *cmd = command_name(&w[c]);
	size_t from = SIZE_MAX, to = n;
	if (!strcmp(cmd, "eval")) {
		from = c + 1;
	} else if (!strcmp(cmd, "watch")) {
		from = after_options(w, n, c, "nd");
	} else if (!strcmp(cmd, "ssh")) {
		from = after_options(w, n, c, "bcDEeFIiJLlmOopQRSWw") + 1; /* after the host */
	} else if (!strcmp(cmd, "trap")) {
		from = after_options(w, n, c, "");
		to = from < n ? from + 1 : n;
	} else if (!strcmp(cmd, "find")) {
		for (size_t i = c + 1; i < n && from == SIZE_MAX; i++)
			if (!strcmp(w[i].text, "-exec") || !strcmp(w[i].text, "-execdir") ||
			    !strcmp(w[i].text, "-ok") || !strcmp(w[i].text, "-okdir")) {
				from = i + 1;
				for (to = from; to < n; to++)
					if (!strcmp(w[to].text, ";") || !strcmp(w[to].text, "+"))
						break;
			}
	} else if (!strcmp(cmd, "env")) {
		for (size_t i = c + 1; i < n && w[i].text[0] == '-'; i++) {
			if (!strcmp(w[i].text, "-S") && i + 1 < n)
				return (*ret = strdup(w[i + 1].text)) ? 0 : -ENOMEM;
			if (!strncmp(w[i].text, "--split-string=", 15))
				return (*ret = strdup(w[i].text + 15)) ? 0 : -ENOMEM;
			if (!strncmp(w[i].text, "-S", 2) && w[i].text[2])
				return (*ret = strdup(w[i].text + 2)) ? 0 : -ENOMEM;
		}
		return 0;
	} else if (strv_contains(shells, cmd) || strv_contains(dash_c_anywhere, cmd)) {
		bool anywhere = strv_contains(dash_c_anywhere, cmd);
		for (size_t i = c + 1; i + 1 < n; i++) {
			const char *o = w[i].text;
			if (!anywhere && (o[0] != '-' || !strcmp(o, "--")))
				break;
			if (!strcmp(o, "--command") ||
			    (o[0] == '-' && o[1] != '-' && strchr(o, 'c'))) {
				size_t k = i + 1;
				if (!strcmp(w[k].text, "--") && k + 1 < n)
					k++;
				return (*ret = strdup(w[k].text)) ? 0 : -ENOMEM;
			}
			if (!strncmp(o, "--command=", 10))
				return (*ret = strdup(o + 10)) ? 0 : -ENOMEM;
		}
		return 0;
	}
	if (from == SIZE_MAX || from >= to)
		return 0;
	return (*ret = join_words(w, from, to)) ? 0 : -ENOMEM;
}

/*
 * Why rules cannot tell what command c runs (a static string), or NULL: its
 * name is computed when it runs, or it is a shell reading its commands from
 * its input, or a command builder whose commands are not on the line.
 */
static const char *opaque_reason(const char *part, const struct word *w, size_t n, size_t c)
{
	if (c >= n)
		return NULL;
	if (w[c].dynamic)
		return "its command name is only known when it runs (an expansion, a glob, a brace "
		       "or an ANSI-C quote)";
	const char *cmd = command_name(&w[c]);
	if (!strcmp(cmd, "parallel"))
		return "GNU parallel builds the commands it runs from its input";
	if (strv_contains(shells, cmd)) {
		for (size_t i = c + 1; i < n; i++) {
			const char *o = w[i].text;
			int rd = redirection(part, &w[i]);
			if (rd) { /* `sh <<< TEXT`, `sh < file`: still its input */
				i += (size_t)rd - 1;
				continue;
			}
			if (!strcmp(o, "--")) {
				if (i + 1 < n)
					return NULL; /* a script */
				break;
			}
			if (o[0] != '-' && o[0] != '+')
				return NULL; /* a script file: runs what the file says */
			if (o[1] != '-' && strchr(o, 'c'))
				return NULL; /* -c TEXT: checked as the inner line */
			if (o[1] != '-' && strchr(o, 's'))
				break;
			if ((o[1] == 'o' || o[1] == 'O') && !o[2])
				i++; /* -o OPTION */
		}
		return "a shell reading its commands from its input";
	}
	return NULL;
}

int ag3_cmd_forms_of(const char *part, struct cmd_forms *f)
{
	struct word *w = NULL;
	ssize_t n = words_of(part, &w);
	if (n < 0)
		return -ENOMEM;
	size_t s = 0;
	while (s < (size_t)n && w[s].plain && strv_contains(reserved_words, w[s].text))
		s++;
	/* `for x in ...`, `select ...`, `case ... in x`: headers run nothing themselves (their
	 * substitutions are commands of their own) */
	static const char *const headers[] = {"for", "select", "case", NULL};
	if (s < (size_t)n && w[s].plain && strv_contains(headers, w[s].text))
		s = (size_t)n;
	size_t c = core_start(part, w, (size_t)n);
	f->raw = strdup(part);
	f->safe = strdup(s < (size_t)n ? part + w[s].start : "");
	f->core = join_words(w, c, (size_t)n);
	f->opaque = opaque_reason(part, w, (size_t)n, c);
	if (!f->raw || !f->safe || !f->core || inner_of(w, (size_t)n, c, &f->inner) < 0) {
		words_free(w, (size_t)n);
		ag3_cmd_forms_clear(f);
		return -ENOMEM;
	}
	words_free(w, (size_t)n);
	const char *slash = NULL;
	for (const char *p = f->core; *p && *p != ' '; p++)
		if (*p == '/')
			slash = p;
	if (slash && slash[1] && slash[1] != ' ' && !(f->base = strdup(slash + 1))) {
		ag3_cmd_forms_clear(f);
		return -ENOMEM;
	}
	return 0;
}
