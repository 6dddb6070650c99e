"""The leadership demo's web page (``abm serve``): a Solara page of the model, in Chinese and English.

``page`` (the page and its components), ``show`` (a tab's run and its frames, prepared ahead),
``runs`` (the two runs stepped together), ``controls`` (the sliders and their values as text),
``widgets`` (the slider and the browser script, ``page_script.vue``), ``summary`` (the headline
banner and the table), ``uncertainty`` (chance and the assumptions' range), ``measures`` (what
each measure adds and costs), ``stories`` (the presets), ``address`` (the page's state in its
URL), ``charts`` and ``map`` (the panels), ``export`` (the view as PNG), ``text`` (the page's
words and number formats), ``serve`` (the server). Precomputed beside them, each by a script in
``scripts/``: ``seed_spread.csv``, ``bands.csv``, ``measures.csv``.
"""
