"""Whole populations: synthetic data, matching, what-if simulation, backends."""
