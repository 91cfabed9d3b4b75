"""``python -m newsarchive``: the same command as the ``newsarchive`` console script
(:func:`newsarchive.cli.main`), run by a chosen interpreter (the tests run it so, in a
process of its own)."""

from newsarchive.cli import main

raise SystemExit(main())
