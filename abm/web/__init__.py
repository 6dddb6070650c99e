"""The leadership demo's web page (``abm serve``): a Solara page of the model, in Chinese and English.

``page`` (the page and its components), ``runs`` (the two runs stepped together), ``controls``
(the sliders), ``charts`` and ``map`` (the panels), ``text`` (the page's words and number
formats), ``serve`` (the server); ``seed_spread.csv`` (from ``scripts/seed_spread.py``).
"""
