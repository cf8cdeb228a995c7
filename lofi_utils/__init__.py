"""lofi_utils: the tested code behind the executable book *Spectral Bias & Feature Learning*.

Modules (one concept each):

* :mod:`lofi_utils.profiles`  -- ``smoke``/``book``/``paper`` problem sizes per chapter.
* :mod:`lofi_utils.runtime`   -- device choice, seeding, thread settings.
* :mod:`lofi_utils.checks`    -- quantitative checks that assert and record.
* :mod:`lofi_utils.validation` -- the argument checks every module uses (one-line ``ValueError``).
* :mod:`lofi_utils.plotting`  -- the book's figure style.
* :mod:`lofi_utils.runner`    -- execute a jupytext chapter with papermill.
* :mod:`lofi_utils.chapter`   -- the first cell of every chapter (profile, device, seeds, style).
* :mod:`lofi_utils.sphere`    -- Gegenbauer polynomials, harmonic dimensions, Funk--Hecke spectra.
* :mod:`lofi_utils.hermite`   -- Hermite expansions of activations and their dual kernels.
* :mod:`lofi_utils.kernels`   -- NNGP/NTK recursions per layer (ReLU, erf, tanh) and their spectra.
* :mod:`lofi_utils.ntk`       -- NTK-parametrised PyTorch MLPs and their empirical per-layer NTK.
* :mod:`lofi_utils.dynamics`  -- linearised (kernel) training per frequency; networks on the circle.
* :mod:`lofi_utils.data`      -- synthetic 1-D targets (sums of sines, power-law signals).
* :mod:`lofi_utils.spectral1d` -- the 1-D Fourier experiments (learning times, activations, Fourier features).
* :mod:`lofi_utils.spectra`   -- sphere experiments and figures of the spectral-bias chapter, and its widget.
* :mod:`lofi_utils.layerwise` -- per-layer kernels, spectra, shares and training attribution (chapter 2).
* :mod:`lofi_utils.lofi`, :mod:`lofi_utils.lofi_experiments` -- Neural LoFi, its kernel form and baselines (chapter 3).
* :mod:`lofi_utils.fourier`, :mod:`lofi_utils.sgd`, :mod:`lofi_utils.amplitude_phase` -- image Fourier tools,
  the phase-only data model and the online-SGD simulators (chapter 4).
* :mod:`lofi_utils.datasets`  -- bundled real data and loaders for MNIST/CIFAR from a given path.
* :mod:`lofi_utils.editions`  -- the student edition and the downloadable notebooks.
* :mod:`lofi_utils.stats`     -- power-law fits.
"""

__version__ = "0.1.0"
