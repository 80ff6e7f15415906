"""The domain: entities, value objects and rules (``model``) and the use cases (``usecases``)."""
