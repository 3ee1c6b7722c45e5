"""The demo books and the synthetic city, built through the project's own code paths."""
