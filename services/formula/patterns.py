"""Regular expressions run with RE2, as Airtable runs them: in time linear in the text, with no
backreferences or lookaround (flags are written inline, as in "(?i)"). Each pattern is compiled
once, and the work one match may take is bounded."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import re2

from services.formula.limits import Refused

# Characters in a regular expression.
MAX_PATTERN = 10_000
# RE2's memory for one pattern (its program and its DFA cache), and so for the compiled cache.
_RE2_MAX_MEM = 1 << 20
# RE2 takes at worst time proportional to its program's size times the text's length: on this
# scale, one unit is about 5 ns, so the worst match takes about a quarter of a second.
MAX_REGEX_WORK = 50_000_000


@dataclass(frozen=True)
class Pattern:
    regex: Any  # re2's compiled regular expression (the module is untyped)
    size: int  # its program size, for the work bound

    def on(self, text: str) -> Any:
        """The regex, once the work to match it on `text` is known to be within bounds."""
        work = self.size * (len(text) + 1)
        if work > MAX_REGEX_WORK:
            raise Refused(
                f"the regular expression is too complex for a text of {len(text):,} characters"
            )
        return self.regex


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False
    options.max_mem = _RE2_MAX_MEM
    return options


_OPTIONS = _options()


@lru_cache(maxsize=128)
def compile_pattern(pattern: str) -> Pattern:
    """`pattern` compiled, or Refused saying why RE2 cannot run it."""
    if len(pattern) > MAX_PATTERN:
        raise Refused(
            f"the regular expression has {len(pattern):,} characters; the limit is {MAX_PATTERN:,}"
        )
    try:
        regex = re2.compile(pattern, _OPTIONS)
    except re2.error as err:
        why = err.args[0] if err.args else "it does not compile"
        why = why.decode(errors="replace") if isinstance(why, bytes) else str(why)
        shown = pattern if len(pattern) <= 60 else pattern[:60] + "..."
        raise Refused(f"invalid regular expression {shown!r}: {why}") from None
    return Pattern(regex, regex.programsize)
