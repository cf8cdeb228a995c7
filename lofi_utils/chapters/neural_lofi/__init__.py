"""Chapter 3, *Neural LoFi* (``notebooks/03_neural_lofi.md``): the chapter's own code.

Modules (import them directly; this file imports nothing, because :mod:`lofi_utils.profiles` reads
``profile.py`` through it):

* ``profile``     -- the chapter's sizes per profile (plain data).
* ``emergence``   -- section 1: the layer-0 signed matrix, the emergence sweep over ``n = c d r`` and its
  figures; the first gradient step against the filter (checked in section 6).
* ``width_limit`` -- section 2: width-``p`` LoFi against its kernel limit.
* ``baselines``   -- section 3: LoFi against random features and the NNGP kernel, on the hierarchical
  target, the digits and CIFAR-10.
* ``kept_rank``   -- section 4: the test error against the kept rank ``k``.
* ``widget``      -- section 4: the explorer of ``n``, ``k`` and the depth.
* ``depth``       -- section 5: two filters against one, with what each layer carries.
* ``images``      -- section 6: patch eigenfilters against shuffled labels, photo crops, convolutional LoFi.

The reusable maths lives in the concept package :mod:`lofi_utils.lofi` (the lift, the signed covariance and
its top-``k`` filter, the ridge readout, :class:`~lofi_utils.lofi.NeuralLoFi`, its kernel form, the
convolutional layer, the hierarchical target).
"""
