/* SPDX-License-Identifier: MIT */
/*
 * `serve`'s pieces (tools/cli_serve.c: the loop; serve-jobs.c: the jobs that
 * run on threads; serve-check.c: `check`). Only the loop's thread touches a
 * connection, session or exec, except what a running job was given: its
 * session's spec, rules and handle (not freed while it runs) and its exec.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "agent/ag3ntum-sandbox.h"
#include "serve-proto.h"

struct ag3_rules;

struct outbuf {
	struct outbuf *next;
	size_t len, off;
	int fds[2]; /* ride with the line's first byte */
	int nfds;
	char data[];
};

struct sess;
struct exec;

struct conn {
	struct conn *next;
	int in_fd, out_fd;
	bool out_sock;   /* send() rather than write() */
	bool fd_passing; /* out_fd is a unix socket */
	bool stdio;
	char *in; /* requests read, not yet handled */
	size_t in_len, in_cap;
	bool discarding; /* in a line longer than SERVE_MAX_LINE: up to its newline */
	struct outbuf *qhead, *qtail;
	size_t queued;
	unsigned queued_fds; /* descriptors held by the queued replies */
	bool dropped;        /* the client is gone (or serve ends): nothing more is read */
	bool write_dead;     /* writing failed: replies are discarded */
	struct sess *sessions;
	unsigned n_sessions, next_handle;
	struct exec *execs;
	unsigned n_running, n_jobs;
};

enum sess_state { SESS_OPENING, SESS_OPEN, SESS_CLOSING };

struct sess {
	struct sess *next;
	struct conn *c;
	char name[16];
	enum sess_state st;
	struct ag3_session *s;
	struct ag3_spec *spec;
	struct ag3_profile *profile; /* NULL: opened from a spec */
	struct ag3_rules *rules;
	char *username, *session_id;
	unsigned refs;   /* jobs and execs using it */
	cJSON *close_id; /* the close request's id */
	bool close_asked;
};

struct exec {
	struct exec *next;
	struct conn *c;
	struct sess *s;
	cJSON *id;
	int rd[2];     /* the stdout and stderr pipes' read ends, -1 at EOF */
	int wr[2];     /* their write ends: the job's */
	int cancel_fd; /* an eventfd: written to cancel */
	bool done;     /* the job returned */
	struct ag3_exec_result *res;
	char *fail; /* the exec could not be tried: why */
};

enum job_kind { JOB_OPEN, JOB_EXEC, JOB_CLOSE, JOB_CHECK, JOB_RESOLVE };

struct job {
	struct job *next;
	enum job_kind kind;
	struct conn *c;
	struct sess *s;
	struct exec *e;
	struct serve_req req;
	/* the answer: a reply line (check, resolve, open's failure) and its fds */
	char *reply;
	int fds[2];
	int nfds;
	bool failed; /* open */
};

/* The socket serve listens on (absolute), or NULL (stdio): no session may reach it. */
extern const char *serve_socket_path;

/* {"id":ID,"type":TYPE}: the start of every reply; NULL on ENOMEM. */
cJSON *serve_reply_new(const cJSON *id, const char *type);
/* The object (freed) as one line, escaped by ag3_escape_json; NULL on ENOMEM. */
char *serve_reply_line(cJSON *o);
/* An `error` reply line. */
char *serve_error_line(const cJSON *id, const char *code, const char *msg);
/* Moves every member of `from` (freed) into `to`. */
void serve_merge(cJSON *to, cJSON *from);
/* Compiles the request's open keys (a spec, or a profile and the session): 0, or -errno
 * with *why a malloc'ed message. */
int serve_compile(const struct serve_req *q, struct ag3_spec **spec, char **why);

/* The jobs, run on their own thread: the answer in j->reply (and j->fds). */
void serve_job_open(struct job *j);
void serve_job_exec(struct job *j);
void serve_job_check(struct job *j);
void serve_job_resolve(struct job *j, bool fd_passing);

/* serve-check.c: the rules `check` decides with (session_workspace's), and their end. */
int serve_load_rules(const struct cli_source *src, struct ag3_profile **ret_p,
		     struct ag3_rules **ret_r, struct ag3_error **err);
void serve_policy_free(struct ag3_profile *p, struct ag3_rules *r);
