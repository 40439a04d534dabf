/* SPDX-License-Identifier: MIT */
/* The bwrap front end's operator configuration, at run time (tools/cli_bwrap_config.c). */
#pragma once

#include "runtime/result.h"
#include "runtime/sandbox.h"
#include "runtime/spec.h"

/*
 * ag3_sandbox_run with the operator's layers (README "The operator's
 * configuration"): reads /etc/ag3ntum-sandbox/bwrap.yaml (or, for a caller who
 * did not come through sudo, $AG3NTUM_BWRAP_CONFIG), adds its layers to `spec`,
 * runs, then says on stderr what the layers did (a timeout, a layer the host
 * lacks) and writes the record into its result_dir. No file: plain
 * ag3_sandbox_run. A file that is refused is a setup failure in `res` ("FILE:
 * LINE:COL: key: why"), and nothing runs. `before` (or NULL) is called once the
 * file is read and applied, just before the run: a negative return, with `res`
 * its setup failure, ends it there (bwrap's --userns joins the namespace then).
 */
void cli_bwrap_run(struct ag3_spec *spec, const struct ag3_run_opts *ro, struct ag3_result *res,
		   int (*before)(void *data, struct ag3_spec *spec, struct ag3_result *res),
		   void *before_data);

/*
 * Whether the caller came through a privilege-raising wrapper that names who
 * asked: sudo (SUDO_UID), pkexec (PKEXEC_UID), doas (DOAS_USER), for a user other
 * than root. Such a caller gets no root command and cannot swap the operator's
 * file. (Those wrappers reset the environment: the variables are theirs.)
 */
bool cli_bwrap_elevated_caller(void);
