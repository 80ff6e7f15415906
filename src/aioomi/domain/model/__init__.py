"""Entities, value objects, domain errors and pure rules. Imports nothing of aioomi outside itself."""
