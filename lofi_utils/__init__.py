"""lofi_utils: the tested code behind the executable book *Spectral Bias & Feature Learning*.

Modules (one concept each):

* :mod:`lofi_utils.profiles`  -- ``smoke``/``book``/``paper`` problem sizes per chapter.
* :mod:`lofi_utils.runtime`   -- device choice, seeding, thread settings.
* :mod:`lofi_utils.checks`    -- quantitative checks that assert and record.
* :mod:`lofi_utils.plotting`  -- the book's figure style.
* :mod:`lofi_utils.runner`    -- execute a jupytext chapter with papermill.
* :mod:`lofi_utils.sphere`, :mod:`lofi_utils.hermite`, :mod:`lofi_utils.kernels`,
  :mod:`lofi_utils.ntk`, ... -- the science.
"""

__version__ = "0.1.0"
