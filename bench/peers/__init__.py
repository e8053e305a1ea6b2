"""The peers of W1, each run as a script inside its own virtual environment."""
