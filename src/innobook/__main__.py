import sys

from .pipeline.stamp import quick_exit

if quick_exit(sys.argv[1:]):  # `execute --if-changed` with nothing changed: stdlib only
    raise SystemExit(0)

from .pipeline.cli import main  # noqa: E402

raise SystemExit(main())
