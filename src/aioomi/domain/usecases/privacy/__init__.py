"""Privacy rights: the owner's data, exports, restriction, objection and erasure; one use case per module."""
