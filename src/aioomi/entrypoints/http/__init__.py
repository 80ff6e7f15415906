"""The HTTP entry point: a Litestar app built by :func:`aioomi.entrypoints.http.app.create_app`."""
