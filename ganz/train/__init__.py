"""Training: the BEGAN trainer and publishing a trained generator into the zoo."""
