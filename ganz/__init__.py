"""GANZ: lossy image compression by searching the latent space of a trained BEGAN generator."""
__version__ = "0.1.0"
