# SPDX-License-Identifier: MIT
"""Finding the ag3ntum-sandbox CLI: $AG3NTUM_SANDBOX (a path), else PATH."""

import os
import shutil

CLI_NAME = "ag3ntum-sandbox"
ENV_VAR = "AG3NTUM_SANDBOX"


class CLINotFoundError(FileNotFoundError):
    """Neither $AG3NTUM_SANDBOX nor PATH gives an executable ag3ntum-sandbox."""


def find_cli():
    """The absolute path of the CLI.

    $AG3NTUM_SANDBOX, when set, must name an executable file (a path, not a
    name looked up in PATH); otherwise ``ag3ntum-sandbox`` is looked up in PATH.
    The result is absolute, so that an argv built from it runs the same binary
    whatever PATH the process that executes it has (the platform's Bash tool
    runs it with the environment {"TERM": "dumb"} only).
    """
    env = os.environ.get(ENV_VAR)
    if env:
        if os.sep not in env:
            raise CLINotFoundError(
                f"${ENV_VAR} is {env!r}: it must be a path to the {CLI_NAME} binary, not a name")
        path = os.path.abspath(env)
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            raise CLINotFoundError(f"${ENV_VAR} is {env!r}, which is not an executable file")
        return path
    found = shutil.which(CLI_NAME)
    if not found:
        raise CLINotFoundError(
            f"{CLI_NAME} not found: set ${ENV_VAR} to its path or put it in PATH "
            f"(PATH={os.environ.get('PATH', '')!r})")
    return os.path.abspath(found)
