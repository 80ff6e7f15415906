"""Use cases: one class per module, ports injected in the constructor, one async call."""
