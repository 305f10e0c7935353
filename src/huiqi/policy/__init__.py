"""Policies as code: one package per policy document."""
