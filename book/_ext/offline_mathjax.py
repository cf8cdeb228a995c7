"""Serve MathJax from the built book itself, so that the math renders without internet access.

Sphinx loads MathJax 3 from a CDN by default; a reader offline (or a machine with a closed network)
then sees raw TeX. This extension copies the MathJax 3 ES5 bundle shipped by the pinned PyPI package
``django-static-mathjax`` (importable as ``mathjax``; Apache-2.0) into ``_static/mathjax`` of the
HTML output and points ``mathjax_path`` at it. Without that package the CDN default is kept.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

# The parts of the ES5 bundle that the tex-chtml component loads (fonts, TeX extensions, menu).
_PARTS = ("tex-chtml.js", "input", "output", "ui", "a11y", "adaptors")


def bundled_mathjax() -> Path | None:
    """Directory of the MathJax 3 ES5 bundle in the installed package, or ``None``."""
    spec = importlib.util.find_spec("mathjax")
    if spec is None or not spec.submodule_search_locations:
        return None
    es5 = Path(list(spec.submodule_search_locations)[0]) / "static" / "mathjax" / "es5"
    return es5 if (es5 / "tex-chtml.js").is_file() else None


def _config_inited(app, config):
    if bundled_mathjax() is not None:
        config.mathjax_path = "mathjax/tex-chtml.js"
    else:
        logger.info("offline_mathjax: package 'django-static-mathjax' not found; MathJax loads from its CDN")


def _copy(app, exception):
    es5 = bundled_mathjax()
    if exception is not None or es5 is None or app.builder.format != "html":
        return
    dest = Path(app.outdir) / "_static" / "mathjax"
    dest.mkdir(parents=True, exist_ok=True)
    for part in _PARTS:
        src = es5 / part
        if src.is_dir():
            shutil.copytree(src, dest / part, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dest / part)


def setup(app):
    app.connect("config-inited", _config_inited)
    app.connect("build-finished", _copy)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
