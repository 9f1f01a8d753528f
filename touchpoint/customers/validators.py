"""Moved to touchpoint.core.identifiers; kept for imports in flight."""

from touchpoint.core.identifiers import *  # noqa: F403
from touchpoint.core.identifiers import uscc_check_character, validate_credit_code  # noqa: F401
