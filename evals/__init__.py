"""Question sets and the evaluation harness."""
