"""Built-in catalogs: hardware profiles, link kinds, model families and grid regions.

>>> from slimplace.catalog import load_catalog
>>> load_catalog().families["mobilenet-v2"].variant("mobilenet_v2_1.0_224").accuracy
0.718
"""

from slimplace.catalog.catalog import Catalog, load_catalog

__all__ = ["Catalog", "load_catalog"]
