"""The profile tables of the book's chapters (sizes only; see :mod:`lofi_utils.profiles`).

The ``book`` numbers are chosen so that each chapter runs in a few minutes on a laptop CPU, the
``smoke`` numbers so that it runs in under a minute on 2 cores, and the ``paper`` numbers follow
the papers (meant for a GPU).
"""

from .profiles import register

# Chapter 1 -- Spectral bias basics (filled in with the chapter; see notebooks/01_spectral_bias.md)
