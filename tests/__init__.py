"""The project's tests (a package, so `tests.support` wins over the stray `tests` package
that textstat installs into site-packages)."""
