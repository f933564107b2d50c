"""Log filtering: a witness link is a password, so it never reaches a log line."""

import logging
import re

WITNESS_LINK = re.compile(r"(/w/)(?!sent/|brief/)[A-Za-z0-9_-]{16,}")


class RedactWitnessLinks(logging.Filter):
    """Replace the token in any /w/<token> path (access logs, "Not Found: …") with [link]."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/w/" in message:
            record.msg, record.args = WITNESS_LINK.sub(r"\1[link]", message), ()
        return True
