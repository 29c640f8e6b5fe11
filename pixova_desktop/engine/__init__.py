"""Diffusers pipelines: model sources, loading, caching, schedulers and running one request.

Importing this package does not import torch or diffusers; its modules do.
"""
