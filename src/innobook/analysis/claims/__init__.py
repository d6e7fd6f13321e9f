"""The claims ledger: every number the article states, with a verdict no stronger than its source.

:mod:`.registry` holds the rules, the evaluation and the rendering; :mod:`.checks` holds the
computations that settle claims from the book's data. Importing this package registers
them, so the registry never has to import its own clients.
"""

from . import checks  # noqa: F401  (registers the computations with the registry)
from . import sources  # noqa: F401  (the census of sources by kind)
from .registry import *  # noqa: F401,F403
from .registry import __all__  # noqa: F401
