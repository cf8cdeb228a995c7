"""Chapter 2, *Layer-wise spectral bias* (``notebooks/02_layerwise.md``): the chapter's own code.

Modules (import them directly; this file imports nothing, because :mod:`lofi_utils.profiles` reads
``profile.py`` through it):

* ``profile``       -- the chapter's sizes per profile (plain data).
* ``share_surveys`` -- the pairwise ordering of the layers over dimensions, depths and activations, and the
  approach to the high-dimensional limit (sections 2-3).
* ``finite_width``  -- per-layer empirical NTKs against the analytic kernels over widths, and shares measured
  with zonal probes (section 4).
* ``training_runs`` -- who reduces the error: degree-k targets, one layer trained at a time, several targets
  on real data (sections 5-6).
* ``data_frequency`` -- frequencies of functions on real data defined without the kernel: the eigenvectors'
  nonlinearity and degree-k polynomial probes, with each layer's share along them (section 6).
* ``figures``       -- every figure of the chapter, by section.
* ``widget``        -- the layer-share explorer of section 2.

The reusable maths lives in the concept modules :mod:`lofi_utils.kernels` (per-layer NTKs),
:mod:`lofi_utils.hermite` (Hermite coefficients), :mod:`lofi_utils.layer_series` (per-layer kernels as power
series), :mod:`lofi_utils.layer_spectra` (per-layer spectra, shares, probes, data spectra),
:mod:`lofi_utils.attribution` (the per-layer attribution of the test-loss reduction) and
:func:`lofi_utils.datasets.load_real_data` (section 6's data).
"""
