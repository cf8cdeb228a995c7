"""lofi_utils: the tested code behind the executable book *Spectral Bias & Feature Learning*.

Concept modules (reusable maths and algorithms, one concept each):

* :mod:`lofi_utils.sphere`       -- Gegenbauer polynomials, harmonic dimensions, Funk--Hecke spectra.
* :mod:`lofi_utils.hermite`      -- Hermite expansions of activations, Mehler series, dual kernels.
* :mod:`lofi_utils.activations`  -- the one registry of activations (function, derivative, module, kernel).
* :mod:`lofi_utils.kernels`      -- NNGP/NTK recursions per layer (ReLU, erf, tanh) and their spectra.
* :mod:`lofi_utils.layer_series`, :mod:`lofi_utils.layer_spectra` -- per-layer kernel series, spectra, shares.
* :mod:`lofi_utils.ntk`          -- NTK-parametrised PyTorch MLPs and their empirical per-layer NTK.
* :mod:`lofi_utils.width_sweep`  -- empirical against analytic NTKs across widths.
* :mod:`lofi_utils.attribution`  -- which layer's training reduced the loss (per-layer attribution).
* :mod:`lofi_utils.spectra`      -- power-law and exponential decay of kernel spectra on the sphere.
* :mod:`lofi_utils.dynamics`     -- linearised (kernel) training per frequency; networks on the circle.
* :mod:`lofi_utils.data`         -- synthetic 1-D targets (sums of sines, power-law signals).
* :mod:`lofi_utils.spectral1d`, :mod:`lofi_utils.training1d`, :mod:`lofi_utils.fourier_features` -- the 1-D
  Fourier view of a fit, batched sum-of-sines training, Fourier-feature mappings.
* :mod:`lofi_utils.lofi`         -- Neural LoFi: random lift, signed covariance and top-k filter, ridge readout,
  the model, its kernel form, the convolutional layer.
* :mod:`lofi_utils.fourier`, :mod:`lofi_utils.phase_model` -- image Fourier tools; the phase-only data model.
* :mod:`lofi_utils.sgd`, :mod:`lofi_utils.sgd_chain`, :mod:`lofi_utils.escape_scans` -- online-SGD simulators,
  the overlap chain, escape-time scans and fits.
* :mod:`lofi_utils.datasets`     -- bundled real data and loaders for MNIST/CIFAR from a given path.
* :mod:`lofi_utils.stats`        -- power-law fits.

Chapter code (sweeps, figures, widgets and the sizes per profile): :mod:`lofi_utils.chapters`, one
subpackage per chapter named as its notebook (``spectral_bias``, ``layerwise``, ``neural_lofi``,
``amplitude_phase``).

The book's machinery: :mod:`lofi_utils.profiles` (sizes per profile), :mod:`lofi_utils.runtime` (device,
seeds, threads, progress bars), :mod:`lofi_utils.chapter` (the first cell of a chapter), :mod:`lofi_utils.checks`
(checks and their records), :mod:`lofi_utils.validation` (argument checks), :mod:`lofi_utils.plotting` (figure
style), :mod:`lofi_utils.runner` (a chapter through papermill), :mod:`lofi_utils.editions` (the student
edition and the downloadable notebooks), :mod:`lofi_utils.plain_markdown` (their MyST markup as plain Markdown).
"""

__version__ = "0.1.0"
