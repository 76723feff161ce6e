"""Baseline codecs the paper and the study compare with: image codecs, the wavelet coder, Lasso CS."""
