"""The book's chapters: one subpackage each, named as the chapter's notebook (``notebooks/NN_<name>.md``).

``<name>/profile.py`` holds the chapter's sizes per profile (``TABLE``, plain data, read by
:mod:`lofi_utils.profiles`); the chapter's own experiment code (sweeps, figures, widgets) lives beside it.
"""
