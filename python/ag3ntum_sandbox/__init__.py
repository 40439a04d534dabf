# SPDX-License-Identifier: MIT
"""ag3ntum_sandbox: run agent commands in ag3ntum-sandbox from Python.

- The session API (`Server`, `Session`): a client of `ag3ntum-sandbox serve`.
- `ag3ntum_sandbox.platform`: a drop-in for the agent platform's sandbox.py
  and path_validator.py names.

Standard library only. The CLI is found through $AG3NTUM_SANDBOX (a path) or PATH.
"""

from ._cli import CLINotFoundError, find_cli
from .client import (Decision, Execution, Resolution, Result, SandboxError, Server, ServeError,
                     ServerGone, Session, PROTOCOL)

__version__ = "0.1.0"
__all__ = ["CLINotFoundError", "find_cli", "Decision", "Execution", "Resolution", "Result",
           "SandboxError", "Server", "ServeError", "ServerGone", "Session", "PROTOCOL"]
