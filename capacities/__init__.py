"""Front-ends above the libraries: the `capacities` command line."""
