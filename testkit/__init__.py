"""What the tests and the benches share: an embedded PostgreSQL with the migrations, loopback
serving, the fake OpenAI server, the test website, document builders and stored test data.

Benches import from here and never from `tests` (tests/unit/test_bench_imports.py holds that);
tests import from here too. Nothing here is part of the product (it is not packaged)."""
