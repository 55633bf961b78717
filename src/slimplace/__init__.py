"""slimplace: where ML inference runs on the edge-network-cloud continuum, with which
compressed variant and how many servers on, at minimal energy or carbon."""

__version__ = "0.1.0"
