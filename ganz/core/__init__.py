"""The codec core: models, adapters, inversion, the .ganz file format, the model zoo (torch + numpy)."""
