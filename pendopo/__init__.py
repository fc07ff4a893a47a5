"""Pendopo: browser video sessions and a live network inventory for a regency government."""

__version__ = "0.1.0"
