"""Who decides and how: households and workers, their choices, and demography."""
