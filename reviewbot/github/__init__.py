"""GitHub: pull requests as a diff source, and reviews as an output. Only faces import this."""
