"""Developer tools, not shipped in the package: the .ganz fuzzer and the book checker."""
