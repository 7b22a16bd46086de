"""The contract between the hub and the devices: topics, message models and codec.

Imports only the standard library and pydantic, so both sides can depend on it.
"""
