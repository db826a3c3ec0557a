"""Generic spider kinds, one per publishing pattern (see each module's docstring for its recipe).

``options`` holds their declarative option models (no Scrapy, so ``config check`` stays light);
``extract`` the selector/path/label machinery; ``common`` what every row-based kind shares.
"""
