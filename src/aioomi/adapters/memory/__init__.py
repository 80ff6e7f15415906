"""In-memory implementations of every port: for tests, and usable at run time (``--memory``)."""
