"""Ports: the ``typing.Protocol`` interfaces the use cases need, typed in domain terms.

One capability each. This package imports only the domain model.
"""
